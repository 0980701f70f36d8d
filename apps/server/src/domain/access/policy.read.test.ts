/**
 * product.md §2 "Who may read" (normal mode), rules 1–5, for professionals: each numbered rule and the
 * combinations of issue 4 (blocked + consent, care team with/without objection, médecin traitant and a masked
 * document, author of a masked document, dentist and a delivery report…).
 */
import { describe, expect, it } from 'vitest';
import type { ProfessionalActor } from './actor.ts';
import type { DocumentFacts, RecordFacts, Standing } from './facts.ts';
import {
  careTeam,
  CONSENT,
  decide,
  doc,
  NONE,
  outcome,
  pro,
  PS,
  read,
  record,
  STRUCT,
} from './policy.fixtures.ts';

interface Row {
  readonly name: string;
  readonly actor: ProfessionalActor;
  readonly standing?: Standing;
  readonly record?: RecordFacts | undefined;
  readonly document?: DocumentFacts;
  readonly expected: string;
}

function run(rows: readonly Row[]): void {
  it.each(rows)('$name → $expected', (row) => {
    const facts = {
      ...(row.standing ? { standing: row.standing } : {}),
      ...('record' in row ? { record: row.record } : {}),
    };
    expect(outcome(decide(row.actor, read(row.document ?? doc()), facts))).toBe(row.expected);
  });
}

describe('rule 1: the record is active', () => {
  run([
    {
      name: 'consented médecin, active record',
      actor: pro(),
      standing: CONSENT,
      expected: 'ACCESS_GRANTED/consent',
    },
    {
      name: 'consented médecin, closed record',
      actor: pro(),
      standing: CONSENT,
      record: record({ status: 'closed' }),
      expected: 'ACCESS_RECORD_CLOSED',
    },
    {
      name: 'médecin traitant, closed record',
      actor: pro({ idNatPs: PS.mt }),
      record: record({ status: 'closed' }),
      expected: 'ACCESS_RECORD_CLOSED',
    },
    {
      name: 'author, closed record',
      actor: pro({ idNatPs: PS.author }),
      standing: CONSENT,
      record: record({ status: 'closed' }),
      expected: 'ACCESS_RECORD_CLOSED',
    },
    {
      name: 'no record for the INS',
      actor: pro(),
      standing: CONSENT,
      record: undefined,
      expected: 'ACCESS_NO_RECORD',
    },
  ]);

  it('closes search as well as read', () => {
    const closed = { record: record({ status: 'closed' }), standing: CONSENT };
    expect(outcome(decide(pro(), { action: 'document.search' }, closed))).toBe(
      'ACCESS_RECORD_CLOSED',
    );
  });
});

describe('rule 2: the professional is not blocked', () => {
  const blocked = pro({ idNatPs: PS.blocked });
  run([
    { name: 'blocked, no consent', actor: blocked, expected: 'ACCESS_BLOCKED' },
    {
      name: 'blocked + consent declared later',
      actor: blocked,
      standing: CONSENT,
      expected: 'ACCESS_BLOCKED',
    },
    {
      name: 'blocked + care-team member',
      actor: pro({ idNatPs: PS.blocked, structure: STRUCT.hospital }),
      standing: careTeam(),
      expected: 'ACCESS_BLOCKED',
    },
    {
      name: 'blocked médecin traitant',
      actor: pro({ idNatPs: PS.mt }),
      record: record({ blockedIdNatPs: [PS.mt] }),
      expected: 'ACCESS_BLOCKED',
    },
    {
      name: 'blocked author of the document',
      actor: pro({ idNatPs: PS.author }),
      standing: CONSENT,
      record: record({ blockedIdNatPs: [PS.author] }),
      expected: 'ACCESS_BLOCKED',
    },
    {
      name: 'unblocked again (not in the list)',
      actor: blocked,
      standing: CONSENT,
      record: record({ blockedIdNatPs: [] }),
      expected: 'ACCESS_GRANTED/consent',
    },
  ]);
});

describe('rule 3: an authorization (consent, care team, médecin traitant)', () => {
  run([
    {
      name: 'no authorization at all',
      actor: pro({ idNatPs: PS.stranger }),
      standing: NONE,
      expected: 'ACCESS_NO_AUTHORIZATION',
    },
    {
      name: 'own declared consent',
      actor: pro(),
      standing: CONSENT,
      expected: 'ACCESS_GRANTED/consent',
    },
    {
      name: 'care-team member acting from the authorized structure, no objection',
      actor: pro({ idNatPs: PS.teamMember, structure: STRUCT.hospital }),
      standing: careTeam(STRUCT.hospital, false),
      expected: 'ACCESS_GRANTED/care-team',
    },
    {
      name: 'care-team member, the patient objected to the care team',
      actor: pro({ idNatPs: PS.teamMember, structure: STRUCT.hospital }),
      standing: careTeam(STRUCT.hospital, true),
      expected: 'ACCESS_NO_AUTHORIZATION',
    },
    {
      name: 'care-team standing of another structure than the one acted from',
      actor: pro({ idNatPs: PS.teamMember, structure: STRUCT.clinic }),
      standing: careTeam(STRUCT.hospital, false),
      expected: 'ACCESS_NO_AUTHORIZATION',
    },
    {
      name: 'care-team standing but acting from no structure',
      actor: pro({ idNatPs: PS.teamMember, structure: undefined }),
      standing: careTeam(STRUCT.hospital, false),
      expected: 'ACCESS_NO_AUTHORIZATION',
    },
    {
      name: 'médecin traitant without declared consent',
      actor: pro({ idNatPs: PS.mt }),
      expected: 'ACCESS_GRANTED/medecin-traitant',
    },
    {
      name: 'former médecin traitant (another one set)',
      actor: pro({ idNatPs: PS.mt }),
      record: record({ medecinTraitantIdNatPs: PS.consented }),
      expected: 'ACCESS_NO_AUTHORIZATION',
    },
    {
      name: 'no médecin traitant set',
      actor: pro({ idNatPs: PS.mt }),
      record: record({ medecinTraitantIdNatPs: undefined }),
      expected: 'ACCESS_NO_AUTHORIZATION',
    },
    {
      name: 'the author still needs an authorization to read (the author exception is to rule 4)',
      actor: pro({ idNatPs: PS.author }),
      standing: NONE,
      expected: 'ACCESS_NO_AUTHORIZATION',
    },
  ]);

  it('applies to search, which needs no document', () => {
    const cases: [ProfessionalActor, Standing, string][] = [
      [pro({ idNatPs: PS.stranger }), NONE, 'ACCESS_NO_AUTHORIZATION'],
      [pro(), CONSENT, 'ACCESS_GRANTED/consent'],
      [pro({ idNatPs: PS.mt }), NONE, 'ACCESS_GRANTED/medecin-traitant'],
      [pro({ structure: STRUCT.hospital }), careTeam(), 'ACCESS_GRANTED/care-team'],
      [
        pro({ structure: STRUCT.hospital }),
        careTeam(STRUCT.hospital, true),
        'ACCESS_NO_AUTHORIZATION',
      ],
    ];
    for (const [actor, standing, expected] of cases) {
      expect(outcome(decide(actor, { action: 'document.search' }, { standing }))).toBe(expected);
    }
  });
});

describe('rule 4: the access matrix (the author always sees their own documents)', () => {
  const deliveryReport = doc({ typeCode: '15508-5', classCode: '10' });
  const advanceDirectives = doc({
    typeCode: 'EXPPAT_3',
    classCode: '90',
    depositorKind: 'patient',
    authorIdNatPs: [],
    authorStructures: [],
  });
  const hospitalReport = doc();
  const reimbursement = doc({
    typeCode: 'REMB',
    classCode: '60',
    depositorKind: 'operator',
    authorIdNatPs: [],
    authorStructures: [],
  });
  const dispensation = doc({ typeCode: '60593-1', classCode: '43' });
  const dentist = pro({ profession: '40', specialty: undefined });
  const podiatrist = pro({ profession: '80', specialty: undefined });
  run([
    {
      name: 'médecin, delivery report',
      actor: pro(),
      standing: CONSENT,
      document: deliveryReport,
      expected: 'ACCESS_GRANTED/consent',
    },
    {
      name: 'dentist, delivery report (type closed to dentists)',
      actor: dentist,
      standing: CONSENT,
      document: deliveryReport,
      expected: 'ACCESS_MATRIX_DENIED',
    },
    {
      name: 'dentist, advance directives (type closed to dentists)',
      actor: dentist,
      standing: CONSENT,
      document: advanceDirectives,
      expected: 'ACCESS_MATRIX_DENIED',
    },
    {
      name: 'dentist, another report of the same class',
      actor: dentist,
      standing: CONSENT,
      document: hospitalReport,
      expected: 'ACCESS_GRANTED/consent',
    },
    {
      name: 'dentist who wrote the delivery report himself',
      actor: pro({ idNatPs: PS.author, profession: '40', specialty: undefined }),
      standing: CONSENT,
      document: deliveryReport,
      expected: 'ACCESS_GRANTED/author',
    },
    {
      name: 'pédicure-podologue, delivery report',
      actor: podiatrist,
      standing: CONSENT,
      document: deliveryReport,
      expected: 'ACCESS_MATRIX_DENIED',
    },
    {
      name: 'pédicure-podologue, advance directives (class 90 open)',
      actor: podiatrist,
      standing: CONSENT,
      document: advanceDirectives,
      expected: 'ACCESS_GRANTED/consent',
    },
    {
      name: 'masseur-kinésithérapeute, reimbursement data (class 60 closed)',
      actor: pro({ profession: '70', specialty: undefined }),
      standing: CONSENT,
      document: reimbursement,
      expected: 'ACCESS_MATRIX_DENIED',
    },
    {
      name: 'pharmacien, dispensation',
      actor: pro({ profession: '21', specialty: undefined }),
      standing: CONSENT,
      document: dispensation,
      expected: 'ACCESS_GRANTED/consent',
    },
    {
      name: 'ambulancier, hospital report (class 10 closed)',
      actor: pro({ profession: '36', specialty: undefined }),
      standing: CONSENT,
      document: hospitalReport,
      expected: 'ACCESS_MATRIX_DENIED',
    },
    {
      name: 'médecin du travail (specialty row SM25 closes everything)',
      actor: pro({ specialty: 'SM25' }),
      standing: CONSENT,
      expected: 'ACCESS_MATRIX_DENIED',
    },
    {
      name: 'médecin with a specialty without its own row uses the médecin row',
      actor: pro({ specialty: 'SM04' }),
      standing: CONSENT,
      expected: 'ACCESS_GRANTED/consent',
    },
    {
      name: 'profession absent from the matrix (G15 93, retired)',
      actor: pro({ profession: '93', specialty: undefined }),
      standing: CONSENT,
      expected: 'ACCESS_MATRIX_DENIED',
    },
    {
      name: 'psychologue as TRE_R95, hospital report',
      actor: pro({ profession: '93', professionSystem: 'TRE_R95', specialty: undefined }),
      standing: CONSENT,
      expected: 'ACCESS_GRANTED/consent',
    },
    {
      name: 'social worker (TRE_R94 41), hospital report',
      actor: pro({ profession: '41', professionSystem: 'TRE_R94', specialty: undefined }),
      standing: CONSENT,
      expected: 'ACCESS_MATRIX_DENIED',
    },
    {
      name: 'social worker (TRE_R94 41), care plan',
      actor: pro({ profession: '41', professionSystem: 'TRE_R94', specialty: undefined }),
      standing: CONSENT,
      document: doc({ typeCode: '18776-5', classCode: '44' }),
      expected: 'ACCESS_GRANTED/consent',
    },
    {
      name: 'document of a class outside the 11',
      actor: pro(),
      standing: CONSENT,
      document: doc({ classCode: '99' }),
      expected: 'ACCESS_MATRIX_DENIED',
    },
    {
      name: 'member of the authoring structure, structure-authored document, matrix closed to them',
      actor: pro({ profession: '36', specialty: undefined, structure: STRUCT.hospital }),
      standing: CONSENT,
      document: doc({ authorIdNatPs: [] }),
      expected: 'ACCESS_GRANTED/author',
    },
    {
      name: 'colleague of the author in the same structure gets no author exception',
      actor: pro({ profession: '36', specialty: undefined, structure: STRUCT.hospital }),
      standing: CONSENT,
      expected: 'ACCESS_MATRIX_DENIED',
    },
  ]);
});

describe('rule 5: visibility (MASQUE_PS)', () => {
  const masked = doc({ confidentiality: ['N', 'MASQUE_PS'] });
  run([
    {
      name: 'consented médecin, masked document',
      actor: pro(),
      standing: CONSENT,
      document: masked,
      expected: 'ACCESS_MASKED',
    },
    {
      name: 'care-team member, masked document',
      actor: pro({ structure: STRUCT.hospital }),
      standing: careTeam(),
      document: masked,
      expected: 'ACCESS_MASKED',
    },
    {
      name: 'author of the masked document',
      actor: pro({ idNatPs: PS.author }),
      standing: CONSENT,
      document: masked,
      expected: 'ACCESS_GRANTED/author',
    },
    {
      name: 'médecin traitant, masked document',
      actor: pro({ idNatPs: PS.mt }),
      document: masked,
      expected: 'ACCESS_GRANTED/medecin-traitant',
    },
    {
      name: 'médecin traitant with a declared consent too, masked document',
      actor: pro({ idNatPs: PS.mt }),
      standing: CONSENT,
      document: masked,
      expected: 'ACCESS_GRANTED/consent',
    },
    {
      name: 'médecin traitant, masked document of a type the matrix closes to them',
      actor: pro({ idNatPs: PS.mt, specialty: 'SM25' }),
      document: masked,
      expected: 'ACCESS_MATRIX_DENIED',
    },
    {
      name: 'INVISIBLE_PATIENT does not hide from professionals',
      actor: pro(),
      standing: CONSENT,
      document: doc({ confidentiality: ['INVISIBLE_PATIENT'] }),
      expected: 'ACCESS_GRANTED/consent',
    },
    {
      name: 'INVISIBLE_REPRESENTANTS_LEGAUX does not hide from professionals',
      actor: pro(),
      standing: CONSENT,
      document: doc({ confidentiality: ['INVISIBLE_REPRESENTANTS_LEGAUX'] }),
      expected: 'ACCESS_GRANTED/consent',
    },
    {
      name: 'R / V confidentiality codes are not access rules',
      actor: pro(),
      standing: CONSENT,
      document: doc({ confidentiality: ['V'] }),
      expected: 'ACCESS_GRANTED/consent',
    },
  ]);
});

describe('document states', () => {
  run([
    {
      name: 'current',
      actor: pro(),
      standing: CONSENT,
      document: doc({ status: 'current' }),
      expected: 'ACCESS_GRANTED/consent',
    },
    {
      name: 'superseded (readable by the authorized)',
      actor: pro(),
      standing: CONSENT,
      document: doc({ status: 'superseded' }),
      expected: 'ACCESS_GRANTED/consent',
    },
    {
      name: 'archived (hidden from default search only; readable)',
      actor: pro(),
      standing: CONSENT,
      document: doc({ status: 'archived' }),
      expected: 'ACCESS_GRANTED/consent',
    },
    {
      name: 'deleted, consented reader',
      actor: pro(),
      standing: CONSENT,
      document: doc({ status: 'deleted' }),
      expected: 'ACCESS_DELETED',
    },
    {
      name: 'deleted, its own author',
      actor: pro({ idNatPs: PS.author }),
      standing: CONSENT,
      document: doc({ status: 'deleted' }),
      expected: 'ACCESS_DELETED',
    },
    {
      name: 'deleted, médecin traitant',
      actor: pro({ idNatPs: PS.mt }),
      document: doc({ status: 'deleted' }),
      expected: 'ACCESS_DELETED',
    },
  ]);
});
