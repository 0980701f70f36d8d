import { spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAnchorSettings } from '../../src/crypto/anchor-key.ts';
import { writeAnchor } from '../../src/services/audit-anchor.ts';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp, OPERATOR } from '../helpers/app.ts';
import { createRecord } from './notifications.fixtures.ts';

/**
 * Issue 16, finding 7, as the service's own connection sees it: the service logged in as the owner and only
 * SET ROLE, so any SQL it ran could RESET ROLE; the application role could write a tombstone for a live record and
 * then purge its traces. The test database's `sql` connects exactly as main.ts does (db/app-login.ts).
 */
const BIN = fileURLToPath(new URL('../../bin/opendmp.js', import.meta.url));
const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
const KEY_PEM = generateKeyPairSync('ed25519').privateKey.export({
  type: 'pkcs8',
  format: 'pem',
}) as string;

/** The environment without the parent's anchor settings, if any: only the ones given count. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !name.startsWith('OPENDMP_ANCHOR') && name !== 'INIT_CWD',
    ),
  );
}

function verifyCli(url: string, anchorDir?: string): { status: number | null; stdout: string } {
  const env: NodeJS.ProcessEnv = { ...cleanEnv(), DATABASE_URL: url, OPENDMP_DEMO: '0' };
  if (anchorDir) {
    env['OPENDMP_ANCHOR_KEY'] = KEY_PEM;
    env['OPENDMP_ANCHOR_DIR'] = anchorDir;
  }
  const r = spawnSync(process.execPath, [BIN, 'audit', 'verify'], {
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout };
}

async function sqlState(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return String((e as { code?: unknown }).code);
  }
}

describe('the service connection cannot reach the owner, nor erase a live record’s traces', () => {
  let t: TestApp;
  let pid: string;
  let ownerRole: string;
  let dir: string;

  beforeAll(async () => {
    t = await buildTestApp();
    pid = await createRecord(t, await t.token(OPERATOR), '158037505610143', '1958-03-21');
    ownerRole = (await t.db.owner<{ u: string }[]>`SELECT current_user AS u`)[0]!.u;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opendmp-anchors-'));
  });
  afterAll(async () => {
    await t.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('logs in as opendmp_app: RESET ROLE changes nothing, SET ROLE to the owner is refused', async () => {
    const c = await t.db.sql.reserve();
    try {
      const [who] = await c<
        { s: string; u: string }[]
      >`SELECT session_user AS s, current_user AS u`;
      expect(who).toEqual({ s: 'opendmp_app', u: 'opendmp_app' });
      await c`RESET ROLE`;
      const [after] = await c<{ u: string }[]>`SELECT current_user AS u`;
      expect(after?.u).toBe('opendmp_app');
      expect(ownerRole).not.toBe('opendmp_app');
      expect(await sqlState(c.unsafe(`SET ROLE "${ownerRole}"`))).toBe('42501');
      expect(await sqlState(c.unsafe(`SET SESSION AUTHORIZATION "${ownerRole}"`))).toBe('42501');
    } finally {
      c.release();
    }
  });

  it('cannot UPDATE, DELETE or TRUNCATE traces, even after RESET ROLE', async () => {
    const c = await t.db.sql.reserve();
    try {
      await c`RESET ROLE`;
      expect(
        await sqlState(c`UPDATE audit_event SET actor_id = 'x' WHERE patient_id = ${pid}`),
      ).toBe('42501');
      expect(await sqlState(c`DELETE FROM audit_event WHERE patient_id = ${pid}`)).toBe('42501');
      expect(await sqlState(c`TRUNCATE audit_event`)).toBe('42501');
      expect(await sqlState(c`DELETE FROM system_audit_event`)).toBe('42501');
      expect(await sqlState(c`TRUNCATE system_audit_event`)).toBe('42501');
    } finally {
      c.release();
    }
    const [n] = await t.db.owner<
      { n: number }[]
    >`SELECT count(*)::int AS n FROM audit_event WHERE patient_id = ${pid}`;
    expect(n?.n).toBe(1);
  });

  it('cannot write a tombstone, nor purge the traces of a live record', async () => {
    expect(
      await sqlState(t.db.sql`INSERT INTO record_tombstone
        (patient_id, ins, created_at, closed_at, purged_at, purge_reason)
        VALUES (${pid}, '158037505610143', now(), now(), now(), 'deletion-requested')`),
    ).toBe('42501');
    expect(await sqlState(t.db.sql`SELECT purge_record_audit(${pid}, now())`)).toBe('ODP01');
    // Closed, but neither deletion requested nor ten years elapsed: still refused.
    await t.db.owner`UPDATE patient_record SET status = 'closed', closed_at = now()
      WHERE patient_id = ${pid}`;
    expect(await sqlState(t.db.sql`SELECT purge_record_audit(${pid}, now())`)).toBe('ODP01');
    await t.db.owner`UPDATE patient_record SET status = 'active', closed_at = NULL
      WHERE patient_id = ${pid}`;
    const [n] = await t.db.owner<
      { n: number }[]
    >`SELECT count(*)::int AS n FROM audit_event WHERE patient_id = ${pid}`;
    expect(n?.n).toBe(1);
    const run = verifyCli(t.db.url);
    expect(run.stdout).toContain('All audit chains are intact.');
    expect(run.status).toBe(0);
  });

  it('is caught by the anchors when its SQL fakes a record’s deletion request to purge it (RECORD_VANISHED)', async () => {
    const anchors = loadAnchorSettings(
      { demo: false, dataDir: dir },
      { OPENDMP_ANCHOR_KEY: KEY_PEM, OPENDMP_ANCHOR_DIR: dir },
    )!;
    await writeAnchor(t.db.sql, anchors);
    // Everything the application role may do, in SQL, without the purge job (which alone holds the anchor key).
    await t.db.sql.begin(async (tx) => {
      await tx`UPDATE patient_record SET status = 'closed', closed_at = now(),
          closure_reason = 'holder-request', deletion_requested_at = now()
        WHERE patient_id = ${pid}`;
      await tx`SELECT purge_record_audit(${pid}, now())`;
      await tx`DELETE FROM ins_index WHERE patient_id = ${pid}`;
      await tx`DELETE FROM patient_record WHERE patient_id = ${pid}`;
    });
    const run = verifyCli(t.db.url, dir);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain(`BROKEN record ${pid} (seq 1): RECORD_VANISHED`);
  });
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() =>
        a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port')),
      );
    });
  });
}

describe('the service itself (main.ts) on an owner DATABASE_URL', () => {
  let t: TestApp;
  let dataDir: string;
  beforeAll(async () => {
    t = await buildTestApp();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'opendmp-login-'));
  });
  afterAll(async () => {
    await t.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves every request on opendmp_app logins, and anchors the chain heads when it stops', async () => {
    const before = new Set(
      (await t.db.owner<{ pid: number }[]>`SELECT pid FROM pg_stat_activity`).map((r) => r.pid),
    );
    const port = await freePort();
    const child = spawn(process.execPath, [MAIN], {
      env: {
        ...cleanEnv(),
        DATABASE_URL: t.db.url,
        OPENDMP_DEMO: '1',
        OPENDMP_JOBS: '0',
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );
    try {
      const end = Date.now() + 90_000;
      let ready = false;
      while (!ready && Date.now() < end && child.exitCode === null) {
        ready = await fetch(`http://127.0.0.1:${port}/ready`)
          .then((r) => r.ok)
          .catch(() => false);
        if (!ready) {
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      expect(ready, output).toBe(true);
      // Client sessions only: on Citus the extension's maintenance daemon and its internal connections (as the
      // extension's owner) are there too.
      const others = await t.db.owner<{ pid: number; usename: string }[]>`SELECT pid, usename
        FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend'
          AND application_name NOT LIKE 'citus_internal%'`;
      const service = others.filter((r) => !before.has(r.pid) && r.usename !== null);
      expect(service.length).toBeGreaterThan(0);
      // The owner's connection (migrations, demo data) is closed once the service listens.
      expect([...new Set(service.map((r) => r.usename))]).toEqual(['opendmp_app']);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    const anchors = fs.readdirSync(path.join(dataDir, 'anchors'));
    expect(anchors.filter((f) => f.startsWith('heads-'))).toHaveLength(1);
    const env = { ...cleanEnv(), DATABASE_URL: t.db.url, OPENDMP_DEMO: '1', DATA_DIR: dataDir };
    const run = spawnSync(process.execPath, [BIN, 'audit', 'verify'], { env, encoding: 'utf8' });
    expect(run.stdout).toContain('Checked 1 anchor(s)');
    expect(run.stdout).toContain('All audit chains are intact.');
    expect(run.status).toBe(0);
  });
});
