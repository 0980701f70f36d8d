import { describe, expect, it } from 'vitest';
import {
  anyAuthorMatches,
  authorPersonPattern,
  authorPersons,
  namedIdNatPs,
  type AuthorPersonPattern,
} from './author-person.ts';
import type { DocumentAuthor } from './model.ts';

const PS = '1.2.250.1.71.4.2.1';
const dupont: DocumentAuthor = {
  kind: 'practitioner',
  idNatPs: '810001000008',
  name: { family: 'DUPONT', given: ['Jean'], prefix: 'Dr' },
};
const martin: DocumentAuthor = {
  kind: 'practitioner',
  idNatPs: '810002000015',
  name: { family: 'MARTIN', given: ['Anne'] },
};
/** An author named by another identifier system (an ADELI-like OID), and one with a name only. */
const other: DocumentAuthor = {
  kind: 'practitioner',
  identifier: { system: 'urn:oid:1.2.250.1.71.4.2.9', value: '810001000008' },
  name: { family: 'AUTRE', given: [] },
};
const nameOnly: DocumentAuthor = {
  kind: 'practitioner',
  name: { family: 'LE_GOFF', given: ['Yann'] },
};
const pct: DocumentAuthor = { kind: 'practitioner', name: { family: '100%', given: [] } };

function patterns(...values: string[]): AuthorPersonPattern[] {
  return values.map((v) => {
    const p = authorPersonPattern(v);
    if (!p) {
      throw new Error(`not a pattern: ${v}`);
    }
    return p;
  });
}

describe('authorPersons: the XCN each author is answered with', () => {
  it('writes id, names, prefix and authority, without trailing empty components', () => {
    expect(authorPersons([dupont, martin, other, nameOnly])).toEqual([
      `810001000008^DUPONT^Jean^^^Dr^^^&${PS}&ISO`,
      `810002000015^MARTIN^Anne^^^^^^&${PS}&ISO`,
      '810001000008^AUTRE^^^^^^^&1.2.250.1.71.4.2.9&ISO',
      '^LE_GOFF^Yann',
    ]);
    expect(authorPersons([{ kind: 'organization', displayName: 'CH' }])).toEqual([]);
  });
});

describe('author parameter values (ITI TF-2a 3.18.4.1.2.3.5, rules A1–A4)', () => {
  const cases: { name: string; values: string[]; authors: DocumentAuthor[]; match: boolean }[] = [
    // Exact XCN
    {
      name: 'the exact XCN',
      values: [`810001000008^DUPONT^Jean^^^Dr^^^&${PS}&ISO`],
      authors: [dupont],
      match: true,
    },
    {
      name: 'an exact XCN with another name',
      values: [`810001000008^DURAND^Jean^^^Dr^^^&${PS}&ISO`],
      authors: [dupont],
      match: true,
    },
    {
      name: 'an exact XCN of someone else',
      values: [`810002000015^DUPONT^Jean^^^Dr^^^&${PS}&ISO`],
      authors: [dupont],
      match: false,
    },
    // IdNat_PS only (A2)
    { name: 'the IdNat_PS alone', values: ['810001000008'], authors: [dupont], match: true },
    {
      name: 'the IdNat_PS with its authority',
      values: [`810001000008^^^^^^^^&${PS}&ISO`],
      authors: [dupont],
      match: true,
    },
    { name: 'another IdNat_PS', values: ['810001000009'], authors: [dupont], match: false },
    {
      name: 'a prefix of the IdNat_PS, no wildcard',
      values: ['81000100000'],
      authors: [dupont],
      match: false,
    },
    {
      name: 'the id under another authority',
      values: ['810001000008^^^^^^^^&1.2.250.1.71.4.2.9&ISO'],
      authors: [dupont],
      match: false,
    },
    {
      name: 'the id alone does not name another system’s id',
      values: ['810001000008'],
      authors: [other],
      match: false,
    },
    {
      name: 'the id with that other system',
      values: ['810001000008^^^^^^^^&1.2.250.1.71.4.2.9&ISO'],
      authors: [other],
      match: true,
    },
    // % (A1)
    { name: '% alone', values: ['%'], authors: [dupont], match: true },
    { name: 'an IdNat_PS prefix and %', values: ['8100010%'], authors: [dupont], match: true },
    {
      name: 'an IdNat_PS prefix of someone else and %',
      values: ['8100020%'],
      authors: [dupont],
      match: false,
    },
    { name: 'the family name between %', values: ['%^DUPONT^%'], authors: [dupont], match: true },
    {
      name: 'the family name, case differs (LIKE is case-sensitive)',
      values: ['%^Dupont^%'],
      authors: [dupont],
      match: false,
    },
    { name: 'family and given', values: ['%^DUPONT^Jean^%'], authors: [dupont], match: true },
    { name: 'family of another', values: ['%^MARTIN^%'], authors: [dupont], match: false },
    {
      name: 'several % segments in order',
      values: ['81%DUP%Jean%ISO'],
      authors: [dupont],
      match: true,
    },
    {
      name: 'several % segments out of order',
      values: ['81%Jean%DUP%'],
      authors: [dupont],
      match: false,
    },
    {
      name: 'a % value must match the whole XCN',
      values: ['%DUPONT'],
      authors: [dupont],
      match: false,
    },
    { name: 'the authority at the end', values: [`%&${PS}&ISO`], authors: [dupont], match: true },
    // _ (A1)
    { name: '_ for one character', values: ['81000100000_%'], authors: [dupont], match: true },
    { name: '_ needs exactly one', values: ['8100010000_%'], authors: [dupont], match: true },
    {
      name: '_ at the end needs a character',
      values: [`810001000008^DUPONT^Jean^^^Dr^^^&${PS}&IS__`],
      authors: [dupont],
      match: false,
    },
    { name: '_ in a family name', values: ['%^DUP_NT^%'], authors: [dupont], match: true },
    // Names (an author without id)
    {
      name: 'an author named only, exact',
      values: ['^LE_GOFF^Yann'],
      authors: [nameOnly],
      match: true,
    },
    { name: 'an author named only, by %', values: ['%LE_GOFF%'], authors: [nameOnly], match: true },
    // Several values, several authors (A3)
    {
      name: 'values OR’d, the second matches',
      values: ['810009999999', '%^DUPONT^%'],
      authors: [dupont],
      match: true,
    },
    {
      name: 'values OR’d, none matches',
      values: ['810009999999', '%^DURAND^%'],
      authors: [dupont, martin],
      match: false,
    },
    {
      name: 'one of the authors matches',
      values: ['%^MARTIN^%'],
      authors: [dupont, martin],
      match: true,
    },
    { name: 'no author', values: ['%'], authors: [], match: false },
    // Escaping
    {
      name: '\\_ is an underscore, not any character',
      values: ['%^LE\\_GOFF^%'],
      authors: [nameOnly],
      match: true,
    },
    {
      name: '\\_ does not match another character',
      values: ['%^LE\\_GOFF^%'],
      authors: [{ kind: 'practitioner', name: { family: 'LEXGOFF', given: ['Yann'] } }],
      match: false,
    },
    {
      name: '_ unescaped matches that other character',
      values: ['%^LE_GOFF^%'],
      authors: [{ kind: 'practitioner', name: { family: 'LEXGOFF', given: ['Yann'] } }],
      match: true,
    },
    { name: '\\% is a percent sign', values: ['^100\\%'], authors: [pct], match: true },
    {
      name: '\\% does not match other text',
      values: ['^100\\%'],
      authors: [{ kind: 'practitioner', name: { family: '1000', given: [] } }],
      match: false,
    },
    {
      name: '\\\\ is a backslash',
      values: ['^A\\\\B'],
      authors: [{ kind: 'practitioner', name: { family: 'A\\B', given: [] } }],
      match: true,
    },
  ];
  it.each(cases)('$name', ({ values, authors, match }) => {
    expect(anyAuthorMatches(patterns(...values), authorPersons(authors))).toBe(match);
  });

  it('refuses an empty value, a lone trailing escape and an overlong value (A4)', () => {
    expect(authorPersonPattern('')).toBeUndefined();
    expect(authorPersonPattern('8100\\')).toBeUndefined();
    expect(authorPersonPattern('%'.repeat(257))).toBeUndefined();
    expect(authorPersonPattern('%'.repeat(256))).toBeDefined();
  });

  it('names the IdNat_PS of literal values only (the indexed form)', () => {
    expect(
      patterns(
        '810001000008',
        `810001000008^^^^^^^^&${PS}&ISO`,
        `810001000008^DUPONT^Jean^^^^^^&${PS}&ISO`,
      ).map(namedIdNatPs),
    ).toEqual(['810001000008', '810001000008', '810001000008']);
    expect(
      patterns('8100%', '81000100000_', '810001000008^^^^^^^^&1.2.3&ISO', '^DUPONT').map(
        namedIdNatPs,
      ),
    ).toEqual([undefined, undefined, undefined, undefined]);
    // An escaped wildcard is a literal character: the value is literal.
    expect(namedIdNatPs(patterns('8100\\%')[0] as AuthorPersonPattern)).toBe('8100%');
  });

  it('stays linear on a pattern built to backtrack', () => {
    const long = 'a'.repeat(200);
    const p = patterns(`${'%a'.repeat(120)}%b`);
    const start = performance.now();
    for (let i = 0; i < 1000; i++) {
      anyAuthorMatches(p, [long]);
    }
    expect(performance.now() - start).toBeLessThan(2000);
    expect(anyAuthorMatches(p, [long])).toBe(false);
    expect(anyAuthorMatches(p, [`${long}b`])).toBe(true);
  });
});
