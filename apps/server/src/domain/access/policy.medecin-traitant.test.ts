/**
 * Issue 17 rule 3: the médecin-traitant standing (reading without consent, seeing MASQUE_PS documents) goes
 * only to a médecin — TRE_G15 profession 10 in the token — whose IdNat_PS is a person's (8 + RPPS, 0 + ADELI)
 * and is the one named on the record. A string stored under the RPPS OID grants nothing by itself.
 */
import { describe, expect, it } from 'vitest';
import type { ProfessionalActor } from './actor.ts';
import { describeProfessionalStanding } from './audience.ts';
import type { RecordFacts } from './facts.ts';
import {
  decide,
  doc,
  INS,
  MATRIX,
  NONE,
  NOW,
  outcome,
  pro,
  PS,
  read,
  record,
} from './policy.fixtures.ts';

const SQL_LOOKING = "8'); DROP TABLE patient_record;--";
const masked = doc({ confidentiality: ['N', 'MASQUE_PS'] });

describe('médecin-traitant standing (rule 3)', () => {
  it.each<[string, ProfessionalActor, RecordFacts, string, string]>([
    [
      'the named médecin',
      pro({ idNatPs: PS.mt }),
      record(),
      'ACCESS_GRANTED/medecin-traitant',
      'ACCESS_GRANTED/medecin-traitant',
    ],
    [
      'the named médecin with TRE_G15 spelled out',
      pro({ idNatPs: PS.mt, professionSystem: 'TRE_G15' }),
      record(),
      'ACCESS_GRANTED/medecin-traitant',
      'ACCESS_GRANTED/medecin-traitant',
    ],
    [
      'a nurse whose IdNat_PS was named',
      pro({ idNatPs: PS.mt, profession: '60', specialty: undefined }),
      record(),
      'ACCESS_NO_AUTHORIZATION',
      'ACCESS_NO_AUTHORIZATION',
    ],
    [
      'a pharmacist whose IdNat_PS was named',
      pro({ idNatPs: PS.mt, profession: '21', specialty: undefined }),
      record(),
      'ACCESS_NO_AUTHORIZATION',
      'ACCESS_NO_AUTHORIZATION',
    ],
    [
      'code 10 of another terminology (a student, TRE_G16)',
      pro({ idNatPs: PS.mt, professionSystem: 'TRE_G16', specialty: undefined }),
      record(),
      'ACCESS_NO_AUTHORIZATION',
      'ACCESS_NO_AUTHORIZATION',
    ],
    [
      'a token repeating an SQL-looking string stored as médecin traitant',
      pro({ idNatPs: SQL_LOOKING }),
      record({ medecinTraitantIdNatPs: SQL_LOOKING }),
      'ACCESS_NO_AUTHORIZATION',
      'ACCESS_NO_AUTHORIZATION',
    ],
    [
      'a structure identifier (3 + FINESS) stored as médecin traitant',
      pro({ idNatPs: '3750300000' }),
      record({ medecinTraitantIdNatPs: '3750300000' }),
      'ACCESS_NO_AUTHORIZATION',
      'ACCESS_NO_AUTHORIZATION',
    ],
    [
      'an ADELI-based médecin named',
      pro({ idNatPs: '0751234567' }),
      record({ medecinTraitantIdNatPs: '0751234567' }),
      'ACCESS_GRANTED/medecin-traitant',
      'ACCESS_GRANTED/medecin-traitant',
    ],
    [
      'another médecin',
      pro({ idNatPs: PS.stranger }),
      record(),
      'ACCESS_NO_AUTHORIZATION',
      'ACCESS_NO_AUTHORIZATION',
    ],
  ])('%s: search %s', (_name, actor, rec, search, readMasked) => {
    expect(outcome(decide(actor, { action: 'document.search' }, { record: rec }))).toBe(search);
    expect(outcome(decide(actor, read(masked), { record: rec }))).toBe(readMasked);
  });

  it('a non-médecin named as médecin traitant does not see masked documents even with a consent', () => {
    const nurse = pro({ idNatPs: PS.mt, profession: '60', specialty: undefined });
    expect(outcome(decide(nurse, read(masked), { standing: { kind: 'consent' } }))).toBe(
      'ACCESS_MASKED',
    );
    expect(outcome(decide(nurse, read(), { standing: { kind: 'consent' } }))).toBe(
      'ACCESS_GRANTED/consent',
    );
  });

  it('TD0.2 reports the médecin-traitant status only to the médecin', () => {
    const status = (actor: ProfessionalActor) =>
      describeProfessionalStanding({
        actor,
        ins: INS,
        record: record(),
        standing: NONE,
        matrix: MATRIX,
        now: NOW,
      }).medecinTraitant;
    expect(status(pro({ idNatPs: PS.mt }))).toBe(true);
    expect(status(pro({ idNatPs: PS.mt, profession: '60', specialty: undefined }))).toBe(false);
  });
});
