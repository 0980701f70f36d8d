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
});
