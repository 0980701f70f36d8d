import type { DomainIssue } from '../errors.ts';
import type { Result } from '../result.ts';
import { err, ok } from '../result.ts';

/**
 * IdNat_PS: the national identifier of a health professional in ANS systems (CPS/e-CPS, Pro Santé Connect,
 * VIHF NameID, CDA author id, XDS authorPerson), identifier system OID 1.2.250.1.71.4.2.1.
 *
 * Rules:
 *  P1. Not empty, at most 100 characters, printable ASCII without spaces (`ID_IDNAT_PS_FORMAT`).
 *  P2. First character = type (PDSM4DMP PSIdNat.fsh): `8` + RPPS, `0` + ADELI, `1` + ADELI cabinet id or
 *      internal id, `3` + FINESS or internal id, `4` + SIREN or internal id, `5` + SIRET or internal id,
 *      `6` + RPPS cabinet id or internal id. Any other first character is `ID_IDNAT_PS_PREFIX`.
 *  P3. `8` + exactly 11 digits (12 characters), e.g. 899700366240 (`ID_IDNAT_PS_FORMAT`).
 *      The RPPS check digit is NOT verified: we found no normative source for it, and ANS's own example
 *      identifiers (801234534765, 801234567893 in the CI-SIS CDA examples) would fail a Luhn check.
 *  P4. `0` + ADELI: exactly 9 characters, digits or upper-case letters (CNAM examples carry letters, e.g.
 *      00B1057294; Corsican departments are 2A/2B) (`ID_IDNAT_PS_FORMAT`).
 *  P5. `1`, `3`, `4`, `5`, `6`: a number (digits, upper-case letters) optionally followed by `/` and a local
 *      identifier, as the CI-SIS examples write it (e.g. 518003502400041/1.2.250.1.215.1.2). The number is not
 *      checked further: the specification allows an internal identifier in its place.
 *
 * Sources: github ansforge/IG-FHIR-PDSM4DMP-EEDS input/fsh/Model/PSIdNat.fsh (types and invariant
 * `^(0|1|3|4|5|6|8)…`); dmp-domain-facts §7; ansforge/TestContenuCDA-3-0 ExemplesCDA (observed forms).
 */

export const IDNAT_PS_OID = '1.2.250.1.71.4.2.1';

export type IdNatPsKind =
  'RPPS' | 'ADELI' | 'ADELI_CABINET' | 'FINESS' | 'SIREN' | 'SIRET' | 'RPPS_CABINET';

/** A well-formed IdNat_PS. */
export interface IdNatPs {
  /** The identifier as submitted, prefix included. */
  readonly value: string;
  readonly kind: IdNatPsKind;
  /** The number after the prefix (before any `/local-id`). */
  readonly number: string;
  /** The local identifier after `/` (P5), when present. */
  readonly localId?: string;
}

const KINDS: Readonly<Record<string, IdNatPsKind>> = {
  '8': 'RPPS',
  '0': 'ADELI',
  '1': 'ADELI_CABINET',
  '3': 'FINESS',
  '4': 'SIREN',
  '5': 'SIRET',
  '6': 'RPPS_CABINET',
};

function format(message: string): DomainIssue {
  return { code: 'ID_IDNAT_PS_FORMAT', message };
}

/** Validates an IdNat_PS (P1–P5). */
export function validateIdNatPs(value: string): Result<IdNatPs, DomainIssue> {
  if (value.length === 0) {
    return err(format('The professional identifier (IdNat_PS) is empty.'));
  }
  if (value.length > 100 || !/^[\x21-\x7E]+$/.test(value)) {
    return err(
      format(
        'The professional identifier (IdNat_PS) must be at most 100 printable characters without spaces.',
      ),
    );
  }
  const kind = KINDS[value.charAt(0)];
  if (kind === undefined) {
    return err({
      code: 'ID_IDNAT_PS_PREFIX',
      message: 'An IdNat_PS starts with 8 (RPPS), 0 (ADELI), 1, 3, 4, 5 or 6.',
    });
  }
  const rest = value.slice(1);
  if (kind === 'RPPS') {
    return /^\d{11}$/.test(rest)
      ? ok({ value, kind, number: rest })
      : err(format('An RPPS-based IdNat_PS is 8 followed by the 11-digit RPPS number.'));
  }
  if (kind === 'ADELI') {
    return /^[0-9A-Z]{9}$/.test(rest)
      ? ok({ value, kind, number: rest })
      : err(format('An ADELI-based IdNat_PS is 0 followed by the 9-character ADELI number.'));
  }
  const m = /^([0-9A-Z]+)(?:\/([\x21-\x7E]+))?$/.exec(rest);
  if (!m) {
    return err(
      format('This IdNat_PS type is a prefix digit, a number, and optionally /local-identifier.'),
    );
  }
  const number = m[1] as string;
  const localId = m[2];
  return ok(localId === undefined ? { value, kind, number } : { value, kind, number, localId });
}
