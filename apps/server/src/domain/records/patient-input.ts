import type { DomainIssue } from '../errors.ts';
import type { Ins } from '../identity/ins.ts';
import { bareOid, INS_OID, validateIns } from '../identity/ins.ts';
import type { Result } from '../result.ts';
import { err, ok } from '../result.ts';

/**
 * The record-creation request, as each interface reads it (FHIR: a Patient, http/fhir/patient-reading.ts): the
 * identifiers it names and the identity traits it gives, unchecked. The rules below make it a `PatientInput`:
 *  P1. exactly one identifier on an INS OID (NIR, NIA, test or demo), with a correct key;
 *  P2. traits required: birth name, at least one given name, sex (male, female, other, unknown), birth date
 *      (YYYY-MM-DD, not in the future); birth place code optional (INSEE commune code, 5 characters, 2A/2B for
 *      Corsica, 99xxx abroad);
 *  P2b. the used name (nom d'usage) is optional, kept when it differs from the birth name (issue 17 rule 8: shown to
 *      professionals beside the INS for identity vigilance);
 *  P3. the NIR's sex digit and birth year agree with the traits (1/3/7 male, 2/4/8 female; year modulo 100).
 * Issue 18 point 4: each issue names the field of this request (`PATIENT_FIELD`), which the adapter locates.
 */
export interface PatientClaim {
  /** Every identifier the request names: its system (bare OID or `urn:oid:`) and value. */
  readonly identifiers: readonly { readonly system: string; readonly value: string }[];
  readonly birthName: string | undefined;
  readonly usedName: string | undefined;
  readonly givenNames: readonly string[];
  readonly sex: string | undefined;
  readonly birthDate: string | undefined;
  readonly birthPlace: string | undefined;
}

export interface PatientInput {
  readonly ins: Ins;
  readonly birthName: string;
  /** Nom d'usage, when the patient uses another name than their birth name. */
  readonly usedName?: string | null;
  readonly givenNames: string[];
  readonly sex: 'male' | 'female' | 'other' | 'unknown';
  readonly birthDate: string;
  readonly birthPlace: string | null;
}

/** The fields of a `PatientClaim` an issue names (`insValue`: the value of the one INS identifier). */
export const PATIENT_FIELD = {
  ins: 'ins',
  insValue: 'ins.value',
  birthName: 'birthName',
  givenNames: 'givenNames',
  sex: 'sex',
  birthDate: 'birthDate',
  birthPlace: 'birthPlace',
} as const;

const INS_OIDS: ReadonlySet<string> = new Set(Object.values(INS_OID));
const SEXES: ReadonlySet<string> = new Set(['male', 'female', 'other', 'unknown']);

const trimmed = (v: string | undefined): string | undefined =>
  v !== undefined && v.trim() !== '' ? v.trim() : undefined;

export function checkPatientInput(
  claim: PatientClaim,
  today: string,
): Result<PatientInput, DomainIssue[]> {
  const issues: DomainIssue[] = [];
  const identifiers = claim.identifiers.filter((i) => INS_OIDS.has(bareOid(i.system)));
  let ins: Ins | undefined;
  if (identifiers.length !== 1) {
    issues.push({
      code: 'REC_INS_REQUIRED',
      message:
        'Exactly one INS identifier (system urn:oid:1.2.250.1.213.1.4.8, .9, .10 or .11) is required.',
      location: [PATIENT_FIELD.ins],
    });
  } else {
    const id = identifiers[0] as PatientClaim['identifiers'][number];
    const checked = validateIns(id.value, bareOid(id.system));
    if (checked.ok) {
      ins = checked.value;
    } else {
      issues.push({ ...checked.error, location: [PATIENT_FIELD.insValue] });
    }
  }
  const birthName = trimmed(claim.birthName);
  const usedFamily = trimmed(claim.usedName);
  const usedName = usedFamily !== undefined && usedFamily !== birthName ? usedFamily : null;
  const givenNames = claim.givenNames.map(trimmed).filter((g): g is string => g !== undefined);
  if (!birthName) {
    issues.push({
      code: 'REC_BIRTH_NAME_REQUIRED',
      message: 'The birth name is required.',
      location: [PATIENT_FIELD.birthName],
    });
  }
  if (givenNames.length === 0) {
    issues.push({
      code: 'REC_GIVEN_NAME_REQUIRED',
      message: 'At least one given name is required.',
      location: [PATIENT_FIELD.givenNames],
    });
  }
  const sex = claim.sex;
  if (sex === undefined || !SEXES.has(sex)) {
    issues.push({
      code: 'REC_SEX_REQUIRED',
      message: 'The sex must be male, female, other or unknown.',
      location: [PATIENT_FIELD.sex],
    });
  }
  const birthDate = trimmed(claim.birthDate);
  if (!birthDate || !/^\d{4}-\d{2}-\d{2}$/.test(birthDate) || Number.isNaN(Date.parse(birthDate))) {
    issues.push({
      code: 'REC_BIRTH_DATE_REQUIRED',
      message: 'The birth date (YYYY-MM-DD) is required.',
      location: [PATIENT_FIELD.birthDate],
    });
  } else if (birthDate > today) {
    issues.push({
      code: 'REC_BIRTH_DATE_FUTURE',
      message: 'The birth date is in the future.',
      location: [PATIENT_FIELD.birthDate],
    });
  }
  const birthPlace = trimmed(claim.birthPlace) ?? null;
  if (birthPlace !== null && !/^(\d{5}|2[AB]\d{3})$/.test(birthPlace)) {
    issues.push({
      code: 'REC_BIRTH_PLACE_INVALID',
      message:
        'The birth place code must be an INSEE code of 5 characters (2A/2B for Corsica, 99xxx abroad).',
      location: [PATIENT_FIELD.birthPlace],
    });
  }
  if (ins && (sex === 'male' || sex === 'female')) {
    const sexDigit = ins.value[0];
    const expected = sex === 'male' ? ['1', '3', '7'] : ['2', '4', '8'];
    if (sexDigit !== undefined && !expected.includes(sexDigit)) {
      issues.push({
        code: 'REC_TRAITS_MISMATCH',
        message: 'The sex does not agree with the INS.',
        location: [PATIENT_FIELD.sex],
      });
    }
  }
  if (
    ins &&
    birthDate &&
    /^\d{4}/.test(birthDate) &&
    ins.value.slice(1, 3) !== birthDate.slice(2, 4)
  ) {
    issues.push({
      code: 'REC_TRAITS_MISMATCH',
      message: 'The birth year does not agree with the INS.',
      location: [PATIENT_FIELD.birthDate],
    });
  }
  if (issues.length > 0 || !ins || !birthName || !birthDate) {
    return err(issues);
  }
  return ok({
    ins,
    birthName,
    usedName,
    givenNames,
    sex: sex as PatientInput['sex'],
    birthDate,
    birthPlace,
  });
}
