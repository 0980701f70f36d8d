/**
 * The patient's medical profile as FHIR R4 resources (docs/care-history.md "Medical profile"), the FHIR adapter's
 * side of it (issue 18: the core knows an entry as domain/profile/entry.ts `ReadEntry` and its content as opaque).
 * Pure: reads a submitted resource into the core's `ReadEntry`, and stamps what the server owns (id, meta, subject,
 * authorship).
 *
 * Shapes (one resource type per section):
 *   pathologies / history → Condition · allergies and intolerances → AllergyIntolerance · current treatments →
 *   MedicationStatement (medicationCodeableConcept) · vaccinations → Immunization · measures → Observation with a
 *   LOINC code of measures.ts and a UCUM valueQuantity (blood pressure: panel 85354-9 with components) · advance
 *   directives → Observation LOINC 42348-3 with valueString · trusted person → RelatedPerson.
 *
 * Rules (each failure one issue, located by FHIRPath; the FHIR structure is checked before, with the R4 schema):
 *  E1. The subject (Condition/MedicationStatement/Observation.subject, AllergyIntolerance/Immunization/
 *      RelatedPerson.patient) names the patient by INS identifier or `Patient/<id>` — PROFILE_PATIENT_REQUIRED.
 *  E2. Condition and AllergyIntolerance have a `code` (a coding or a text) — PROFILE_CODE_REQUIRED.
 *  E3. MedicationStatement has `medicationCodeableConcept` (coding or text); medicationReference is refused (no
 *      Medication resource is kept) — PROFILE_MEDICATION_REQUIRED.
 *  E4. Immunization has occurrenceDateTime or occurrenceString — PROFILE_OCCURRENCE_REQUIRED.
 *  E5. Observation has a LOINC code (http://loinc.org) that is a known measure or 42348-3 —
 *      PROFILE_OBSERVATION_CODE. A measure has effectiveDateTime (PROFILE_EFFECTIVE_REQUIRED) and a valueQuantity
 *      in UCUM (system http://unitsofmeasure.org) with an accepted unit (PROFILE_UNIT) and a plausible value
 *      (PROFILE_VALUE_RANGE); a panel has no value but each required component, itself a valid measure
 *      (PROFILE_COMPONENT). Advance directives carry valueString (PROFILE_VALUE_REQUIRED).
 *  E6. RelatedPerson has a name (PROFILE_NAME_REQUIRED) and a relationship (PROFILE_RELATIONSHIP_REQUIRED).
 *  E7. The resource is at most 64 KiB of JSON — PROFILE_TOO_LARGE.
 *  E8. Authorship (the server's, whatever was sent): Condition and AllergyIntolerance recorder and asserter,
 *      MedicationStatement.informationSource, Observation.performer = the patient (`Patient/<id>`); Immunization
 *      primarySource = false and reportOrigin "record" unless given. meta.tag says whether the patient or a legal
 *      representative wrote it (https://opendmp.fr/fhir/CodeSystem/profile-author) and the section
 *      (https://opendmp.fr/fhir/CodeSystem/profile-section). Measures without a category get `vital-signs`.
 *      A vaccination a professional gave and recorded (issue 21 point 5): author `professional`, primarySource
 *      true, the professional as performer (IdNat_PS and name).
 */
import { readPatientRef } from './consent-reading.ts';
import type { DomainIssue } from '../../domain/errors.ts';
import type { Result } from '../../domain/result.ts';
import { err, ok } from '../../domain/result.ts';
import { ADVANCE_DIRECTIVES_CODE, LOINC, MEASURES, UCUM } from '../../domain/profile/measures.ts';
import type { Measure } from '../../domain/profile/measures.ts';
import { jsonObject as obj, jsonArray as arr } from '../../domain/json.ts';
import type { ProfileSection, ProfileType, ReadEntry, Stamp } from '../../domain/profile/entry.ts';

export const PROFILE_AUTHOR_SYSTEM = 'https://opendmp.fr/fhir/CodeSystem/profile-author';
export const PROFILE_SECTION_SYSTEM = 'https://opendmp.fr/fhir/CodeSystem/profile-section';
export const MAX_ENTRY_BYTES = 64 * 1024;

type Json = Record<string, unknown>;

const SUBJECT_FIELD: Readonly<Record<ProfileType, string>> = {
  Condition: 'subject',
  AllergyIntolerance: 'patient',
  MedicationStatement: 'subject',
  Immunization: 'patient',
  Observation: 'subject',
  RelatedPerson: 'patient',
};

function issue(code: string, message: string, location: string): DomainIssue {
  return { code, message, location: [location] };
}

function hasConcept(cc: unknown): boolean {
  const c = obj(cc);
  if (!c) {
    return false;
  }
  const text = c['text'];
  return (
    (typeof text === 'string' && text.trim() !== '') ||
    arr(c['coding']).some((x) => typeof obj(x)?.['code'] === 'string')
  );
}

function firstCoding(cc: unknown): { system: string; code: string } | undefined {
  for (const x of arr(obj(cc)?.['coding'])) {
    const c = obj(x);
    if (typeof c?.['system'] === 'string' && typeof c['code'] === 'string') {
      return { system: c['system'], code: c['code'] };
    }
  }
  return undefined;
}

function loincCode(cc: unknown): string | undefined {
  for (const x of arr(obj(cc)?.['coding'])) {
    const c = obj(x);
    if (c?.['system'] === LOINC && typeof c['code'] === 'string') {
      return c['code'];
    }
  }
  return undefined;
}

/** ISO day of a FHIR date/dateTime (a partial date counts from its first day). */
export function isoDayOf(v: unknown): string | undefined {
  if (typeof v !== 'string') {
    return undefined;
  }
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?/.exec(v);
  if (!m) {
    return undefined;
  }
  return `${m[1]}-${m[2] ?? '01'}-${m[3] ?? '01'}`;
}

/** Checks one quantity against a measure (unit and range); the issue location is `at`. */
function checkQuantity(q: unknown, measure: Measure, at: string): DomainIssue | undefined {
  const quantity = obj(q);
  if (!quantity || typeof quantity['value'] !== 'number') {
    return issue(
      'PROFILE_UNIT',
      `${measure.display}: a valueQuantity with a value is required.`,
      at,
    );
  }
  const code = quantity['code'];
  const range = typeof code === 'string' ? measure.units[code] : undefined;
  if (quantity['system'] !== UCUM || !range) {
    return issue(
      'PROFILE_UNIT',
      `${measure.display}: the unit must be UCUM (${UCUM}) among ${Object.keys(measure.units).join(', ')}.`,
      at,
    );
  }
  const value = quantity['value'];
  if (value < range.min || value > range.max) {
    return issue(
      'PROFILE_VALUE_RANGE',
      `${measure.display}: the value is not plausible.`,
      `${at}.value`,
    );
  }
  return undefined;
}

function checkObservation(r: Json, issues: DomainIssue[]): ProfileSection {
  const code = loincCode(r['code']);
  if (code === ADVANCE_DIRECTIVES_CODE) {
    const v = r['valueString'];
    if (typeof v !== 'string' || v.trim() === '') {
      issues.push(
        issue(
          'PROFILE_VALUE_REQUIRED',
          'Advance directives carry their text (or where they are kept) in valueString.',
          'Observation.valueString',
        ),
      );
    }
    return 'directives';
  }
  const measure = code === undefined ? undefined : MEASURES.get(code);
  if (!measure) {
    issues.push(
      issue(
        'PROFILE_OBSERVATION_CODE',
        `An Observation of the profile has a LOINC code (${LOINC}) among the measures (${[...MEASURES.keys()].join(', ')}) or ${ADVANCE_DIRECTIVES_CODE} (advance directives).`,
        'Observation.code',
      ),
    );
    return 'mesures';
  }
  if (typeof r['effectiveDateTime'] !== 'string') {
    issues.push(
      issue(
        'PROFILE_EFFECTIVE_REQUIRED',
        'A measure has effectiveDateTime.',
        'Observation.effectiveDateTime',
      ),
    );
  }
  if (measure.components) {
    const components = arr(r['component']);
    for (const needed of measure.components) {
      const index = components.findIndex((c) => loincCode(obj(c)?.['code']) === needed);
      const sub = MEASURES.get(needed);
      if (index < 0 || !sub) {
        issues.push(
          issue(
            'PROFILE_COMPONENT',
            `${measure.display}: the component ${needed} is required.`,
            'Observation.component',
          ),
        );
        continue;
      }
      const problem = checkQuantity(
        obj(components[index])?.['valueQuantity'],
        sub,
        `Observation.component[${index}].valueQuantity`,
      );
      if (problem) {
        issues.push(problem);
      }
    }
  } else {
    const problem = checkQuantity(r['valueQuantity'], measure, 'Observation.valueQuantity');
    if (problem) {
      issues.push(problem);
    }
  }
  return 'mesures';
}

/** E1–E7. `type` is the type the request addressed (the route), checked against resourceType by the caller. */
export function readProfileEntry(
  resource: Json,
  type: ProfileType,
  size: number,
): Result<ReadEntry, DomainIssue[]> {
  const issues: DomainIssue[] = [];
  if (size > MAX_ENTRY_BYTES) {
    return err([
      issue(
        'PROFILE_TOO_LARGE',
        `A profile entry is at most ${MAX_ENTRY_BYTES} bytes of JSON.`,
        type,
      ),
    ]);
  }
  const subjectField = SUBJECT_FIELD[type];
  const patient = readPatientRef(resource[subjectField]);
  if (!patient) {
    issues.push(
      issue(
        'PROFILE_PATIENT_REQUIRED',
        `${subjectField} names the patient: {"identifier":{"system":"urn:oid:1.2.250.1.213.1.4.8","value":"<INS>"}} or {"reference":"Patient/<id>"}.`,
        `${type}.${subjectField}`,
      ),
    );
  }
  let section: ProfileSection;
  let code: { system: string; code: string } | undefined;
  let effective: string | undefined;
  switch (type) {
    case 'Condition':
      section = 'pathologies';
      if (!hasConcept(resource['code'])) {
        issues.push(
          issue(
            'PROFILE_CODE_REQUIRED',
            'A Condition has a code (a coding or a text).',
            'Condition.code',
          ),
        );
      }
      code = firstCoding(resource['code']);
      effective = isoDayOf(resource['onsetDateTime'] ?? resource['recordedDate']);
      break;
    case 'AllergyIntolerance':
      section = 'allergies';
      if (!hasConcept(resource['code'])) {
        issues.push(
          issue(
            'PROFILE_CODE_REQUIRED',
            'An AllergyIntolerance has a code (a coding or a text).',
            'AllergyIntolerance.code',
          ),
        );
      }
      code = firstCoding(resource['code']);
      effective = isoDayOf(resource['onsetDateTime'] ?? resource['recordedDate']);
      break;
    case 'MedicationStatement':
      section = 'traitements';
      if (
        resource['medicationReference'] !== undefined ||
        !hasConcept(resource['medicationCodeableConcept'])
      ) {
        issues.push(
          issue(
            'PROFILE_MEDICATION_REQUIRED',
            'A MedicationStatement names its medication in medicationCodeableConcept (medicationReference is not supported).',
            'MedicationStatement.medicationCodeableConcept',
          ),
        );
      }
      code = firstCoding(resource['medicationCodeableConcept']);
      effective = isoDayOf(
        resource['effectiveDateTime'] ?? obj(resource['effectivePeriod'])?.['start'],
      );
      break;
    case 'Immunization':
      section = 'vaccinations';
      if (
        typeof resource['occurrenceDateTime'] !== 'string' &&
        typeof resource['occurrenceString'] !== 'string'
      ) {
        issues.push(
          issue(
            'PROFILE_OCCURRENCE_REQUIRED',
            'An Immunization has occurrenceDateTime (or occurrenceString).',
            'Immunization.occurrence',
          ),
        );
      }
      code = firstCoding(resource['vaccineCode']);
      effective = isoDayOf(resource['occurrenceDateTime']);
      break;
    case 'Observation': {
      section = checkObservation(resource, issues);
      const loinc = loincCode(resource['code']);
      code = loinc !== undefined ? { system: LOINC, code: loinc } : undefined;
      effective = isoDayOf(resource['effectiveDateTime']);
      break;
    }
    case 'RelatedPerson':
      section = 'personne-confiance';
      if (arr(resource['name']).length === 0) {
        issues.push(
          issue('PROFILE_NAME_REQUIRED', 'A RelatedPerson has a name.', 'RelatedPerson.name'),
        );
      }
      if (!arr(resource['relationship']).some(hasConcept)) {
        issues.push(
          issue(
            'PROFILE_RELATIONSHIP_REQUIRED',
            'A RelatedPerson has a relationship (personne-de-confiance for the trusted person).',
            'RelatedPerson.relationship',
          ),
        );
      }
      code = firstCoding(arr(resource['relationship'])[0]);
      break;
  }
  if (issues.length > 0 || !patient) {
    return err(issues);
  }
  return ok({
    type,
    patient,
    section,
    ...(code ? { code } : {}),
    ...(effective !== undefined ? { effective } : {}),
  });
}

/** OID of the IdNat_PS identifiers (ASIP/ANS). */
export const IDNAT_PS_SYSTEM = 'urn:oid:1.2.250.1.71.4.2.1';

const VITAL_SIGNS = {
  coding: [
    { system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' },
  ],
};

/** E8: the resource as stored and served (the server's fields win over what was sent). */
export function stampEntry(resource: Json, type: ProfileType, s: Stamp): Json {
  const patientRef = {
    reference: `Patient/${s.patientId}`,
    identifier: { system: `urn:oid:${s.insOid}`, value: s.ins },
  };
  const self = { reference: `Patient/${s.patientId}` };
  const { id: _id, meta: sentMeta, ...rest } = resource;
  const sentTags = arr(obj(sentMeta)?.['tag']).filter((t) => {
    const system = obj(t)?.['system'];
    return system !== PROFILE_AUTHOR_SYSTEM && system !== PROFILE_SECTION_SYSTEM;
  });
  const out: Json = {
    resourceType: type,
    id: s.id,
    meta: {
      versionId: String(s.versionId),
      lastUpdated: s.lastUpdated.toISOString(),
      tag: [
        ...sentTags,
        { system: PROFILE_AUTHOR_SYSTEM, code: s.authorKind },
        { system: PROFILE_SECTION_SYSTEM, code: s.section },
      ],
    },
    ...rest,
  };
  out[SUBJECT_FIELD[type]] = patientRef;
  switch (type) {
    case 'Condition':
    case 'AllergyIntolerance':
      out['recorder'] = self;
      out['asserter'] = self;
      break;
    case 'MedicationStatement':
      out['informationSource'] = self;
      break;
    case 'Observation':
      out['performer'] = [self];
      if (s.section === 'mesures' && arr(out['category']).length === 0) {
        out['category'] = [VITAL_SIGNS];
      }
      break;
    case 'Immunization':
      if (s.professional) {
        // The professional who gave it records it: a primary source, named as the performer.
        out['primarySource'] = true;
        delete out['reportOrigin'];
        out['performer'] = [
          {
            function: {
              coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0443', code: 'AP' }],
              text: 'Vaccinateur',
            },
            actor: {
              identifier: { system: IDNAT_PS_SYSTEM, value: s.professional.idNatPs },
              display: s.professional.display,
            },
          },
        ];
        break;
      }
      out['primarySource'] = false;
      if (out['reportOrigin'] === undefined) {
        out['reportOrigin'] = {
          coding: [
            { system: 'http://terminology.hl7.org/CodeSystem/immunization-origin', code: 'record' },
          ],
        };
      }
      break;
    case 'RelatedPerson':
      break;
  }
  return out;
}
