import { describe, expect, it } from 'vitest';
import { fhirFieldLocation } from './entry-locations.ts';

describe('entry-locations: the core names the neutral field; the FHIR adapter locates it in its request', () => {
  const roots: Record<string, string> = {
    'DocumentEntry[0]': 'DocumentReference',
    'DocumentEntry[2]': 'Bundle.entry[3].resource',
    SubmissionSet: 'Bundle.entry[0].resource',
    'Folder[1]': 'Bundle.entry[5].resource',
  };
  it.each([
    ['DocumentEntry[0].uniqueId', 'DocumentReference.masterIdentifier'],
    ['DocumentEntry[2].confidentiality[1]', 'Bundle.entry[3].resource.securityLabel[1]'],
    ['DocumentEntry[0].authors[0]', 'DocumentReference.author[0]'],
    ['DocumentEntry[0].size', 'DocumentReference.content[0].attachment.size'],
    ['DocumentEntry[0].content', 'DocumentReference.content[0].attachment'],
    ['DocumentEntry[0].serviceStart', 'DocumentReference.context.period.start'],
    ['DocumentEntry[0].patient', 'DocumentReference.subject'],
    ['DocumentEntry[0].relatesTo[1]', 'DocumentReference.relatesTo[1]'],
    ['DocumentEntry[0]', 'DocumentReference'],
    ['SubmissionSet.uniqueId', 'Bundle.entry[0].resource.identifier'],
    ['Folder[1].patient', 'Bundle.entry[5].resource.subject'],
    ['Association[0]', 'Association[0]'],
  ])('%s → %s', (neutral, fhir) => {
    expect(fhirFieldLocation(neutral, (r) => roots[r] ?? r)).toBe(fhir);
  });
});
