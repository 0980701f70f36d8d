import { describe, expect, it } from 'vitest';
import { checkSubmission, fhirFieldLocation, namedFieldLocation } from './submission.ts';

describe('submission: issue locations name the neutral field; the FHIR adapter finds it back', () => {
  const roots: Record<string, string> = {
    'DocumentEntry[0]': 'DocumentReference',
    'DocumentEntry[2]': 'Bundle.entry[3].resource',
    SubmissionSet: 'Bundle.entry[0].resource',
    'Folder[1]': 'Bundle.entry[5].resource',
  };
  it.each([
    [
      'DocumentEntry[0].masterIdentifier',
      'DocumentEntry[0].uniqueId',
      'DocumentReference.masterIdentifier',
    ],
    [
      'DocumentEntry[2].securityLabel[1]',
      'DocumentEntry[2].confidentiality[1]',
      'Bundle.entry[3].resource.securityLabel[1]',
    ],
    [
      'DocumentEntry[0].author[0].identifier',
      'DocumentEntry[0].authors[0].identifier',
      'DocumentReference.author[0].identifier',
    ],
    [
      'DocumentEntry[0].content[0].attachment.size',
      'DocumentEntry[0].size',
      'DocumentReference.content[0].attachment.size',
    ],
    [
      'DocumentEntry[0].content[0].attachment',
      'DocumentEntry[0].content',
      'DocumentReference.content[0].attachment',
    ],
    [
      'DocumentEntry[0].context.period.start',
      'DocumentEntry[0].serviceStart',
      'DocumentReference.context.period.start',
    ],
    [
      'DocumentEntry[0].context.period',
      'DocumentEntry[0].context.period',
      'DocumentReference.context.period',
    ],
    ['DocumentEntry[0].subject', 'DocumentEntry[0].patient', 'DocumentReference.subject'],
    [
      'DocumentEntry[0].relatesTo[1]',
      'DocumentEntry[0].relatesTo[1]',
      'DocumentReference.relatesTo[1]',
    ],
    ['DocumentEntry[0]', 'DocumentEntry[0]', 'DocumentReference'],
    ['SubmissionSet.identifier', 'SubmissionSet.uniqueId', 'Bundle.entry[0].resource.identifier'],
    ['Folder[1].subject', 'Folder[1].patient', 'Bundle.entry[5].resource.subject'],
    ['Association[0]', 'Association[0]', 'Association[0]'],
  ])('%s → %s → %s', (domain, named, fhir) => {
    expect(namedFieldLocation(domain)).toBe(named);
    expect(fhirFieldLocation(named, (r) => roots[r] ?? r)).toBe(fhir);
  });

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
