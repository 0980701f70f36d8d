/**
 * The operator merges two records of one person (issue 17 rule 11, docs/adr/0016-record-merge.md): the absorbed
 * record's documents, consents and preferences move to the survivor, both INS resolve to the survivor, the absorbed record is
 * closed and its trace chain ends with a `record.merged` link naming the survivor.
 *
 * Rules (pure; the shell locks both records and counts what the absorbed record holds):
 *  G1. Two distinct records (`REC_MERGE_SAME`, invalid).
 *  G2. Both records are active (`REC_MERGE_CLOSED`, conflict): a closed record is reopened first; an absorbed record
 *      is closed, so it is never merged twice nor absorbed into something else later.
 *  G3. The same person: same birth date and same sex (`REC_MERGE_TRAITS_DIFFER`, conflict) — traits that differ are
 *      corrected on the records before, never overridden by a merge.
 *  G4. The operator confirms having checked the identity (`REC_MERGE_UNCONFIRMED`, invalid): the names may differ
 *      (a used name, a transliteration), the operator's check is the only proof the two records are one person.
 *  G5. The absorbed record holds no medical profile or care history (`REC_MERGE_HAS_PROFILE`, conflict): those are
 *      one per record and regenerate their own documents; merging two of them is not done, the operator keeps as
 *      survivor the record that holds them. Documents move (re-sealed under the survivor's key, ADR 0016).
 *  G6. Consents: every consent moves; when both records hold an active consent of the same kind for the same actor
 *      and purpose (one active per key), the survivor's stays active and the absorbed one moves ended
 *      (`consentsToEnd`). Blocks and objections of either record therefore keep applying to the survivor.
 *  G7. Notification preferences: the survivor's win for a recipient kind both have; the absorbed record's move
 *      for the others (`preferencesToMove`).
 */
import type { DomainError } from '../errors.ts';
import { domainError } from '../errors.ts';

/**
 * The fields of the merge's input an issue names (issue 18 point 4): the record to absorb, the identity
 * confirmation. Each adapter locates them on its own request (http/fhir/operation-locations.ts).
 */
export const MERGE_FIELD = { absorbed: 'absorbed', confirmed: 'confirmed' } as const;

export interface MergeRecordFacts {
  readonly patientId: string;
  readonly status: 'active' | 'closed';
  readonly birthDate: string;
  readonly sex: string;
}

/** What the absorbed record holds that cannot move (G5): counts only. */
export interface AbsorbedContents {
  readonly profileEntries: number;
  readonly careLines: number;
}

export interface MergeConsentKey {
  readonly id: string;
  readonly kind: string;
  readonly actorKind: string | null;
  readonly actorId: string | null;
  readonly purpose: string | null;
  readonly active: boolean;
}

const keyOf = (c: MergeConsentKey): string =>
  JSON.stringify([c.kind, c.actorKind ?? '', c.actorId ?? '', c.purpose ?? '']);

/** Decides G1–G5; null when the merge may proceed. */
export function decideMerge(
  survivor: MergeRecordFacts,
  absorbed: MergeRecordFacts,
  confirmed: boolean,
  contents: AbsorbedContents,
): DomainError | null {
  if (survivor.patientId === absorbed.patientId) {
    return domainError('invalid', 'REC_MERGE_SAME', 'A record cannot be merged into itself.', [
      MERGE_FIELD.absorbed,
    ]);
  }
  if (survivor.status !== 'active' || absorbed.status !== 'active') {
    return domainError(
      'conflict',
      'REC_MERGE_CLOSED',
      'Both records must be active (a closed record is reopened before it is merged).',
    );
  }
  if (survivor.birthDate !== absorbed.birthDate || survivor.sex !== absorbed.sex) {
    return domainError(
      'conflict',
      'REC_MERGE_TRAITS_DIFFER',
      'The two records differ in birth date or sex: correct the identity first, they may not be the same person.',
    );
  }
  if (!confirmed) {
    return domainError(
      'invalid',
      'REC_MERGE_UNCONFIRMED',
      'Confirm that the identity was checked (parameter "confirm-identity" = true).',
      [MERGE_FIELD.confirmed],
    );
  }
  if (contents.profileEntries + contents.careLines > 0) {
    return domainError(
      'conflict',
      'REC_MERGE_HAS_PROFILE',
      'The record to absorb holds a medical profile or a care history, which cannot be merged: keep it as the survivor.',
    );
  }
  return null;
}

/** G6: ids of the absorbed record's active consents that a survivor's active consent of the same key replaces. */
export function consentsToEnd(
  survivor: readonly MergeConsentKey[],
  absorbed: readonly MergeConsentKey[],
): string[] {
  const held = new Set(survivor.filter((c) => c.active).map(keyOf));
  return absorbed.filter((c) => c.active && held.has(keyOf(c))).map((c) => c.id);
}

/** G7: the absorbed record's recipient kinds whose preferences move (those the survivor has none for). */
export function preferencesToMove(
  survivorKinds: readonly string[],
  absorbedKinds: readonly string[],
): string[] {
  return absorbedKinds.filter((k) => !survivorKinds.includes(k));
}
