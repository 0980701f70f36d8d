import type { FastifyInstance } from 'fastify';
import { linkBase } from '../link-base.ts';
import { DomainFailure, domainError } from '../../domain/errors.ts';
import type { Deps } from '../../services/deps.ts';
import { lookupDirectory } from '../../services/directory.ts';
import {
  listNotifications,
  markNotificationRead,
  readNotification,
} from '../../services/notifications/inbox.ts';
import { insOidOfRecord, insOidsOfRecords } from '../../services/records.ts';
import { FHIR_JSON } from '../error-handler.ts';
import { encodeCursor, nextLink, parseCount, parseCursor } from '../query-params.ts';
import { patientRefOf } from './audit-event.routes.ts';
import { searchset } from './bundle.ts';
import { communicationDirectoryKeys, toFhirCommunication } from './communication-mapping.ts';
import { parseToken } from './parameters.ts';
import { actorOf } from '../actor.ts';
import { readPatientRef } from './consent-reading.ts';

type Query = Record<string, string | string[] | undefined>;

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function invalid(code: string, message: string, location: string): DomainFailure {
  return new DomainFailure(domainError('invalid', code, message, [location]));
}

function stateOf(status: string | undefined): 'unread' | 'read' | undefined {
  switch (status) {
    case undefined:
      return undefined;
    case 'in-progress':
      return 'unread';
    case 'completed':
      return 'read';
    default:
      throw invalid(
        'NOTIF_STATUS_INVALID',
        'status is in-progress (unread) or completed (read).',
        'status',
      );
  }
}

function mediumOf(medium: string | undefined): 'inbox' | 'email' | undefined {
  if (medium === undefined) {
    return undefined;
  }
  const code = parseToken(medium).value;
  if (code === 'ELECTRONIC' || code === 'inbox') {
    return 'inbox';
  }
  if (code === 'EMAILWRIT' || code === 'email') {
    return 'email';
  }
  throw invalid(
    'NOTIF_MEDIUM_INVALID',
    'medium is ELECTRONIC (in-portal inbox, default) or EMAILWRIT (e-mails).',
    'medium',
  );
}

/**
 * The in-portal inbox as FHIR Communication, and the channel preferences (rules in services/notifications/):
 *   GET   /fhir/Communication                        the caller's notifications: patient / representative (their
 *                                                    record), professional (as médecin traitant, every record)
 *   GET   /fhir/Communication?recipient=Patient/{id} (or patient.identifier=<system>|<INS>, patient={id})
 *   GET   /fhir/Communication?recipient.identifier=urn:oid:1.2.250.1.71.4.2.1|<IdNat_PS>   (the caller only)
 *         parameters: status=in-progress (unread) | completed (read); medium=ELECTRONIC (default) | EMAILWRIT;
 *         _count (≤ 500), _cursor (paging); newest first
 *   GET   /fhir/Communication/{id}
 *   PATCH /fhir/Communication/{id}   JSON Patch [{"op":"replace","path":"/status","value":"completed"}] = read
 * The channel preferences are the portal API's (http/portal/notification-preferences.routes.ts).
 */
export function registerCommunicationRoutes(app: FastifyInstance, deps: Deps): void {
  app.get('/fhir/Communication', async (request, reply) => {
    const base = linkBase(request, deps.config);
    const actor = actorOf(request);
    const q = request.query as Query;
    const recipient = first(q['recipient']);
    const recipientIdentifier = first(q['recipient.identifier']);
    const patient =
      recipient !== undefined
        ? readPatientRef({
            reference: recipient.includes('/') ? recipient : `Patient/${recipient}`,
          })
        : patientRefOf(q);
    if (recipient !== undefined && !recipient.startsWith('Patient/') && recipient.includes('/')) {
      throw invalid(
        'NOTIF_RECIPIENT_INVALID',
        'recipient is Patient/{id}; a professional uses recipient.identifier.',
        'recipient',
      );
    }
    const count = parseCount(q['_count']);
    const result = await listNotifications(deps, actor, {
      patient,
      recipientId: recipientIdentifier ? parseToken(recipientIdentifier).value : undefined,
      state: stateOf(first(q['status'])),
      medium: mediumOf(first(q['medium'])),
      count,
      before: parseCursor(q['_cursor']),
    });
    const keys = communicationDirectoryKeys(result.rows);
    const directory = await lookupDirectory(deps, keys.professionals, keys.structures);
    // Issue 17 rule 11: each notification names its own record's INS system (a médecin traitant's inbox spans
    // records under NIR, NIA…).
    const insOids = result.record
      ? new Map([[result.record.patient_id, result.record.ins_oid]])
      : await insOidsOfRecords(
          deps,
          result.rows.map((row) => row.patient_id),
        );
    const next = result.next
      ? nextLink(base, '/fhir/Communication', q, encodeCursor(result.next))
      : undefined;
    return reply.type(FHIR_JSON).send(
      searchset(
        base,
        `${base}${request.url}`,
        result.rows.map((row) => ({
          resource: toFhirCommunication(row, directory, insOids.get(row.patient_id)),
        })),
        undefined,
        next,
      ),
    );
  });

  app.get('/fhir/Communication/:id', async (request, reply) => {
    const actor = actorOf(request);
    const { id } = request.params as { id: string };
    const row = await readNotification(deps, actor, id);
    const keys = communicationDirectoryKeys([row]);
    const directory = await lookupDirectory(deps, keys.professionals, keys.structures);
    const insOid = await insOidOfRecord(deps, row.patient_id);
    return reply.type(FHIR_JSON).send(toFhirCommunication(row, directory, insOid));
  });

  app.patch('/fhir/Communication/:id', async (request, reply) => {
    const actor = actorOf(request);
    const { id } = request.params as { id: string };
    const ops = request.body;
    const op =
      Array.isArray(ops) && ops.length === 1
        ? (ops[0] as { op?: unknown; path?: unknown; value?: unknown })
        : undefined;
    if (
      !op ||
      (op.op !== 'replace' && op.op !== 'add') ||
      op.path !== '/status' ||
      op.value !== 'completed'
    ) {
      throw new DomainFailure(
        domainError(
          'unprocessable',
          'NOTIF_PATCH_INVALID',
          'Send a JSON Patch [{"op":"replace","path":"/status","value":"completed"}] to mark a notification read.',
          ['Communication.status'],
        ),
      );
    }
    const row = await markNotificationRead(deps, actor, id);
    const keys = communicationDirectoryKeys([row]);
    const directory = await lookupDirectory(deps, keys.professionals, keys.structures);
    const insOid = await insOidOfRecord(deps, row.patient_id);
    return reply.type(FHIR_JSON).send(toFhirCommunication(row, directory, insOid));
  });
}
