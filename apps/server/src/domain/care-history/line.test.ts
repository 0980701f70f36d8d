import { describe, expect, it } from 'vitest';
import {
  canonicalLine,
  centsToDecimal,
  checkCode,
  checkHeader,
  CSV_COLUMNS,
  ean13CheckDigit,
  parseCareDate,
  parseCents,
  readCareLine,
  sectionOf,
} from './line.ts';
import type { CodeKind } from './line.ts';
import { inWindow, monthsBefore, windowStart } from './window.ts';

const TODAY = '2025-06-15';

const GOOD: Record<string, string> = {
  ins: '158037505610143',
  date_soins: '2025-03-02',
  type_code: 'NGAP',
  code: 'G',
  libelle: 'CONSULTATION MEDECINE GENERALE',
  quantite: '1',
  executant_idnat_ps: '810001000008',
  executant_profession: '10',
  prescripteur_idnat_ps: '',
  structure_idnat_struct: '1750600009',
  montant_rembourse: '18,75',
};

describe('readCareLine', () => {
  it('reads and normalises a good line', () => {
    const r = readCareLine(
      { ...GOOD, libelle: '  CONSULTATION   MEDECINE GENERALE ', code: ' g ' },
      { today: TODAY },
    );
    expect(r).toEqual({
      ok: true,
      value: {
        ins: '158037505610143',
        careDate: '2025-03-02',
        kind: 'NGAP',
        code: 'G',
        label: 'CONSULTATION MEDECINE GENERALE',
        quantity: '1',
        executantId: '810001000008',
        executantProfession: '10',
        prescriberId: null,
        structureId: '1750600009',
        amountCents: 1875,
      },
    });
  });

  const BAD: readonly { name: string; patch: Record<string, string>; codes: string[] }[] = [
    { name: 'INS key', patch: { ins: '158037505610144' }, codes: ['ID_INS_KEY'] },
    { name: 'INS form', patch: { ins: '15803750561014' }, codes: ['ID_INS_FORMAT'] },
    { name: 'date form', patch: { date_soins: '2025/03/02' }, codes: ['CARE_DATE_INVALID'] },
    {
      name: 'date not in calendar',
      patch: { date_soins: '2025-02-29' },
      codes: ['CARE_DATE_INVALID'],
    },
    {
      name: 'date in the future',
      patch: { date_soins: '2025-06-16' },
      codes: ['CARE_DATE_FUTURE'],
    },
    { name: 'unknown kind', patch: { type_code: 'LPP' }, codes: ['CARE_CODE_KIND_UNKNOWN'] },
    { name: 'NGAP with digits', patch: { code: 'G2' }, codes: ['CARE_CODE_FORM'] },
    { name: 'CCAM short', patch: { type_code: 'CCAM', code: 'HBMD05' }, codes: ['CARE_CODE_FORM'] },
    {
      name: 'CIP13 check',
      patch: { type_code: 'CIP13', code: '3400935673221' },
      codes: ['CARE_CIP13_CHECK'],
    },
    {
      name: 'CIP13 prefix',
      patch: { type_code: 'CIP13', code: '1234567890128' },
      codes: ['CARE_CODE_FORM'],
    },
    { name: 'BIO letters', patch: { type_code: 'BIO', code: 'TSH' }, codes: ['CARE_CODE_FORM'] },
    { name: 'empty label', patch: { libelle: '  ' }, codes: ['CARE_LABEL'] },
    { name: 'label too long', patch: { libelle: 'x'.repeat(201) }, codes: ['CARE_LABEL'] },
    { name: 'zero quantity', patch: { quantite: '0' }, codes: ['CARE_QUANTITY'] },
    { name: 'negative quantity', patch: { quantite: '-1' }, codes: ['CARE_QUANTITY'] },
    { name: 'three decimals', patch: { montant_rembourse: '1.234' }, codes: ['CARE_AMOUNT'] },
    { name: 'negative amount', patch: { montant_rembourse: '-3' }, codes: ['CARE_AMOUNT'] },
    { name: 'bad executant', patch: { executant_idnat_ps: '999' }, codes: ['ID_IDNAT_PS_PREFIX'] },
    {
      name: 'executant without profession',
      patch: { executant_profession: '' },
      codes: ['CARE_PROFESSION'],
    },
    { name: 'profession form', patch: { executant_profession: 'MED' }, codes: ['CARE_PROFESSION'] },
    {
      name: 'bad structure',
      patch: { structure_idnat_struct: '1 75' },
      codes: ['ID_IDNAT_STRUCT_FORMAT'],
    },
    {
      name: 'several problems at once',
      patch: { ins: 'x', quantite: '', montant_rembourse: 'abc' },
      codes: ['ID_INS_FORMAT', 'CARE_QUANTITY', 'CARE_AMOUNT'],
    },
  ];
  for (const c of BAD) {
    it(`refuses: ${c.name}`, () => {
      const r = readCareLine({ ...GOOD, ...c.patch }, { today: TODAY });
      expect(r.ok).toBe(false);
      expect(r.ok ? [] : r.error.map((i) => i.code)).toEqual(c.codes);
    });
  }

  it('checks the profession against the terminology when a lookup is given', () => {
    const r = readCareLine(
      { ...GOOD, executant_profession: '99' },
      { today: TODAY, professionExists: (c) => c === '10' },
    );
    expect(r.ok ? [] : r.error.map((i) => i.code)).toEqual(['CARE_PROFESSION']);
  });

  it('never repeats the value in messages', () => {
    const r = readCareLine({ ...GOOD, ins: '158037505610144', code: 'SECRET1' }, { today: TODAY });
    const text = JSON.stringify(r);
    expect(text).not.toContain('158037505610144');
    expect(text).not.toContain('SECRET1');
  });

  it('gives the same canonical text to lines equal after normalisation', () => {
    const a = readCareLine(GOOD, { today: TODAY });
    const b = readCareLine(
      {
        ...GOOD,
        date_soins: '02/03/2025',
        montant_rembourse: '18.750'.slice(0, 5),
        quantite: '1,00',
      },
      { today: TODAY },
    );
    expect(a.ok && b.ok).toBe(true);
    if (a.ok && b.ok) {
      expect(canonicalLine(a.value)).toBe(canonicalLine(b.value));
      expect(canonicalLine({ ...a.value, amountCents: 1876 })).not.toBe(canonicalLine(a.value));
    }
  });
});

describe('code forms', () => {
  const CASES: readonly { kind: CodeKind; raw: string; out?: string; code?: string }[] = [
    { kind: 'CCAM', raw: 'hbmd053', out: 'HBMD053' },
    { kind: 'CCAM', raw: 'YYYY600', out: 'YYYY600' },
    { kind: 'CCAM', raw: 'HBMD0533', code: 'CARE_CODE_FORM' },
    { kind: 'NGAP', raw: 'AMI', out: 'AMI' },
    { kind: 'NGAP', raw: 'ABCDEF', code: 'CARE_CODE_FORM' },
    { kind: 'BIO', raw: '0552', out: '552' },
    { kind: 'BIO', raw: '0', out: '0' },
    { kind: 'BIO', raw: '12345', code: 'CARE_CODE_FORM' },
    { kind: 'CIP13', raw: '3400935673220', out: '3400935673220' },
    { kind: 'CIP13', raw: '3400930000007', out: '3400930000007' },
    { kind: 'CIP13', raw: '3400930000008', code: 'CARE_CIP13_CHECK' },
  ];
  for (const c of CASES) {
    it(`${c.kind} ${c.raw}`, () => {
      const r = checkCode(c.kind, c.raw);
      if (c.out !== undefined) {
        expect(r).toEqual({ ok: true, value: c.out });
      } else {
        expect(r.ok ? '' : r.error.code).toBe(c.code);
      }
    });
  }
  it('EAN-13 check digit', () => {
    expect(ean13CheckDigit('340093567322')).toBe(0);
    expect(ean13CheckDigit('400638133393')).toBe(1);
  });
});

describe('numbers and dates', () => {
  const CENTS: readonly [string, number | undefined][] = [
    ['0', 0],
    ['1', 100],
    ['1.5', 150],
    ['1,05', 105],
    ['9999999.99', 999999999],
    ['10000000', undefined],
    ['1.', undefined],
    ['.5', undefined],
    ['1e3', undefined],
  ];
  for (const [raw, cents] of CENTS) {
    it(`parseCents ${raw}`, () => expect(parseCents(raw)).toBe(cents));
  }
  it('centsToDecimal', () => {
    expect([100, 150, 105, 1, 0].map(centsToDecimal)).toEqual(['1', '1.5', '1.05', '0.01', '0']);
  });
  const DATES: readonly [string, string | undefined][] = [
    ['2024-02-29', '2024-02-29'],
    ['2023-02-29', undefined],
    ['31/12/2024', '2024-12-31'],
    ['2024-13-01', undefined],
    ['1899-12-31', undefined],
    ['2024-1-01', undefined],
  ];
  for (const [raw, iso] of DATES) {
    it(`parseCareDate ${raw}`, () => expect(parseCareDate(raw)).toBe(iso));
  }
});

describe('24-month window', () => {
  const CASES: readonly [string, number, string][] = [
    ['2025-06-15', 24, '2023-06-15'],
    ['2024-02-29', 24, '2022-02-28'],
    ['2025-01-31', 1, '2024-12-31'],
    ['2025-03-31', 1, '2025-02-28'],
  ];
  for (const [today, months, expected] of CASES) {
    it(`${months} months before ${today}`, () =>
      expect(monthsBefore(today, months)).toBe(expected));
  }
  it('keeps the first day of the window in view', () => {
    expect(windowStart(TODAY)).toBe('2023-06-15');
    expect(inWindow('2023-06-15', TODAY)).toBe(true);
    expect(inWindow('2023-06-14', TODAY)).toBe(false);
  });
});

describe('sections and header', () => {
  const SECTIONS: readonly [CodeKind, string, string][] = [
    ['CIP13', '3400935673220', 'medicaments'],
    ['BIO', '1208', 'biologie'],
    ['CCAM', 'ZBQK002', 'radiologie'],
    ['CCAM', 'QEQJ001', 'radiologie'],
    ['CCAM', 'YYYY600', 'radiologie'],
    ['CCAM', 'HBMD053', 'soins'],
    ['NGAP', 'G', 'soins'],
  ];
  for (const [kind, code, section] of SECTIONS) {
    it(`${kind} ${code} → ${section}`, () => expect(sectionOf(kind, code)).toBe(section));
  }
  it('accepts the documented header in any order, refuses unknown and missing columns', () => {
    expect(checkHeader([...CSV_COLUMNS].reverse())).toEqual([]);
    expect(
      checkHeader([
        'ins',
        'date_soins',
        'type_code',
        'code',
        'libelle',
        'quantite',
        'montant_rembourse',
      ]),
    ).toEqual([]);
    expect(
      checkHeader([
        'ins',
        'date',
        'type_code',
        'code',
        'libelle',
        'quantite',
        'montant_rembourse',
      ]).map((i) => i.code),
    ).toEqual(['CARE_HEADER_UNKNOWN_COLUMN', 'CARE_HEADER_MISSING_COLUMN']);
  });
});
