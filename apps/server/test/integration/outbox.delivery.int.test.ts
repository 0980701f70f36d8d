import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultJobs, runJobNow } from '../../src/jobs/scheduler.ts';
import { purgeDueRecords } from '../../src/services/records.ts';
import { deliverDueNotifications } from '../../src/services/notifications/deliver.ts';
import { createSmtpMailer } from '../../src/services/notifications/mailer.ts';
import { loadNotificationSettings } from '../../src/services/notifications/settings.ts';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp, OPERATOR } from '../helpers/app.ts';
import { startSmtpServer } from '../helpers/smtp.ts';
import { auth, consentBody, createRecord, postConsent } from './notifications.fixtures.ts';

describe('outbox delivery', () => {
  let t: TestApp;
  let operator: string;

  beforeAll(async () => {
    t = await buildTestApp();
    operator = await t.token(OPERATOR);
  });
  afterAll(async () => {
    await t.close();
  });

  /** A record whose holder wants e-mails; returns its id and a function adding one notification per call. */
  async function emailRecord(nir: string, birth: string, sex = 'male') {
    const patientId = await createRecord(t, operator, nir, birth, sex);
    const patient = await t.token({ kind: 'patient', ins: nir });
    await t.app.inject({
      method: 'PUT',
      url: '/portal-api/notification-preferences',
      headers: auth(patient),
      payload: { channels: ['email'], email: `${nir}@example.org` },
    });
    let n = 0;
    return {
      patientId,
      patient,
      add: async () =>
        postConsent(t, patient, consentBody(nir, 'permit', `8100020${String(10000 + n++)}`)),
    };
  }

  async function outboxOf(patientId: string) {
    return t.db.owner<
      {
        id: string;
        status: string;
        attempts: number;
        next_attempt_at: Date;
        last_error: string | null;
      }[]
    >`
      SELECT id, status, attempts, next_attempt_at, last_error FROM outbox WHERE patient_id = ${patientId} ORDER BY created_at`;
  }

  it('retries a refused e-mail with exponential back-off, then delivers it once', async () => {
    const smtp = await startSmtpServer({ failFirst: 2 });
    try {
      const settings = loadNotificationSettings({
        OPENDMP_SMTP_URL: smtp.url,
        OPENDMP_OUTBOX_BACKOFF_MS: '30000',
      });
      const jobs = defaultJobs({ notifications: settings });
      const r = await emailRecord('158037505610143', '1958-03-21');
      await r.add();
      const start = new Date();
      t.clock.fixed = start;
      expect(await runJobNow(t.deps, 'outbox', jobs)).toMatchObject({ delivered: 0, retried: 1 });
      let [row] = await outboxOf(r.patientId);
      expect(row).toMatchObject({ status: 'pending', attempts: 1 });
      expect(row!.next_attempt_at.getTime() - start.getTime()).toBe(30_000);
      expect(row!.last_error).toMatch(/451/);
      // Not due yet: nothing happens.
      expect(await runJobNow(t.deps, 'outbox', jobs)).toMatchObject({ delivered: 0, retried: 0 });
      t.clock.fixed = new Date(start.getTime() + 30_000);
      expect(await runJobNow(t.deps, 'outbox', jobs)).toMatchObject({ retried: 1 });
      [row] = await outboxOf(r.patientId);
      expect(row!.next_attempt_at.getTime() - start.getTime()).toBe(30_000 + 60_000);
      t.clock.fixed = new Date(start.getTime() + 90_000);
      expect(await runJobNow(t.deps, 'outbox', jobs)).toMatchObject({ delivered: 1 });
      [row] = await outboxOf(r.patientId);
      expect(row).toMatchObject({ status: 'delivered', attempts: 3, last_error: null });
      expect(smtp.received).toHaveLength(3);
      expect(new Set(smtp.received.map((m) => m.messageId)).size).toBe(1);
      expect(smtp.accepted).toHaveLength(1);
    } finally {
      t.clock.fixed = null;
      await smtp.close();
    }
  });

  it('marks a notification failed after the last attempt', async () => {
    const smtp = await startSmtpServer({ failFirst: 100 });
    try {
      const settings = loadNotificationSettings({
        OPENDMP_SMTP_URL: smtp.url,
        OPENDMP_OUTBOX_MAX_ATTEMPTS: '2',
        OPENDMP_OUTBOX_BACKOFF_MS: '1000',
      });
      const r = await emailRecord('262076912310249', '1962-07-22', 'female');
      await r.add();
      const start = new Date();
      t.clock.fixed = start;
      const jobs = defaultJobs({ notifications: settings });
      expect(await runJobNow(t.deps, 'outbox', jobs)).toMatchObject({ retried: 1 });
      t.clock.fixed = new Date(start.getTime() + 1000);
      expect(await runJobNow(t.deps, 'outbox', jobs)).toMatchObject({ failed: 1 });
      const [row] = await outboxOf(r.patientId);
      expect(row).toMatchObject({ status: 'failed', attempts: 2 });
      t.clock.fixed = new Date(start.getTime() + 3_600_000);
      expect(await runJobNow(t.deps, 'outbox', jobs)).toMatchObject({
        delivered: 0,
        retried: 0,
        failed: 0,
      });
    } finally {
      t.clock.fixed = null;
      await smtp.close();
    }
  });

  it('never shows a redelivered notification twice (the ledger keys on the notification id)', async () => {
    const smtp = await startSmtpServer();
    try {
      const settings = loadNotificationSettings({ OPENDMP_SMTP_URL: smtp.url });
      const r = await emailRecord('175111305510370', '1975-11-23');
      await r.add();
      await t.db
        .owner`UPDATE notification_preference SET channels = '{inbox,email}' WHERE patient_id = ${r.patientId}`;
      await r.add();
      const jobs = defaultJobs({ notifications: settings });
      await runJobNow(t.deps, 'outbox', jobs);
      // Simulate a worker that died after sending but before its commit: the rows are pending again.
      await t.db
        .owner`UPDATE outbox SET status = 'pending', delivered_at = NULL WHERE patient_id = ${r.patientId}`;
      expect(await runJobNow(t.deps, 'outbox', jobs)).toMatchObject({ delivered: 3 });
      const [ledger] = await t.db
        .owner`SELECT count(*)::int AS n, count(DISTINCT notification_id)::int AS d
        FROM inbox WHERE patient_id = ${r.patientId}`;
      expect(ledger).toEqual({ n: 3, d: 3 });
      // The resent e-mails carry the same Message-IDs.
      expect(smtp.accepted).toHaveLength(4);
      expect(new Set(smtp.accepted.map((m) => m.messageId)).size).toBe(2);
      const res = await t.app.inject({
        method: 'GET',
        url: '/fhir/Communication',
        headers: auth(r.patient),
      });
      expect((res.json() as { entry?: unknown[] }).entry).toHaveLength(1);
    } finally {
      await smtp.close();
    }
  });

  it('lets several workers deliver at once without delivering a notification twice (FOR UPDATE SKIP LOCKED)', async () => {
    const smtp = await startSmtpServer({ delayMs: 20 });
    try {
      const settings = loadNotificationSettings({
        OPENDMP_SMTP_URL: smtp.url,
        OPENDMP_OUTBOX_CONCURRENCY: '3',
      });
      const r = await emailRecord('281023306310462', '1981-02-24', 'female');
      for (let i = 0; i < 20; i++) {
        await r.add();
      }
      const mailer = createSmtpMailer(settings);
      const results = await Promise.all([
        deliverDueNotifications(t.deps, settings, mailer),
        deliverDueNotifications(t.deps, settings, mailer),
        deliverDueNotifications(t.deps, settings, mailer),
      ]);
      expect(results.reduce((s, x) => s + x.delivered, 0)).toBe(20);
      expect(results.filter((x) => x.delivered > 0).length).toBeGreaterThan(1);
      expect(smtp.accepted).toHaveLength(20);
      expect(new Set(smtp.accepted.map((m) => m.messageId)).size).toBe(20);
    } finally {
      await smtp.close();
    }
  });

  it('cancels e-mails when no SMTP server is configured, keeping the in-portal copy', async () => {
    const r = await emailRecord('190055935010509', '1990-05-25');
    await t.db
      .owner`UPDATE notification_preference SET channels = '{inbox,email}' WHERE patient_id = ${r.patientId}`;
    await r.add();
    const jobs = defaultJobs({ notifications: loadNotificationSettings({}), mailer: undefined });
    expect(await runJobNow(t.deps, 'outbox', jobs)).toMatchObject({ delivered: 1, cancelled: 1 });
    const rows = await t.db.owner<{ channel: string; status: string; last_error: string | null }[]>`
      SELECT channel, status, last_error FROM outbox WHERE patient_id = ${r.patientId} ORDER BY channel`;
    expect(rows).toEqual([
      {
        channel: 'email',
        status: 'cancelled',
        last_error: 'no SMTP server configured (OPENDMP_SMTP_URL)',
      },
      { channel: 'inbox', status: 'delivered', last_error: null },
    ]);
  });

  it('purges a record’s outbox, inbox and preferences with it, keeping the tombstone', async () => {
    const nir = '269054900712384';
    const r = await emailRecord(nir, '1969-05-12', 'female');
    await t.db
      .owner`UPDATE notification_preference SET channels = '{inbox}' WHERE patient_id = ${r.patientId}`;
    await r.add();
    await runJobNow(
      t.deps,
      'outbox',
      defaultJobs({ notifications: loadNotificationSettings({}), mailer: undefined }),
    );
    await r.add(); // one left pending
    const req = await t.app.inject({
      method: 'POST',
      url: `/fhir/Patient/${r.patientId}/$request-deletion`,
      headers: auth(r.patient),
    });
    expect(req.statusCode).toBe(200);
    t.clock.offsetMs = 86_400_000;
    try {
      expect((await purgeDueRecords(t.deps)).purged).toBe(1);
    } finally {
      t.clock.offsetMs = 0;
    }
    for (const table of [
      'outbox',
      'inbox',
      'notification_preference',
      'audit_event',
      'patient_record',
    ]) {
      const [row] = await t.db.owner.unsafe(
        `SELECT count(*)::int AS n FROM ${table} WHERE patient_id = $1`,
        [r.patientId],
      );
      expect(row?.['n'], table).toBe(0);
    }
    const [tomb] = await t.db
      .owner`SELECT ins, purge_reason FROM record_tombstone WHERE patient_id = ${r.patientId}`;
    expect(tomb).toEqual({ ins: nir, purge_reason: 'deletion-requested' });
  });
});
