import { describe, expect, it } from 'vitest';
import { readFsh, readFshAliases } from './fsh.ts';

describe('readFsh', () => {
  it('reads a ValueSet with aliases, comments, quoted codes and codes containing #', () => {
    const text = [
      'Alias: $A = https://example.org/cs-a // trailing comment',
      '// a comment line',
      '/* a block',
      '   comment */',
      'ValueSet: JDV_J98_Test',
      'Id: JDV-J98-Test',
      'Description: """two',
      'lines"""',
      '* ^url = "https://example.org/vs" // comment',
      '* ^identifier.value = "urn:oid:1.2.3"',
      '* ^jurisdiction = urn:iso:std:iso:3166#FR "FRANCE"',
      '* $A#one "One \\"quoted\\""',
      '* include $A#"two words" "Two"',
      '* http://example.org/other#x#y',
      '* $A#three',
    ].join('\r\n');
    const aliases = readFshAliases(text, 't.fsh');
    expect(aliases.get('$A')).toBe('https://example.org/cs-a');
    const [r] = readFsh(text, 't.fsh', aliases);
    expect(r?.resourceType).toBe('ValueSet');
    expect(r?.json).toMatchObject({
      name: 'JDV_J98_Test',
      id: 'JDV-J98-Test',
      description: 'two\nlines',
      url: 'https://example.org/vs',
      identifier: { value: 'urn:oid:1.2.3' },
      jurisdiction: { system: 'urn:iso:std:iso:3166', code: 'FR', display: 'FRANCE' },
      compose: {
        include: [
          {
            system: 'https://example.org/cs-a',
            concept: [
              { code: 'one', display: 'One "quoted"' },
              { code: 'two words', display: 'Two' },
              { code: 'three' },
            ],
          },
          { system: 'http://example.org/other', concept: [{ code: 'x#y' }] },
        ],
      },
    });
  });

  it('reads a ConceptMap instance with soft indexing', () => {
    const text = [
      'Instance: ASS-X98-Test',
      'InstanceOf: ConceptMap',
      'Usage: #definition',
      '* url = "https://example.org/cm"',
      '* group[0].source = "http://loinc.org"',
      '* group[=].target = "https://example.org/classes"',
      '* group[=].element[0].code = #1-1',
      '* group[=].element[=].target.code = #10',
      '* group[=].element[=].target.equivalence = #equivalent',
      '* group[=].element[+].code = #2-2',
      '* group[=].element[=].target.code = #11',
      '* group[+].source = "https://example.org/astm"',
      '* group[=].target = "https://example.org/urn"',
      '* group[=].element.code = #E1762',
      '* group[=].element.target.code = #urn:oid:1.2.3',
    ].join('\n');
    const [r] = readFsh(text, 't.fsh', new Map());
    expect(r?.json).toEqual({
      resourceType: 'ConceptMap',
      name: 'ASS-X98-Test',
      url: 'https://example.org/cm',
      group: [
        {
          source: 'http://loinc.org',
          target: 'https://example.org/classes',
          element: [
            { code: '1-1', target: { code: '10', equivalence: 'equivalent' } },
            { code: '2-2', target: { code: '11' } },
          ],
        },
        {
          source: 'https://example.org/astm',
          target: 'https://example.org/urn',
          element: { code: 'E1762', target: { code: 'urn:oid:1.2.3' } },
        },
      ],
    });
  });

  it('reads a CodeSystem, ignoring concept caret rules and skipping other entities', () => {
    const text = [
      'Profile: Ignored',
      'Parent: Patient',
      '* name 1..1',
      'CodeSystem: TRE_R98_Test',
      '* ^url = "https://example.org/cs"',
      '* #a "A"',
      '* #a ^property[0].code = #dateValid',
      '* #a #b "B" "defn"',
    ].join('\n');
    const out = readFsh(text, 't.fsh', new Map());
    expect(out).toHaveLength(1);
    expect(out[0]?.json).toMatchObject({
      resourceType: 'CodeSystem',
      name: 'TRE_R98_Test',
      url: 'https://example.org/cs',
      concept: [
        { code: 'a', display: 'A' },
        { code: 'b', display: 'B', definition: 'defn' },
      ],
    });
  });

  it.each([
    ['rule outside an entity', '* $A#1'],
    ['unterminated string', 'ValueSet: X\n* http://x#1 "oops'],
    ['exclude', 'ValueSet: X\n* exclude http://x#1'],
    ['concept without system', 'ValueSet: X\n* #1 "one"'],
    ['slice index', 'Instance: X\nInstanceOf: ConceptMap\n* group[foo].source = "x"'],
    ['garbage line', 'ValueSet: X\nhello'],
  ] as const)('refuses %s', (_name, text) => {
    expect(() => readFsh(text, 't.fsh', new Map())).toThrow();
  });
});
