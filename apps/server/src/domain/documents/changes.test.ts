import { describe, expect, it } from 'vitest';
import { mergeChanges, type DocumentChange } from './changes.ts';

const mask: DocumentChange = { kind: 'visibility', label: 'MASQUE_PS', operation: 'set' };
const unmask: DocumentChange = { kind: 'visibility', label: 'MASQUE_PS', operation: 'unset' };
const hidePatient: DocumentChange = {
  kind: 'visibility',
  label: 'INVISIBLE_PATIENT',
  operation: 'set',
};
const archive: DocumentChange = { kind: 'archive', archived: true };
const unarchive: DocumentChange = { kind: 'archive', archived: false };
const del: DocumentChange = { kind: 'delete' };

describe('mergeChanges: the parts of one request that change one document make one list', () => {
  it.each<[string, DocumentChange[][], ReturnType<typeof mergeChanges>]>([
    ['one part, as given', [[mask, hidePatient]], { changes: [mask, hidePatient] }],
    ['mask, then archive (M1: order kept)', [[mask], [archive]], { changes: [mask, archive] }],
    ['archive, then mask', [[archive], [mask]], { changes: [archive, mask] }],
    ['unmask and delete', [[unmask], [del]], { changes: [unmask, del] }],
    [
      'the same change twice counts once',
      [[archive], [archive, mask], [mask]],
      { changes: [archive, mask] },
    ],
    ['a part that changes nothing', [[], [del]], { changes: [del] }],
    ['nothing at all', [[], []], { changes: [] }],
    ['archive and delete clash (M2)', [[archive], [del]], { clash: 'STATUS', part: 1 }],
    [
      'archive and unarchive clash (M2)',
      [[mask], [archive], [unarchive]],
      { clash: 'STATUS', part: 2 },
    ],
    ['delete and unarchive clash (M2)', [[del, unarchive]], { clash: 'STATUS', part: 0 }],
    [
      'mask and unmask clash (M3)',
      [[mask], [hidePatient, unmask]],
      { clash: 'VISIBILITY', part: 1 },
    ],
  ])('%s', (_, parts, expected) => {
    expect(mergeChanges(parts)).toEqual(expected);
  });
});
