import { describe, expect, it } from 'vitest';
import type { Actor, ProfessionalActor } from './actor.ts';
import type { Decision } from './decision.ts';
import {
  decide,
  INS,
  OTHER_INS,
  operator,
  patient,
  pro,
  representative,
  software,
  type Facts,
} from './policy.fixtures.ts';
import { NO_RECORD_INS, type AccessRequest } from './policy.ts';

/**
 * Record management (M1–M4) and notifications, decided by decideAccess since issue 18 point 5: these rows are the
 * ones the former decideRecordAction (domain/records/permissions.ts) and decideInboxAccess
 * (domain/notifications/inbox-access.ts) asserted, each with the same outcome ('allow' where they answered null/ok).
 */
const verdict = (d: Decision): string => (d.allow ? 'allow' : d.reason);

/** The record API's actions, as the record use cases ask them (services/records.ts, record-merge.ts). */
const ACTIONS: Readonly<Record<string, AccessRequest>> = {
  create: { action: 'record.manage', operation: 'create' },
  opposition: { action: 'record.manage', operation: 'opposition' },
  close: { action: 'record.manage', operation: 'close' },
  'close holder-request': {
    action: 'record.manage',
    operation: 'close',
    closureReason: 'holder-request',
  },
  'close death': { action: 'record.manage', operation: 'close', closureReason: 'death' },
  'close operator-decision': {
    action: 'record.manage',
    operation: 'close',
    closureReason: 'operator-decision',
  },
  reopen: { action: 'record.manage', operation: 'reopen' },
  'request-deletion': { action: 'record.manage', operation: 'request-purge' },
  'read-traits': { action: 'record.read' },
  status: { action: 'record.status' },
  purge: { action: 'record.manage', operation: 'purge' },
  'assign-nir': { action: 'record.manage', operation: 'assign-nir' },
  merge: { action: 'record.manage', operation: 'merge' },
};

const OP = 'REC_OPERATOR_ONLY';
const NH = 'REC_NOT_HOLDER';
const RS = 'REC_CLOSURE_REASON_OPERATOR_ONLY';

/** Per actor: the outcome of each action above, in its order. */
const TABLE: readonly (readonly [string, Actor, Facts, readonly string[]])[] = [
  // M1: the operator, on any record, whether it exists or not.
  ['operator', operator, {}, Array<string>(13).fill('allow')],
  ['operator, no record', operator, { record: undefined }, Array<string>(13).fill('allow')],
  [
    'operator, no INS yet',
    operator,
    { ins: NO_RECORD_INS, record: undefined },
    Array<string>(13).fill('allow'),
  ],
  // M2: the holder side on their own record.
  [
    'patient, own record',
    patient,
    {},
    [OP, OP, 'allow', 'allow', RS, RS, 'allow', 'allow', 'allow', 'allow', OP, OP, OP],
  ],
  [
    'representative, own record',
    representative,
    {},
    [OP, OP, 'allow', 'allow', RS, RS, 'allow', 'allow', 'allow', 'allow', OP, OP, OP],
  ],
  // M4: another person's record, or none named.
  [
    'patient, another record',
    patient,
    { ins: OTHER_INS },
    [OP, OP, NH, NH, NH, NH, NH, NH, NH, NH, OP, OP, OP],
  ],
  [
    'representative, another record',
    representative,
    { ins: OTHER_INS },
    [OP, OP, NH, NH, NH, NH, NH, NH, NH, NH, OP, OP, OP],
  ],
  [
    'patient, no INS yet',
    patient,
    { ins: NO_RECORD_INS, record: undefined },
    [OP, OP, NH, NH, NH, NH, NH, NH, NH, NH, OP, OP, OP],
  ],
  // M3: a professional asks for the status only (TD0.2), in any standing.
  ['professional', pro(), {}, [OP, OP, NH, NH, NH, NH, NH, NH, NH, 'allow', OP, OP, OP]],
  [
    'professional in bris de glace for this record',
    pro({ mode: 'bris_de_glace', reason: 'x' }),
    {},
    [OP, OP, NH, NH, NH, NH, NH, NH, NH, 'allow', OP, OP, OP],
  ],
  [
    'professional in bris de glace for another record',
    pro({ mode: 'bris_de_glace', reason: 'x', emergencyIns: OTHER_INS }),
    {},
    [OP, OP, NH, NH, NH, NH, NH, NH, NH, 'ACCESS_EMERGENCY_OTHER_RECORD', OP, OP, OP],
  ],
  // M3: a structure's software asks whether the record exists before it deposits (issue 17 rule 12).
  ['software', software(), {}, [OP, OP, NH, NH, NH, NH, NH, NH, NH, 'allow', OP, OP, OP]],
];

describe('record management (M1–M4)', () => {
  it.each(TABLE)('%s', (_name, actor, facts, expected) => {
    const got = Object.values(ACTIONS).map((request) => verdict(decide(actor, request, facts)));
    expect(Object.fromEntries(Object.keys(ACTIONS).map((k, i) => [k, got[i]]))).toEqual(
      Object.fromEntries(Object.keys(ACTIONS).map((k, i) => [k, expected[i]])),
    );
  });

  it('the holder side asks whether its own record exists: none does', () => {
    expect(verdict(decide(patient, { action: 'record.status' }, { record: undefined }))).toBe(
      'allow',
    );
    expect(
      verdict(decide(representative, { action: 'record.status' }, { record: undefined })),
    ).toBe('allow');
  });
});

/** The former permissions.test.ts rows (issue 17 rule 6), each with its outcome. */
describe('TD0.2 status lookup by a professional (issue 17 rule 6)', () => {
  const A = '158037505610143';
  const B = '262076912310249';
  const gp: ProfessionalActor = {
    kind: 'professional',
    idNatPs: '899700366240',
    profession: '10',
    mode: 'normal',
  };
  it.each<[string, ProfessionalActor, string, string]>([
    ['normal mode, any record', gp, B, 'allow'],
    [
      'bris de glace declared for this record',
      { ...gp, mode: 'bris_de_glace', reason: 'x', emergencyIns: A },
      A,
      'allow',
    ],
    [
      'bris de glace declared for another record',
      { ...gp, mode: 'bris_de_glace', reason: 'x', emergencyIns: A },
      B,
      'ACCESS_EMERGENCY_OTHER_RECORD',
    ],
    [
      'centre 15 naming no record',
      { ...gp, mode: 'centre_15', regulator: true },
      A,
      'ACCESS_EMERGENCY_OTHER_RECORD',
    ],
  ])('%s', (_n, actor, ins, expected) => {
    expect(verdict(decide(actor, { action: 'record.status' }, { ins, record: undefined }))).toBe(
      expected,
    );
  });
});

/** The former rules.test.ts rows of decideInboxAccess, each with its outcome. */
describe('who reads which notifications (inbox.read)', () => {
  const inbox: AccessRequest = { action: 'inbox.read' };
  const PRO: ProfessionalActor = {
    kind: 'professional',
    idNatPs: '899700366240',
    profession: '10',
    mode: 'normal',
  };
  it.each<[string, Actor, string, string]>([
    ['the patient, their own record', { kind: 'patient', ins: INS }, INS, 'allow'],
    [
      'the patient, another record',
      { kind: 'patient', ins: INS },
      OTHER_INS,
      'NOTIF_NOT_RECIPIENT',
    ],
    ['the patient, their own inbox', { kind: 'patient', ins: INS }, NO_RECORD_INS, 'allow'],
    ['a representative, their own inbox', representative, NO_RECORD_INS, 'allow'],
    ['a representative, the represented record', representative, INS, 'allow'],
    ['a representative, another record', representative, OTHER_INS, 'NOTIF_NOT_RECIPIENT'],
    ['a professional, their own inbox', PRO, NO_RECORD_INS, 'allow'],
    ['a professional naming a record', PRO, INS, 'NOTIF_NOT_RECIPIENT'],
    [
      'a professional in bris de glace declared for another record, their own inbox',
      { ...PRO, mode: 'bris_de_glace', reason: 'x', emergencyIns: OTHER_INS },
      NO_RECORD_INS,
      'allow',
    ],
    ['the operator', operator, NO_RECORD_INS, 'ACCESS_ACTION_NOT_PERMITTED'],
    ['the operator naming a record', operator, INS, 'ACCESS_ACTION_NOT_PERMITTED'],
    ['a structure’s software', software(), NO_RECORD_INS, 'ACCESS_ACTION_NOT_PERMITTED'],
  ])('%s → %s', (_n, actor, ins, expected) => {
    expect(verdict(decide(actor, inbox, { ins, record: undefined }))).toBe(expected);
  });
});
