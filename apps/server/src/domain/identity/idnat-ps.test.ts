import { describe, expect, it } from 'vitest';
import { validateIdNatPs } from './idnat-ps.ts';

describe('validateIdNatPs: accepted', () => {
  it.each([
    // ANS test RPPS (Pro Santé Connect bac-à-sable / CPS test cards)
    ['899700366240', 'RPPS', '99700366240', undefined],
    ['899700427885', 'RPPS', '99700427885', undefined],
    // ANS CI-SIS CDA examples: fictitious, some would fail a Luhn check (P3)
    ['801234567897', 'RPPS', '01234567897', undefined],
    ['801234534765', 'RPPS', '01234534765', undefined],
    ['0751234567', 'ADELI', '751234567', undefined],
    ['00B1057294', 'ADELI', '0B1057294', undefined],
    ['02A1234567', 'ADELI', '2A1234567', undefined],
    ['10100997245', 'ADELI_CABINET', '0100997245', undefined],
    ['3750803447/12345', 'FINESS', '750803447', '12345'],
    ['4180035024', 'SIREN', '180035024', undefined],
    ['518003502400041/1.2.250.1.215.1.2', 'SIRET', '18003502400041', '1.2.250.1.215.1.2'],
    ['610001234567', 'RPPS_CABINET', '10001234567', undefined],
  ] as const)('%s → %s', (value, kind, number, localId) => {
    const r = validateIdNatPs(value);
    expect(r).toEqual({
      ok: true,
      value: localId === undefined ? { value, kind, number } : { value, kind, number, localId },
    });
  });
});

describe('validateIdNatPs: refused', () => {
  it.each([
    ['empty', '', 'ID_IDNAT_PS_FORMAT'],
    ['whitespace', ' 899700366240', 'ID_IDNAT_PS_FORMAT'],
    ['inner space', '8997 00366240', 'ID_IDNAT_PS_FORMAT'],
    ['non-ASCII', '89970036624é', 'ID_IDNAT_PS_FORMAT'],
    ['too long', `1${'9'.repeat(100)}`, 'ID_IDNAT_PS_FORMAT'],
    ['bare RPPS (no prefix) starting with 1', '1', 'ID_IDNAT_PS_FORMAT'],
    ['RPPS too short', '89970036624', 'ID_IDNAT_PS_FORMAT'],
    ['RPPS too long', '8997003662401', 'ID_IDNAT_PS_FORMAT'],
    ['RPPS with a letter', '89970036624A', 'ID_IDNAT_PS_FORMAT'],
    ['RPPS with local id', '899700366240/1', 'ID_IDNAT_PS_FORMAT'],
    ['ADELI 8 chars', '075123456', 'ID_IDNAT_PS_FORMAT'],
    ['ADELI lower case', '00b1057294', 'ID_IDNAT_PS_FORMAT'],
    ['empty local id', '3750803447/', 'ID_IDNAT_PS_FORMAT'],
    ['prefix 2', '2750803447', 'ID_IDNAT_PS_PREFIX'],
    ['prefix 7', '799700366240', 'ID_IDNAT_PS_PREFIX'],
    ['prefix 9', '999700366240', 'ID_IDNAT_PS_PREFIX'],
    ['letter prefix', 'A99700366240', 'ID_IDNAT_PS_PREFIX'],
  ] as const)('%s → %s', (_name, value, code) => {
    const r = validateIdNatPs(value);
    expect(r.ok ? undefined : r.error.code).toBe(code);
  });
});
