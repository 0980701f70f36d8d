import type { DomainIssue } from '../../domain/errors.ts';
import type { PatientClaim } from '../../domain/records/patient-input.ts';
import { PATIENT_FIELD } from '../../domain/records/patient-input.ts';
import type { Result } from '../../domain/result.ts';
import { err, ok } from '../../domain/result.ts';

/**
 * The FHIR adapter's reading of a record-creation request (a FHIR Patient) into the core's `PatientClaim`
 * (domain/records/patient-input.ts checks it): the identifiers; the birth name (the family of the name with
 * use = official, else of the first name) and its given names; the used name (the family of the name with
 * use = usual, another than the birth name's); sex (gender); birth date; birth place code (the extension
 * `birth-place-code`, or the INSEE code of the standard `patient-birthPlace` address).
 */
export const BIRTH_PLACE_EXTENSION = 'http://hl7.org/fhir/StructureDefinition/patient-birthPlace';
export const BIRTH_PLACE_CODE_EXTENSION =
  'https://opendmp.fr/fhir/StructureDefinition/birth-place-code';

/** Issue 18 point 4: where each field of the claim is in the Patient (the expressions served before the seam). */
export const PATIENT_FHIR_PATHS: Readonly<Record<string, string>> = {
  [PATIENT_FIELD.ins]: 'Patient.identifier',
  [PATIENT_FIELD.insValue]: 'Patient.identifier[0].value',
  [PATIENT_FIELD.birthName]: 'Patient.name',
  [PATIENT_FIELD.givenNames]: 'Patient.name',
  [PATIENT_FIELD.sex]: 'Patient.gender',
  [PATIENT_FIELD.birthDate]: 'Patient.birthDate',
  [PATIENT_FIELD.birthPlace]: 'Patient.extension',
};

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

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

export function readFhirPatient(body: unknown): Result<PatientClaim, DomainIssue[]> {
  if (!isObj(body) || body['resourceType'] !== 'Patient') {
    return err([
      { code: 'REC_NOT_A_PATIENT', message: 'The body must be a FHIR Patient resource.' },
    ]);
  }
  const identifiers = (Array.isArray(body['identifier']) ? body['identifier'] : [])
    .filter((i): i is Json => isObj(i) && typeof i['system'] === 'string')
    .map((i) => ({ system: String(i['system']), value: text(i['value']) ?? '' }));
  const names = (Array.isArray(body['name']) ? body['name'] : []).filter(isObj);
  const name = names.find((n) => n['use'] === 'official') ?? names[0];
  const usual = names.find((n) => n['use'] === 'usual' && n !== name);
  const given = Array.isArray(name?.['given']) ? (name['given'] as unknown[]) : [];
  return ok({
    identifiers,
    birthName: text(name?.['family']),
    usedName: text(usual?.['family']),
    givenNames: given.map(text).filter((g): g is string => g !== undefined),
    sex: text(body['gender']),
    birthDate: text(body['birthDate']),
    birthPlace: birthPlaceOf(body),
  });
}
