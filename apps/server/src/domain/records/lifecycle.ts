import type { DomainIssue } from '../errors.ts';
import type { Result } from '../result.ts';
import { err, ok } from '../result.ts';

/**
 * Record lifecycle (product.md §2 "Record lifecycle"; CSP R1111-36, L1111-18):
 *  R1. States: active → closed → (reopened → active) / purged.
 *  R2. Closure reasons: the holder's request, death, an operator decision. Closure keeps everything archived.
 *  R3. A closed record is purged 10 years after closure; on an explicit deletion request, within 3 months
 *      (we purge at the first purge run after the request).
 *  R4. A deletion request on an active record closes it first (holder's request).
 *  R5. Reopening cancels a pending deletion request. A record closed for death is reopened only by the operator
 *      (to correct an error).
 *  R6. Closing a closed record or reopening an active one is refused (conflict), so replays are visible.
 */
export type RecordStatus = 'active' | 'closed';
export type ClosureReason = 'holder-request' | 'death' | 'operator-decision';
export const CLOSURE_REASONS: readonly ClosureReason[] = [
  'holder-request',
  'death',
  'operator-decision',
];

export interface RecordState {
  readonly status: RecordStatus;
  readonly closedAt: Date | null;
  readonly closureReason: ClosureReason | null;
  readonly deletionRequestedAt: Date | null;
}

export type RecordEvent =
  | { readonly type: 'close'; readonly reason: ClosureReason; readonly at: Date }
  | { readonly type: 'reopen'; readonly at: Date; readonly byOperator: boolean }
  | { readonly type: 'request-deletion'; readonly at: Date };

export type PurgeReason = 'retention-expired' | 'deletion-requested';

export const RETENTION_YEARS = 10;

export function isClosureReason(value: unknown): value is ClosureReason {
  return typeof value === 'string' && (CLOSURE_REASONS as readonly string[]).includes(value);
}

export function transition(
  state: RecordState,
  event: RecordEvent,
): Result<RecordState, DomainIssue> {
  switch (event.type) {
    case 'close':
      if (state.status === 'closed') {
        return err({ code: 'REC_ALREADY_CLOSED', message: 'The record is already closed.' });
      }
      return ok({
        status: 'closed',
        closedAt: event.at,
        closureReason: event.reason,
        deletionRequestedAt: null,
      });
    case 'reopen':
      if (state.status === 'active') {
        return err({ code: 'REC_NOT_CLOSED', message: 'The record is not closed.' });
      }
      if (state.closureReason === 'death' && !event.byOperator) {
        return err({
          code: 'REC_REOPEN_DEATH_OPERATOR_ONLY',
          message: 'A record closed for death can only be reopened by the operator.',
        });
      }
      return ok({
        status: 'active',
        closedAt: null,
        closureReason: null,
        deletionRequestedAt: null,
      });
    case 'request-deletion':
      if (state.deletionRequestedAt !== null) {
        return err({
          code: 'REC_DELETION_ALREADY_REQUESTED',
          message: 'Deletion was already requested.',
        });
      }
      return ok({
        status: 'closed',
        closedAt: state.closedAt ?? event.at,
        closureReason: state.closureReason ?? 'holder-request',
        deletionRequestedAt: event.at,
      });
  }
}

/** Adds whole calendar years (29 February → 28 February or 1 March as Date does). */
function addYears(d: Date, years: number): Date {
  const r = new Date(d.getTime());
  r.setUTCFullYear(r.getUTCFullYear() + years);
  return r;
}

/** Whether the purge job must delete this record now, and why. */
export function purgeDue(state: RecordState, now: Date): PurgeReason | null {
  if (state.status !== 'closed' || state.closedAt === null) {
    return null;
  }
  if (state.deletionRequestedAt !== null && state.deletionRequestedAt.getTime() <= now.getTime()) {
    return 'deletion-requested';
  }
  if (addYears(state.closedAt, RETENTION_YEARS).getTime() <= now.getTime()) {
    return 'retention-expired';
  }
  return null;
}
