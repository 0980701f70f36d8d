import type { FactsSource } from '../db/records.repository.ts';
import { StaleFacts } from './audit.ts';

/**
 * Reads decided on remembered facts, confirmed by their trace (docs/adr/0009-confirmed-reads.md). A search or a
 * retrieval first decides on what this process remembers of the record (its row, active consents and documents'
 * facts) and writes its trace on the condition that the record's access tag has not moved since; the answer
 * leaves only once that trace is committed. When the tag moved (StaleFacts), it decides again on facts read
 * afresh; after a few such rounds (a record changing all the time) the last attempt traces unconditionally, as a
 * read of fresh facts always did.
 */
export interface ReadAttempt {
  /** Where the record's facts come from (undefined: a plain read, neither remembered nor tagged). */
  readonly source: FactsSource | undefined;
  /** Whether the trace is conditional on the tag of those facts. */
  readonly confirm: boolean;
}

const ATTEMPTS: readonly ReadAttempt[] = [
  { source: 'remembered', confirm: true },
  { source: 'fresh', confirm: true },
  { source: 'fresh', confirm: true },
  { source: 'fresh', confirm: false },
];

/** A read that decides on fresh facts and traces unconditionally (writes, and reads that remember nothing). */
export const FRESH_READ: ReadAttempt = { source: undefined, confirm: false };

/** Runs `read` with remembered facts first, again with fresh ones as long as its trace finds them stale. */
export async function withConfirmedFacts<T>(
  read: (attempt: ReadAttempt) => Promise<T>,
): Promise<T> {
  for (const [i, attempt] of ATTEMPTS.entries()) {
    try {
      return await read(attempt);
    } catch (e) {
      if (!(e instanceof StaleFacts) || i === ATTEMPTS.length - 1) {
        throw e;
      }
    }
  }
  throw new Error('no read attempt');
}

/**
 * A denial or a not-found is answered on fresh facts only: on remembered ones, it asks for a fresh attempt
 * (StaleFacts) instead of being traced and answered.
 */
export function denyOnFreshFactsOnly(attempt: ReadAttempt): void {
  if (attempt.source === 'remembered') {
    throw new StaleFacts();
  }
}

/** The tag a trace is conditional on, for an attempt (undefined: unconditional). */
export function confirmationTag(
  attempt: ReadAttempt,
  record: { access_tag?: string },
): string | undefined {
  return attempt.confirm ? record.access_tag : undefined;
}
