import type { Actor } from '../domain/access/actor.ts';
import type { Decision, Deny } from '../domain/access/decision.ts';
import type { AccessRequest } from '../domain/access/policy.ts';
import { decideAccess } from '../domain/access/policy.ts';
import type { DomainError } from '../domain/errors.ts';
import { DomainFailure } from '../domain/errors.ts';
import type { RecordRow } from '../db/records.repository.ts';
import { loadAccessContext } from './access-facts.ts';
import { auditDenial } from './audit.ts';
import type { Deps } from './deps.ts';

/**
 * The one way a use case refuses (issue 18 point 5): the policy's denial is traced — its own committed transaction,
 * on the record's chain (the system chain without a record) — and then thrown as the error the use case answers with
 * (each use case says how a reason reads to its caller: a hidden document or record answers as a missing one).
 */
export interface DenialTrace {
  readonly action: string;
  readonly entityType?: string;
  readonly entityId?: string;
}

export async function refuseDenial(
  deps: Deps,
  actor: Actor,
  patientId: string | null,
  denial: Deny,
  trace: DenialTrace,
  error: DomainError,
): Promise<never> {
  await auditDenial(deps, actor, patientId, {
    action: trace.action,
    reasonCode: denial.reason,
    ...(trace.entityType !== undefined ? { entityType: trace.entityType } : {}),
    ...(trace.entityId !== undefined ? { entityId: trace.entityId } : {}),
  });
  throw new DomainFailure(error);
}

/** Refuses (above) unless the decision allows. */
export async function enforceDecision(
  deps: Deps,
  actor: Actor,
  patientId: string | null,
  decision: Decision,
  trace: DenialTrace,
  errorOf: (denial: Deny) => DomainError,
): Promise<void> {
  if (!decision.allow) {
    await refuseDenial(deps, actor, patientId, decision, trace, errorOf(decision));
  }
}

/** Loads the record's access facts, decides `request` on them, and refuses (above) unless allowed. */
export async function enforceOnRecord(
  deps: Deps,
  actor: Actor,
  row: RecordRow,
  request: AccessRequest,
  trace: DenialTrace,
  errorOf: (denial: Deny) => DomainError,
): Promise<void> {
  const { context } = await loadAccessContext(deps.sql, deps, actor, row);
  await enforceDecision(
    deps,
    actor,
    row.patient_id,
    decideAccess({ ...context, ...request }),
    trace,
    errorOf,
  );
}
