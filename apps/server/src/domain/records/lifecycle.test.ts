import { describe, expect, it } from 'vitest';
import type { RecordEvent, RecordState } from './lifecycle.ts';
import { purgeDue, transition } from './lifecycle.ts';

const t0 = new Date('2026-01-10T10:00:00Z');
const active: RecordState = {
  status: 'active',
  closedAt: null,
  closureReason: null,
  deletionRequestedAt: null,
};
const closed: RecordState = {
  status: 'closed',
  closedAt: t0,
  closureReason: 'holder-request',
  deletionRequestedAt: null,
};
const dead: RecordState = {
  status: 'closed',
  closedAt: t0,
  closureReason: 'death',
  deletionRequestedAt: null,
};
const deleting: RecordState = { ...closed, deletionRequestedAt: t0 };
const later = new Date('2026-02-01T00:00:00Z');

describe('record transitions', () => {
  const cases: [string, RecordState, RecordEvent, string][] = [
    [
      'closes an active record at the holder request',
      active,
      { type: 'close', reason: 'holder-request', at: later },
      'closed',
    ],
    [
      'closes an active record for death',
      active,
      { type: 'close', reason: 'death', at: later },
      'closed',
    ],
    [
      'refuses to close a closed record',
      closed,
      { type: 'close', reason: 'operator-decision', at: later },
      'REC_ALREADY_CLOSED',
    ],
    ['reopens a closed record', closed, { type: 'reopen', at: later, byOperator: false }, 'active'],
    [
      'refuses to reopen an active record',
      active,
      { type: 'reopen', at: later, byOperator: true },
      'REC_NOT_CLOSED',
    ],
    [
      'refuses a holder reopening after death',
      dead,
      { type: 'reopen', at: later, byOperator: false },
      'REC_REOPEN_DEATH_OPERATOR_ONLY',
    ],
    [
      'lets the operator reopen after a death closure',
      dead,
      { type: 'reopen', at: later, byOperator: true },
      'active',
    ],
    [
      'closes an active record on a deletion request',
      active,
      { type: 'request-deletion', at: later },
      'closed',
    ],
    [
      'accepts a deletion request on a closed record',
      closed,
      { type: 'request-deletion', at: later },
      'closed',
    ],
    [
      'refuses a second deletion request',
      deleting,
      { type: 'request-deletion', at: later },
      'REC_DELETION_ALREADY_REQUESTED',
    ],
    [
      'reopening cancels a deletion request',
      deleting,
      { type: 'reopen', at: later, byOperator: false },
      'active',
    ],
  ];
  it.each(cases)('%s', (_name, state, event, expected) => {
    const r = transition(state, event);
    expect(r.ok ? r.value.status : r.error.code).toBe(expected);
  });

  it('keeps the first closure date when deletion is requested later', () => {
    const r = transition(closed, { type: 'request-deletion', at: later });
    expect(r.ok && r.value.closedAt).toEqual(t0);
    expect(r.ok && r.value.deletionRequestedAt).toEqual(later);
  });

  it('clears the deletion request when reopened', () => {
    const r = transition(deleting, { type: 'reopen', at: later, byOperator: false });
    expect(r.ok && r.value.deletionRequestedAt).toBeNull();
  });
});

describe('purge due', () => {
  const cases: [string, RecordState, string, string | null][] = [
    ['never purges an active record', active, '2060-01-01T00:00:00Z', null],
    ['keeps a closed record for 10 years', closed, '2036-01-10T09:59:59Z', null],
    ['purges a closed record after 10 years', closed, '2036-01-10T10:00:00Z', 'retention-expired'],
    ['purges on a deletion request', deleting, '2026-01-10T10:00:00Z', 'deletion-requested'],
    ['does not purge before the request time', deleting, '2026-01-10T09:00:00Z', null],
  ];
  it.each(cases)('%s', (_name, state, now, expected) => {
    expect(purgeDue(state, new Date(now))).toBe(expected);
  });
});
