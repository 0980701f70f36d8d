import { describe, expect, it } from 'vitest';
import { INS_OID, computeNirKey, isInsSystem, parseInsToken, validateIns } from './ins.ts';

/**
 * Keys below were computed independently of the code under test (Python: 97 - int(n13) % 97 with 2A→19,
 * 2B→18) and cross-checked with published vectors: CNAM nir-validation spec (2 84 05 88 321 025 32,
 * 2 84 05 2A 321 025 52, 2 84 05 2B 321 025 79, 2 55 08 14 168 025 38), 1 37 04 76 243 484 15,
 * 2 62 08 75 032 039 77, 1 63 12 78 477 042 94.
 */
const GOOD: readonly {
  name: string;
  value: string;
  oid?: string;
  kind: 'NIR' | 'NIA';
  test: boolean;
}[] = [
  { name: 'CNAM vector', value: '284058832102532', kind: 'NIR', test: false },
  { name: 'CNAM vector 2', value: '255081416802538', kind: 'NIR', test: false },
  { name: 'published vector', value: '137047624348415', kind: 'NIR', test: false },
  { name: 'published vector 2', value: '262087503203977', kind: 'NIR', test: false },
  { name: 'published vector 3', value: '163127847704294', kind: 'NIR', test: false },
  { name: 'Corsica 2A (2A→19)', value: '284052A32102552', kind: 'NIR', test: false },
  { name: 'Corsica 2B (2B→18)', value: '284052B32102579', kind: 'NIR', test: false },
  {
    name: 'key 97 edge (13 digits divisible by 97)',
    value: '185057511606097',
    kind: 'NIR',
    test: false,
  },
  { name: 'Corsica key 97 edge', value: '284052A32107797', kind: 'NIR', test: false },
  { name: 'key with a leading zero', value: '185057511605109', kind: 'NIR', test: false },
  { name: 'born abroad (99)', value: '185059912345607', kind: 'NIR', test: false },
  { name: 'overseas 97x', value: '185059741100124', kind: 'NIR', test: false },
  { name: 'fictitious month 20', value: '185207511600108', kind: 'NIR', test: false },
  { name: 'fictitious month 42', value: '185427511600169', kind: 'NIR', test: false },
  { name: 'fictitious month 50', value: '185507511600103', kind: 'NIR', test: false },
  { name: 'provisional sex 7', value: '785059912345695', kind: 'NIR', test: false },
  { name: 'provisional sex 3', value: '385059912345604', kind: 'NIR', test: false },
  {
    name: 'explicit NIR OID',
    value: '255081416802538',
    oid: INS_OID.NIR,
    kind: 'NIR',
    test: false,
  },
  {
    name: 'urn:oid: form',
    value: '255081416802538',
    oid: 'urn:oid:1.2.250.1.213.1.4.8',
    kind: 'NIR',
    test: false,
  },
  { name: 'NIA OID', value: '255081416802538', oid: INS_OID.NIA, kind: 'NIA', test: false },
  { name: 'test OID', value: '255081416802538', oid: INS_OID.TEST, kind: 'NIR', test: true },
  {
    name: 'demo OID',
    value: '255081416802538',
    oid: 'urn:oid:1.2.250.1.213.1.4.11',
    kind: 'NIR',
    test: true,
  },
];

const BAD: readonly { name: string; value: string; oid?: string; code: string }[] = [
  { name: 'empty', value: '', code: 'ID_INS_FORMAT' },
  { name: 'spaces inside', value: '2 55 08 14 168 025 38', code: 'ID_INS_FORMAT' },
  { name: 'leading whitespace', value: ' 255081416802538', code: 'ID_INS_FORMAT' },
  { name: 'trailing newline', value: '255081416802538\n', code: 'ID_INS_FORMAT' },
  { name: 'too short (13, no key)', value: '2550814168025', code: 'ID_INS_FORMAT' },
  { name: 'too long', value: '2550814168025380', code: 'ID_INS_FORMAT' },
  { name: 'letters', value: '25508141680253X', code: 'ID_INS_FORMAT' },
  { name: 'lower-case corsica', value: '284052a32102552', code: 'ID_INS_FORMAT' },
  { name: 'letters outside the department', value: '2A5081416802538', code: 'ID_INS_FORMAT' },
  { name: 'sex digit 9', value: '955081416802538', code: 'ID_INS_FORMAT' },
  { name: 'sex digit 0', value: '055081416802538', code: 'ID_INS_FORMAT' },
  { name: 'month 00', value: '255001416802538', code: 'ID_INS_FORMAT' },
  { name: 'month 13', value: '255131416802538', code: 'ID_INS_FORMAT' },
  { name: 'month 45', value: '255451416802538', code: 'ID_INS_FORMAT' },
  { name: 'department 00', value: '255080016802538', code: 'ID_INS_FORMAT' },
  { name: 'wrong key', value: '255081416802500', code: 'ID_INS_KEY' },
  { name: 'key off by one', value: '255081416802539', code: 'ID_INS_KEY' },
  { name: 'key 98 impossible', value: '255081416802598', code: 'ID_INS_KEY' },
  {
    name: 'Corsica key computed without substitution',
    value: '284052A32102500',
    code: 'ID_INS_KEY',
  },
  { name: 'one digit changed', value: '255081416812538', code: 'ID_INS_KEY' },
  {
    name: 'unknown OID',
    value: '255081416802538',
    oid: '1.2.250.1.213.1.4.2',
    code: 'ID_INS_OID_UNKNOWN',
  },
  {
    name: 'URL system',
    value: '255081416802538',
    oid: 'https://example.org/ins',
    code: 'ID_INS_OID_UNKNOWN',
  },
];

describe('validateIns: accepted', () => {
  it.each(GOOD)('$name', ({ value, oid, kind, test }) => {
    const r = validateIns(value, oid);
    expect(r).toEqual({
      ok: true,
      value: { value, oid: (oid ?? INS_OID.NIR).replace('urn:oid:', ''), kind, test },
    });
  });
});

describe('validateIns: refused', () => {
  it.each(BAD)('$name → $code', ({ value, oid, code }) => {
    const r = validateIns(value, oid);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe(code);
      expect(r.error.message).not.toContain(value.trim() || '\u0000');
    }
  });
});

describe('computeNirKey', () => {
  it.each([
    ['2840588321025', 32],
    ['284052A321025', 52],
    ['284052B321025', 79],
    ['1850575116060', 97],
    ['1850575116051', 9],
    ['1370476243484', 15],
  ] as const)('%s → %i', (first13, key) => {
    expect(computeNirKey(first13)).toBe(key);
  });

  it.each(['', '12345', '28405883210250', '28405X8321025', '2A40588321025'])(
    'throws on %j',
    (bad) => {
      expect(() => computeNirKey(bad)).toThrow(RangeError);
    },
  );
});

describe('parseInsToken', () => {
  it.each([
    ['urn:oid:1.2.250.1.213.1.4.8|255081416802538', 'NIR', INS_OID.NIR],
    ['1.2.250.1.213.1.4.9|255081416802538', 'NIA', INS_OID.NIA],
    ['urn:oid:1.2.250.1.213.1.4.10|284052A32102552', 'NIR', INS_OID.TEST],
  ] as const)('%s', (token, kind, oid) => {
    const r = parseInsToken(token);
    expect(r.ok && r.value.kind === kind && r.value.oid === oid).toBe(true);
  });

  it.each([
    ['no system', '255081416802538', 'ID_INS_TOKEN_FORMAT'],
    ['empty system', '|255081416802538', 'ID_INS_TOKEN_FORMAT'],
    ['other system', 'urn:oid:1.2.3|255081416802538', 'ID_INS_OID_UNKNOWN'],
    ['bad key', 'urn:oid:1.2.250.1.213.1.4.8|255081416802500', 'ID_INS_KEY'],
    ['empty value', 'urn:oid:1.2.250.1.213.1.4.8|', 'ID_INS_FORMAT'],
  ] as const)('%s → %s', (_name, token, code) => {
    const r = parseInsToken(token);
    expect(r.ok ? undefined : r.error.code).toBe(code);
  });
});

describe('isInsSystem', () => {
  it.each([
    ['1.2.250.1.213.1.4.8', true],
    ['urn:oid:1.2.250.1.213.1.4.11', true],
    ['1.2.250.1.213.1.4.12', false],
    ['urn:oid:1.2.250.1.71.4.2.1', false],
  ] as const)('%s → %s', (system, expected) => {
    expect(isInsSystem(system)).toBe(expected);
  });
});
