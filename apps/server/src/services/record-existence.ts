import type { Actor } from '../domain/access/actor.ts';
import type { PatientRef } from '../domain/access/patient-ref.ts';
import { domainError, DomainFailure } from '../domain/errors.ts';

/** What a record that does not exist answers (services/consent.ts resolveRecord). */
export const RECORD_NOT_FOUND = domainError('not-found', 'REC_NOT_FOUND', 'No such record.');

/**
 * Whether a refusal on a record may say that the record exists (issue 16): to a caller who knows it does — its
 * holder side, the operator — or when it was named by INS, whose existence TD0.2 tells professionals. A record
 * named by its id to anyone else is refused exactly like a missing one.
 */
export function mayTellExistence(
  actor: Actor,
  record: { readonly ins: string },
  ref: Pick<PatientRef, 'kind'>,
): boolean {
  if (ref.kind !== 'id' || actor.kind === 'operator') {
    return true;
  }
  return (actor.kind === 'patient' || actor.kind === 'representative') && actor.ins === record.ins;
}

/**
 * For `.catch` on the decision about a record named by `ref` (traced already): a refusal the caller may not be told
 * (see {@link mayTellExistence}) becomes the missing record's 404; anything else is rethrown as it is.
 */
export function refusedAsMissing(
  actor: Actor,
  record: { readonly ins: string },
  ref: Pick<PatientRef, 'kind'>,
): (error: unknown) => never {
  return (error) => {
    if (
      error instanceof DomainFailure &&
      (error.error.kind === 'forbidden' || error.error.kind === 'unprocessable') &&
      !mayTellExistence(actor, record, ref)
    ) {
      throw new DomainFailure(RECORD_NOT_FOUND);
    }
    throw error;
  };
}
