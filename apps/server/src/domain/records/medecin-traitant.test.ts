import { describe, expect, it } from 'vitest';
import {
  checkMedecinTraitant,
  mayActAsMedecinTraitant,
  validateMedecinTraitantId,
} from './medecin-traitant.ts';

const code = (r: ReturnType<typeof validateMedecinTraitantId>): string =>
  r.ok ? 'ok' : r.error.code;

describe('naming a médecin traitant (issue 17 rule 3)', () => {
  it.each([
    ['899700366240', 'ok'],
    ['0751234567', 'ok'],
    ["8'); DROP TABLE patient_record;--", 'ID_IDNAT_PS_FORMAT'],
    ['8 99700366240', 'ID_IDNAT_PS_FORMAT'],
    ['89970036624', 'ID_IDNAT_PS_FORMAT'],
    ['', 'ID_IDNAT_PS_FORMAT'],
    ['x99700366240', 'ID_IDNAT_PS_PREFIX'],
    ['3750300000', 'REC_GP_NOT_MEDECIN'],
    ['518003502400041/1.2.250.1.215.1.2', 'REC_GP_NOT_MEDECIN'],
  ])('%s → %s', (value, expected) => {
    expect(code(validateMedecinTraitantId(value))).toBe(expected);
  });

  it('locates every refusal on the record’s médecin traitant (the FHIR adapter: Patient.generalPractitioner)', () => {
    const r = validateMedecinTraitantId('nope');
    expect(r.ok ? [] : r.error.location).toEqual(['medecinTraitant']);
  });

  it('requires a médecin known to the directory', () => {
    expect(checkMedecinTraitant(undefined)?.code).toBe('REC_GP_UNKNOWN');
    expect(checkMedecinTraitant({ profession: '60' })?.code).toBe('REC_GP_NOT_MEDECIN');
    expect(checkMedecinTraitant({ profession: '10' })).toBeUndefined();
  });

  it('gives the standing only to the named médecin', () => {
    const mt = { idNatPs: '899700366240', profession: '10' };
    expect(mayActAsMedecinTraitant(mt, '899700366240')).toBe(true);
    expect(mayActAsMedecinTraitant(mt, undefined)).toBe(false);
    expect(mayActAsMedecinTraitant(mt, '810000000001')).toBe(false);
    expect(mayActAsMedecinTraitant({ ...mt, profession: '50' }, '899700366240')).toBe(false);
    expect(mayActAsMedecinTraitant({ ...mt, professionSystem: 'TRE_R95' }, '899700366240')).toBe(
      false,
    );
  });
});
