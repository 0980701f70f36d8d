/**
 * explainDocumentAudience and describeProfessionalStanding are derived from decideAccess: these tests check
 * both the answers and that they agree with the policy.
 */
import { describe, expect, it } from 'vitest';
import {
  describeProfessionalStanding,
  explainDocumentAudience,
  type AudienceInput,
  type AudienceProfessional,
} from './audience.ts';
import type { DocumentFacts, RecordFacts } from './facts.ts';
import {
  CONSENT,
  decide,
  doc,
  INS,
  MATRIX,
  NOW,
  outcome,
  pro,
  PS,
  read,
  record,
  STRUCT,
} from './policy.fixtures.ts';

const known: readonly AudienceProfessional[] = [
  {
    idNatPs: PS.author,
    profession: '10',
    structure: STRUCT.hospital,
    name: 'Dr Author',
    standing: CONSENT,
  },
  {
    idNatPs: PS.mt,
    profession: '10',
    specialty: 'SM26',
    name: 'Dr Traitant',
    standing: { kind: 'none' },
  },
  { idNatPs: PS.consented, profession: '40', name: 'Dr Dentiste', standing: CONSENT },
  { idNatPs: PS.blocked, profession: '10', standing: CONSENT },
];

function input(
  document: DocumentFacts,
  rec: RecordFacts = record(),
  now: Date = NOW,
): AudienceInput {
  return {
    ins: INS,
    record: rec,
    document,
    matrix: MATRIX,
    now,
    professionals: known,
    careTeams: [
      { structure: STRUCT.hospital, patientObjected: false },
      { structure: STRUCT.clinic, patientObjected: true },
    ],
  };
}

const byId = (audience: ReturnType<typeof explainDocumentAudience>): Record<string, string> =>
  Object.fromEntries(audience.professionals.map((p) => [p.idNatPs, outcome(p.decision)]));

describe('explainDocumentAudience', () => {
  it('lists who can read a plain report, by the enforced rules', () => {
    const audience = explainDocumentAudience(input(doc()));
    expect(byId(audience)).toEqual({
      [PS.author]: 'ACCESS_GRANTED/author',
      [PS.mt]: 'ACCESS_GRANTED/medecin-traitant',
      [PS.consented]: 'ACCESS_GRANTED/consent',
      [PS.blocked]: 'ACCESS_BLOCKED',
    });
    const hospital = audience.careTeams.find((t) => t.structure === STRUCT.hospital);
    const clinic = audience.careTeams.find((t) => t.structure === STRUCT.clinic);
    expect(hospital?.professions.map((p) => p.profession)).toContain('60');
    expect(hospital?.professions.map((p) => p.profession)).not.toContain('36');
    expect(clinic?.professions).toEqual([]);
    expect(audience.professions.find((p) => p.profession === '10' && !p.specialty)?.allowed).toBe(
      true,
    );
    expect(audience.professions.find((p) => p.specialty === 'SM25')?.allowed).toBe(false);
    expect(audience.emergency.bris_de_glace.possible).toBe(true);
    expect(audience.emergency.centre_15.possible).toBe(true);
    expect(audience.emergency.centre_15.professions.every((p) => p.profession === '10')).toBe(true);
    expect(audience.patient).toBe(true);
    expect(audience.representatives).toBe(true);
  });

  it('shows a masked document open to the author and the médecin traitant only, emergencies included', () => {
    const audience = explainDocumentAudience(input(doc({ confidentiality: ['MASQUE_PS'] })));
    expect(byId(audience)).toEqual({
      [PS.author]: 'ACCESS_GRANTED/author',
      [PS.mt]: 'ACCESS_GRANTED/medecin-traitant',
      [PS.consented]: 'ACCESS_MASKED',
      [PS.blocked]: 'ACCESS_BLOCKED',
    });
    expect(audience.professions.every((p) => !p.allowed)).toBe(true);
    expect(audience.careTeams.every((t) => t.professions.length === 0)).toBe(true);
    expect(audience.emergency.bris_de_glace).toMatchObject({
      possible: false,
      reason: 'ACCESS_MASKED',
    });
    expect(audience.emergency.centre_15).toMatchObject({
      possible: false,
      reason: 'ACCESS_MASKED',
    });
    expect(audience.patient).toBe(true);
  });

  it('shows the dentist excluded from a delivery report', () => {
    const audience = explainDocumentAudience(input(doc({ typeCode: '15508-5' })));
    expect(byId(audience)[PS.consented]).toBe('ACCESS_MATRIX_DENIED');
    expect(audience.professions.find((p) => p.profession === '40')?.allowed).toBe(false);
    expect(audience.professions.find((p) => p.profession === '80')?.allowed).toBe(false);
    expect(audience.professions.find((p) => p.profession === '50')?.allowed).toBe(true);
  });

  it('reports emergency access closed by the patient’s objections', () => {
    const objected = record({ emergencyObjections: { bris_de_glace: true, centre_15: true } });
    const audience = explainDocumentAudience(input(doc(), objected));
    expect(audience.emergency.bris_de_glace).toEqual({
      possible: false,
      professions: [],
      reason: 'ACCESS_EMERGENCY_OBJECTED',
    });
    expect(audience.emergency.centre_15.reason).toBe('ACCESS_EMERGENCY_OBJECTED');
  });

  it('tells whether the patient and the representatives see it', () => {
    const young = doc({
      confidentiality: ['INVISIBLE_PATIENT'],
      depositedAt: new Date('2025-03-10T00:00:00Z'),
    });
    expect(explainDocumentAudience(input(young))).toMatchObject({
      patient: false,
      representatives: false,
    });
    const minorsSecret = doc({ confidentiality: ['INVISIBLE_REPRESENTANTS_LEGAUX'] });
    expect(explainDocumentAudience(input(minorsSecret, record({ isMinor: true })))).toMatchObject({
      patient: true,
      representatives: false,
    });
  });

  it('agrees with decideAccess for every listed professional', () => {
    const documents = [
      doc(),
      doc({ confidentiality: ['MASQUE_PS'] }),
      doc({ typeCode: '15508-5' }),
      doc({ status: 'deleted' }),
    ];
    for (const document of documents) {
      const audience = explainDocumentAudience(input(document));
      for (const p of known) {
        const actor = pro({
          idNatPs: p.idNatPs,
          profession: p.profession,
          specialty: p.specialty,
          structure: p.structure,
        });
        const direct = decide(actor, read(document), { standing: p.standing });
        expect(audience.professionals.find((a) => a.idNatPs === p.idNatPs)?.decision).toEqual(
          direct,
        );
      }
    }
  });

  it('shows nobody at all on a closed record', () => {
    const audience = explainDocumentAudience(input(doc(), record({ status: 'closed' })));
    expect(audience.professionals.every((p) => !p.decision.allow)).toBe(true);
    expect(audience.professions.every((p) => !p.allowed)).toBe(true);
    expect(audience.patient).toBe(false);
  });
});

describe('describeProfessionalStanding (TD0.2)', () => {
  const ctx = (actor = pro(), rec: RecordFacts | undefined = record(), standing = CONSENT) => ({
    actor,
    ins: INS,
    record: rec,
    standing,
    matrix: MATRIX,
    now: NOW,
  });

  it('authorized by consent, emergency modes open', () => {
    const s = describeProfessionalStanding(ctx(pro({ regulator: true })));
    expect(s).toMatchObject({
      recordExists: true,
      recordStatus: 'active',
      blocked: false,
      medecinTraitant: false,
      authorized: true,
      via: 'consent',
      emergency: { bris_de_glace: true, centre_15: true },
    });
  });

  it('médecin traitant without consent', () => {
    const s = describeProfessionalStanding(
      ctx(pro({ idNatPs: PS.mt }), record(), { kind: 'none' }),
    );
    expect(s).toMatchObject({ authorized: true, via: 'medecin-traitant', medecinTraitant: true });
    expect(s.emergency.centre_15).toBe(false);
  });

  it('blocked professional, even with a consent: nothing open', () => {
    const s = describeProfessionalStanding(ctx(pro({ idNatPs: PS.blocked })));
    expect(s).toMatchObject({
      blocked: true,
      authorized: false,
      emergency: { bris_de_glace: false, centre_15: false },
    });
    expect(s.decision.allow ? '' : s.decision.reason).toBe('ACCESS_BLOCKED');
  });

  it('unauthorized professional, patient objected to bris de glace', () => {
    const rec = record({ emergencyObjections: { bris_de_glace: true, centre_15: false } });
    const s = describeProfessionalStanding(
      ctx(pro({ idNatPs: PS.stranger }), rec, { kind: 'none' }),
    );
    expect(s).toMatchObject({
      authorized: false,
      emergency: { bris_de_glace: false, centre_15: false },
    });
  });

  it('no record', () => {
    const s = describeProfessionalStanding({ ...ctx(), record: undefined });
    expect(s).toMatchObject({ recordExists: false, authorized: false });
    expect(s.recordStatus).toBeUndefined();
  });
});
