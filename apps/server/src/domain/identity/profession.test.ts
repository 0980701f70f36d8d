import { describe, expect, it } from 'vitest';
import { loadReferenceData } from '../../reference/value-sets.ts';
import type { TerminologyLookup } from './profession.ts';
import { validateProfession, validateSpecialty } from './profession.ts';

// The shipped TRE_G15 / TRE_R01 (apps/server/reference/value-sets), read once per process.
const ref = loadReferenceData();

describe('validateProfession (TRE_G15)', () => {
  it.each([
    ['10', 'Médecin'],
    ['21', 'Pharmacien'],
    ['40', 'Chirurgien-Dentiste'],
    ['50', 'Sage-Femme'],
    ['60', 'Infirmier'],
    ['70', 'Masseur-Kinésithérapeute'],
    ['80', 'Pédicure-Podologue'],
  ] as const)('%s → %s', (code, display) => {
    expect(validateProfession(code, ref)).toEqual({ ok: true, value: { code, display } });
  });

  it.each(['', '11', '010', ' 10', 'SM26', 'medecin'])('refuses %j', (code) => {
    const r = validateProfession(code, ref);
    expect(r.ok ? undefined : r.error.code).toBe('ID_PROFESSION_UNKNOWN');
  });
});

describe('validateSpecialty (TRE_R01)', () => {
  it.each([
    ['SM26', 'Qualifié en Médecine générale (SM)'],
    ['SM54', 'Médecine générale (SM)'],
    ['SM01', 'Anatomie et Cytologie pathologiques (SM)'],
    ['C01', 'Anatomie et Cytologie pathologiques humaines (C)'],
  ] as const)('%s → %s', (code, display) => {
    expect(validateSpecialty(code, ref)).toEqual({ ok: true, value: { code, display } });
  });

  it.each(['', 'SM999', 'sm26', '10', 'G15_10/SM26'])('refuses %j', (code) => {
    const r = validateSpecialty(code, ref);
    expect(r.ok ? undefined : r.error.code).toBe('ID_SPECIALTY_UNKNOWN');
  });
});

describe('missing terminology', () => {
  const empty: TerminologyLookup = { valueSets: new Map() };
  it.each([
    ['profession', () => validateProfession('10', empty)],
    ['specialty', () => validateSpecialty('SM26', empty)],
  ] as const)('%s → ID_REFERENCE_UNAVAILABLE', (_name, run) => {
    const r = run();
    expect(r.ok ? undefined : r.error.code).toBe('ID_REFERENCE_UNAVAILABLE');
  });
});
