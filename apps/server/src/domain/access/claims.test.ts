import { describe, expect, it } from 'vitest';
import { actorFromClaims, claimsFromActor, isRegulator } from './claims.ts';
import type { Actor } from './actor.ts';

const INS = '180017512345698';

const PRO = {
  kind: 'professional',
  idNatPs: '899700366240',
  profession: '10',
  specialty: 'SM26',
  structure: '1750300000',
  sector: 'SA07',
  mode: 'normal',
};

/** A Pro Santé Connect userinfo-shaped claim set (from the ANS bac-à-sable examples). */
const PSC = {
  sub: 'f:550dc1c8-d97b-4b1e-ac8c-8eb4471cf9dd:899700427885',
  preferred_username: '899700427885',
  SubjectNameID: '899700427885',
  SubjectRole: ['10^1.2.250.1.213.1.1.5.5'],
  Secteur_Activite: 'SA07^1.2.250.1.71.4.2.4',
  SubjectOrganizationID: 'R102671',
  given_name: 'KIT',
  family_name: 'DOC0042788',
  Mode_Acces_Raison: '',
  Acces_Regulation_Medicale: 'FAUX',
  SubjectRefPro: { exercices: [{ codeProfession: '10', codeSavoirFaire: 'SM26' }] },
};

describe('actorFromClaims: accepted', () => {
  const cases: { name: string; claims: Record<string, unknown>; actor: Actor }[] = [
    {
      name: 'professional, product.md §3 body',
      claims: PRO,
      actor: { ...PRO, kind: 'professional', mode: 'normal' },
    },
    {
      name: 'professional without mode defaults to normal',
      claims: { kind: 'professional', idNatPs: '899700366240', profession: '21' },
      actor: { kind: 'professional', idNatPs: '899700366240', profession: '21', mode: 'normal' },
    },
    {
      name: 'professional bris_de_glace with reason, for one record',
      claims: { ...PRO, mode: 'bris_de_glace', reason: ' Patient unconscious ', ins: INS },
      actor: {
        ...PRO,
        kind: 'professional',
        mode: 'bris_de_glace',
        reason: 'Patient unconscious',
        emergencyIns: INS,
      },
    },
    {
      name: 'SAMU regulator in centre_15, for one record',
      claims: { ...PRO, mode: 'centre_15', regulator: true, ins: INS },
      actor: {
        ...PRO,
        kind: 'professional',
        mode: 'centre_15',
        regulator: true,
        emergencyIns: INS,
      },
    },
    {
      name: 'a record named in normal mode binds nothing',
      claims: { ...PRO, ins: INS },
      actor: { ...PRO, kind: 'professional', mode: 'normal' },
    },
    {
      name: 'social profession (TRE_R94)',
      claims: {
        kind: 'professional',
        idNatPs: '899700000001',
        profession: '41',
        professionSystem: 'TRE_R94',
      },
      actor: {
        kind: 'professional',
        idNatPs: '899700000001',
        profession: '41',
        professionSystem: 'TRE_R94',
        mode: 'normal',
      },
    },
    {
      name: 'explicit TRE_G15 profession system is dropped',
      claims: { ...PRO, professionSystem: 'TRE_G15' },
      actor: { ...PRO, kind: 'professional', mode: 'normal' },
    },
    {
      name: 'regulator false is dropped',
      claims: { ...PRO, regulator: false },
      actor: { ...PRO, kind: 'professional', mode: 'normal' },
    },
    {
      name: 'empty optional claims are dropped',
      claims: { ...PRO, specialty: '', structure: null, sector: '  ' },
      actor: { kind: 'professional', idNatPs: '899700366240', profession: '10', mode: 'normal' },
    },
    {
      name: 'patient',
      claims: { kind: 'patient', ins: '255081416802538' },
      actor: { kind: 'patient', ins: '255081416802538' },
    },
    {
      name: 'representative with name; professional claims ignored',
      claims: { kind: 'representative', ins: '255081416802538', name: 'Marie Durand', mode: 'x' },
      actor: { kind: 'representative', ins: '255081416802538', name: 'Marie Durand' },
    },
    {
      name: 'representative with their own identifier (issue 17 rule 1)',
      claims: { kind: 'representative', ins: '255081416802538', id: '284067505600131' },
      actor: { kind: 'representative', ins: '255081416802538', id: '284067505600131' },
    },
    {
      name: 'professional in connexion secrète (issue 17 rule 2)',
      claims: { ...PRO, secret: true },
      actor: { ...PRO, kind: 'professional', mode: 'normal', secret: true },
    },
    {
      name: 'professional with secret false',
      claims: { ...PRO, secret: false },
      actor: { ...PRO, kind: 'professional', mode: 'normal' },
    },
    {
      name: 'operator',
      claims: { kind: 'operator', id: 'cnam-ops-1' },
      actor: { kind: 'operator', id: 'cnam-ops-1' },
    },
    {
      name: 'Pro Santé Connect, normal mode',
      claims: PSC,
      actor: {
        kind: 'professional',
        idNatPs: '899700427885',
        profession: '10',
        specialty: 'SM26',
        structure: 'R102671',
        sector: 'SA07',
        mode: 'normal',
        name: 'KIT DOC0042788',
      },
    },
    {
      name: 'Pro Santé Connect, regulation allowed: the mode stays normal until declared (issue 17 rule 7)',
      claims: { ...PSC, Acces_Regulation_Medicale: 'VRAI' },
      actor: {
        kind: 'professional',
        idNatPs: '899700427885',
        profession: '10',
        specialty: 'SM26',
        structure: 'R102671',
        sector: 'SA07',
        mode: 'normal',
        regulator: true,
        name: 'KIT DOC0042788',
      },
    },
    {
      name: 'Pro Santé Connect, regulation declared for one access',
      claims: { ...PSC, Acces_Regulation_Medicale: 'VRAI', mode: 'centre_15', ins: INS },
      actor: {
        kind: 'professional',
        idNatPs: '899700427885',
        profession: '10',
        specialty: 'SM26',
        structure: 'R102671',
        sector: 'SA07',
        mode: 'centre_15',
        regulator: true,
        name: 'KIT DOC0042788',
        emergencyIns: INS,
      },
    },
    {
      name: 'Pro Santé Connect, reason → bris_de_glace, for one record',
      claims: { ...PSC, Mode_Acces_Raison: 'Urgence vitale', ins: INS },
      actor: {
        kind: 'professional',
        idNatPs: '899700427885',
        profession: '10',
        specialty: 'SM26',
        structure: 'R102671',
        sector: 'SA07',
        mode: 'bris_de_glace',
        reason: 'Urgence vitale',
        name: 'KIT DOC0042788',
        emergencyIns: INS,
      },
    },
    {
      name: 'Pro Santé Connect, minimal: preferred_username + role without OID',
      claims: { preferred_username: '810000000001', SubjectRole: '60' },
      actor: { kind: 'professional', idNatPs: '810000000001', profession: '60', mode: 'normal' },
    },
    {
      name: 'Pro Santé Connect, psychologue (TRE_R95 OID)',
      claims: { SubjectNameID: '810000000002', SubjectRole: ['93^1.2.250.1.213.1.6.1.109'] },
      actor: {
        kind: 'professional',
        idNatPs: '810000000002',
        profession: '93',
        professionSystem: 'TRE_R95',
        mode: 'normal',
      },
    },
    {
      name: 'Pro Santé Connect, médecin en formation (TRE_G16 OID); unknown OIDs skipped',
      claims: {
        SubjectNameID: '810000000003',
        SubjectRole: ['99^1.2.250.1.213.1.6.1.140', '10^1.2.250.1.71.1.2.8'],
      },
      actor: {
        kind: 'professional',
        idNatPs: '810000000003',
        profession: '10',
        professionSystem: 'TRE_G16',
        mode: 'normal',
      },
    },
    {
      name: 'Pro Santé Connect, profession from SubjectRefPro, specialty from SubjectRole',
      claims: {
        SubjectNameID: '899700427885',
        SubjectRole: ['SM26^1.2.250.1.213.1.1.5.5'],
        SubjectRefPro: { exercices: [{ codeProfession: '10' }] },
      },
      actor: {
        kind: 'professional',
        idNatPs: '899700427885',
        profession: '10',
        specialty: 'SM26',
        mode: 'normal',
      },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(actorFromClaims(c.claims)).toEqual({ ok: true, value: c.actor });
    });
  }
});

describe('actorFromClaims: refused', () => {
  const cases: { name: string; claims: Record<string, unknown>; code: string; at: string }[] = [
    { name: 'unknown kind', claims: { kind: 'admin' }, code: 'AUTH_CLAIMS_INVALID', at: 'kind' },
    { name: 'kind not a string', claims: { kind: 1 }, code: 'AUTH_CLAIMS_INVALID', at: 'kind' },
    {
      name: 'professional without idNatPs',
      claims: { kind: 'professional', profession: '10' },
      code: 'AUTH_CLAIMS_INVALID',
      at: 'idNatPs',
    },
    {
      name: 'professional without profession',
      claims: { kind: 'professional', idNatPs: '899700366240' },
      code: 'AUTH_CLAIMS_INVALID',
      at: 'profession',
    },
    {
      name: 'professional with blank profession',
      claims: { ...PRO, profession: '   ' },
      code: 'AUTH_CLAIMS_INVALID',
      at: 'profession',
    },
    {
      name: 'unknown mode',
      claims: { ...PRO, mode: 'urgence' },
      code: 'AUTH_CLAIMS_INVALID',
      at: 'mode',
    },
    {
      name: 'bris_de_glace without reason',
      claims: { ...PRO, mode: 'bris_de_glace' },
      code: 'AUTH_JUSTIFICATION_REQUIRED',
      at: 'reason',
    },
    {
      name: 'bris_de_glace with blank reason',
      claims: { ...PRO, mode: 'bris_de_glace', reason: '  ' },
      code: 'AUTH_JUSTIFICATION_REQUIRED',
      at: 'reason',
    },
    {
      name: 'unknown profession system',
      claims: { ...PRO, professionSystem: 'TRE_X' },
      code: 'AUTH_CLAIMS_INVALID',
      at: 'professionSystem',
    },
    {
      name: 'regulator not a boolean',
      claims: { ...PRO, regulator: 'yes' },
      code: 'AUTH_CLAIMS_INVALID',
      at: 'regulator',
    },
    {
      name: 'idNatPs not a string',
      claims: { ...PRO, idNatPs: 899700366240 },
      code: 'AUTH_CLAIMS_INVALID',
      at: 'idNatPs',
    },
    {
      name: 'overlong reason',
      claims: { ...PRO, mode: 'bris_de_glace', reason: 'x'.repeat(1001) },
      code: 'AUTH_CLAIMS_INVALID',
      at: 'reason',
    },
    {
      name: 'patient without ins',
      claims: { kind: 'patient' },
      code: 'AUTH_CLAIMS_INVALID',
      at: 'ins',
    },
    {
      name: 'secret not a boolean',
      claims: { ...PRO, secret: 'true' },
      code: 'AUTH_CLAIMS_INVALID',
      at: 'secret',
    },
    {
      name: 'representative id not a string',
      claims: { kind: 'representative', ins: '255081416802538', id: 42 },
      code: 'AUTH_CLAIMS_INVALID',
      at: 'id',
    },
    {
      name: 'representative without ins',
      claims: { kind: 'representative', name: 'X' },
      code: 'AUTH_CLAIMS_INVALID',
      at: 'ins',
    },
    {
      name: 'operator without id',
      claims: { kind: 'operator' },
      code: 'AUTH_CLAIMS_INVALID',
      at: 'id',
    },
    {
      name: 'no kind, no PSC subject',
      claims: { sub: 'x' },
      code: 'AUTH_CLAIMS_INVALID',
      at: 'kind',
    },
    {
      name: 'PSC without profession',
      claims: { SubjectNameID: '899700427885', SubjectRole: ['SM26^1.2.250.1.213.1.1.5.5'] },
      code: 'AUTH_CLAIMS_INVALID',
      at: 'SubjectRole',
    },
    {
      name: 'PSC explicit bris_de_glace without reason',
      claims: { ...PSC, mode: 'bris_de_glace' },
      code: 'AUTH_JUSTIFICATION_REQUIRED',
      at: 'reason',
    },
    {
      name: 'bris_de_glace naming no record (an open emergency pass)',
      claims: { ...PRO, mode: 'bris_de_glace', reason: 'coma' },
      code: 'AUTH_EMERGENCY_RECORD_REQUIRED',
      at: 'ins',
    },
    {
      name: 'centre_15 naming no record',
      claims: { ...PRO, mode: 'centre_15', regulator: true },
      code: 'AUTH_EMERGENCY_RECORD_REQUIRED',
      at: 'ins',
    },
    {
      name: 'PSC justification naming no record',
      claims: { ...PSC, Mode_Acces_Raison: 'Urgence vitale' },
      code: 'AUTH_EMERGENCY_RECORD_REQUIRED',
      at: 'ins',
    },
    {
      name: 'the record of an emergency mode not a string',
      claims: { ...PRO, mode: 'bris_de_glace', reason: 'coma', ins: 180017512345698 },
      code: 'AUTH_CLAIMS_INVALID',
      at: 'ins',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const result = actorFromClaims(c.claims);
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.error.code).toBe(c.code);
        expect(result.error.location).toEqual([c.at]);
      }
    });
  }
});

describe('claimsFromActor', () => {
  it('round-trips through actorFromClaims', () => {
    const bodies: Record<string, unknown>[] = [
      { ...PRO, mode: 'bris_de_glace', reason: 'coma', regulator: true, name: 'Dr X', ins: INS },
      { kind: 'patient', ins: '255081416802538' },
      { kind: 'representative', ins: '255081416802538', name: 'Marie' },
      { kind: 'representative', ins: '255081416802538', id: '284067505600131', name: 'Marie' },
      { ...PRO, secret: true },
      { kind: 'operator', id: 'ops' },
    ];
    for (const body of bodies) {
      const first = actorFromClaims(body);
      expect(first.ok).toBe(true);
      if (first.ok) {
        expect(actorFromClaims(claimsFromActor(first.value))).toEqual(first);
      }
    }
  });
});

describe('isRegulator', () => {
  it('is true only for a flagged professional', () => {
    const flagged = actorFromClaims({ ...PRO, regulator: true });
    const plain = actorFromClaims(PRO);
    expect(flagged.ok && isRegulator(flagged.value)).toBe(true);
    expect(plain.ok && isRegulator(plain.value)).toBe(false);
    expect(isRegulator({ kind: 'operator', id: 'x' })).toBe(false);
  });
});
