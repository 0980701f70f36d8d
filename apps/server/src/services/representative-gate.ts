import type { Actor } from '../domain/access/actor.ts';
import { decideAccess } from '../domain/access/policy.ts';
import type { RecordRow } from '../db/records.repository.ts';
import { loadAccessContext } from './access-facts.ts';
import { auditDenial } from './audit.ts';
import type { Deps } from './deps.ts';

/**
 * Issue 17 rule 1, for the services that find the caller's record by the token's INS without asking decideAccess
 * otherwise (record lookup and traits, notifications inbox and preferences): a representative token is one only
 * through a live registration on the record (decideAccess on the record's facts, registrations included). When it
 * is not, the denial is traced (ACCESS_NOT_REPRESENTATIVE) and true comes back: the caller answers as it does
 * for a missing record.
 */
export async function unregisteredRepresentative(
  deps: Deps,
  actor: Actor,
  row: RecordRow | null | undefined,
  traceAction: string,
): Promise<boolean> {
  if (!row || actor.kind !== 'representative' || actor.ins !== row.ins) {
    return false;
  }
  const { context } = await loadAccessContext(deps.sql, deps, actor, row);
  const decision = decideAccess({ ...context, action: 'record.status' });
  if (decision.allow) {
    return false;
  }
  await auditDenial(deps, actor, row.patient_id, {
    action: traceAction,
    reasonCode: decision.reason,
  });
  return true;
}
