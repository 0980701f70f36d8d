import type { DomainIssue } from '../../domain/errors.ts';
import type { PatientIns } from './pdsm-metadata.ts';
import { OID_IDNAT_PS, uniqueIdFromIdentifier } from './pdsm-metadata.ts';
import { isInsSystem, validateIns } from '../../domain/identity/ins.ts';
import { canonicalSystem } from '../../domain/identity/code-systems.ts';
import type { Result } from '../../domain/result.ts';
import { err, ok } from '../../domain/result.ts';
import { jsonObject as obj, jsonArray as arr, nonEmptyString as str } from '../../domain/json.ts';

/** Reading a submitted MHD List (SubmissionSet, Folder): what the registry needs of it (FHIR adapter). */
type Json = Record<string, unknown>;

export const IHE_SOURCE_ID = 'https://profiles.ihe.net/ITI/MHD/StructureDefinition/ihe-sourceId';
export const IHE_DESIGNATION_TYPE =
  'https://profiles.ihe.net/ITI/MHD/StructureDefinition/ihe-designationType';

/** The INS a List's subject names (conditional, contained, logical or `Patient/<id>` reference). */
export function listPatient(
  list: Json,
  root: string,
  resolve: (reference: string) => PatientIns | undefined,
): Result<PatientIns | undefined, DomainIssue> {
  const subject = obj(list['subject']);
  if (!subject) {
    return ok(undefined);
  }
  const location = [`${root}.subject`];
  const reference = str(subject['reference']);
  let system: string | undefined;
  let value: string | undefined;
  if (reference?.startsWith('Patient?')) {
    const token = new URLSearchParams(reference.slice('Patient?'.length)).get('identifier') ?? '';
    const bar = token.indexOf('|');
    system = bar > 0 ? token.slice(0, bar) : undefined;
    value = bar > 0 ? token.slice(bar + 1) : undefined;
  } else if (reference?.startsWith('#')) {
    const patient = arr(list['contained'])
      .map(obj)
      .find((c) => c?.['id'] === reference.slice(1));
    const id = arr(patient?.['identifier'])
      .map(obj)
      .find((i) => isInsSystem(str(i?.['system']) ?? ''));
    system = str(id?.['system']);
    value = str(id?.['value']);
  } else if (reference !== undefined) {
    const found = resolve(reference);
    return found
      ? ok(found)
      : err({
          code: 'DOC_PATIENT_UNRESOLVED',
          message: 'The List subject names no known patient.',
          location,
        });
  } else {
    const id = obj(subject['identifier']);
    system = str(id?.['system']);
    value = str(id?.['value']);
  }
  if (system === undefined || value === undefined || !isInsSystem(system)) {
    return err({
      code: 'DOC_PATIENT_NOT_INS',
      message: 'The List subject must name the patient by INS.',
      location,
    });
  }
  const checked = validateIns(value, system);
  return checked.ok
    ? ok({ value: checked.value.value, oid: checked.value.oid })
    : err({ ...checked.error, location });
}

/** The List's uniqueId (identifier with use `usual`), when it has one. */
export function listUniqueId(list: Json): string | undefined {
  for (const i of arr(list['identifier'])) {
    const id = obj(i);
    if (id?.['use'] === 'usual') {
      return uniqueIdFromIdentifier(str(id['system']), str(id['value']));
    }
  }
  return undefined;
}

export function listSourceId(list: Json): string | undefined {
  const ext = arr(list['extension'])
    .map(obj)
    .find((e) => e?.['url'] === IHE_SOURCE_ID);
  return str(obj(ext?.['valueIdentifier'])?.['value']);
}

export function listDesignation(list: Json): string | undefined {
  const ext = arr(list['extension'])
    .map(obj)
    .find((e) => e?.['url'] === IHE_DESIGNATION_TYPE);
  return str(obj(arr(obj(ext?.['valueCodeableConcept'])?.['coding'])[0])?.['code']);
}

/** IdNat_PS of the List's source (a contained Practitioner / PractitionerRole). */
export function listAuthorIds(list: Json): string[] {
  const reference = str(obj(list['source'])?.['reference']);
  if (!reference?.startsWith('#')) {
    return [];
  }
  const contained = arr(list['contained']).map(obj);
  let target = contained.find((c) => c?.['id'] === reference.slice(1));
  if (target?.['resourceType'] === 'PractitionerRole') {
    const practitioner = str(obj(target['practitioner'])?.['reference']);
    target = contained.find((c) => `#${String(c?.['id'])}` === practitioner) ?? target;
  }
  return arr(target?.['identifier'])
    .map(obj)
    .filter((i) => canonicalSystem(str(i?.['system']) ?? '') === OID_IDNAT_PS)
    .flatMap((i) => (str(i?.['value']) ? [str(i?.['value']) as string] : []));
}

/** XDS comments: the text of the List's first note. */
export function listComments(list: Json): string | undefined {
  return str(obj(arr(list['note'])[0])?.['text']);
}
