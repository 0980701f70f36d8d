import type { DomainIssue } from '../errors.ts';
import type { Result } from '../result.ts';
import { err, ok } from '../result.ts';
import { luhnValid } from './luhn.ts';

/**
 * IdNat_Struct: the national identifier of a health structure (CDA author/custodian organisation id, XDS
 * authorInstitution, healthcare facility), identifier system OID 1.2.250.1.71.4.2.2.
 *
 * Rules:
 *  T1. Not empty, at most 100 characters, printable ASCII without spaces (`ID_IDNAT_STRUCT_FORMAT`).
 *  T2. First character = type (PDSM4DMP StructIdNat.fsh): `0` + ADELI cabinet id, `1` + FINESS, `2` + SIREN,
 *      `3` + SIRET, `4` + RPPS-rang; "néant + n° technique": any other first character is a technical number
 *      (kind TECHNICAL), accepted as is.
 *  T3. `0` + ADELI cabinet id: digits and upper-case letters (CNAM examples: 00B105729400).
 *  T4. `1` + FINESS: 9 characters, department (2 digits, or 2A/2B) then 7 digits. The FINESS check digit is
 *      not verified (algorithm not confirmed from a source).
 *  T5. `2` + SIREN: 9 digits with a valid Luhn key (`ID_IDNAT_STRUCT_KEY` otherwise).
 *  T6. `3` + SIRET: 14 digits with a valid Luhn key; La Poste establishments (SIREN 356000000) use instead
 *      "sum of the 14 digits is a multiple of 5" (`ID_IDNAT_STRUCT_KEY` otherwise).
 *  T7. `4` + RPPS-rang: the 11-digit RPPS followed by a rank of at least one digit (the rank's width is not
 *      published in what we read), digits only.
 *  T8. Strict mode (default) refuses a prefixed value that does not follow its type (`ID_IDNAT_STRUCT_FORMAT`,
 *      `ID_IDNAT_STRUCT_KEY`). Lenient mode (`{ strict: false }`, for identifiers read from third-party
 *      documents) accepts it with `wellFormed: false`: ANS's own CDA examples carry fictitious ones such as
 *      2801234567 (bad SIREN key) or 1801234567897 (12 characters after the FINESS prefix).
 *
 * Sources: github ansforge/IG-FHIR-PDSM4DMP-EEDS input/fsh/Model/StructIdNat.fsh; dmp-domain-facts §7
 * (FINESS format); INSEE SIREN/SIRET (Luhn; La Poste exception) as implemented by the public services
 * pass-culture (api/src/pcapi/utils/siren.py) and others; ansforge/TestContenuCDA-3-0 ExemplesCDA.
 */

export const IDNAT_STRUCT_OID = '1.2.250.1.71.4.2.2';

export type IdNatStructKind =
  'ADELI_CABINET' | 'FINESS' | 'SIREN' | 'SIRET' | 'RPPS_RANG' | 'TECHNICAL';

export interface IdNatStruct {
  /** The identifier as submitted. */
  readonly value: string;
  readonly kind: IdNatStructKind;
  /** The number after the type prefix (the whole value for TECHNICAL). */
  readonly number: string;
  /** False only in lenient mode, when the number does not follow its type (T8). */
  readonly wellFormed: boolean;
}

export interface IdNatStructOptions {
  /** Default true (T8). */
  readonly strict?: boolean;
}

/** SIREN: 9 digits, Luhn (T5). */
export function isValidSiren(siren: string): boolean {
  return /^\d{9}$/.test(siren) && luhnValid(siren);
}

/** SIRET: 14 digits, Luhn, or the La Poste rule (T6). */
export function isValidSiret(siret: string): boolean {
  if (!/^\d{14}$/.test(siret)) {
    return false;
  }
  if (luhnValid(siret)) {
    return true;
  }
  if (siret.startsWith('356000000')) {
    let sum = 0;
    for (const c of siret) {
      sum += c.charCodeAt(0) - 48;
    }
    return sum % 5 === 0;
  }
  return false;
}

/** FINESS form: 2A/2B or 2 digits, then 7 digits (T4). */
export function isFinessForm(finess: string): boolean {
  return /^(?:\d{2}|2[AB])\d{7}$/.test(finess);
}

type Check = { readonly ok: true } | { readonly ok: false; readonly issue: DomainIssue };

const PASS: Check = { ok: true };

function formatIssue(message: string): Check {
  return { ok: false, issue: { code: 'ID_IDNAT_STRUCT_FORMAT', message } };
}

function keyIssue(message: string): Check {
  return { ok: false, issue: { code: 'ID_IDNAT_STRUCT_KEY', message } };
}

const KINDS: Readonly<Record<string, IdNatStructKind>> = {
  '0': 'ADELI_CABINET',
  '1': 'FINESS',
  '2': 'SIREN',
  '3': 'SIRET',
  '4': 'RPPS_RANG',
};

function check(kind: IdNatStructKind, n: string): Check {
  switch (kind) {
    case 'ADELI_CABINET':
      return /^[0-9A-Z]+$/.test(n)
        ? PASS
        : formatIssue('An ADELI cabinet IdNat_Struct is 0 followed by digits/letters.');
    case 'FINESS':
      return isFinessForm(n)
        ? PASS
        : formatIssue('A FINESS IdNat_Struct is 1 followed by the 9-character FINESS number.');
    case 'SIREN':
      if (!/^\d{9}$/.test(n)) {
        return formatIssue('A SIREN IdNat_Struct is 2 followed by the 9-digit SIREN number.');
      }
      return isValidSiren(n) ? PASS : keyIssue('The SIREN check digit is wrong.');
    case 'SIRET':
      if (!/^\d{14}$/.test(n)) {
        return formatIssue('A SIRET IdNat_Struct is 3 followed by the 14-digit SIRET number.');
      }
      return isValidSiret(n) ? PASS : keyIssue('The SIRET check digit is wrong.');
    case 'RPPS_RANG':
      return /^\d{12,}$/.test(n)
        ? PASS
        : formatIssue(
            'An RPPS-rang IdNat_Struct is 4 followed by the 11-digit RPPS number and its rank.',
          );
    case 'TECHNICAL':
      return PASS;
  }
}

/** Validates an IdNat_Struct (T1–T8). */
export function validateIdNatStruct(
  value: string,
  options: IdNatStructOptions = {},
): Result<IdNatStruct, DomainIssue> {
  if (value.length === 0) {
    return err({
      code: 'ID_IDNAT_STRUCT_FORMAT',
      message: 'The structure identifier (IdNat_Struct) is empty.',
    });
  }
  if (value.length > 100 || !/^[\x21-\x7E]+$/.test(value)) {
    return err({
      code: 'ID_IDNAT_STRUCT_FORMAT',
      message:
        'The structure identifier (IdNat_Struct) must be at most 100 printable characters without spaces.',
    });
  }
  const kind = KINDS[value.charAt(0)] ?? 'TECHNICAL';
  const number = kind === 'TECHNICAL' ? value : value.slice(1);
  const result = check(kind, number);
  if (result.ok) {
    return ok({ value, kind, number, wellFormed: true });
  }
  if (options.strict === false) {
    return ok({ value, kind, number, wellFormed: false });
  }
  return err(result.issue);
}
