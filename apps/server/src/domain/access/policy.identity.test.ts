/**
 * Issue 17 rule 8 (identity vigilance): the TD0.2 answer carries the record's identity traits to whoever may
 * consult the record — the holder side, the operator, a professional with consultation grounds (consent, care
 * team, médecin traitant, an emergency mode declared for this record) — so that their software compares them with
 * its own qualified identity. A professional without such grounds learns existence and standing only; a
 * structure's software never gets them.
 */
import { describe, expect, it } from 'vitest';
import type { Actor } from './actor.ts';
import type { Facts } from './policy.fixtures.ts';
import {
  careTeam,
  CONSENT,
  decide,
  operator,
  OTHER_INS,
  outcome,
  patient,
  pro,
  PS,
  record,
  representative,
  software,
  STRUCT,
} from './policy.fixtures.ts';

const identity = { action: 'record.identity' } as const;

describe('who gets the identity traits in the TD0.2 answer (issue 17 rule 8)', () => {
  const cases: [string, Actor, Facts, string][] = [
    [
      'a professional with the patient’s consent',
      pro(),
      { standing: CONSENT },
      'ACCESS_GRANTED/consent',
    ],
    [
      'a professional of the care team',
      pro({ idNatPs: PS.teamMember, structure: STRUCT.hospital }),
      { standing: careTeam() },
      'ACCESS_GRANTED/care-team',
    ],
    ['the médecin traitant', pro({ idNatPs: PS.mt }), {}, 'ACCESS_GRANTED/medecin-traitant'],
    [
      'a professional in bris de glace on this record',
      pro({ idNatPs: PS.stranger, mode: 'bris_de_glace', reason: 'unconscious' }),
      {},
      'ACCESS_GRANTED/emergency',
    ],
    [
      'a professional without authorization: existence and standing only',
      pro({ idNatPs: PS.stranger }),
      {},
      'ACCESS_NO_AUTHORIZATION',
    ],
    [
      'a professional in bris de glace declared for another record',
      pro({ idNatPs: PS.stranger, mode: 'bris_de_glace', reason: 'x', emergencyIns: OTHER_INS }),
      {},
      'ACCESS_EMERGENCY_OTHER_RECORD',
    ],
    [
      'a professional the patient blocked',
      pro({ idNatPs: PS.blocked }),
      { standing: CONSENT },
      'ACCESS_BLOCKED',
    ],
    [
      'a consented professional on a closed record',
      pro(),
      { standing: CONSENT, record: record({ status: 'closed' }) },
      'ACCESS_RECORD_CLOSED',
    ],
    ['a deposit-only structure software', software(), {}, 'ACCESS_SOFTWARE_DEPOSIT_ONLY'],
    [
      'a consultation structure software',
      software({ profile: 'consultation' }),
      {},
      'ACCESS_SOFTWARE_NO_CONSULTATION',
    ],
    ['the holder', patient, {}, 'ACCESS_GRANTED/holder'],
    ['the operator', operator, {}, 'ACCESS_GRANTED/operator'],
  ];
  it.each(cases)('%s', (_name, actor, facts, expected) => {
    expect(outcome(decide(actor, identity, facts))).toBe(expected);
  });

  it('a registered representative of a minor gets them; an unregistered one nothing', () => {
    expect(decide(representative, identity).allow).toBe(true);
    expect(outcome(decide({ ...representative, id: '199999999999999' }, identity))).toBe(
      'ACCESS_NOT_REPRESENTATIVE',
    );
  });

  it('record.status stays open to every professional, identity or not', () => {
    expect(outcome(decide(pro({ idNatPs: PS.stranger }), { action: 'record.status' }))).toBe(
      'ACCESS_GRANTED',
    );
  });
});
