import { describe, expect, it } from 'vitest';
import type { ProfessionalActor } from '../access/actor.ts';
import { nextAttemptAt } from './backoff.ts';
import { inboxOwnerOf, ownsNotification } from './inbox-access.ts';
import { renderMessage } from './messages.ts';
import { readPreferences } from './preferences.ts';
import { notificationOfTrace } from './triggers.ts';

const PRO: ProfessionalActor = {
  kind: 'professional',
  idNatPs: '899700366240',
  profession: '10',
  mode: 'normal',
};

describe('retry back-off', () => {
  const policy = { baseMs: 1000, maxMs: 5000, maxAttempts: 5 };
  const now = new Date(0);
  it('doubles the delay after each failure, capped, then gives up', () => {
    expect([1, 2, 3, 4].map((n) => nextAttemptAt(n, now, policy)?.getTime())).toEqual([
      1000, 2000, 4000, 5000,
    ]);
    expect(nextAttemptAt(5, now, policy)).toBeNull();
  });
});

describe('notifications that follow from a trace', () => {
  it('treats any successful action in an emergency mode as an emergency access', () => {
    const bdg = { ...PRO, mode: 'bris_de_glace' as const, reason: 'x' };
    expect(notificationOfTrace(bdg, 'p', { action: 'record.status', outcome: 'success' })).toEqual({
      type: 'emergency.access',
      patientId: 'p',
      actor: bdg,
    });
    expect(
      notificationOfTrace(bdg, 'p', { action: 'document.read', outcome: 'denied' }),
    ).toBeNull();
    expect(
      notificationOfTrace(PRO, 'p', { action: 'document.read', outcome: 'success' }),
    ).toBeNull();
  });
  it('notifies a successful closure', () => {
    expect(
      notificationOfTrace({ kind: 'operator', id: 'o' }, 'p', {
        action: 'record.close',
        outcome: 'success',
      })?.type,
    ).toBe('record.close');
    expect(
      notificationOfTrace({ kind: 'operator', id: 'o' }, 'p', {
        action: 'record.close',
        outcome: 'failure',
      }),
    ).toBeNull();
  });
});

describe('whose inbox a caller reads (whether they may: policy.records.test.ts)', () => {
  it('gives each caller only their own inbox', () => {
    expect(inboxOwnerOf({ kind: 'patient', ins: 'A' })).toEqual({
      recipientKind: 'patient',
      recipientId: 'A',
    });
    expect(inboxOwnerOf({ kind: 'representative', ins: 'A', id: 'r' })).toMatchObject({
      recipientKind: 'representative',
    });
    expect(inboxOwnerOf(PRO)).toEqual({
      recipientKind: 'medecin-traitant',
      recipientId: PRO.idNatPs,
    });
    expect(inboxOwnerOf({ kind: 'operator', id: 'o' })).toBeUndefined();
    const owner = { recipientKind: 'patient' as const, recipientId: 'A' };
    expect(ownsNotification(owner, { recipient_kind: 'patient', recipient_id: 'A' })).toBe(true);
    expect(ownsNotification(owner, { recipient_kind: 'representative', recipient_id: 'A' })).toBe(
      false,
    );
  });
});

describe('preferences', () => {
  it('reads a complete body and applies defaults', () => {
    expect(readPreferences({})).toEqual({
      ok: true,
      value: { channels: ['inbox'], email: null, muted: [] },
    });
    expect(
      readPreferences({
        channels: ['email', 'inbox'],
        email: ' a@b.fr ',
        muted: ['document', 'document'],
      }),
    ).toEqual({
      ok: true,
      value: { channels: ['email', 'inbox'], email: 'a@b.fr', muted: ['document'] },
    });
  });
  it('refuses what it cannot honour, with stable codes', () => {
    const codes = (b: unknown) => {
      const r = readPreferences(b);
      return r.ok ? [] : r.error.map((i) => i.code);
    };
    expect(codes([])).toEqual(['NOTIF_PREFERENCES_INVALID']);
    expect(codes({ channels: [] })).toEqual(['NOTIF_CHANNELS_INVALID']);
    expect(codes({ channels: ['sms'] })).toEqual(['NOTIF_CHANNELS_INVALID']);
    expect(codes({ channels: ['email'] })).toEqual(['NOTIF_EMAIL_REQUIRED']);
    expect(codes({ email: 'not an address' })).toEqual(['NOTIF_EMAIL_INVALID']);
    expect(codes({ muted: ['emergency'] })).toEqual(['NOTIF_MUTED_INVALID']);
    expect(codes({ phone: '06' })).toEqual(['NOTIF_PREFERENCES_FIELD']);
  });
});

describe('messages', () => {
  const at = new Date('2026-03-01T10:30:00Z');
  it('names the professional in the portal but identifies nobody in an e-mail', () => {
    const ctx = {
      eventType: 'emergency.access',
      recipientKind: 'patient' as const,
      payload: { mode: 'bris_de_glace', actorId: '810001000016' },
      at,
      actorName: 'Dr Anne CARDIO',
    };
    expect(renderMessage(ctx, true).text).toContain(
      'Dr Anne CARDIO a accédé à votre dossier médical partagé en mode bris de glace le 1 mars 2026 à 11:30',
    );
    const mail = renderMessage(ctx, false);
    expect(mail.text).not.toContain('CARDIO');
    expect(mail.text).toContain('Connectez-vous');
    expect(renderMessage({ ...ctx, recipientKind: 'medecin-traitant' }, false).subject).toBe(
      'Accès en urgence au dossier d’un de vos patients',
    );
  });
});
