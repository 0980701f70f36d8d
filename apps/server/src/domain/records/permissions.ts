import type { Actor } from '../access/actor.ts';
import { deny } from '../access/decision.ts';
import { emergencyAppliesTo } from '../access/policy.ts';
import type { DomainError } from '../errors.ts';
import { domainError } from '../errors.ts';
import type { ClosureReason } from './lifecycle.ts';

/**
 * Who may manage a record (product.md §1, §2):
 *  M1. the operator creates records, registers and lifts oppositions, closes (any reason), reopens, takes deletion
 *      requests, reads identity traits, gives a record created under an NIA its NIR and merges two records of one person
 *      (issue 17 rule 11);
 *  M2. the holder — or the legal representative of a minor — closes their own record (reason: holder's request),
 *      reopens it and requests its deletion, and reads their own traits;
 *  M3. a professional may only ask whether a record exists and its status (TD0.2); never the traits; in an
 *      emergency mode, only about the record that mode was declared for (issue 17 rule 6); so may a structure's
 *      software before it deposits (issue 17 rule 12), never the traits either;
 *  M4. anything else is refused.
 */
export type RecordAction =
  | 'create'
  | 'opposition'
  | 'close'
  | 'reopen'
  | 'request-deletion'
  | 'read-traits'
  | 'status'
  | 'purge'
  | 'assign-nir'
  | 'merge';

export function decideRecordAction(
  actor: Actor,
  action: RecordAction,
  recordIns: string | null,
  closureReason?: ClosureReason,
): DomainError | null {
  const own =
    (actor.kind === 'patient' || actor.kind === 'representative') &&
    recordIns !== null &&
    actor.ins === recordIns;
  switch (action) {
    case 'create':
    case 'opposition':
    case 'purge':
    case 'assign-nir':
    case 'merge':
      return actor.kind === 'operator'
        ? null
        : domainError('forbidden', 'REC_OPERATOR_ONLY', 'Only the operator may do this.');
    case 'close':
      if (actor.kind === 'operator') {
        return null;
      }
      if (own) {
        return closureReason === undefined || closureReason === 'holder-request'
          ? null
          : domainError(
              'forbidden',
              'REC_CLOSURE_REASON_OPERATOR_ONLY',
              'The holder closes with reason holder-request.',
            );
      }
      return domainError(
        'forbidden',
        'REC_NOT_HOLDER',
        'Only the holder or the operator may close this record.',
      );
    case 'reopen':
    case 'request-deletion':
    case 'read-traits':
      return actor.kind === 'operator' || own
        ? null
        : domainError(
            'forbidden',
            'REC_NOT_HOLDER',
            'Only the holder or the operator may do this.',
          );
    case 'status':
      if (
        actor.kind === 'professional' &&
        recordIns !== null &&
        !emergencyAppliesTo(actor, recordIns)
      ) {
        const refused = deny('ACCESS_EMERGENCY_OTHER_RECORD');
        return domainError('forbidden', refused.reason, refused.message);
      }
      return actor.kind === 'operator' ||
        actor.kind === 'professional' ||
        actor.kind === 'software' ||
        own
        ? null
        : domainError('forbidden', 'REC_NOT_HOLDER', 'You may only look up your own record.');
  }
}
