import { describe, expect, it } from 'vitest';
import type { DocumentAuthor } from '../domain/documents/model.ts';
import { authorsLine } from './portal-inbox.ts';

describe('a notice names the document’s authors as a patient reads them (issue 21 point 2, N1)', () => {
  it.each<[string, DocumentAuthor[] | null, string | undefined]>([
    [
      'a médecin: Dr, no civility, the structure',
      [
        {
          kind: 'practitioner',
          profession: '10',
          name: { prefix: 'M', given: ['Charles'], family: 'MULLER' },
          structure: { name: 'Cabinet Médical du Dr MULLER' },
        },
      ],
      'Dr Charles MULLER (Cabinet Médical du Dr MULLER)',
    ],
    [
      'a title already there is not doubled',
      [
        {
          kind: 'practitioner',
          profession: '10',
          name: { prefix: 'Dr', given: ['Anne'], family: 'CARDIO' },
        },
      ],
      'Dr Anne CARDIO',
    ],
    [
      'a pharmacist: no Dr',
      [
        {
          kind: 'practitioner',
          profession: '21',
          name: { given: ['Lucie'], family: 'PHARMACIEN' },
        },
      ],
      'Lucie PHARMACIEN',
    ],
    [
      'a device by its name, two authors',
      [
        { kind: 'device', displayName: 'Automate de biologie' },
        { kind: 'organization', structure: { name: 'Laboratoire Pasteur' } },
      ],
      'Automate de biologie, Laboratoire Pasteur',
    ],
    ['no author', [], undefined],
    ['no authors at all', null, undefined],
  ])('%s', (_, authors, line) => {
    expect(authorsLine(authors)).toBe(line);
  });
});
