import type { DomainIssue } from '../errors.ts';
import type { Ins } from '../identity/ins.ts';
import { validateIns } from '../identity/ins.ts';
import type { Result } from '../result.ts';
import { err, ok } from '../result.ts';

/**
 * Reading the record-creation request (a FHIR Patient) into INS + identity traits.
 * Rules:
 *  P1. exactly one INS identifier on an INS OID (NIR, NIA, test or demo), with a correct key;
 *  P2. traits required: birth name (name.use = official, else the first name), at least one given name, sex
 *      (FHIR gender), birth date (YYYY-MM-DD, not in the future); birth place code optional (INSEE commune code,
 *      5 characters, 2A/2B for Corsica, 99xxx abroad);
 *  P2b. the used name (nom d'usage) is optional: the family of the name with use = usual, when it differs from the
 *      birth name (issue 17 rule 8: shown to professionals beside the INS for identity vigilance);
 *  P3. the NIR's sex digit and birth year agree with the traits (1/3/7 male, 2/4/8 female; year modulo 100).
 */
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

export const BIRTH_PLACE_EXTENSION = 'http://hl7.org/fhir/StructureDefinition/patient-birthPlace';
export const BIRTH_PLACE_CODE_EXTENSION =
  'https://opendmp.fr/fhir/StructureDefinition/birth-place-code';

const INS_OIDS = new Set([
  '1.2.250.1.213.1.4.8',
  '1.2.250.1.213.1.4.9',
  '1.2.250.1.213.1.4.10',
  '1.2.250.1.213.1.4.11',
]);

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;

function birthPlaceOf(resource: Json): string | undefined {
  const exts = Array.isArray(resource['extension']) ? resource['extension'] : [];
  for (const e of exts) {
    if (!isObj(e)) {
      continue;
    }
    if (e['url'] === BIRTH_PLACE_CODE_EXTENSION) {
      return str(e['valueCode']) ?? str(e['valueString']);
    }
    if (e['url'] === BIRTH_PLACE_EXTENSION && isObj(e['valueAddress'])) {
      const address = e['valueAddress'];
      const inner = Array.isArray(address['extension']) ? address['extension'] : [];
      for (const x of inner) {
        if (isObj(x) && typeof x['url'] === 'string' && /insee/i.test(x['url'])) {
          const coding = isObj(x['valueCoding']) ? x['valueCoding'] : undefined;
          return str(coding?.['code']) ?? str(x['valueCode']) ?? str(x['valueString']);
        }
      }
      return str(address['postalCode']);
    }
  }
  return undefined;
}

export function systemToOid(system: string): string {
  return system.startsWith('urn:oid:') ? system.slice('urn:oid:'.length) : system;
}

export function readPatientInput(
  body: unknown,
  today: string,
): Result<PatientInput, DomainIssue[]> {
  const issues: DomainIssue[] = [];
  if (!isObj(body) || body['resourceType'] !== 'Patient') {
    return err([
      { code: 'REC_NOT_A_PATIENT', message: 'The body must be a FHIR Patient resource.' },
    ]);
  }
  const identifiers = (Array.isArray(body['identifier']) ? body['identifier'] : []).filter(
    (i): i is Json =>
      isObj(i) && typeof i['system'] === 'string' && INS_OIDS.has(systemToOid(i['system'])),
  );
  let ins: Ins | undefined;
  if (identifiers.length !== 1) {
    issues.push({
      code: 'REC_INS_REQUIRED',
      message:
        'Exactly one INS identifier (system urn:oid:1.2.250.1.213.1.4.8, .9, .10 or .11) is required.',
      location: ['Patient.identifier'],
    });
  } else {
    const id = identifiers[0] as Json;
    const checked = validateIns(
      typeof id['value'] === 'string' ? id['value'] : '',
      systemToOid(String(id['system'])),
    );
    if (checked.ok) {
      ins = checked.value;
    } else {
      issues.push({ ...checked.error, location: ['Patient.identifier[0].value'] });
    }
  }
  const names = (Array.isArray(body['name']) ? body['name'] : []).filter(isObj);
  const name = names.find((n) => n['use'] === 'official') ?? names[0];
  const birthName = str(name?.['family']);
  const usual = names.find((n) => n['use'] === 'usual' && n !== name);
  const usedFamily = str(usual?.['family']);
  const usedName = usedFamily !== undefined && usedFamily !== birthName ? usedFamily : null;
  const givenNames = (Array.isArray(name?.['given']) ? (name['given'] as unknown[]) : [])
    .map(str)
    .filter((g): g is string => g !== undefined);
  if (!birthName) {
    issues.push({
      code: 'REC_BIRTH_NAME_REQUIRED',
      message: 'The birth name is required.',
      location: ['Patient.name'],
    });
  }
  if (givenNames.length === 0) {
    issues.push({
      code: 'REC_GIVEN_NAME_REQUIRED',
      message: 'At least one given name is required.',
      location: ['Patient.name'],
    });
  }
  const gender = body['gender'];
  if (gender !== 'male' && gender !== 'female' && gender !== 'other' && gender !== 'unknown') {
    issues.push({
      code: 'REC_SEX_REQUIRED',
      message: 'gender must be male, female, other or unknown.',
      location: ['Patient.gender'],
    });
  }
  const birthDate = str(body['birthDate']);
  if (!birthDate || !/^\d{4}-\d{2}-\d{2}$/.test(birthDate) || Number.isNaN(Date.parse(birthDate))) {
    issues.push({
      code: 'REC_BIRTH_DATE_REQUIRED',
      message: 'birthDate (YYYY-MM-DD) is required.',
      location: ['Patient.birthDate'],
    });
  } else if (birthDate > today) {
    issues.push({
      code: 'REC_BIRTH_DATE_FUTURE',
      message: 'birthDate is in the future.',
      location: ['Patient.birthDate'],
    });
  }
  const birthPlace = birthPlaceOf(body) ?? null;
  if (birthPlace !== null && !/^(\d{5}|2[AB]\d{3})$/.test(birthPlace)) {
    issues.push({
      code: 'REC_BIRTH_PLACE_INVALID',
      message:
        'The birth place code must be an INSEE code of 5 characters (2A/2B for Corsica, 99xxx abroad).',
      location: ['Patient.extension'],
    });
  }
  if (ins && (gender === 'male' || gender === 'female')) {
    const sexDigit = ins.value[0];
    const expected = gender === 'male' ? ['1', '3', '7'] : ['2', '4', '8'];
    if (sexDigit !== undefined && !expected.includes(sexDigit)) {
      issues.push({
        code: 'REC_TRAITS_MISMATCH',
        message: 'The sex does not agree with the INS.',
        location: ['Patient.gender'],
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
      location: ['Patient.birthDate'],
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
    sex: gender as PatientInput['sex'],
    birthDate,
    birthPlace,
  });
}
