import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadAnchorSettings } from '../../src/crypto/anchor-key.ts';
import type { AnchorSettings } from '../../src/crypto/anchor-key.ts';
import { chainHash } from '../../src/db/audit.repository.ts';
import type { Sql } from '../../src/db/client.ts';
import type { AuditRecord } from '../../src/domain/audit/audit-record.ts';
import {
  buildAuditRecord,
  canonicalAuditPayload,
  canonicalAuditTail,
} from '../../src/domain/audit/audit-record.ts';
import { runJobNow } from '../../src/jobs/scheduler.ts';
import { writeAnchor } from '../../src/services/audit-anchor.ts';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp, OPERATOR } from '../helpers/app.ts';
import { auth, createRecord } from './notifications.fixtures.ts';

/**
 * Issue 16, finding 7: each way of erasing or rewriting traces found on main passed `opendmp audit verify`. Each case
 * below tampers as the database owner would (or a superuser), then runs the CLI as an operator does: exit code 1
 * and the named reason. Cases that only anchors can catch run with an anchor key and directory; the in-database
 * checks run without (so they hold where anchors are off).
 */
const BIN = fileURLToPath(new URL('../../bin/opendmp.js', import.meta.url));

const { privateKey } = generateKeyPairSync('ed25519');
const KEY_PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;

function cli(
  url: string,
  args: readonly string[],
  anchorDir?: string,
): { status: number | null; stdout: string; stderr: string } {
  // The parent's anchor settings, if any, stay out: only the ones given here count.
  const env: NodeJS.ProcessEnv = {
    ...Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !name.startsWith('OPENDMP_ANCHOR')),
    ),
    DATABASE_URL: url,
    OPENDMP_DEMO: '0',
  };
  if (anchorDir) {
    env['OPENDMP_ANCHOR_KEY'] = KEY_PEM;
    env['OPENDMP_ANCHOR_DIR'] = anchorDir;
  }
  const r = spawnSync(process.execPath, [BIN, 'audit', ...args], {
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const NIRS = [
  ['158037505610143', '1958-03-21', 'male'],
  ['262076912310249', '1962-07-22', 'female'],
] as const;

interface Scene {
  t: TestApp;
  ids: string[];
  dir: string;
  anchors: AnchorSettings;
}

/**
 * Two records of 3 traces each (creation, the holder's and the operator's history reads: the holder's second read
 * within 15 minutes is not traced again, docs/portals.md), then an anchor of every head.
 */
async function scene(): Promise<Scene> {
  const t = await buildTestApp();
  const operator = await t.token(OPERATOR);
  const ids: string[] = [];
  for (const [nir, birth, sex] of NIRS) {
    ids.push(await createRecord(t, operator, nir, birth, sex));
    const patient = await t.token({ kind: 'patient', ins: nir });
    await t.app.inject({ method: 'GET', url: '/fhir/AuditEvent', headers: auth(patient) });
    const read = await t.app.inject({
      method: 'GET',
      url: `/fhir/AuditEvent?patient.identifier=urn:oid:1.2.250.1.213.1.4.10|${nir}`,
      headers: auth(operator),
    });
    expect(read.statusCode, read.body).toBe(200);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opendmp-anchors-'));
  const anchors = loadAnchorSettings(
    { demo: false, dataDir: dir },
    { OPENDMP_ANCHOR_KEY: KEY_PEM, OPENDMP_ANCHOR_DIR: dir },
  )!;
  await writeAnchor(t.db.sql, anchors);
  return { t, ids, dir, anchors };
}

interface LinkRow {
  seq: string;
  id: string;
  recorded_at: Date;
  at_us: string;
  canon: number;
  action: string;
  outcome: 'success' | 'denied' | 'failure';
  reason_code: string | null;
  actor_kind: AuditRecord['actorKind'];
  actor_id: string;
  actor_name: string | null;
  actor_profession: string | null;
  actor_specialty: string | null;
  actor_structure: string | null;
  access_mode: string | null;
  justification: string | null;
  entity_type: string | null;
  entity_id: string | null;
  detail: AuditRecord['detail'];
  prev_hash: Buffer | null;
}

/**
 * Rewrites a record's chain consistently from `fromSeq` on, as someone who knows the hash format would: every hash
 * recomputed (after `edit` changed the event) and the head moved to the new last hash.
 */
async function rewriteChain(
  owner: Sql,
  pid: string,
  fromSeq: number,
  edit: (r: AuditRecord) => AuditRecord,
  canon: 1 | 2 = 2,
): Promise<void> {
  const rows = await owner<LinkRow[]>`SELECT *,
      to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at_us
    FROM audit_event WHERE patient_id = ${pid} ORDER BY seq`;
  let prev: Buffer | null = null;
  for (const row of rows) {
    if (Number(row.seq) < fromSeq) {
      prev = (
        await owner<{ hash: Buffer }[]>`SELECT hash FROM audit_event
        WHERE patient_id = ${pid} AND seq = ${row.seq}`
      )[0]!.hash;
      continue;
    }
    const r = edit({
      id: row.id,
      recordedAt: row.recorded_at,
      action: row.action,
      outcome: row.outcome,
      reasonCode: row.reason_code,
      actorKind: row.actor_kind,
      actorId: row.actor_id,
      actorName: row.actor_name,
      actorProfession: row.actor_profession,
      actorSpecialty: row.actor_specialty,
      actorStructure: row.actor_structure,
      accessMode: row.access_mode,
      justification: row.justification,
      entityType: row.entity_type,
      entityId: row.entity_id,
      detail: row.detail,
    });
    const time = canon === 2 ? row.at_us : row.recorded_at.toISOString();
    const hash = chainHash(prev, canonicalAuditPayload(pid, BigInt(row.seq), r, time));
    await owner`UPDATE audit_event SET actor_id = ${r.actorId}, prev_hash = ${prev}, hash = ${hash},
        canon = ${canon}
      WHERE patient_id = ${pid} AND seq = ${row.seq}`;
    prev = hash;
  }
  await owner`UPDATE patient_record SET audit_head = ${prev} WHERE patient_id = ${pid}`;
}

describe('opendmp audit verify catches every erasure and rewrite of traces (issue 16, finding 7)', () => {
  let s: Scene;
  beforeEach(async () => {
    s = await scene();
  });
  afterEach(async () => {
    await s.t.close();
    fs.rmSync(s.dir, { recursive: true, force: true });
  });

  it('passes the untouched database, with and without its anchors', () => {
    const plain = cli(s.t.db.url, ['verify']);
    expect(plain.stdout).toContain('All audit chains are intact.');
    expect(plain.stdout).toContain('No anchor key');
    expect(plain.status).toBe(0);
    const anchored = cli(s.t.db.url, ['verify'], s.dir);
    expect(anchored.stdout).toContain(`Checked 1 anchor(s) in ${s.dir}.`);
    expect(anchored.status).toBe(0);
  });

  it("catches a record's whole chain deleted and its head reset (CHAIN_EMPTY)", async () => {
    const pid = s.ids[0]!;
    await s.t.db.owner`DELETE FROM audit_event WHERE patient_id = ${pid}`;
    await s.t.db
      .owner`UPDATE patient_record SET audit_seq = 0, audit_head = NULL WHERE patient_id = ${pid}`;
    const run = cli(s.t.db.url, ['verify']);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain(`BROKEN record ${pid}: CHAIN_EMPTY`);
  });

  it('catches the first events removed and the chain renumbered from 1 (CHAIN_START)', async () => {
    const pid = s.ids[0]!;
    await s.t.db.owner`DELETE FROM audit_event WHERE patient_id = ${pid} AND seq = 1`;
    await s.t.db.owner`UPDATE audit_event SET seq = -seq WHERE patient_id = ${pid}`;
    await s.t.db.owner`UPDATE audit_event SET seq = -seq - 1 WHERE patient_id = ${pid}`;
    await rewriteChain(s.t.db.owner, pid, 1, (r) => r);
    await s.t.db
      .owner`UPDATE patient_record SET audit_seq = audit_seq - 1 WHERE patient_id = ${pid}`;
    const run = cli(s.t.db.url, ['verify']);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(
      new RegExp(`BROKEN record ${pid} \\(seq 1, event [0-9a-f-]+\\): CHAIN_START`),
    );
  });

  it("catches a chain's tail deleted and its head moved back to the new last event (ANCHOR_MISSING)", async () => {
    const pid = s.ids[1]!;
    await s.t.db.owner`DELETE FROM audit_event WHERE patient_id = ${pid} AND seq > 1`;
    await s.t.db.owner`UPDATE patient_record SET audit_seq = 1,
      audit_head = (SELECT hash FROM audit_event WHERE patient_id = ${pid} AND seq = 1)
      WHERE patient_id = ${pid}`;
    // Consistent in the database: only the anchor knows the chain was longer.
    expect(cli(s.t.db.url, ['verify']).status).toBe(0);
    const run = cli(s.t.db.url, ['verify'], s.dir);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain(`BROKEN record ${pid} (seq 3): ANCHOR_MISSING`);
  });

  it('catches the trace tables truncated and every head reset (CHAIN_EMPTY, ANCHOR_MISSING)', async () => {
    // The stripes of the system chain that hold events (logins of several actors): each one is anchored.
    const stripes = await s.t.db.owner<{ stripe: number }[]>`
      SELECT stripe FROM system_audit_head WHERE seq > 0 ORDER BY stripe`;
    expect(stripes.length).toBeGreaterThan(1);
    await s.t.db.owner`TRUNCATE audit_event, system_audit_event`;
    await s.t.db.owner`UPDATE patient_record SET audit_seq = 0, audit_head = NULL`;
    await s.t.db.owner`UPDATE system_audit_head SET seq = 0, hash = NULL`;
    const plain = cli(s.t.db.url, ['verify']);
    expect(plain.status).toBe(1);
    expect(plain.stdout).toMatch(/BROKEN record [0-9a-f-]+: CHAIN_EMPTY/);
    const anchored = cli(s.t.db.url, ['verify', '--all'], s.dir);
    expect(anchored.status).toBe(1);
    for (const { stripe } of stripes) {
      expect(anchored.stdout).toMatch(
        new RegExp(`BROKEN system chain ${stripe} \\(seq \\d+\\): ANCHOR_MISSING`),
      );
    }
    for (const pid of s.ids) {
      expect(anchored.stdout).toContain(`BROKEN record ${pid}: CHAIN_EMPTY`);
    }
  });

  it('catches a patient erased entirely, even with a forged tombstone (RECORD_VANISHED)', async () => {
    const pid = s.ids[0]!;
    await s.t.db.owner.begin(async (tx) => {
      await tx`INSERT INTO record_tombstone (patient_id, ins, created_at, closed_at, purged_at, purge_reason)
        SELECT patient_id, ins, created_at, now(), now(), 'deletion-requested'
        FROM patient_record WHERE patient_id = ${pid}`;
      await tx`DELETE FROM audit_event WHERE patient_id = ${pid}`;
      await tx`DELETE FROM ins_index WHERE patient_id = ${pid}`;
      await tx`DELETE FROM patient_record WHERE patient_id = ${pid}`;
    });
    // Nothing left in the database points to it.
    expect(cli(s.t.db.url, ['verify']).status).toBe(0);
    const run = cli(s.t.db.url, ['verify'], s.dir);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain(`BROKEN record ${pid} (seq 3): RECORD_VANISHED`);
  });

  it('accepts a record purged by the purge job, which notes it signed (exit 0)', async () => {
    const [nir] = NIRS[0];
    const pid = s.ids[0]!;
    const holder = await s.t.token({ kind: 'patient', ins: nir });
    const req = await s.t.app.inject({
      method: 'POST',
      url: `/fhir/Patient/${pid}/$request-deletion`,
      headers: auth(holder),
    });
    expect(req.statusCode).toBe(200);
    expect(await runJobNow({ ...s.t.deps, anchors: s.anchors }, 'purge')).toEqual({ purged: 1 });
    const run = cli(s.t.db.url, ['verify'], s.dir);
    expect(run.stdout).toContain('All audit chains are intact.');
    expect(run.status).toBe(0);
  });

  it('catches a chain rewritten consistently, hashes and head recomputed (ANCHOR_MISMATCH)', async () => {
    const pid = s.ids[1]!;
    await rewriteChain(s.t.db.owner, pid, 2, (r) => ({ ...r, actorId: 'someone-else' }));
    expect(cli(s.t.db.url, ['verify']).status).toBe(0);
    const run = cli(s.t.db.url, ['verify'], s.dir);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain(`BROKEN record ${pid} (seq 3): ANCHOR_MISMATCH`);
  });

  it('catches recorded_at moved by 1 µs, on a new link and on a link of the old (millisecond) form', async () => {
    const pid = s.ids[0]!;
    await s.t.db.owner`UPDATE audit_event
      SET recorded_at = (recorded_at AT TIME ZONE 'UTC' + interval '1 microsecond') AT TIME ZONE 'UTC'
      WHERE patient_id = ${pid} AND seq = 2`;
    const run = cli(s.t.db.url, ['verify']);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(
      new RegExp(`BROKEN record ${pid} \\(seq 2, event [0-9a-f-]+\\): HASH`),
    );

    // Links written before migration 0020 hashed the millisecond text; they still verify…
    const other = s.ids[1]!;
    await rewriteChain(s.t.db.owner, other, 1, (r) => r, 1);
    await s.t.db.owner`UPDATE audit_event
      SET recorded_at = (recorded_at AT TIME ZONE 'UTC' - interval '1 microsecond') AT TIME ZONE 'UTC'
      WHERE patient_id = ${pid} AND seq = 2`;
    expect(cli(s.t.db.url, ['verify']).status).toBe(0);
    // …and a time moved under the millisecond is seen on them too (they were all whole milliseconds).
    await s.t.db.owner`UPDATE audit_event
      SET recorded_at = (recorded_at AT TIME ZONE 'UTC' + interval '1 microsecond') AT TIME ZONE 'UTC'
      WHERE patient_id = ${other} AND seq = 3`;
    const old = cli(s.t.db.url, ['verify']);
    expect(old.status).toBe(1);
    expect(old.stdout).toMatch(
      new RegExp(
        `BROKEN record ${other} \\(seq 3, event [0-9a-f-]+\\): HASH — recorded_at has sub-millisecond`,
      ),
    );
  });

  it('verifies links appended in the millisecond form (code older than migration 0020, a rolling upgrade)', async () => {
    const r = buildAuditRecord(
      { kind: 'operator', id: 'op-old' },
      { action: 'record.read', outcome: 'success' },
      new Date(),
      randomUUID(),
    );
    await s.t.db.sql`SELECT append_record_audit(${s.ids[0]!}::uuid,
      ${[canonicalAuditTail(r, r.recordedAt.toISOString())]}::text[])`;
    const [link] = await s.t.db.owner<{ canon: number }[]>`SELECT canon FROM audit_event
      WHERE patient_id = ${s.ids[0]!} ORDER BY seq DESC LIMIT 1`;
    expect(link?.canon).toBe(1);
    const run = cli(s.t.db.url, ['verify'], s.dir);
    expect(run.stdout).toContain('All audit chains are intact.');
    expect(run.status).toBe(0);
  });

  it('catches an anchor file altered or removed from the middle (ANCHOR_INVALID)', async () => {
    const second = cli(s.t.db.url, ['anchor'], s.dir);
    expect(second.status).toBe(0);
    expect(second.stdout).toMatch(/Anchored 2 record chain\(s\) and the system chain in .*heads-/);
    cli(s.t.db.url, ['anchor'], s.dir);
    const files = fs
      .readdirSync(s.dir)
      .filter((f) => f.startsWith('heads-'))
      .sort();
    expect(files).toHaveLength(3);
    expect(cli(s.t.db.url, ['verify'], s.dir).stdout).toContain('Checked 3 anchor(s)');

    fs.rmSync(path.join(s.dir, files[1]!));
    const gap = cli(s.t.db.url, ['verify'], s.dir);
    expect(gap.status).toBe(1);
    expect(gap.stdout).toContain(
      `BROKEN anchor ${files[2]!}: ANCHOR_INVALID — the anchor written before it is gone`,
    );

    const first = path.join(s.dir, files[0]!);
    fs.chmodSync(first, 0o644);
    fs.writeFileSync(
      first,
      fs.readFileSync(first, 'utf8').replace(/"\d+","[0-9a-f]{64}"/, '"1",null'),
    );
    const altered = cli(s.t.db.url, ['verify'], s.dir);
    expect(altered.status).toBe(1);
    expect(altered.stdout).toContain(
      `BROKEN anchor ${files[0]!}: ANCHOR_INVALID — its content does not match`,
    );
  });
});

describe('the anchor job and the shutdown anchor', () => {
  let s: Scene;
  beforeAll(async () => {
    s = await scene();
  });
  afterAll(async () => {
    await s.t.close();
    fs.rmSync(s.dir, { recursive: true, force: true });
  });

  it('writes a read-only anchor naming every record when a key is configured, nothing without', async () => {
    expect(await runJobNow({ ...s.t.deps, anchors: s.anchors }, 'anchor')).toEqual({
      anchored: 1,
      records: 2,
    });
    const files = fs.readdirSync(s.dir).filter((f) => f.startsWith('heads-'));
    expect(files).toHaveLength(2);
    const newest = path.join(s.dir, files.sort()[1]!);
    expect(fs.statSync(newest).mode & 0o222).toBe(0);
    const text = fs.readFileSync(newest, 'utf8');
    for (const pid of s.ids) {
      expect(text).toContain(`["${pid}","3",`);
    }
    expect(await runJobNow({ ...s.t.deps, anchors: null }, 'anchor')).toEqual({ anchored: 0 });
  });

  it('refuses to pass another database against these anchors (ANCHOR_INVALID)', async () => {
    const other = await buildTestApp();
    try {
      const run = cli(other.db.url, ['verify'], s.dir);
      expect(run.status).toBe(1);
      expect(run.stdout).toMatch(
        new RegExp(
          `BROKEN anchor heads-[^:]+: ANCHOR_INVALID — it anchors database ${s.t.db.name}, not ${other.db.name}`,
        ),
      );
    } finally {
      await other.close();
    }
  });
});
