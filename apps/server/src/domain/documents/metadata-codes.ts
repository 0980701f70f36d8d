/**
 * Codes of a document's metadata against the NOS value sets (product.md §2 "Documents").
 *
 * Rules (one issue per failure, stable code, located on the field of the neutral model, model.ts FIELD):
 *  C1. Each code is checked in the DMP value set, or in the general CI-SIS one where the reference data
 *      has no DMP set ("falling back … where no DMP set exists"): type J66 (J07), class J57 (J06),
 *      format J60 (J10), facility type J61 (J02), practice setting J04, confidentiality J58 (J08).
 *      Systems compare in any spelling (NOS URL, FHIR canonical, urn:oid:, bare OID; both Statut/Status
 *      spellings of TRE_A07) — DOC_TYPE_UNKNOWN, DOC_CLASS_UNKNOWN, DOC_FORMAT_UNKNOWN,
 *      DOC_FACILITY_TYPE_UNKNOWN, DOC_PRACTICE_SETTING_UNKNOWN, DOC_CONFIDENTIALITY_UNKNOWN.
 *  C2. The class agrees with the (valid) type through ASS_X16 (DMP), or ASS_X04 (CI-SIS) for a type X16
 *      does not list — DOC_CLASS_MISMATCH. A type neither table lists accepts any valid class.
 *  C3. Exactly one confidentiality level (N, R or V); the other codes are the DMP visibility flags
 *      MASQUE_PS, INVISIBLE_PATIENT, INVISIBLE_REPRESENTANTS_LEGAUX (TRE_A07) — DOC_CONFIDENTIALITY_LEVEL.
 *  C4. languageCode is a BCP 47 tag (`fr-FR`) — DOC_LANGUAGE_INVALID; mimeType is `type/subtype` —
 *      DOC_MIME_TYPE_INVALID; the service period does not end before it starts — DOC_SERVICE_PERIOD_INVALID.
 */
import { canonicalSystem, CS } from '../identity/code-systems.ts';
import type { DomainIssue } from '../errors.ts';
import type { CodeLookup, ReferenceTables } from './reference-tables.ts';
import { fhirTimeToEpoch } from './identifiers.ts';
import type { Coding, DocumentMetadataDraft } from './model.ts';
import { FIELD } from './model.ts';

/** DMP value set key, then the CI-SIS fallback (C1). */
export const VALUE_SETS = {
  type: ['J66', 'J07'],
  class: ['J57', 'J06'],
  format: ['J60', 'J10'],
  facilityType: ['J61', 'J02'],
  practiceSetting: ['J04'],
  confidentiality: ['J58', 'J08'],
} as const;

type CodedField = keyof typeof VALUE_SETS;

/** The value set used for a field: the first of its keys present in the reference data (C1). */
export function valueSetFor(ref: ReferenceTables, field: CodedField): CodeLookup {
  for (const k of VALUE_SETS[field]) {
    const vs = ref.valueSets.get(k);
    if (vs) {
      return vs;
    }
  }
  throw new Error(
    `Reference data lacks the value set for ${field} (${VALUE_SETS[field].join(', ')})`,
  );
}

const UNKNOWN_CODE: Record<CodedField, string> = {
  type: 'DOC_TYPE_UNKNOWN',
  class: 'DOC_CLASS_UNKNOWN',
  format: 'DOC_FORMAT_UNKNOWN',
  facilityType: 'DOC_FACILITY_TYPE_UNKNOWN',
  practiceSetting: 'DOC_PRACTICE_SETTING_UNKNOWN',
  confidentiality: 'DOC_CONFIDENTIALITY_UNKNOWN',
};

const LABEL: Record<CodedField, string> = {
  type: 'typeCode',
  class: 'classCode',
  format: 'formatCode',
  facilityType: 'healthcareFacilityTypeCode',
  practiceSetting: 'practiceSettingCode',
  confidentiality: 'confidentialityCode',
};

/** The class the type calls for (C2): ASS_X16, else ASS_X04; undefined when neither lists the type. */
export function expectedClass(ref: ReferenceTables, typeCode: string): string | undefined {
  return ref.typeToClassDmp.get(typeCode) ?? ref.typeToClassCisis.get(typeCode);
}

function checkCoding(
  ref: ReferenceTables,
  field: CodedField,
  coding: Coding,
  location: string,
  out: DomainIssue[],
): boolean {
  const vs = valueSetFor(ref, field);
  if (vs.has(coding.system, coding.code)) {
    return true;
  }
  out.push({
    code: UNKNOWN_CODE[field],
    message: `${LABEL[field]} is not in ${vs.name} (code ${coding.code}${
      vs.findByCode(coding.code) ? ', known in another code system' : ''
    })`,
    location: [location],
  });
  return false;
}

const LEVELS: ReadonlySet<string> = new Set(['N', 'R', 'V']);
const BCP47 = /^[a-zA-Z]{2,3}(?:-[a-zA-Z0-9]{1,8})*$/;
const MIME = /^[A-Za-z0-9][\w.+-]*\/[A-Za-z0-9][\w.+-]*$/;

/** Checks every code present in the metadata (rules C1–C4); missing fields are not reported here. */
export function validateMetadataCodes(
  meta: DocumentMetadataDraft,
  ref: ReferenceTables,
): DomainIssue[] {
  const out: DomainIssue[] = [];
  const typeOk = meta.type !== undefined && checkCoding(ref, 'type', meta.type, FIELD.type, out);
  if (
    meta.class &&
    checkCoding(ref, 'class', meta.class, FIELD.class, out) &&
    typeOk &&
    meta.type
  ) {
    const expected = expectedClass(ref, meta.type.code);
    if (expected !== undefined && expected !== meta.class.code) {
      out.push({
        code: 'DOC_CLASS_MISMATCH',
        message: `classCode ${meta.class.code} does not match typeCode ${meta.type.code}, which calls for class ${expected} (ASS_X16/ASS_X04)`,
        location: [FIELD.class],
      });
    }
  }
  if (meta.format) {
    checkCoding(ref, 'format', meta.format, FIELD.format, out);
  }
  if (meta.facilityType) {
    checkCoding(ref, 'facilityType', meta.facilityType, FIELD.facilityType, out);
  }
  if (meta.practiceSetting) {
    checkCoding(ref, 'practiceSetting', meta.practiceSetting, FIELD.practiceSetting, out);
  }
  if (meta.confidentiality) {
    let levels = 0;
    meta.confidentiality.forEach((c, i) => {
      const at = `${FIELD.confidentiality}[${i}]`;
      if (checkCoding(ref, 'confidentiality', c, at, out)) {
        if (canonicalSystem(c.system) === CS.HL7_CONFIDENTIALITY && LEVELS.has(c.code)) {
          levels++;
        }
      }
    });
    if (levels !== 1 && out.every((i) => i.code !== 'DOC_CONFIDENTIALITY_UNKNOWN')) {
      out.push({
        code: 'DOC_CONFIDENTIALITY_LEVEL',
        message:
          'securityLabel must hold exactly one confidentiality level (N, R or V); the other codes may only be MASQUE_PS, INVISIBLE_PATIENT, INVISIBLE_REPRESENTANTS_LEGAUX',
        location: [FIELD.confidentiality],
      });
    }
  }
  if (meta.languageCode !== undefined && !BCP47.test(meta.languageCode)) {
    out.push({
      code: 'DOC_LANGUAGE_INVALID',
      message: 'languageCode must be a language tag such as fr-FR',
      location: [FIELD.languageCode],
    });
  }
  if (meta.mimeType !== undefined && !MIME.test(meta.mimeType)) {
    out.push({
      code: 'DOC_MIME_TYPE_INVALID',
      message: 'contentType must be a MIME type (type/subtype)',
      location: [FIELD.mimeType],
    });
  }
  if (meta.serviceStart !== undefined && meta.serviceStop !== undefined) {
    const start = fhirTimeToEpoch(meta.serviceStart);
    const stop = fhirTimeToEpoch(meta.serviceStop);
    if (start !== undefined && stop !== undefined && stop < start) {
      out.push({
        code: 'DOC_SERVICE_PERIOD_INVALID',
        message: 'The service period ends before it starts',
        location: [FIELD.serviceStop],
      });
    }
  }
  return out;
}
