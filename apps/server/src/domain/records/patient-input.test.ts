import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { PatientClaim } from './patient-input.ts';
import { checkPatientInput, PATIENT_FIELD } from './patient-input.ts';

const CLAIM: PatientClaim = {
  identifiers: [{ system: 'urn:oid:1.2.250.1.213.1.4.10', value: '158037505610143' }],
  birthName: 'MARTIN',
  usedName: undefined,
  givenNames: ['Jean'],
  sex: 'male',
  birthDate: '1958-03-21',
  birthPlace: '75056',
};
const TODAY = '2026-01-01';

function locations(claim: Partial<PatientClaim>): string[] {
  const r = checkPatientInput({ ...CLAIM, ...claim }, TODAY);
  return r.ok ? [] : r.error.flatMap((i) => i.location ?? []);
}

/** Issue 18 point 4: the record-creation rules name the field of the neutral claim, never a FHIRPath. */
describe('record creation: the neutral claim and its rules', () => {
  it('reads a claim into the record input (the used name only when it differs)', () => {
    const r = checkPatientInput(
      { ...CLAIM, usedName: ' DUPONT ', givenNames: [' Jean', ''] },
      TODAY,
    );
    expect(r).toMatchObject({
      ok: true,
      value: { ins: { value: '158037505610143' }, usedName: 'DUPONT', givenNames: ['Jean'] },
    });
    const same = checkPatientInput({ ...CLAIM, usedName: 'MARTIN' }, TODAY);
    expect(same.ok && same.value.usedName).toBeNull();
  });

  it('locates each refusal on a field of the claim', () => {
    const fields = [
      ...locations({ identifiers: [] }),
      ...locations({ identifiers: [{ system: '1.2.250.1.213.1.4.10', value: '158037505610144' }] }),
      ...locations({ birthName: ' ', givenNames: [] }),
      ...locations({ sex: 'x', birthDate: '1958-3-21', birthPlace: '7505' }),
      ...locations({ sex: 'female', birthDate: '2999-01-01' }),
    ];
    expect(fields).toEqual([
      PATIENT_FIELD.ins,
      PATIENT_FIELD.insValue,
      PATIENT_FIELD.birthName,
      PATIENT_FIELD.givenNames,
      PATIENT_FIELD.sex,
      PATIENT_FIELD.birthDate,
      PATIENT_FIELD.birthPlace,
      PATIENT_FIELD.birthDate,
      PATIENT_FIELD.sex,
      PATIENT_FIELD.birthDate,
    ]);
  });

  it('and no FHIRPath is written in domain/records/ or the record services', () => {
    const fhirPath = /['"`](Patient|Parameters|RelatedPerson)(\.[A-Za-z]|\[)/;
    const dirs = ['./', '../../services/'];
    const found = dirs.flatMap((dir) => {
      const path = fileURLToPath(new URL(dir, import.meta.url));
      return readdirSync(path)
        .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
        .filter((f) => dir === './' || /^(records|record-|consent|representation)/.test(f))
        .flatMap((f) =>
          readFileSync(`${path}${f}`, 'utf8')
            .split('\n')
            .flatMap((line, i) => (fhirPath.test(line) ? [`${dir}${f}:${String(i + 1)}`] : [])),
        );
    });
    expect(found).toEqual([]);
  });
});
