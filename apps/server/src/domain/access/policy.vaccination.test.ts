/**
 * Issue 21 point 5: a professional records in the profile a vaccination they gave ('profile.record-vaccination').
 * Allowed on the grounds that let them read the profile (consent, care team, médecin traitant) in the normal mode,
 * when their matrix row opens the profile document; never for the holder side (they write the profile through
 * 'profile.write'), the operator or a software.
 */
import { describe, expect, it } from 'vitest';
import {
  careTeam,
  CONSENT,
  decide,
  NONE,
  operator,
  outcome,
  patient,
  pro,
  PS,
  record,
  representative,
  software,
  STRUCT,
} from './policy.fixtures.ts';

const request = { action: 'profile.record-vaccination' } as const;

describe('profile.record-vaccination', () => {
  it.each([
    ['a consented médecin', pro(), CONSENT, record(), 'ACCESS_GRANTED/consent'],
    [
      'a care-team member',
      pro({ structure: STRUCT.hospital }),
      careTeam(STRUCT.hospital),
      record(),
      'ACCESS_GRANTED/care-team',
    ],
    [
      'a consented nurse',
      pro({ profession: '60', specialty: undefined }),
      CONSENT,
      record(),
      'ACCESS_GRANTED/consent',
    ],
    [
      'a professional without authorization',
      pro({ idNatPs: PS.stranger }),
      NONE,
      record(),
      'ACCESS_NO_AUTHORIZATION',
    ],
    ['a blocked professional', pro({ idNatPs: PS.blocked }), CONSENT, record(), 'ACCESS_BLOCKED'],
    ['on a closed record', pro(), CONSENT, record({ status: 'closed' }), 'ACCESS_RECORD_CLOSED'],
    ['with no record', pro(), CONSENT, undefined, 'ACCESS_NO_RECORD'],
    [
      'in bris de glace (an emergency reads, it writes nothing of the patient’s own)',
      pro({ mode: 'bris_de_glace', reason: 'Patient inconscient' }),
      NONE,
      record(),
      'ACCESS_NO_AUTHORIZATION',
    ],
    [
      'a profession the matrix keeps out of the profile',
      pro({ profession: '93', specialty: undefined }),
      CONSENT,
      record(),
      'ACCESS_MATRIX_DENIED',
    ],
  ] as const)('%s → %s', (_name, actor, standing, rec, expected) => {
    expect(outcome(decide(actor, request, { standing, record: rec }))).toBe(expected);
  });

  it.each([
    ['the patient', patient, 'ACCESS_ACTION_NOT_PERMITTED'],
    ['a legal representative', representative, 'ACCESS_ACTION_NOT_PERMITTED'],
    ['the operator', operator, 'ACCESS_OPERATOR_NO_CLINICAL'],
    ['a software', software(), 'ACCESS_ACTION_NOT_PERMITTED'],
  ] as const)('%s may not → %s', (_name, actor, expected) => {
    expect(outcome(decide(actor, request, { standing: CONSENT }))).toBe(expected);
  });

  it('a professional still may not write the rest of the profile', () => {
    expect(outcome(decide(pro(), { action: 'profile.write' }, { standing: CONSENT }))).toBe(
      'ACCESS_ACTION_NOT_PERMITTED',
    );
  });
});
