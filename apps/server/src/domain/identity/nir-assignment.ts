/**
 * A record created under an NIA receives its NIR (issue 17 rule 11). The NIA (INS-NIA, 1.2.250.1.213.1.4.9) is the
 * provisional matricule of someone not yet registered with a NIR; once INSEE gives the NIR, the record stays the
 * same record under its NIR and both identifiers keep resolving to it.
 *
 * Rules (pure; the shell loads the record, checks the INS's form and key, and whether the NIR is already taken):
 *  N1. Only a record currently under INS-NIA receives a NIR (`REC_NOT_NIA`, conflict): a NIR record has one already,
 *      a record under a test or demo system is not an NIA.
 *  N2. The new identifier is a NIR: INS-NIR (1.2.250.1.213.1.4.8), or the test and demo NIR systems where they are
 *      allowed (`REC_NIR_REQUIRED`, invalid): an NIA cannot replace an NIA.
 *  N3. The NIR is another matricule than the NIA (`REC_NIR_SAME`, invalid).
 *  N4. A NIR that already names another record is refused by the shell (`REC_INS_EXISTS`, conflict): two records of
 *      one person are merged, never silently joined.
 */
import type { DomainError } from '../errors.ts';
import { domainError } from '../errors.ts';
import { INS_OID, type Ins } from './ins.ts';

/**
 * The field of the use case's input an issue names (issue 18 point 4): the NIR given. Each adapter locates it on
 * its own request (the FHIR operation's Parameters: http/fhir/operation-locations.ts).
 */
export const NIR_FIELD = 'identifier';

export interface NirAssignment {
  /** The record's matricule and system before: they become its former identifier. */
  readonly formerIns: string;
  readonly formerOid: string;
  readonly nir: string;
  readonly nirOid: string;
}

/** Decides N1–N3 for the record currently under (`ins`, `insOid`) and the validated new identifier `nir`. */
export function decideNirAssignment(
  record: { readonly ins: string; readonly insOid: string },
  nir: Ins,
): { ok: true; value: NirAssignment } | { ok: false; error: DomainError } {
  if (record.insOid !== INS_OID.NIA) {
    return {
      ok: false,
      error: domainError(
        'conflict',
        'REC_NOT_NIA',
        'Only a record created under an NIA (1.2.250.1.213.1.4.9) receives a NIR.',
      ),
    };
  }
  if (nir.kind !== 'NIR') {
    return {
      ok: false,
      error: domainError(
        'invalid',
        'REC_NIR_REQUIRED',
        'The new identifier must be a NIR (system 1.2.250.1.213.1.4.8).',
        [NIR_FIELD],
      ),
    };
  }
  if (nir.value === record.ins) {
    return {
      ok: false,
      error: domainError('invalid', 'REC_NIR_SAME', 'The NIR is the record’s current matricule.', [
        NIR_FIELD,
      ]),
    };
  }
  return {
    ok: true,
    value: { formerIns: record.ins, formerOid: record.insOid, nir: nir.value, nirOid: nir.oid },
  };
}
