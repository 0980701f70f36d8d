import type { Actor } from '../domain/access/actor.ts';
import type { AuditInput, SYSTEM_ACTOR } from '../domain/audit/audit-record.ts';
import { buildAuditRecord } from '../domain/audit/audit-record.ts';
import { notificationOfTrace } from '../domain/notifications/triggers.ts';
import { appendRecordAudit, appendSystemAudit } from '../db/audit.repository.ts';
import type { Db } from '../db/client.ts';
import type { Deps } from './deps.ts';

/**
 * Writes one trace inside the caller's transaction: on the record's chain when `patientId` names an existing
 * record, else on the system chain.
 */
export async function audit(
  tx: Db,
  deps: Pick<Deps, 'clock' | 'ids' | 'notify'>,
  actor: Actor | typeof SYSTEM_ACTOR,
  patientId: string | null,
  input: AuditInput,
): Promise<void> {
  const record = buildAuditRecord(actor, input, deps.clock.now(), deps.ids());
  if (patientId !== null && (await appendRecordAudit(tx, patientId, record))) {
    // Emergency accesses and closures notify from the trace itself, so no service can forget them (issue 5).
    const event = actor.kind === 'system' ? null : notificationOfTrace(actor, patientId, input);
    if (event && deps.notify) {
      await deps.notify(tx, event);
    }
    return;
  }
  await appendSystemAudit(tx, record);
}

/** Records a denial in its own committed transaction (the failing request's work is rolled back, the trace is not). */
export async function auditDenial(
  deps: Deps,
  actor: Actor,
  patientId: string | null,
  input: Omit<AuditInput, 'outcome'>,
): Promise<void> {
  await deps.sql.begin(async (tx) => {
    await audit(tx, deps, actor, patientId, { ...input, outcome: 'denied' });
  });
}
