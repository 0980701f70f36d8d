import type { FastifyInstance } from 'fastify';
import { linkBase } from '../link-base.ts';
import type { PatientRef } from './consent-reading.ts';
import { readPatientRef } from './consent-reading.ts';
import { searchAuditEvents, readAuditEvent } from '../../services/audit-query.ts';
import type { Deps } from '../../services/deps.ts';
import { lookupDirectory } from '../../services/directory.ts';
import { FHIR_JSON } from '../error-handler.ts';
import {
  encodeCursor,
  nextLink,
  parseCount,
  parseCursor,
  parseDateWindow,
} from '../query-params.ts';
import { directoryKeys, toFhirAuditEvent } from './audit-event-mapping.ts';
import { searchset } from './bundle.ts';
import { parseToken } from './parameters.ts';
import { actorOf } from '../actor.ts';

type Query = Record<string, string | string[] | undefined>;

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** `patient.identifier=<system>|<INS>` or `patient=Patient/{id}` (also `patient={id}`). */
export function patientRefOf(q: Query): PatientRef | undefined {
  const token = first(q['patient.identifier']);
  if (token) {
    const t = parseToken(token);
    return readPatientRef({ identifier: { system: t.system, value: t.value } });
  }
  const patient = first(q['patient']);
  if (patient) {
    return readPatientRef({ reference: patient.includes('/') ? patient : `Patient/${patient}` });
  }
  return undefined;
}

/**
 * The access history as FHIR AuditEvent (rules in services/audit-query.ts, mapping in audit-event-mapping.ts):
 *   GET /fhir/AuditEvent?patient.identifier=<system>|<INS>   (or patient=Patient/{id}) — a record's history
 *   GET /fhir/AuditEvent                                     — the caller's own record (patient, representative);
 *                                                              the system chain (operator)
 *   GET /fhir/AuditEvent?agent.identifier=<system>|<id>      — one agent's events everywhere (operator)
 *   parameters: date (ge/gt/le/lt/eq, repeatable), subtype (our action code), _count (≤ 500), _cursor (paging)
 *   GET /fhir/AuditEvent/{id}
 * Newest first; the Bundle has a `next` link while more events remain.
 */
export function registerAuditEventRoutes(app: FastifyInstance, deps: Deps): void {
  app.get('/fhir/AuditEvent', async (request, reply) => {
    const base = linkBase(request, deps.config);
    const actor = actorOf(request);
    const q = request.query as Query;
    const window = parseDateWindow(q['date']);
    const agent = first(q['agent.identifier']);
    const subtype = first(q['subtype']);
    const count = parseCount(q['_count']);
    const result = await searchAuditEvents(deps, actor, {
      patient: patientRefOf(q),
      from: window.from,
      to: window.to,
      before: parseCursor(q['_cursor']),
      agent: agent ? parseToken(agent).value : undefined,
      action: subtype ? parseToken(subtype).value : undefined,
      count,
    });
    const keys = directoryKeys(result.rows);
    const directory = await lookupDirectory(deps, keys.professionals, keys.structures);
    const next = result.next
      ? nextLink(base, '/fhir/AuditEvent', q, encodeCursor(result.next))
      : undefined;
    return reply.type(FHIR_JSON).send(
      searchset(
        base,
        `${base}${request.url}`,
        result.rows.map((row) => ({ resource: toFhirAuditEvent(row, result.record, directory) })),
        undefined,
        next,
      ),
    );
  });

  app.get('/fhir/AuditEvent/:id', async (request, reply) => {
    const actor = actorOf(request);
    const { id } = request.params as { id: string };
    const { row, record } = await readAuditEvent(deps, actor, id);
    const keys = directoryKeys([row]);
    const directory = await lookupDirectory(deps, keys.professionals, keys.structures);
    return reply.type(FHIR_JSON).send(toFhirAuditEvent(row, record, directory));
  });
}
