import { describe, expect, it } from 'vitest';
import { checkSubmission } from './submission.ts';

describe('submission', () => {
  it('checks that associations join entries of the submission (rules S1–S3)', () => {
    const doc = { key: 'd', metadata: {}, bytes: new Uint8Array() };
    expect(
      checkSubmission({
        documents: [doc, doc],
        folders: [],
        associations: [
          { kind: 'HasMember', source: 'nowhere', target: 'd' },
          { kind: 'RPLC', source: 'd', target: {} },
        ],
      }).map((i) => [i.code, i.location?.[0]]),
    ).toEqual([
      ['DOC_SUBMISSION_KEY_DUPLICATE', 'DocumentEntry[1]'],
      ['DOC_ASSOCIATION_INVALID', 'Association[0]'],
      ['DOC_ASSOCIATION_INVALID', 'Association[1]'],
    ]);
  });

  it.each([
    ['51 codes', Array.from({ length: 51 }, (_, i) => ({ system: '1.2.3', code: String(i) }))],
    ['a code of 257 characters', [{ system: '1.2.3', code: 'c'.repeat(257) }]],
    ['a coding scheme of 257 characters', [{ system: '1'.repeat(257), code: 'c' }]],
    ['a display of 1025 characters', [{ system: '1.2.3', code: 'c', display: 'd'.repeat(1025) }]],
  ])("refuses a Folder's codeList of %s (rule S4)", (_name, codes) => {
    const doc = { key: 'd', metadata: {}, bytes: new Uint8Array() };
    const fine = { key: 'f0', codes: [{ system: '1.2.3', code: 'c', display: 'd'.repeat(1024) }] };
    expect(
      checkSubmission({
        documents: [doc],
        folders: [fine, { key: 'f1', codes }],
        associations: [],
      }).map((i) => [i.code, i.location?.[0]]),
    ).toEqual([['DOC_LIST_TOO_LARGE', 'Folder[1].codeList']]);
  });

  it.each([
    ['21 authors', Array.from({ length: 21 }, () => ({ kind: 'practitioner' as const }))],
    [
      'a name of 257 characters',
      [{ kind: 'practitioner' as const, name: { family: 'F'.repeat(257), given: [] } }],
    ],
    [
      '257 given names',
      [{ kind: 'practitioner' as const, name: { given: Array.from({ length: 257 }, () => 'G') } }],
    ],
  ])("refuses a SubmissionSet's authors of %s (rule S5)", (_name, authors) => {
    const doc = { key: 'd', metadata: {}, bytes: new Uint8Array() };
    const ok = checkSubmission({
      submissionSet: {
        key: 's',
        authors: authors.slice(0, 1).map(() => ({ kind: 'practitioner' })),
      },
      documents: [doc],
      folders: [],
      associations: [],
    });
    expect(ok).toEqual([]);
    expect(
      checkSubmission({
        submissionSet: { key: 's', authors },
        documents: [doc],
        folders: [],
        associations: [],
      }).map((i) => [i.code, i.location?.[0]]),
    ).toEqual([['DOC_LIST_TOO_LARGE', 'SubmissionSet.authors']]);
  });
});
