import { describe, expect, it } from 'vitest';
import { isFinessForm, isValidSiren, isValidSiret, validateIdNatStruct } from './idnat-struct.ts';
import { luhnValid } from './luhn.ts';

describe('luhnValid', () => {
  it.each([
    ['79927398713', true], // the classic ISO/IEC 7812 example
    ['79927398710', false],
    ['0', true],
    ['', false],
    ['12a4', false],
  ] as const)('%j → %s', (digits, expected) => {
    expect(luhnValid(digits)).toBe(expected);
  });
});

describe('SIREN / SIRET / FINESS helpers', () => {
  it.each([
    // INSEE: SIREN 732829320 (real company), 180035024 (used in ANS CDA examples); SIRET from the same
    ['siren', '732829320', true],
    ['siren', '180035024', true],
    ['siren', '732829321', false],
    ['siren', '801234567', false],
    ['siren', '73282932', false],
    ['siret', '18003502400041', true],
    ['siret', '78435954900010', true],
    ['siret', '18003502400042', false],
    // La Poste: digit sum multiple of 5 instead of Luhn
    ['siret', '35600000000010', true], // fails Luhn, digit sum 15
    ['siret', '35600000000011', false], // fails both
    ['finess', '750803447', true],
    ['finess', '2A0000123', true],
    ['finess', '2C0000123', false],
    ['finess', '75080344', false],
  ] as const)('%s %s → %s', (kind, value, expected) => {
    const f = kind === 'siren' ? isValidSiren : kind === 'siret' ? isValidSiret : isFinessForm;
    expect(f(value)).toBe(expected);
  });
});

describe('validateIdNatStruct: accepted (strict)', () => {
  it.each([
    ['00B105729400', 'ADELI_CABINET', '0B105729400'],
    ['1750803447', 'FINESS', '750803447'],
    ['12A0000123', 'FINESS', '2A0000123'],
    ['1120459876', 'FINESS', '120459876'], // FINESS check digit not verified (T4)
    ['2180035024', 'SIREN', '180035024'],
    ['318003502400041', 'SIRET', '18003502400041'],
    ['335600000000010', 'SIRET', '35600000000010'],
    ['41000123456701', 'RPPS_RANG', '1000123456701'],
    ['R102671', 'TECHNICAL', 'R102671'],
    ['9876543', 'TECHNICAL', '9876543'],
  ] as const)('%s → %s', (value, kind, number) => {
    expect(validateIdNatStruct(value)).toEqual({
      ok: true,
      value: { value, kind, number, wellFormed: true },
    });
  });
});

describe('validateIdNatStruct: refused (strict)', () => {
  it.each([
    ['empty', '', 'ID_IDNAT_STRUCT_FORMAT'],
    ['space', '1750803447 ', 'ID_IDNAT_STRUCT_FORMAT'],
    ['too long', `9${'1'.repeat(100)}`, 'ID_IDNAT_STRUCT_FORMAT'],
    ['ADELI cabinet lower case', '00b105729400', 'ID_IDNAT_STRUCT_FORMAT'],
    ['FINESS 8 chars', '101235555', 'ID_IDNAT_STRUCT_FORMAT'],
    ['FINESS 12 chars', '1801234567897', 'ID_IDNAT_STRUCT_FORMAT'],
    ['FINESS 2C', '12C0000123', 'ID_IDNAT_STRUCT_FORMAT'],
    ['SIREN 8 digits', '218003502', 'ID_IDNAT_STRUCT_FORMAT'],
    ['SIREN bad key', '2801234567', 'ID_IDNAT_STRUCT_KEY'],
    ['SIRET 13 digits', '31800350240004', 'ID_IDNAT_STRUCT_FORMAT'],
    ['SIRET bad key', '318003502400042', 'ID_IDNAT_STRUCT_KEY'],
    ['RPPS-rang too short', '410001234567', 'ID_IDNAT_STRUCT_FORMAT'],
    ['RPPS-rang letters', '41000123456A1', 'ID_IDNAT_STRUCT_FORMAT'],
  ] as const)('%s → %s', (_name, value, code) => {
    const r = validateIdNatStruct(value);
    expect(r.ok ? undefined : r.error.code).toBe(code);
  });
});

describe('validateIdNatStruct: lenient', () => {
  it.each([
    ['2801234567', 'SIREN'],
    ['1801234567897', 'FINESS'],
    ['101235555', 'FINESS'],
  ] as const)('%s → %s, not well formed', (value, kind) => {
    const r = validateIdNatStruct(value, { strict: false });
    expect(r).toEqual({
      ok: true,
      value: { value, kind, number: value.slice(1), wellFormed: false },
    });
  });

  it('still refuses what is not an identifier at all', () => {
    const r = validateIdNatStruct('1750 803447', { strict: false });
    expect(r.ok ? undefined : r.error.code).toBe('ID_IDNAT_STRUCT_FORMAT');
  });
});
