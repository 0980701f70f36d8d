/**
 * Legal representation of a minor as a fact of the record (issue 17 rule 1; CSP R1111-40, L1111-14; Code civil
 * art. 371-1 and 388: parental authority lasts until majority). Pure; the caller passes `now`.
 *
 * RP1. A representation is registered on the record by the operator, with the representative's own identifier
 *      (the one their token carries as `id`: their INS, or their subject at the patients' identity provider),
 *      a name, a start and an optional end.
 * RP2. It is live from its start (inclusive) until the earliest of: its registered end (exclusive), the day it
 *      was ended by the operator, and the minor's 18th birthday (from the record's birth date, exclusive).
 * RP3. A representative token grants something only through a live representation naming the token's `id` on the
 *      record its `ins` names; a token without `id` matches none.
 */
export interface Representation {
  /** The representative's own identifier (token claim `id`). */
  readonly identifier: string;
  readonly start: Date;
  /** Registered end, or the moment the operator ended it; exclusive. */
  readonly end?: Date | undefined;
}

/** 00:00 UTC of the 18th birthday of someone born on `birthDate` (YYYY-MM-DD); 29 Feb → 1 Mar. */
export function majorityAt(birthDate: string): Date {
  const [y, m, d] = birthDate.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y + 18, m - 1, d));
}

/** RP2: whether the representation is live at `now` on a record whose holder is a minor at `now` or not. */
export function isLiveRepresentation(rep: Representation, isMinor: boolean, now: Date): boolean {
  if (!isMinor) {
    return false;
  }
  if (now.getTime() < rep.start.getTime()) {
    return false;
  }
  return rep.end === undefined || now.getTime() < rep.end.getTime();
}

/** RP3: the live representation naming `identifier`, if any. */
export function liveRepresentationOf(
  identifier: string | undefined,
  representations: readonly Representation[],
  isMinor: boolean,
  now: Date,
): Representation | undefined {
  if (identifier === undefined) {
    return undefined;
  }
  return representations.find(
    (r) => r.identifier === identifier && isLiveRepresentation(r, isMinor, now),
  );
}
