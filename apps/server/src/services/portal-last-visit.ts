import * as auditQuery from '../db/audit-query.repository.ts';
import type { Actor } from '../domain/access/actor.ts';
import { decideAccess } from '../domain/access/policy.ts';
import { domainError, DomainFailure } from '../domain/errors.ts';
import { loadAccessContext } from './access-facts.ts';
import { audit, auditDenial } from './audit.ts';
import { resolveRecord } from './consent.ts';
import type { Deps } from './deps.ts';

/**
 * "New since my last visit" for the professional portal (GET /portal-api/records/last-visit?patient.identifier=…,
 * issue 21 point 3): when the calling professional last consulted this record before the current visit.
 *  V1. Only a professional who may search the record's documents now (the policy's `document.search`, emergency
 *      modes included) is answered; anyone else is refused and the refusal traced (`record.last-visit`).
 *  V2. The answer is about the caller's own acts only: their latest successful document search or read on this
 *      record (merged chains included) older than VISIT_GAP_MS — the current visit's own traces do not count.
 *  V3. The answer is traced (`record.last-visit`, success), like any reading of the record.
 */
export const VISIT_GAP_MS = 30 * 60 * 1000;

const VISIT_ACTIONS = ['document.search', 'document.read', 'document.retrieve'];

export async function lastVisit(
  deps: Deps,
  actor: Actor,
  ref: Parameters<typeof resolveRecord>[1],
): Promise<{ lastVisit: string | null }> {
  const record = await resolveRecord(deps, ref);
  const { context } = await loadAccessContext(deps.sql, deps, actor, record);
  const decision = decideAccess({ ...context, action: 'document.search' });
  const reason =
    actor.kind !== 'professional'
      ? 'ACCESS_ACTION_NOT_PERMITTED'
      : decision.allow
        ? undefined
        : decision.reason;
  if (reason !== undefined || actor.kind !== 'professional') {
    const code = reason ?? 'ACCESS_ACTION_NOT_PERMITTED';
    await auditDenial(deps, actor, record.patient_id, {
      action: 'record.last-visit',
      reasonCode: code,
    });
    throw new DomainFailure(domainError('forbidden', code, 'You may not consult this record.'));
  }
  const before = new Date(deps.clock.now().getTime() - VISIT_GAP_MS);
  let found: Date | null = null;
  for (const action of VISIT_ACTIONS) {
    const [row] = await auditQuery.findRecordAuditEvents(deps.sql, record.patient_id, {
      to: before,
      actorId: actor.idNatPs,
      actorKinds: ['professional'],
      action,
      outcome: 'success',
      limit: 1,
    });
    if (row && (found === null || row.recorded_at > found)) {
      found = row.recorded_at;
    }
  }
  await deps.sql.begin(async (tx) => {
    await audit(tx, deps, actor, record.patient_id, {
      action: 'record.last-visit',
      outcome: 'success',
      entityType: 'Patient',
      entityId: record.patient_id,
    });
  });
  return { lastVisit: found ? found.toISOString() : null };
}
