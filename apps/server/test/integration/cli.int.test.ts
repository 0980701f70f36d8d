import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/db/client.ts';
import { startEmbeddedDatabase } from '../../src/db/embedded.ts';
import { migrate } from '../../src/db/migrate.ts';
import { MIGRATION_STEPS } from '../../src/migration-steps.ts';
import { audit } from '../../src/services/audit.ts';
import { uuid } from '../../src/services/deps.ts';

const BIN = fileURLToPath(new URL('../../bin/opendmp.js', import.meta.url));
const dirs: string[] = [];

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opendmp-cli-'));
  fs.chmodSync(dir, 0o777);
  dirs.push(dir);
  return dir;
}

function cli(
  args: string[],
  env: Record<string, string>,
): { status: number | null; stdout: string; stderr: string } {
  const clean = { ...process.env };
  delete clean['DATABASE_URL'];
  delete clean['INIT_CWD'];
  const r = spawnSync(process.execPath, [BIN, ...args], {
    env: { ...clean, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the opendmp command', () => {
  afterAll(() => {
    for (const d of dirs) {
      fs.rmSync(d, { recursive: true, force: true });
    }
  });

  it('prints its usage and refuses an unknown command with exit code 2', () => {
    expect(cli(['help'], {})).toMatchObject({
      status: 0,
      stdout: expect.stringContaining('audit verify'),
    });
    const unknown = cli(['audit', 'repair'], {});
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('Unknown command');
  });

  it('refuses a data folder used by a running service and says to pass DATABASE_URL', () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'pg'));
    fs.writeFileSync(path.join(dir, 'pg', 'PG_VERSION'), '18\n');
    fs.writeFileSync(path.join(dir, 'opendmp.lock'), String(process.pid)); // this (live) process holds it
    const r = cli(['audit', 'verify'], { DATA_DIR: dir });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('already in use by another opendmp process');
    expect(r.stderr).toContain('DATABASE_URL=');
    expect(fs.readFileSync(path.join(dir, 'opendmp.lock'), 'utf8')).toBe(String(process.pid));
  });

  it('says so when DATA_DIR holds no database', () => {
    const r = cli(['audit', 'verify'], { DATA_DIR: tempDir() });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('No database in');
  });

  it('verifies the embedded database of DATA_DIR when DATABASE_URL is unset', async () => {
    const dir = tempDir();
    const db = await startEmbeddedDatabase(dir);
    const sql = connect(db.url, { max: 1 });
    try {
      await migrate(sql, MIGRATION_STEPS);
      const deps = { clock: { now: () => new Date() }, ids: uuid };
      await sql.begin(async (tx) => {
        await audit(tx, deps, { kind: 'operator', id: 'ops-1' }, null, {
          action: 'auth.login',
          outcome: 'success',
        });
        await audit(tx, deps, { kind: 'operator', id: 'ops-1' }, null, {
          action: 'audit.search',
          outcome: 'success',
          detail: { count: 0 },
        });
      });
    } finally {
      await sql.end();
      await db.stop();
    }
    const ok = cli(['audit', 'verify'], { DATA_DIR: dir });
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toContain(`the system chain (2 events) in embedded database in ${dir}`);
    expect(ok.status).toBe(0);
    expect(fs.existsSync(path.join(dir, 'opendmp.lock'))).toBe(false); // released
  });
});
