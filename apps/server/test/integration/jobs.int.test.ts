import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/db/client.ts';
import { defaultJobs, runJobNow, runJobOnce, startJobs } from '../../src/jobs/scheduler.ts';
import type { Job } from '../../src/jobs/scheduler.ts';
import type { Deps } from '../../src/services/deps.ts';
import { loadNotificationSettings } from '../../src/services/notifications/settings.ts';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp, OPERATOR } from '../helpers/app.ts';
import { consentBody, createRecord, postConsent } from './notifications.fixtures.ts';
import { createCaches } from '../../src/caches.ts';

describe('scheduled jobs', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  const traces = async (action: string): Promise<number> => {
    const [row] = await t.db
      .owner`SELECT count(*)::int AS n FROM system_audit_event WHERE action = ${action}`;
    return row?.['n'] as number;
  };

  it('runs a job in one instance at a time: another instance skips while it holds the lock', async () => {
    // A second "instance": its own connection pool on the same database.
    const other: Deps = {
      ...t.deps,
      sql: connect(t.db.appUrl, { max: 2 }),
      caches: createCaches(t.deps.config),
    };
    let running = 0;
    let maxRunning = 0;
    const job: Job = {
      name: 'test-slow',
      lockKey: 727_366_199,
      everyMs: 60_000,
      run: async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((r) => setTimeout(r, 300));
        running--;
        return { done: 1 };
      },
    };
    try {
      const results = await Promise.all([
        runJobOnce(t.deps, job),
        runJobOnce(other, job),
        runJobOnce(other, job),
      ]);
      expect(results.filter((r) => r === null)).toHaveLength(2);
      expect(results.filter((r) => r !== null)).toEqual([{ done: 1 }]);
      expect(maxRunning).toBe(1);
      // Released: the next run goes ahead.
      expect(await runJobOnce(other, job)).toEqual({ done: 1 });
      expect(await traces('job.test-slow')).toBe(2);
    } finally {
      await other.sql.end();
    }
  });

  it('traces each run on the system chain, except idle runs of the outbox', async () => {
    const jobs = defaultJobs({ notifications: loadNotificationSettings({}), mailer: undefined });
    expect(await runJobNow(t.deps, 'purge', jobs)).toEqual({ purged: 0 });
    expect(await runJobNow(t.deps, 'visibility', jobs)).toEqual({ notices: 0, madeVisible: 0 });
    expect(await traces('job.purge')).toBe(1);
    expect(await traces('job.visibility')).toBe(1);
    expect(await runJobNow(t.deps, 'outbox', jobs)).toEqual({
      delivered: 0,
      retried: 0,
      failed: 0,
      cancelled: 0,
    });
    expect(await traces('job.outbox')).toBe(0);

    const operator = await t.token(OPERATOR);
    await createRecord(t, operator, '158037505610143', '1958-03-21');
    const patient = await t.token({ kind: 'patient', ins: '158037505610143' });
    await postConsent(t, patient, consentBody('158037505610143', 'permit', '899700366240'));
    expect(await runJobNow(t.deps, 'outbox', jobs)).toMatchObject({ delivered: 1 });
    const [trace] = await t.db.owner`SELECT actor_kind, actor_id, detail FROM system_audit_event
      WHERE action = 'job.outbox'`;
    expect(trace).toEqual({
      actor_kind: 'system',
      actor_id: 'opendmp',
      detail: { delivered: 1, retried: 0, failed: 0, cancelled: 0 },
    });
    await expect(runJobNow(t.deps, 'nope', jobs)).rejects.toThrow(/no job named nope/);
  });

  it('runs the jobs on their own schedule inside the service and stops cleanly', async () => {
    let runs = 0;
    const job: Job = {
      name: 'test-tick',
      lockKey: 727_366_198,
      everyMs: 50,
      traceIdle: false,
      run: async () => {
        runs++;
        return { n: 0 };
      },
    };
    const handle = startJobs(t.deps, [job]);
    const end = Date.now() + 5000;
    while (runs < 3 && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await handle.stop();
    const after = runs;
    expect(after).toBeGreaterThanOrEqual(3);
    await new Promise((r) => setTimeout(r, 150));
    expect(runs).toBe(after);
    expect(await traces('job.test-tick')).toBe(0); // idle runs of a traceIdle: false job
    // (the notifications job list is what main.ts starts)
    expect(defaultJobs({ notifications: loadNotificationSettings({}) }).map((j) => j.name)).toEqual(
      [
        'purge',
        'outbox',
        'care-history-retention',
        'care-history-documents',
        'visibility',
        'anchor',
      ],
    );
  });
});
