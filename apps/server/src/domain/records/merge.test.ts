/** Issue 17 rule 11: merging two records of one person (G1–G7, domain/records/merge.ts). */
import { describe, expect, it } from 'vitest';
import type { MergeConsentKey, MergeRecordFacts } from './merge.ts';
import { consentsToEnd, decideMerge, preferencesToMove } from './merge.ts';

const A: MergeRecordFacts = {
  patientId: 'a',
  status: 'active',
  birthDate: '1980-01-15',
  sex: 'male',
};
const B: MergeRecordFacts = { ...A, patientId: 'b' };
const EMPTY = { profileEntries: 0, careLines: 0 };

describe('decideMerge', () => {
  it.each([
    ['two active records of the same traits, confirmed', A, B, true, EMPTY, 'ok'],
    ['the same record twice (G1)', A, A, true, EMPTY, 'REC_MERGE_SAME'],
    ['a closed survivor (G2)', { ...A, status: 'closed' }, B, true, EMPTY, 'REC_MERGE_CLOSED'],
    [
      'a closed absorbed record (G2)',
      A,
      { ...B, status: 'closed' },
      true,
      EMPTY,
      'REC_MERGE_CLOSED',
    ],
    [
      'another birth date (G3)',
      A,
      { ...B, birthDate: '1980-01-16' },
      true,
      EMPTY,
      'REC_MERGE_TRAITS_DIFFER',
    ],
    ['another sex (G3)', A, { ...B, sex: 'female' }, true, EMPTY, 'REC_MERGE_TRAITS_DIFFER'],
    [
      'traits that differ are said before the missing confirmation (G3 before G4)',
      A,
      { ...B, sex: 'female' },
      false,
      EMPTY,
      'REC_MERGE_TRAITS_DIFFER',
    ],
    ['not confirmed (G4)', A, B, false, EMPTY, 'REC_MERGE_UNCONFIRMED'],
    [
      'an absorbed record with a medical profile (G5)',
      A,
      B,
      true,
      { ...EMPTY, profileEntries: 2 },
      'REC_MERGE_HAS_PROFILE',
    ],
    [
      'an absorbed record with a care history (G5)',
      A,
      B,
      true,
      { ...EMPTY, careLines: 3 },
      'REC_MERGE_HAS_PROFILE',
    ],
  ] as const)('%s', (_name, survivor, absorbed, confirmed, contents, expected) => {
    const refused = decideMerge(survivor, absorbed, confirmed, contents);
    expect(refused?.code ?? 'ok').toBe(expected);
  });
});

const consent = (id: string, over: Partial<MergeConsentKey> = {}): MergeConsentKey => ({
  id,
  kind: 'authorization',
  actorKind: 'professional',
  actorId: '810001000024',
  purpose: null,
  active: true,
  ...over,
});

describe('consentsToEnd (G6)', () => {
  it('ends the absorbed record’s active consent that the survivor already holds for the same actor', () => {
    expect(consentsToEnd([consent('s1')], [consent('a1')])).toEqual(['a1']);
  });
  it('keeps a consent for another actor, another kind or another purpose active', () => {
    const absorbed = [
      consent('a1', { actorId: '810001000032' }),
      consent('a2', { kind: 'block' }),
      consent('a3', {
        kind: 'emergency-objection',
        actorKind: null,
        actorId: null,
        purpose: 'centre_15',
      }),
    ];
    const survivor = [
      consent('s1'),
      consent('s2', {
        kind: 'emergency-objection',
        actorKind: null,
        actorId: null,
        purpose: 'bris_de_glace',
      }),
    ];
    expect(consentsToEnd(survivor, absorbed)).toEqual([]);
  });
  it('an ended consent of the survivor replaces nothing, an ended one of the absorbed record needs no ending', () => {
    expect(consentsToEnd([consent('s1', { active: false })], [consent('a1')])).toEqual([]);
    expect(consentsToEnd([consent('s1')], [consent('a1', { active: false })])).toEqual([]);
  });
});

describe('preferencesToMove (G7)', () => {
  it('the survivor’s preferences win; the absorbed record’s move for the recipients the survivor has none for', () => {
    expect(preferencesToMove(['patient'], ['patient', 'representative'])).toEqual([
      'representative',
    ]);
    expect(preferencesToMove([], ['patient'])).toEqual(['patient']);
    expect(preferencesToMove(['patient', 'representative'], ['patient'])).toEqual([]);
  });
});
