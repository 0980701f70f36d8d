/**
 * Issue 17 rule 1: legal representation is a fact of the record. A representative token grants something only
 * through a live registration on the record naming the token's own identifier: from its start, until its
 * registered end, its early end, or the minor's 18th birthday — whichever comes first.
 */
import { describe, expect, it } from 'vitest';
import type { RepresentativeActor } from './actor.ts';
import type { AccessRequest } from './policy.ts';
import {
  decide,
  doc,
  INS,
  NOW,
  operator,
  outcome,
  patient,
  pro,
  PS,
  read,
  record,
  REP_ID,
  representative,
} from './policy.fixtures.ts';
import { isLiveRepresentation, majorityAt, type Representation } from './representation.ts';

const DAY = 86_400_000;
const minorRecord = (representations: readonly Representation[]) =>
  record({ isMinor: true, representations });
const live: Representation = { identifier: REP_ID, start: new Date(NOW.getTime() - 30 * DAY) };

const requests: readonly [string, AccessRequest][] = [
  ['record.status', { action: 'record.status' }],
  ['document.search', { action: 'document.search' }],
  ['document.read', read(doc())],
  ['audit.read', { action: 'audit.read' }],
  ['consent.manage block', { action: 'consent.manage', operation: 'block' }],
  ['consent.manage add', { action: 'consent.manage', operation: 'add' }],
  [
    'document.set-visibility MASQUE_PS',
    { action: 'document.set-visibility', document: doc(), label: 'MASQUE_PS', operation: 'set' },
  ],
  ['record.manage close', { action: 'record.manage', operation: 'close' }],
  ['profile.read', { action: 'profile.read' }],
];

describe('a representative token grants only what a live registration grants (rule 1)', () => {
  it.each<[string, RepresentativeActor, ReturnType<typeof record>, string]>([
    [
      'registered, live, on a minor’s record',
      representative,
      minorRecord([live]),
      'ACCESS_GRANTED',
    ],
    ['adult with no representative', representative, record({ representations: [] }), 'NOT'],
    ['adult whose representation outlived the majority', representative, record(), 'NOT'],
    ['minor with no registration', representative, minorRecord([]), 'NOT'],
    [
      'registration of someone else',
      representative,
      minorRecord([{ ...live, identifier: '179059205012306' }]),
      'NOT',
    ],
    [
      'token without its own identifier',
      { kind: 'representative', ins: INS },
      minorRecord([live]),
      'NOT',
    ],
    [
      'registration not started yet',
      representative,
      minorRecord([{ ...live, start: new Date(NOW.getTime() + DAY) }]),
      'NOT',
    ],
    [
      'registration ended (end exclusive)',
      representative,
      minorRecord([{ ...live, end: NOW }]),
      'NOT',
    ],
    [
      'registration ending tomorrow',
      representative,
      minorRecord([{ ...live, end: new Date(NOW.getTime() + DAY) }]),
      'ACCESS_GRANTED',
    ],
    [
      'an ended and a live registration of the same person',
      representative,
      minorRecord([{ ...live, end: new Date(NOW.getTime() - DAY) }, live]),
      'ACCESS_GRANTED',
    ],
  ])('%s', (_name, actor, rec, expected) => {
    for (const [action, request] of requests) {
      const got = outcome(decide(actor, request, { record: rec }));
      if (expected === 'NOT') {
        expect(got, action).toBe('ACCESS_NOT_REPRESENTATIVE');
      } else {
        expect(got, action).toBe('ACCESS_GRANTED/representative');
      }
    }
  });

  it('another record than the represented one is still ACCESS_NOT_HOLDER', () => {
    expect(
      outcome(
        decide(
          representative,
          { action: 'document.search' },
          { record: minorRecord([live]), ins: '280017512345612' },
        ),
      ),
    ).toBe('ACCESS_NOT_HOLDER');
  });

  it('a missing record is still ACCESS_NO_RECORD', () => {
    expect(
      outcome(decide(representative, { action: 'document.search' }, { record: undefined })),
    ).toBe('ACCESS_NO_RECORD');
  });

  it('the patient’s own access does not depend on any registration', () => {
    expect(
      outcome(
        decide(
          { kind: 'patient', ins: INS },
          { action: 'document.search' },
          { record: minorRecord([]) },
        ),
      ),
    ).toBe('ACCESS_GRANTED/holder');
  });
});

describe('who registers and who sees the representations (rule 1)', () => {
  const minor = minorRecord([live]);
  it.each<[string, Parameters<typeof decide>[0], AccessRequest, string]>([
    [
      'operator registers',
      operator,
      { action: 'record.manage', operation: 'register-representative' },
      'ACCESS_GRANTED/operator',
    ],
    [
      'operator ends',
      operator,
      { action: 'record.manage', operation: 'end-representative' },
      'ACCESS_GRANTED/operator',
    ],
    [
      'the holder may not register',
      patient,
      { action: 'record.manage', operation: 'register-representative' },
      'ACCESS_ACTION_NOT_PERMITTED',
    ],
    [
      'a representative may not register another',
      representative,
      { action: 'record.manage', operation: 'register-representative' },
      'ACCESS_ACTION_NOT_PERMITTED',
    ],
    [
      'a representative may not end one',
      representative,
      { action: 'record.manage', operation: 'end-representative' },
      'ACCESS_ACTION_NOT_PERMITTED',
    ],
    [
      'a professional may not register',
      pro(),
      { action: 'record.manage', operation: 'register-representative' },
      'ACCESS_ACTION_NOT_PERMITTED',
    ],
    ['the holder sees them', patient, { action: 'representation.read' }, 'ACCESS_GRANTED/holder'],
    [
      'a live representative sees them',
      representative,
      { action: 'representation.read' },
      'ACCESS_GRANTED/representative',
    ],
    [
      'the operator sees them',
      operator,
      { action: 'representation.read' },
      'ACCESS_GRANTED/operator',
    ],
    [
      'a professional does not, médecin traitant included',
      pro({ idNatPs: PS.mt }),
      { action: 'representation.read' },
      'ACCESS_ACTION_NOT_PERMITTED',
    ],
  ])('%s → %s', (_name, actor, request, expected) => {
    expect(outcome(decide(actor, request, { record: minor }))).toBe(expected);
  });

  it('the operator registers on no missing record', () => {
    expect(
      outcome(
        decide(
          operator,
          { action: 'record.manage', operation: 'register-representative' },
          { record: undefined },
        ),
      ),
    ).toBe('ACCESS_NO_RECORD');
  });
});

describe('the representation ends by itself at the 18th birthday', () => {
  it.each([
    ['2008-03-15', '2026-03-15T00:00:00.000Z'],
    ['2008-02-29', '2026-03-01T00:00:00.000Z'],
    ['2010-12-31', '2028-12-31T00:00:00.000Z'],
  ])('born %s → major at %s', (birth, at) => {
    expect(majorityAt(birth).toISOString()).toBe(at);
  });

  it('is live the day before the majority and not on the day', () => {
    const born = '2008-03-15';
    const eve = new Date('2026-03-14T23:59:59Z');
    const day = majorityAt(born);
    const minorAt = (d: Date) => d.getTime() < majorityAt(born).getTime();
    expect(isLiveRepresentation(live, minorAt(eve), eve)).toBe(true);
    expect(isLiveRepresentation(live, minorAt(day), day)).toBe(false);
  });
});
