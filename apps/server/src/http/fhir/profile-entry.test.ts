import { describe, expect, it } from 'vitest';
import { readProfileEntry, stampEntry } from './profile-entry.ts';
import type { ProfileType } from '../../domain/profile/entry.ts';
import { sectionAccessKind } from '../../domain/profile/entry.ts';

const SUBJECT = {
  identifier: { system: 'urn:oid:1.2.250.1.213.1.4.10', value: '158037505610143' },
};
const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';

const weight = (value: number, code = 'kg', system = UCUM) => ({
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: LOINC, code: '29463-7' }] },
  subject: SUBJECT,
  effectiveDateTime: '2025-01-10',
  valueQuantity: { value, unit: code, system, code },
});

const bp = (sys: number, dia: number | undefined) => ({
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: LOINC, code: '85354-9' }] },
  subject: SUBJECT,
  effectiveDateTime: '2025-01-10T08:00:00+01:00',
  component: [
    {
      code: { coding: [{ system: LOINC, code: '8480-6' }] },
      valueQuantity: { value: sys, system: UCUM, code: 'mm[Hg]' },
    },
    ...(dia === undefined
      ? []
      : [
          {
            code: { coding: [{ system: LOINC, code: '8462-4' }] },
            valueQuantity: { value: dia, system: UCUM, code: 'mm[Hg]' },
          },
        ]),
  ],
});

const CASES: readonly {
  name: string;
  type: ProfileType;
  resource: Record<string, unknown>;
  section?: string;
  codes?: string[];
}[] = [
  {
    name: 'condition with a text',
    type: 'Condition',
    resource: { resourceType: 'Condition', subject: SUBJECT, code: { text: 'Asthme' } },
    section: 'pathologies',
  },
  {
    name: 'condition without code',
    type: 'Condition',
    resource: { resourceType: 'Condition', subject: SUBJECT },
    codes: ['PROFILE_CODE_REQUIRED'],
  },
  {
    name: 'condition by Patient/id',
    type: 'Condition',
    resource: {
      resourceType: 'Condition',
      subject: { reference: 'Patient/0d5f1f55-1d4b-4e83-9d2b-0e0f6f1c2b3a' },
      code: { text: 'HTA' },
    },
    section: 'pathologies',
  },
  {
    name: 'no subject',
    type: 'Condition',
    resource: { resourceType: 'Condition', code: { text: 'HTA' } },
    codes: ['PROFILE_PATIENT_REQUIRED'],
  },
  {
    name: 'allergy',
    type: 'AllergyIntolerance',
    resource: {
      resourceType: 'AllergyIntolerance',
      patient: SUBJECT,
      code: { coding: [{ system: 'http://snomed.info/sct', code: '91936005' }] },
    },
    section: 'allergies',
  },
  {
    name: 'allergy without code',
    type: 'AllergyIntolerance',
    resource: { resourceType: 'AllergyIntolerance', patient: SUBJECT, code: { coding: [] } },
    codes: ['PROFILE_CODE_REQUIRED'],
  },
  {
    name: 'treatment',
    type: 'MedicationStatement',
    resource: {
      resourceType: 'MedicationStatement',
      status: 'active',
      subject: SUBJECT,
      medicationCodeableConcept: { text: 'Levothyrox 75' },
    },
    section: 'traitements',
  },
  {
    name: 'treatment by reference',
    type: 'MedicationStatement',
    resource: {
      resourceType: 'MedicationStatement',
      status: 'active',
      subject: SUBJECT,
      medicationReference: { reference: 'Medication/1' },
    },
    codes: ['PROFILE_MEDICATION_REQUIRED'],
  },
  {
    name: 'vaccination',
    type: 'Immunization',
    resource: {
      resourceType: 'Immunization',
      status: 'completed',
      patient: SUBJECT,
      vaccineCode: { text: 'DTP' },
      occurrenceDateTime: '2020-05-01',
    },
    section: 'vaccinations',
  },
  {
    name: 'vaccination without date',
    type: 'Immunization',
    resource: {
      resourceType: 'Immunization',
      status: 'completed',
      patient: SUBJECT,
      vaccineCode: { text: 'DTP' },
    },
    codes: ['PROFILE_OCCURRENCE_REQUIRED'],
  },
  { name: 'weight', type: 'Observation', resource: weight(72.5), section: 'mesures' },
  { name: 'weight in grams', type: 'Observation', resource: weight(3500, 'g'), section: 'mesures' },
  {
    name: 'weight not plausible',
    type: 'Observation',
    resource: weight(900),
    codes: ['PROFILE_VALUE_RANGE'],
  },
  {
    name: 'weight in pounds',
    type: 'Observation',
    resource: weight(160, '[lb_av]'),
    codes: ['PROFILE_UNIT'],
  },
  {
    name: 'weight not UCUM',
    type: 'Observation',
    resource: weight(72, 'kg', 'http://example.org'),
    codes: ['PROFILE_UNIT'],
  },
  { name: 'blood pressure', type: 'Observation', resource: bp(130, 80), section: 'mesures' },
  {
    name: 'blood pressure without diastolic',
    type: 'Observation',
    resource: bp(130, undefined),
    codes: ['PROFILE_COMPONENT'],
  },
  {
    name: 'blood pressure out of range',
    type: 'Observation',
    resource: bp(400, 80),
    codes: ['PROFILE_VALUE_RANGE'],
  },
  {
    name: 'unknown observation',
    type: 'Observation',
    resource: { ...weight(70), code: { coding: [{ system: LOINC, code: '1234-5' }] } },
    codes: ['PROFILE_OBSERVATION_CODE'],
  },
  {
    name: 'measure without date',
    type: 'Observation',
    resource: { ...weight(70), effectiveDateTime: undefined },
    codes: ['PROFILE_EFFECTIVE_REQUIRED'],
  },
  {
    name: 'advance directives',
    type: 'Observation',
    resource: {
      resourceType: 'Observation',
      status: 'final',
      code: { coding: [{ system: LOINC, code: '42348-3' }] },
      subject: SUBJECT,
      valueString: 'Pas d’acharnement thérapeutique.',
    },
    section: 'directives',
  },
  {
    name: 'advance directives without text',
    type: 'Observation',
    resource: {
      resourceType: 'Observation',
      status: 'final',
      code: { coding: [{ system: LOINC, code: '42348-3' }] },
      subject: SUBJECT,
    },
    codes: ['PROFILE_VALUE_REQUIRED'],
  },
  {
    name: 'trusted person',
    type: 'RelatedPerson',
    resource: {
      resourceType: 'RelatedPerson',
      patient: SUBJECT,
      name: [{ family: 'DUPONT', given: ['Anne'] }],
      relationship: [
        {
          coding: [
            {
              system: 'https://opendmp.fr/fhir/CodeSystem/profile-relationship',
              code: 'personne-de-confiance',
            },
          ],
        },
      ],
    },
    section: 'personne-confiance',
  },
  {
    name: 'trusted person without name or relationship',
    type: 'RelatedPerson',
    resource: { resourceType: 'RelatedPerson', patient: SUBJECT },
    codes: ['PROFILE_NAME_REQUIRED', 'PROFILE_RELATIONSHIP_REQUIRED'],
  },
];

describe('readProfileEntry', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const r = readProfileEntry(c.resource, c.type, JSON.stringify(c.resource).length);
      if (c.section) {
        expect(r.ok ? r.value.section : r.error).toBe(c.section);
      } else {
        expect(r.ok ? [] : r.error.map((i) => i.code)).toEqual(c.codes);
      }
    });
  }
  it('refuses an oversized entry', () => {
    const r = readProfileEntry({ resourceType: 'Condition' }, 'Condition', 70_000);
    expect(r.ok ? [] : r.error.map((i) => i.code)).toEqual(['PROFILE_TOO_LARGE']);
  });
  it('gives the search code and the date', () => {
    const r = readProfileEntry(weight(70), 'Observation', 10);
    expect(r.ok && r.value).toMatchObject({
      code: { system: LOINC, code: '29463-7' },
      effective: '2025-01-10',
    });
  });
});

describe('stampEntry', () => {
  const stamp = {
    id: 'e1',
    patientId: 'p1',
    ins: '158037505610143',
    insOid: '1.2.250.1.213.1.4.10',
    versionId: 2,
    lastUpdated: new Date('2025-01-01T00:00:00Z'),
    authorKind: 'patient' as const,
    section: 'pathologies' as const,
  };
  it('makes the patient the recorder and asserter whatever was sent, and owns id and meta', () => {
    const out = stampEntry(
      {
        resourceType: 'Condition',
        id: 'client',
        meta: { versionId: '9' },
        subject: SUBJECT,
        code: { text: 'Asthme' },
        recorder: { reference: 'Practitioner/x' },
      },
      'Condition',
      stamp,
    );
    expect(out).toMatchObject({
      id: 'e1',
      meta: { versionId: '2', lastUpdated: '2025-01-01T00:00:00.000Z' },
      subject: { reference: 'Patient/p1', identifier: { value: '158037505610143' } },
      recorder: { reference: 'Patient/p1' },
      asserter: { reference: 'Patient/p1' },
    });
    expect((out['meta'] as { tag: unknown[] }).tag).toEqual([
      { system: 'https://opendmp.fr/fhir/CodeSystem/profile-author', code: 'patient' },
      { system: 'https://opendmp.fr/fhir/CodeSystem/profile-section', code: 'pathologies' },
    ]);
  });
  it('stamps the other types', () => {
    expect(stampEntry(weight(70), 'Observation', { ...stamp, section: 'mesures' })).toMatchObject({
      performer: [{ reference: 'Patient/p1' }],
      category: [{ coding: [{ code: 'vital-signs' }] }],
    });
    expect(
      stampEntry({ resourceType: 'MedicationStatement' }, 'MedicationStatement', stamp),
    ).toMatchObject({ informationSource: { reference: 'Patient/p1' } });
    expect(stampEntry({ resourceType: 'Immunization' }, 'Immunization', stamp)).toMatchObject({
      primarySource: false,
      reportOrigin: { coding: [{ code: 'record' }] },
    });
  });
  it('judges advance directives and the trusted person as their own types', () => {
    expect(sectionAccessKind('directives')).toEqual({ typeCode: 'EXPPAT_3', classCode: '90' });
    expect(sectionAccessKind('personne-confiance')).toEqual({
      typeCode: 'EXPPAT_1',
      classCode: '90',
    });
    expect(sectionAccessKind('allergies')).toBeUndefined();
  });
});
