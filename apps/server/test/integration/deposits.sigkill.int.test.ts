import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/db/client.ts';
import type { TestDatabase } from '../helpers/db.ts';
import { createTestDatabase } from '../helpers/db.ts';
import type { ChildService } from '../helpers/child-service.ts';
import { ready, startService, until } from '../helpers/child-service.ts';
import * as fx from './documents.fixtures.ts';
import type { Json } from './documents.fixtures.ts';

/**
 * Finding 4 of issue 16 and the SIGKILL scenario: the real service (src/main.ts) takes a stream of deposits and is
 * killed with SIGKILL in the middle of it, then started again on the same data folder. Every acknowledged (201)
 * deposit is there and whole (its bytes retrieved as sent); every document the record lists is whole (none
 * half-written, acknowledged or not); and no deposit notified the patient twice.
 * Without DATABASE_URL the service runs on its own embedded PostgreSQL, and the restart also shows finding 4: before
 * the fix the second start failed (`opendmp failed to start: undefined`), the embedded PostgreSQL of the killed process
 * still holding the folder. With DATABASE_URL (the machine's PostgreSQL, a Citus coordinator) it runs on a fresh test
 * database there: on Citus a deposit is a two-phase commit over up to three nodes, cut by the kill.
 */
const PRO: Json = {
  kind: 'professional',
  idNatPs: '899700366240',
  profession: '10',
  specialty: 'SM26',
  structure: '1750300000',
  sector: 'SA07',
  mode: 'normal',
};
const OPERATOR: Json = { kind: 'operator', id: 'ops-1' };
const DEPOSITORS = 3;
const ACKNOWLEDGED_BEFORE_KILL = 8;

interface Acknowledged {
  readonly id: string;
  readonly url: string;
  readonly sha1: string;
}

function sha1(bytes: Uint8Array): string {
  return createHash('sha1').update(bytes).digest('base64');
}

describe('SIGKILL during deposits, then a restart on the same data folder', () => {
  let dataDir: string;
  let service: ChildService | undefined;
  /** The test database the service runs on when DATABASE_URL names a server; undefined: its embedded PostgreSQL. */
  let db: TestDatabase | undefined;
  const ins = fx.nir('1790351215187');
  const holder: Json = { kind: 'patient', ins };

  beforeAll(async () => {
    if (process.env['DATABASE_URL']) {
      db = await createTestDatabase();
    }
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'opendmp-deposit-kill-'));
    fs.chmodSync(dataDir, 0o755); // the embedded PostgreSQL runs as another user when the tests run as root
  });
  afterAll(async () => {
    if (service && service.child.exitCode === null) {
      service.child.kill('SIGTERM');
      await service.exited();
    }
    // A failed run may leave the killed service's PostgreSQL running: stop it (fast shutdown).
    const pidFile = path.join(dataDir, 'pg', 'postmaster.pid');
    if (fs.existsSync(pidFile)) {
      try {
        process.kill(Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]), 'SIGINT');
        await until('PostgreSQL to stop', () => !fs.existsSync(pidFile), 30_000);
      } catch {
        // already gone
      }
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
    await db?.drop();
  });

  const env = (): NodeJS.ProcessEnv => ({
    DATABASE_URL: db?.url,
    OPENDMP_DEMO: '1',
    DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    OPENDMP_OUTBOX_INTERVAL_MS: '200',
    OPENDMP_QUOTA_REQUESTS_PER_MINUTE: '1000000',
    OPENDMP_QUOTA_REQUEST_BURST: '1000000',
    OPENDMP_QUOTA_DEPOSIT_MB_PER_MINUTE: '100000',
    OPENDMP_QUOTA_DEPOSIT_BURST_MB: '100000',
  });

  const tokens = new Map<string, string>();
  async function call(
    s: ChildService,
    actor: Json,
    method: string,
    url: string,
    body?: unknown,
  ): Promise<Response> {
    const base = `http://127.0.0.1:${String(s.port)}`;
    const key = `${base} ${JSON.stringify(actor)}`;
    let token = tokens.get(key);
    if (token === undefined) {
      const tokenResponse = await fetch(`${base}/auth/dev/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(actor),
      });
      token = ((await tokenResponse.json()) as { access_token: string }).access_token;
      tokens.set(key, token);
    }
    // Links in answers name the service that made them (the killed one's port): only their path is kept.
    const at = url.startsWith('http') ? `${new URL(url).pathname}${new URL(url).search}` : url;
    return fetch(`${base}${at}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/fhir+json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }

  // Two starts of the service, the first loading the demo's data (37 s on Citus on a loaded 2-core machine): four
  // minutes, beyond the 60 s default of a test.
  it('starts again; every acknowledged deposit is there and whole, none is half-written or notified twice', async () => {
    service = await startService(env());
    await ready(service);
    const first = service;
    const created = await call(first, OPERATOR, 'POST', '/fhir/Patient', fx.patientBody(ins));
    expect(created.status, await created.text()).toBe(201);

    // A stream of deposits from a few clients, killed (SIGKILL) once some were acknowledged.
    const acknowledged: Acknowledged[] = [];
    const refused: string[] = [];
    let killed = false;
    const depositor = async (n: number): Promise<void> => {
      for (let i = 0; !killed; i++) {
        const bytes = fx.n1Bytes(ins, `deposit ${String(n)}.${String(i)}`);
        const docRef = fx.pdfDocumentReference(ins, bytes, {
          idNatPs: String(PRO['idNatPs']),
          structure: String(PRO['structure']),
        });
        try {
          const res = await call(
            first,
            PRO,
            'POST',
            '/fhir/DocumentReference',
            fx.iti105(docRef, bytes),
          );
          const text = await res.text();
          if (res.status === 201) {
            const doc = JSON.parse(text) as {
              id: string;
              content: { attachment: { url: string } }[];
            };
            acknowledged.push({
              id: doc.id,
              url: doc.content[0]!.attachment.url,
              sha1: sha1(bytes),
            });
          } else {
            refused.push(`${String(res.status)} ${text.slice(0, 300)}`);
          }
        } catch {
          // cut off by the kill: not acknowledged
        }
      }
    };
    const depositors = Array.from({ length: DEPOSITORS }, (_, n) => depositor(n));
    try {
      await until(
        `${String(ACKNOWLEDGED_BEFORE_KILL)} acknowledged deposits`,
        () => acknowledged.length >= ACKNOWLEDGED_BEFORE_KILL || refused.length > 0,
        30_000,
      );
      first.child.kill('SIGKILL');
    } finally {
      killed = true;
      await Promise.all(depositors);
    }
    expect(refused).toEqual([]);
    expect(await first.exited()).toEqual({ code: null, signal: 'SIGKILL' });

    // The same data folder (embedded: the PostgreSQL of the killed process is still running on it).
    service = await startService(env());
    await ready(service);
    const second = service;
    if (db === undefined) {
      expect(second.output()).toContain('stopped the embedded PostgreSQL left running');
    }

    // Every acknowledged deposit is there, and its bytes are the ones sent.
    for (const a of acknowledged) {
      const read = await call(second, holder, 'GET', `/fhir/DocumentReference/${a.id}`);
      expect(read.status, a.id).toBe(200);
      const bytes = await call(second, holder, 'GET', a.url);
      expect(bytes.status, a.url).toBe(200);
      expect(sha1(new Uint8Array(await bytes.arrayBuffer()))).toBe(a.sha1);
    }
    // Every document of the record, acknowledged or cut off before its answer, is whole.
    const search = await call(
      second,
      holder,
      'GET',
      `/fhir/DocumentReference?patient.identifier=${encodeURIComponent(`${fx.TEST_SYSTEM}|${ins}`)}&_count=500`,
    );
    expect(search.status).toBe(200);
    const listed = ((await search.json()) as { entry?: { resource: Json }[] }).entry ?? [];
    const listedIds = new Set(listed.map((e) => String(e.resource['id'])));
    for (const a of acknowledged) {
      expect(listedIds.has(a.id), a.id).toBe(true);
    }
    for (const e of listed) {
      const attachment = (
        e.resource['content'] as { attachment: { url: string; hash: string } }[]
      )[0]!.attachment;
      const bytes = await call(second, holder, 'GET', attachment.url);
      expect(bytes.status).toBe(200);
      expect(sha1(new Uint8Array(await bytes.arrayBuffer()))).toBe(attachment.hash);
    }

    // Notifications: one per deposit and recipient channel, delivered once (the restarted outbox job delivers
    // what the killed process had not).
    const pgPort =
      db === undefined
        ? fs.readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[3]
        : undefined;
    const owner = connect(
      db?.url ?? `postgres://opendmp:opendmp-local@127.0.0.1:${String(pgPort)}/opendmp`,
      { max: 1 },
    );
    try {
      await until(
        'the outbox to be delivered',
        async () => {
          const [row] = await owner<{ n: number }[]>`SELECT count(*)::int AS n FROM outbox
            WHERE status = 'pending' AND dedupe_key LIKE 'document:%'`;
          return row?.n === 0;
        },
        30_000,
        200,
      );
      // The record's id first: on Citus ins_index is distributed by INS, and a filter on one patient id keeps the
      // per-document subqueries on the record's shard.
      const [indexed] = await owner<{ patient_id: string }[]>`
        SELECT patient_id FROM ins_index WHERE ins = ${ins}`;
      const perDocument = await owner<
        { document: string; outbox: number; keys: number; inbox: number }[]
      >`
        SELECT d.id::text AS document,
               (SELECT count(*)::int FROM outbox o WHERE o.patient_id = d.patient_id
                  AND o.dedupe_key LIKE 'document:' || d.id || '|%') AS outbox,
               (SELECT count(DISTINCT (o.recipient_kind, o.recipient_id, o.channel))::int FROM outbox o
                  WHERE o.patient_id = d.patient_id AND o.dedupe_key LIKE 'document:' || d.id || '|%') AS keys,
               (SELECT count(*)::int FROM inbox i JOIN outbox o
                  ON o.patient_id = i.patient_id AND o.id = i.notification_id
                  WHERE o.patient_id = d.patient_id AND o.dedupe_key LIKE 'document:' || d.id || '|%') AS inbox
        FROM document d WHERE d.patient_id = ${indexed?.patient_id ?? null}`;
      expect(perDocument.length).toBe(listed.length);
      const notified = new Set(perDocument.filter((d) => d.keys > 0).map((d) => d.document));
      for (const a of acknowledged) {
        expect(notified.has(a.id), a.id).toBe(true); // each deposit notified the patient
      }
      for (const d of perDocument) {
        expect(d.outbox, d.document).toBe(d.keys); // never two notifications of one deposit to one recipient channel
        expect(d.inbox, d.document).toBe(d.outbox); // each delivered exactly once
      }
    } finally {
      await owner.end();
    }
  }, 240_000);
});
