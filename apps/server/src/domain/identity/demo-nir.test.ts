import { describe, expect, it } from 'vitest';
import type { NirParts } from './demo-nir.ts';
import { makeNir } from './demo-nir.ts';
import { validateIns } from './ins.ts';

describe('makeNir', () => {
  it.each([
    [{ sex: 2, year: 84, month: 5, dept: '88', commune: 321, order: 25 }, '284058832102532'],
    [{ sex: 2, year: 84, month: 5, dept: '2A', commune: 321, order: 25 }, '284052A32102552'],
    [{ sex: 2, year: 84, month: 5, dept: '2B', commune: 321, order: 25 }, '284052B32102579'],
    [{ sex: 1, year: 85, month: 5, dept: '75', commune: 116, order: 60 }, '185057511606097'],
    [{ sex: 1, year: 85, month: 5, dept: '75', commune: 116, order: 51 }, '185057511605109'],
    [{ sex: 1, year: 85, month: 5, dept: '99', commune: 123, order: 456 }, '185059912345607'],
  ] as const)('%o → %s', (parts, expected) => {
    expect(makeNir(parts)).toBe(expected);
  });

  it('always produces a NIR that validateIns accepts', () => {
    const depts = ['01', '13', '2A', '2B', '59', '75', '97', '99'];
    for (let i = 0; i < 500; i++) {
      const parts: NirParts = {
        sex: i % 2 === 0 ? 1 : 2,
        year: (i * 7) % 100,
        month: (i % 12) + 1,
        dept: depts[i % depts.length] as string,
        commune: (i * 37) % 1000,
        order: (i * 101) % 1000,
      };
      const nir = makeNir(parts);
      expect(validateIns(nir).ok, nir).toBe(true);
    }
  });

  const base: NirParts = { sex: 1, year: 85, month: 5, dept: '75', commune: 116, order: 1 };
  it.each([
    ['sex 5', { ...base, sex: 5 as unknown as NirParts['sex'] }],
    ['year 100', { ...base, year: 100 }],
    ['year -1', { ...base, year: -1 }],
    ['month 0', { ...base, month: 0 }],
    ['month 13', { ...base, month: 13 }],
    ['month 45', { ...base, month: 45 }],
    ['month 1.5', { ...base, month: 1.5 }],
    ['dept 00', { ...base, dept: '00' }],
    ['dept 2C', { ...base, dept: '2C' }],
    ['dept 975', { ...base, dept: '975' }],
    ['commune 1000', { ...base, commune: 1000 }],
    ['order -1', { ...base, order: -1 }],
  ] as const)('refuses %s', (_name, parts) => {
    expect(() => makeNir(parts)).toThrow(RangeError);
  });
});
