import type { FastifyInstance } from 'fastify';
import { linkBase } from '../link-base.ts';
import { readCareQuery } from './care-history-params.ts';
import type { PatientRef } from './consent-reading.ts';
import { readPatientRef } from './consent-reading.ts';
import { DomainFailure, domainError, validationError } from '../../domain/errors.ts';
import { searchCareHistory } from '../../services/care-history.ts';
import type { Deps } from '../../services/deps.ts';
import { lookupDirectory } from '../../services/directory.ts';
import { FHIR_JSON } from '../error-handler.ts';
import { searchset } from './bundle.ts';
import { parseToken } from './parameters.ts';
import { actorOf } from '../actor.ts';
import { toExplanationOfBenefit } from './care-history-mapping.ts';

/**
 * GET /fhir/ExplanationOfBenefit?patient.identifier=<INS system>|<INS> (or patient=<id>) [&date=…][&kind=…]
 * [&_count=…][&_cursor=…]: the care history, one ExplanationOfBenefit per reimbursement line, newest first
 * (docs/care-history.md).
 */
type Query = Record<string, string | string[] | undefined>;

function single(q: Query, name: string): string | undefined {
  const v = q[name];
  return Array.isArray(v) ? v[0] : v;
}

export function patientRefFromQuery(q: Query, code: string): PatientRef {
  const token = single(q, 'patient.identifier');
  const patient = single(q, 'patient');
  const ref = token
    ? (() => {
        const t = parseToken(token);
        return readPatientRef({ identifier: { system: t.system, value: t.value } });
      })()
    : patient
      ? readPatientRef({ reference: patient.includes('/') ? patient : `Patient/${patient}` })
      : undefined;
  if (!ref) {
    throw new DomainFailure(
      domainError(
        'invalid',
        code,
        'Search with patient.identifier=<system>|<INS> or patient=<id>.',
        ['patient.identifier'],
      ),
    );
  }
  return ref;
}

export function registerCareHistoryRoutes(app: FastifyInstance, deps: Deps): void {
  app.get('/fhir/ExplanationOfBenefit', async (request, reply) => {
    const base = linkBase(request, deps.config);
    const actor = actorOf(request);
    const q = request.query as Query;
    const patient = patientRefFromQuery(q, 'CARE_PATIENT_REQUIRED');
    const parsed = readCareQuery({ date: q['date'], kind: q['kind'], count: single(q, '_count') });
    if (!parsed.ok) {
      throw new DomainFailure(validationError(parsed.error));
    }
    const page = await searchCareHistory(deps, actor, {
      patient,
      from: parsed.value.from,
      to: parsed.value.to,
      kinds: parsed.value.kinds,
      count: parsed.value.count,
      cursor: single(q, '_cursor'),
    });
    const professionals = new Set<string>();
    const structures = new Set<string>();
    for (const l of page.lines) {
      for (const id of [l.executant_id, l.prescriber_id]) {
        if (id !== null) {
          professionals.add(id);
        }
      }
      if (l.structure_id !== null) {
        structures.add(l.structure_id);
      }
    }
    const directory = await lookupDirectory(deps, [...professionals], [...structures]);
    const names = {
      professional: (id: string) => {
        const p = directory.professionals.get(id);
        return p ? `${p.given_name} ${p.family_name}` : undefined;
      },
      structure: (id: string) => directory.structures.get(id)?.name,
    };
    const self = `${base}${request.url}`;
    let next: string | undefined;
    if (page.next !== undefined) {
      const u = new URL(self);
      u.searchParams.set('_cursor', page.next);
      next = u.toString();
    }
    return reply.type(FHIR_JSON).send(
      searchset(
        base,
        self,
        page.lines.map((l) => ({ resource: toExplanationOfBenefit(l, page.record, names) })),
        page.total,
        next,
      ),
    );
  });
}
