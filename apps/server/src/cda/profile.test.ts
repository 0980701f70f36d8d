import { describe, expect, it } from 'vitest';
import { parseCda } from '../validation/cda.ts';
import { buildProfileCda } from './profile.ts';
import type { ProfileCdaInput } from './profile.ts';

const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';

function input(over: Partial<ProfileCdaInput> = {}): ProfileCdaInput {
  return {
    id: { root: '2.25.42' },
    setId: { root: '2.25.43' },
    version: 1,
    effectiveTime: new Date('2025-06-15T10:00:00Z'),
    patient: {
      ins: '158037505610143',
      insOid: '1.2.250.1.213.1.4.10',
      birthName: 'MARTIN',
      givenNames: ['Jean'],
      sex: 'male',
      birthDate: '1958-03-21',
    },
    entries: [
      {
        section: 'pathologies',
        resource: { code: { text: 'Hypertension artérielle' }, onsetDateTime: '2015-04' },
      },
      {
        section: 'allergies',
        resource: {
          code: { coding: [{ code: '91936005', display: 'Allergie à la pénicilline' }] },
          criticality: 'high',
        },
      },
      {
        section: 'traitements',
        resource: {
          medicationCodeableConcept: { text: 'Amlodipine 5 mg' },
          dosage: [{ text: '1 cp le matin' }],
          status: 'active',
        },
      },
      {
        section: 'vaccinations',
        resource: { vaccineCode: { text: 'DTPolio' }, occurrenceDateTime: '2020-05-01' },
      },
      {
        section: 'mesures',
        resource: {
          code: { coding: [{ system: LOINC, code: '29463-7', display: 'Poids' }] },
          valueQuantity: { value: 82, unit: 'kg', system: UCUM, code: 'kg' },
          effectiveDateTime: '2025-05-01',
        },
      },
      {
        section: 'mesures',
        resource: {
          code: { text: 'Pression artérielle' },
          component: [
            { valueQuantity: { value: 135, code: 'mm[Hg]' } },
            { valueQuantity: { value: 85, code: 'mm[Hg]' } },
          ],
          effectiveDateTime: '2025-05-01',
        },
      },
      {
        section: 'directives',
        resource: { valueString: 'Refus de l’acharnement thérapeutique <&>' },
      },
      {
        section: 'personne-confiance',
        resource: {
          name: [{ given: ['Anne'], family: 'MARTIN' }],
          relationship: [{ text: 'Épouse' }],
          telecom: [{ value: '0600000000' }],
        },
      },
    ],
    ...over,
  };
}

describe('profil médical (DOCPAT08) generator', () => {
  it('is valid against the ANS-extended schema, with a patient author and EXP_PATIENT settings', () => {
    const xml = buildProfileCda(input({ previous: { root: '2.25.41' }, version: 2 }));
    const parsed = parseCda(Buffer.from(xml, 'utf8'));
    expect(parsed.ok ? [] : parsed.error).toEqual([]);
    if (!parsed.ok) {
      return;
    }
    expect(parsed.value.code).toMatchObject({ code: 'DOCPAT08' });
    expect(parsed.value.authors[0]?.ids).toEqual([
      { root: '1.2.250.1.213.1.4.10', extension: '158037505610143' },
    ]);
    expect(parsed.value.healthCareFacilityCode?.code).toBe('EXP_PATIENT');
    expect(xml).toContain('135 / 85 mm[Hg]');
    expect(xml).toContain('Refus de l’acharnement thérapeutique &lt;&amp;&gt;');
    expect(xml).toContain('<title>Personne de confiance</title>');
  });
  it('is valid when the profile is empty', () => {
    const parsed = parseCda(Buffer.from(buildProfileCda(input({ entries: [] })), 'utf8'));
    expect(parsed.ok ? [] : parsed.error).toEqual([]);
  });
});
