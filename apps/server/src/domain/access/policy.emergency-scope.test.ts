/**
 * Issue 17 rules 6 and 7: an emergency mode and its justification apply to the one record they were declared for
 * (a token is never an open emergency pass), and regulation (centre 15) is a mode declared per access — the
 * regulator flag alone opens nothing.
 */
import { describe, expect, it } from 'vitest';
import type { ProfessionalActor } from './actor.ts';
import { describeProfessionalStanding } from './audience.ts';
import type { AccessRequest } from './policy.ts';
import {
  decide,
  doc,
  INS,
  MATRIX,
  newDoc,
  NONE,
  NOW,
  OTHER_INS,
  outcome,
  pro,
  PS,
  read,
  record,
} from './policy.fixtures.ts';

const bdgFor = (ins: string | undefined): ProfessionalActor =>
  pro({
    idNatPs: PS.author,
    mode: 'bris_de_glace',
    reason: 'Unconscious patient in the ER',
    emergencyIns: ins,
  });
const c15For = (ins: string | undefined): ProfessionalActor =>
  pro({ idNatPs: PS.stranger, mode: 'centre_15', regulator: true, emergencyIns: ins });

const requests: [string, AccessRequest][] = [
  ['TD0.2 status', { action: 'record.status' }],
  ['search', { action: 'document.search' }],
  ['read', read()],
  ['profile', { action: 'profile.read' }],
  ['deposit', { action: 'document.deposit', document: newDoc() }],
  ['archive their own document', { action: 'document.archive', document: doc() }],
  ['declare a consent', { action: 'consent.declare' }],
];

describe('an emergency mode applies to its one record (rule 6)', () => {
  it.each(requests)('%s on the record it was declared for is decided as usual', (_n, request) => {
    expect(outcome(decide(bdgFor(INS), request))).not.toBe('ACCESS_EMERGENCY_OTHER_RECORD');
  });

  it.each(requests)('%s on another record is refused', (_n, request) => {
    expect(outcome(decide(bdgFor(OTHER_INS), request))).toBe('ACCESS_EMERGENCY_OTHER_RECORD');
    expect(outcome(decide(c15For(OTHER_INS), request))).toBe('ACCESS_EMERGENCY_OTHER_RECORD');
  });

  it.each(requests)('%s by an emergency actor naming no record is refused', (_n, request) => {
    expect(outcome(decide(bdgFor(undefined), request))).toBe('ACCESS_EMERGENCY_OTHER_RECORD');
  });

  it('grants the emergency reading on its record only', () => {
    expect(outcome(decide(bdgFor(INS), { action: 'document.search' }))).toBe(
      'ACCESS_GRANTED/emergency',
    );
    expect(outcome(decide(bdgFor(INS), { action: 'document.search' }, { ins: OTHER_INS }))).toBe(
      'ACCESS_EMERGENCY_OTHER_RECORD',
    );
  });

  it('a record named in normal mode changes nothing', () => {
    const normal = pro({ idNatPs: PS.stranger, emergencyIns: OTHER_INS });
    expect(outcome(decide(normal, { action: 'document.search' }))).toBe('ACCESS_NO_AUTHORIZATION');
    expect(
      outcome(
        decide(pro({ idNatPs: PS.mt, emergencyIns: OTHER_INS }), { action: 'document.search' }),
      ),
    ).toBe('ACCESS_GRANTED/medecin-traitant');
  });

  it('TD0.2 still tells a professional in normal mode which emergency modes this record would open', () => {
    const summary = describeProfessionalStanding({
      actor: pro({ idNatPs: PS.stranger, regulator: true }),
      ins: INS,
      record: record({ blockedIdNatPs: [] }),
      standing: NONE,
      matrix: MATRIX,
      now: NOW,
    });
    expect(summary.emergency).toEqual({ bris_de_glace: true, centre_15: true });
  });
});

describe('regulation is declared per access (rule 7)', () => {
  it('the regulator flag alone is normal mode: no authorization, no reading', () => {
    const regulator = pro({ idNatPs: PS.stranger, regulator: true });
    expect(outcome(decide(regulator, { action: 'document.search' }))).toBe(
      'ACCESS_NO_AUTHORIZATION',
    );
  });

  it('a regulator who declares centre_15 for the record reads it as a regulator', () => {
    expect(outcome(decide(c15For(INS), { action: 'document.search' }))).toBe(
      'ACCESS_GRANTED/emergency',
    );
  });
});
