import { describe, expect, it } from 'vitest';
import type { ProfessionalActor } from '../access/actor.ts';
import type { NotificationFacts } from './plan.ts';
import { planNotifications } from './plan.ts';
import { DEFAULT_PREFERENCE } from './model.ts';

const INS = '158037505610143';
const NOW = new Date('2026-03-01T10:00:00Z');
const GP: ProfessionalActor = {
  kind: 'professional',
  idNatPs: '899700366240',
  profession: '10',
  mode: 'normal',
};
const EMERGENCY: ProfessionalActor = {
  ...GP,
  idNatPs: '810001000016',
  mode: 'bris_de_glace',
  reason: 'inconscient',
};

function facts(over: Partial<NotificationFacts>): NotificationFacts {
  return {
    type: 'document.deposit',
    ins: INS,
    actor: GP,
    now: NOW,
    hasRepresentatives: false,
    preferences: { patient: DEFAULT_PREFERENCE, representative: DEFAULT_PREFERENCE },
    ...over,
  };
}

const summary = (f: NotificationFacts): string[] =>
  planNotifications(f).map((p) => `${p.recipientKind}:${p.channel}`);

describe('planNotifications', () => {
  it('tells the representatives nothing a professional did in connexion secrète; the patient as usual (issue 17 rule 2)', () => {
    const secret: ProfessionalActor = { ...GP, secret: true };
    const doc = { id: 'd', confidentiality: ['N'], status: 'current' } as const;
    expect(summary(facts({ hasRepresentatives: true, document: doc }))).toEqual([
      'patient:inbox',
      'representative:inbox',
    ]);
    expect(summary(facts({ hasRepresentatives: true, actor: secret, document: doc }))).toEqual([
      'patient:inbox',
    ]);
    expect(
      summary(
        facts({
          type: 'emergency.access',
          hasRepresentatives: true,
          actor: { ...EMERGENCY, secret: true },
        }),
      ),
    ).toEqual(['patient:inbox']);
  });

  it('announces a new document to the patient on the inbox by default, once per document', () => {
    const plan = planNotifications(
      facts({ document: { id: 'd1', confidentiality: ['N'], status: 'current' } }),
    );
    expect(plan).toEqual([
      expect.objectContaining({
        eventType: 'document.deposit',
        recipientKind: 'patient',
        recipientId: INS,
        channel: 'inbox',
        dedupeKey: `document:d1|patient|${INS}|inbox`,
        payload: { documentId: 'd1' },
      }),
    ]);
  });

  it('does not announce a document while INVISIBLE_PATIENT hides it, and never to representatives an INVISIBLE_REPRESENTANTS_LEGAUX one', () => {
    expect(
      summary(
        facts({ document: { id: 'd', confidentiality: ['INVISIBLE_PATIENT'], status: 'current' } }),
      ),
    ).toEqual([]);
    expect(
      summary(
        facts({
          hasRepresentatives: true,
          document: {
            id: 'd',
            confidentiality: ['INVISIBLE_REPRESENTANTS_LEGAUX'],
            status: 'current',
          },
        }),
      ),
    ).toEqual(['patient:inbox']);
    expect(
      summary(
        facts({
          type: 'document.available',
          document: { id: 'd', confidentiality: ['INVISIBLE_PATIENT'], status: 'current' },
        }),
      ),
    ).toEqual(['patient:inbox']);
  });

  it('does not tell the patient about a document they deposited themselves', () => {
    const doc = { id: 'd', confidentiality: ['N'], status: 'current', depositorKind: 'patient' };
    expect(
      summary(
        facts({ actor: { kind: 'patient', ins: INS }, hasRepresentatives: true, document: doc }),
      ),
    ).toEqual(['representative:inbox']);
  });

  it('notifies an emergency access to the patient, representatives and médecin traitant whatever their preferences', () => {
    const muted = {
      channels: ['email'] as const,
      hasEmail: true,
      muted: ['document', 'authorization', 'block', 'record'] as const,
    };
    const plan = planNotifications(
      facts({
        type: 'emergency.access',
        actor: EMERGENCY,
        hasRepresentatives: true,
        medecinTraitant: { idNatPs: '810001000008', hasEmail: false },
        preferences: {
          patient: { ...muted, channels: ['email'], muted: [...muted.muted] },
          representative: DEFAULT_PREFERENCE,
        },
      }),
    );
    expect(plan.map((p) => `${p.recipientKind}:${p.channel}:${p.priority}`)).toEqual([
      'patient:inbox:urgent',
      'patient:email:urgent',
      'representative:inbox:urgent',
      'medecin-traitant:inbox:urgent',
    ]);
    expect(plan[0]?.dedupeKey).toBe(
      `emergency:810001000016:bris_de_glace:2026-03-01|patient|${INS}|inbox`,
    );
    expect(plan[0]?.payload).toMatchObject({ actorId: '810001000016', mode: 'bris_de_glace' });
  });

  it('does not notify the médecin traitant of their own emergency access, nor anyone of a normal access', () => {
    const mt = { idNatPs: EMERGENCY.idNatPs, hasEmail: true };
    expect(
      summary(facts({ type: 'emergency.access', actor: EMERGENCY, medecinTraitant: mt })),
    ).toEqual(['patient:inbox']);
    expect(summary(facts({ type: 'emergency.access', actor: GP }))).toEqual([]);
  });

  it('applies channel preferences and muted categories to authorizations, blocks and closures', () => {
    const consent = {
      id: 'c1',
      kind: 'authorization',
      actorKind: 'professional',
      actorId: GP.idNatPs,
    };
    const both = { channels: ['inbox', 'email'] as const, hasEmail: true, muted: [] };
    const prefs = {
      patient: { ...both, channels: [...both.channels] },
      representative: DEFAULT_PREFERENCE,
    };
    expect(summary(facts({ type: 'consent.authorization', consent, preferences: prefs }))).toEqual([
      'patient:inbox',
      'patient:email',
    ]);
    const noAddress = {
      patient: {
        channels: ['inbox', 'email'] as ('inbox' | 'email')[],
        hasEmail: false,
        muted: [],
      },
      representative: DEFAULT_PREFERENCE,
    };
    expect(
      summary(facts({ type: 'consent.authorization', consent, preferences: noAddress })),
    ).toEqual(['patient:inbox']);
    const muted = {
      patient: { ...DEFAULT_PREFERENCE, muted: ['authorization' as const] },
      representative: DEFAULT_PREFERENCE,
    };
    expect(
      summary(facts({ type: 'consent.authorization.end', consent, preferences: muted })),
    ).toEqual([]);
    expect(summary(facts({ type: 'consent.block', consent }))).toEqual([]); // not a block consent
    expect(
      summary(facts({ type: 'consent.block', consent: { ...consent, kind: 'block' } })),
    ).toEqual(['patient:inbox']);
    expect(summary(facts({ type: 'record.close', closureReason: 'holder-request' }))).toEqual([
      'patient:inbox',
    ]);
    expect(summary(facts({ type: 'record.close', closureReason: 'death' }))).toEqual([]);
  });

  it('sends the two-week notice whatever the preferences, without the document id', () => {
    const muted = {
      patient: { ...DEFAULT_PREFERENCE, muted: ['document' as const] },
      representative: DEFAULT_PREFERENCE,
    };
    const plan = planNotifications(
      facts({
        type: 'document.pending-notice',
        preferences: muted,
        document: { id: 'd', confidentiality: ['INVISIBLE_PATIENT'], status: 'current' },
      }),
    );
    expect(plan.map((p) => [p.recipientKind, p.channel, p.payload])).toEqual([
      ['patient', 'inbox', {}],
    ]);
  });

  it('ignores unknown event types', () => {
    expect(planNotifications(facts({ type: 'document.search' }))).toEqual([]);
  });
});

describe('MASQUE_PS changed by a professional (N7, issue 17 rule 4)', () => {
  const masked = { id: 'd', confidentiality: ['N', 'MASQUE_PS'], status: 'current' };
  it('tells the patient and the representatives who masked which document', () => {
    const plan = planNotifications(
      facts({ type: 'document.masked', hasRepresentatives: true, document: masked }),
    );
    expect(plan.map((p) => `${p.recipientKind}:${p.channel}`)).toEqual([
      'patient:inbox',
      'representative:inbox',
    ]);
    expect(plan[0]?.payload).toEqual({
      documentId: 'd',
      change: 'masked',
      at: NOW.toISOString(),
      actorKind: 'professional',
      actorId: GP.idNatPs,
      actorStructure: null,
    });
  });

  it('notifies each change (mask then unmask), and nothing when the holder side made it', () => {
    const unmask = planNotifications(
      facts({ type: 'document.unmasked', document: { ...masked, confidentiality: ['N'] } }),
    );
    const mask = planNotifications(facts({ type: 'document.masked', document: masked }));
    expect(unmask[0]?.payload['change']).toBe('unmasked');
    expect(unmask[0]?.dedupeKey).not.toBe(mask[0]?.dedupeKey);
    expect(
      summary(
        facts({ type: 'document.masked', actor: { kind: 'patient', ins: INS }, document: masked }),
      ),
    ).toEqual([]);
  });

  it('says nothing of a document still invisible to the patient, nor to representatives of a hidden one', () => {
    expect(
      summary(
        facts({
          type: 'document.masked',
          document: { ...masked, confidentiality: ['N', 'MASQUE_PS', 'INVISIBLE_PATIENT'] },
        }),
      ),
    ).toEqual([]);
    expect(
      summary(
        facts({
          type: 'document.masked',
          hasRepresentatives: true,
          document: {
            ...masked,
            confidentiality: ['N', 'MASQUE_PS', 'INVISIBLE_REPRESENTANTS_LEGAUX'],
          },
        }),
      ),
    ).toEqual(['patient:inbox']);
  });
});
