/**
 * Notifications that follow from a trace, so that no service can forget them (services/audit.ts calls this for
 * every event it appends to a record's chain, in the same transaction):
 *  T1. any successful action on a record by a professional in an emergency mode (bris_de_glace, centre_15) is an
 *      emergency access: the patient and the médecin traitant are told (CSP R1111-48);
 *  T2. a successful closure of the record (by the holder, the operator, or an opposition) is notified.
 * Other notifications (documents, authorizations, blocks) are written by their services with `Deps.notify`.
 */
import type { Actor } from '../access/actor.ts';
import type { AuditInput } from '../audit/audit-record.ts';

export interface TraceNotification {
  readonly type: 'emergency.access' | 'record.close';
  readonly patientId: string;
  readonly actor: Actor;
}

export function notificationOfTrace(
  actor: Actor,
  patientId: string,
  input: Pick<AuditInput, 'action' | 'outcome'>,
): TraceNotification | null {
  if (input.outcome !== 'success') {
    return null;
  }
  if (actor.kind === 'professional' && actor.mode !== 'normal') {
    return { type: 'emergency.access', patientId, actor };
  }
  if (input.action === 'record.close') {
    return { type: 'record.close', patientId, actor };
  }
  return null;
}
