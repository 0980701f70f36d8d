/**
 * Emergency modes (product.md §2, issue 4 item 5): bris_de_glace (any professional, written justification)
 * and centre_15 (regulator médecin) replace rule 3 by "the patient has not objected to that mode";
 * rules 1, 2, 4 and 5 still apply — including MASQUE_PS.
 */
import { describe, expect, it } from 'vitest';
import type { ProfessionalActor } from './actor.ts';
import type { DocumentFacts, RecordFacts, Standing } from './facts.ts';
import { CONSENT, decide, doc, NONE, outcome, pro, PS, read, record } from './policy.fixtures.ts';

const bdg = (o: Partial<ProfessionalActor> = {}): ProfessionalActor =>
  pro({
    idNatPs: PS.stranger,
    mode: 'bris_de_glace',
    reason: 'Unconscious patient in the ER',
    ...o,
  });
const c15 = (o: Partial<ProfessionalActor> = {}): ProfessionalActor =>
  pro({ idNatPs: PS.stranger, mode: 'centre_15', regulator: true, specialty: 'SM59', ...o });

const objectedBdg = record({ emergencyObjections: { bris_de_glace: true, centre_15: false } });
const objectedC15 = record({ emergencyObjections: { bris_de_glace: false, centre_15: true } });
const masked = doc({ confidentiality: ['MASQUE_PS'] });

interface Row {
  readonly name: string;
  readonly actor: ProfessionalActor;
  readonly record?: RecordFacts;
  readonly document?: DocumentFacts;
  readonly standing?: Standing;
  readonly expected: string;
}

function run(rows: readonly Row[]): void {
  it.each(rows)('$name → $expected', (row) => {
    const facts = {
      ...(row.record ? { record: row.record } : {}),
      ...(row.standing ? { standing: row.standing } : {}),
    };
    expect(outcome(decide(row.actor, read(row.document ?? doc()), facts))).toBe(row.expected);
  });
}

describe('bris de glace', () => {
  run([
    {
      name: 'unauthorized médecin with a justification',
      actor: bdg(),
      expected: 'ACCESS_GRANTED/emergency',
    },
    {
      name: 'unauthorized infirmier with a justification (any PS)',
      actor: bdg({ profession: '60', specialty: undefined }),
      expected: 'ACCESS_GRANTED/emergency',
    },
    {
      name: 'without justification',
      actor: bdg({ reason: undefined }),
      expected: 'ACCESS_EMERGENCY_JUSTIFICATION_REQUIRED',
    },
    {
      name: 'empty justification',
      actor: bdg({ reason: '' }),
      expected: 'ACCESS_EMERGENCY_JUSTIFICATION_REQUIRED',
    },
    {
      name: 'blank justification',
      actor: bdg({ reason: '  \n\t ' }),
      expected: 'ACCESS_EMERGENCY_JUSTIFICATION_REQUIRED',
    },
    {
      name: 'after the patient objected to bris de glace',
      actor: bdg(),
      record: objectedBdg,
      expected: 'ACCESS_EMERGENCY_OBJECTED',
    },
    {
      name: 'an objection to centre 15 only does not close bris de glace',
      actor: bdg(),
      record: objectedC15,
      expected: 'ACCESS_GRANTED/emergency',
    },
    {
      name: 'objection beats a normal authorization held in the background',
      actor: bdg({ idNatPs: PS.consented }),
      standing: CONSENT,
      record: objectedBdg,
      expected: 'ACCESS_EMERGENCY_OBJECTED',
    },
    {
      name: 'blocked professional in bris de glace',
      actor: bdg({ idNatPs: PS.blocked }),
      expected: 'ACCESS_BLOCKED',
    },
    {
      name: 'closed record in bris de glace',
      actor: bdg(),
      record: record({ status: 'closed' }),
      expected: 'ACCESS_RECORD_CLOSED',
    },
    {
      name: 'masked document in bris de glace',
      actor: bdg(),
      document: masked,
      expected: 'ACCESS_MASKED',
    },
    {
      name: 'masked document, author in bris de glace',
      actor: bdg({ idNatPs: PS.author }),
      document: masked,
      expected: 'ACCESS_GRANTED/emergency',
    },
    {
      name: 'masked document, médecin traitant in bris de glace',
      actor: bdg({ idNatPs: PS.mt }),
      document: masked,
      expected: 'ACCESS_GRANTED/emergency',
    },
    {
      name: 'matrix still applies (dentist, delivery report)',
      actor: bdg({ profession: '40', specialty: undefined }),
      document: doc({ typeCode: '15508-5' }),
      expected: 'ACCESS_MATRIX_DENIED',
    },
    {
      name: 'deleted document in bris de glace',
      actor: bdg(),
      document: doc({ status: 'deleted' }),
      expected: 'ACCESS_DELETED',
    },
  ]);
});

describe('centre 15', () => {
  run([
    { name: 'regulator médecin', actor: c15(), expected: 'ACCESS_GRANTED/emergency' },
    {
      name: 'regulator médecin needs no justification',
      actor: c15({ reason: undefined }),
      expected: 'ACCESS_GRANTED/emergency',
    },
    {
      name: 'médecin without the regulator flag',
      actor: c15({ regulator: undefined }),
      expected: 'ACCESS_CENTRE15_NOT_REGULATOR',
    },
    {
      name: 'médecin with regulator: false',
      actor: c15({ regulator: false }),
      expected: 'ACCESS_CENTRE15_NOT_REGULATOR',
    },
    {
      name: 'non-médecin (infirmier) flagged regulator',
      actor: c15({ profession: '60', specialty: undefined }),
      expected: 'ACCESS_CENTRE15_NOT_REGULATOR',
    },
    {
      name: 'non-médecin (sage-femme) without flag',
      actor: c15({ profession: '50', specialty: undefined, regulator: undefined }),
      expected: 'ACCESS_CENTRE15_NOT_REGULATOR',
    },
    {
      name: 'code 10 of another terminology (médecin en formation, TRE_G16)',
      actor: c15({ professionSystem: 'TRE_G16' }),
      expected: 'ACCESS_CENTRE15_NOT_REGULATOR',
    },
    {
      name: 'after the patient objected to centre 15',
      actor: c15(),
      record: objectedC15,
      expected: 'ACCESS_EMERGENCY_OBJECTED',
    },
    {
      name: 'an objection to bris de glace only does not close centre 15',
      actor: c15(),
      record: objectedBdg,
      expected: 'ACCESS_GRANTED/emergency',
    },
    { name: 'blocked regulator', actor: c15({ idNatPs: PS.blocked }), expected: 'ACCESS_BLOCKED' },
    { name: 'masked document', actor: c15(), document: masked, expected: 'ACCESS_MASKED' },
    {
      name: 'masked document, the regulator is the médecin traitant',
      actor: c15({ idNatPs: PS.mt }),
      document: masked,
      expected: 'ACCESS_GRANTED/emergency',
    },
    {
      name: 'closed record',
      actor: c15(),
      record: record({ status: 'closed' }),
      expected: 'ACCESS_RECORD_CLOSED',
    },
  ]);

  it('checks the caller before the patient’s objection (non-regulator after objection)', () => {
    expect(outcome(decide(c15({ profession: '60' }), read(), { record: objectedC15 }))).toBe(
      'ACCESS_CENTRE15_NOT_REGULATOR',
    );
  });
});

describe('emergency modes on other actions', () => {
  it.each([
    ['search, bris de glace', bdg(), record(), 'ACCESS_GRANTED/emergency'],
    ['search, bris de glace objected', bdg(), objectedBdg, 'ACCESS_EMERGENCY_OBJECTED'],
    [
      'search, bris de glace without reason',
      bdg({ reason: '' }),
      record(),
      'ACCESS_EMERGENCY_JUSTIFICATION_REQUIRED',
    ],
    ['search, centre 15', c15(), record(), 'ACCESS_GRANTED/emergency'],
    [
      'search, centre 15 by a pharmacien',
      c15({ profession: '21' }),
      record(),
      'ACCESS_CENTRE15_NOT_REGULATOR',
    ],
  ] as const)('%s → %s', (_name, actor, rec, expected) => {
    expect(
      outcome(decide(actor, { action: 'document.search' }, { record: rec, standing: NONE })),
    ).toBe(expected);
  });

  it('reads the medical profile in emergency, matrix applied', () => {
    expect(outcome(decide(bdg(), { action: 'profile.read' }))).toBe('ACCESS_GRANTED/emergency');
    expect(outcome(decide(bdg({ specialty: 'SM25' }), { action: 'profile.read' }))).toBe(
      'ACCESS_MATRIX_DENIED',
    );
  });

  it('needs no emergency condition to deposit (deposit needs no authorization)', () => {
    const deposit = {
      action: 'document.deposit',
      document: {
        typeCode: '34112-3',
        classCode: '10',
        authorIdNatPs: [PS.stranger],
        authorStructures: [],
        confidentiality: [],
      },
    } as const;
    expect(outcome(decide(bdg({ reason: '' }), deposit, { record: objectedBdg }))).toBe(
      'ACCESS_GRANTED/author',
    );
  });

  it('lets the TD0.2 status query through in any mode', () => {
    expect(outcome(decide(c15({ profession: '60' }), { action: 'record.status' }))).toBe(
      'ACCESS_GRANTED',
    );
  });
});
