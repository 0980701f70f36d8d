import type { FastifyInstance } from 'fastify';
import type postgres from 'postgres';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { connect } from '../../src/db/client.ts';
import type { Sql } from '../../src/db/client.ts';
import { createNotifier } from '../../src/services/notifications/notify.ts';
import { uuid } from '../../src/services/deps.ts';
import { createCaches } from '../../src/caches.ts';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp, GP, OPERATOR } from '../helpers/app.ts';
import * as fx from './documents.fixtures.ts';
import type { Json } from './documents.fixtures.ts';

/**
 * Issue 20, finding 8 (ADR 0031, migration 0120): a deposit of one record writes one worker. `resource_locator` is
 * co-located with `patient_record` and the deposit's server ids are drawn into the record's shard, so its locators
 * are written beside the record's rows; the uniqueId claim (`document_unique_id`, distributed by the uniqueId) stays
 * the one write that may land elsewhere. What the coordinator sends to the workers is read from its own log of them
 * (`citus.log_remote_commands`, one notice per command with the node it went to): a deposit whose claims are on the
 * record's worker commits there alone (no PREPARE TRANSACTION); one whose claim is on the other worker is a
 * two-phase commit over exactly those two. Only on Citus.
 */
const onCitus = inject('workerUrls').length > 0;

interface Sent {
  readonly command: string;
  readonly port: number;
}

describe.runIf(onCitus)('Citus: a deposit of one record writes one worker', () => {
  let a: TestApp;
  let watched: Sql;
  let b: FastifyInstance;
  let gp: string;
  let patientId = '';
  const sent: Sent[] = [];
  const ins = fx.nir('1870675123451');
  const author = { idNatPs: GP.idNatPs, structure: GP.structure };
  const json = (token: string) => ({
    authorization: `Bearer ${token}`,
    'content-type': 'application/fhir+json',
  });

  const onNotice = (n: postgres.Notice): void => {
    const command = /^issuing (.*)$/s.exec(n['message'] ?? '')?.[1];
    const port = /on server \S+@[^:\s]+:(\d+)/.exec(n['detail'] ?? '')?.[1];
    if (command !== undefined && port !== undefined) {
      sent.push({ command, port: Number(port) });
    }
  };

  /** The port of the worker holding the shard `value` hashes to in `table`. */
  async function nodeOf(
    table: 'patient_record' | 'document_unique_id',
    value: string,
  ): Promise<number> {
    const [row] = await a.db.owner<{ nodeport: number }[]>`
      SELECT p.nodeport FROM pg_dist_shard_placement p
        WHERE p.shardid = ${
          table === 'patient_record'
            ? a.db.owner`get_shard_id_for_distribution_column('patient_record', ${value}::uuid)`
            : a.db.owner`get_shard_id_for_distribution_column('document_unique_id', ${value}::text)`
        }`;
    return row!.nodeport;
  }

  /** What one request made the coordinator send: the nodes of its PREPARE TRANSACTIONs and of its writes. */
  async function observe<R extends { statusCode: number; body: string }>(
    status: number,
    send: () => Promise<R>,
  ) {
    sent.length = 0;
    const res = await send();
    expect(res.statusCode, res.body.slice(0, 500)).toBe(status);
    const prepared = sent.filter((s) => /^PREPARE TRANSACTION/i.test(s.command)).map((s) => s.port);
    const locatorWrites = sent
      .filter((s) => /resource_locator_\d+/.test(s.command))
      .map((s) => s.port);
    return { res, prepared, locatorWrites };
  }

  /** The uniqueIds the record's documents of these ids claimed. */
  async function claimsOf(ids: readonly string[]): Promise<string[]> {
    const rows = await a.db.owner<{ unique_id: string }[]>`
      SELECT unique_id FROM document WHERE patient_id = ${patientId} AND id = ANY(${ids as string[]}::uuid[])`;
    expect(rows).toHaveLength(ids.length);
    return rows.map((r) => r.unique_id);
  }

  /** The record's locators, and those whose id does not hash into the record's shard (its hash range). */
  async function locators(): Promise<{ all: number; misplaced: string[] }> {
    const rows = await a.db.owner<{ id: string }[]>`
      SELECT id FROM resource_locator WHERE patient_id = ${patientId}`;
    const ids = rows.map((r) => r.id);
    const misplaced = await a.db.owner<{ id: string }[]>`
      WITH record AS (SELECT shardminvalue FROM pg_dist_shard
          WHERE shardid = get_shard_id_for_distribution_column('patient_record', ${patientId}::uuid))
      SELECT l.id FROM unnest(${ids}::uuid[]) AS l(id)
        JOIN pg_dist_shard s ON s.shardid = get_shard_id_for_distribution_column('resource_locator', l.id)
        WHERE s.shardminvalue IS DISTINCT FROM (SELECT shardminvalue FROM record)`;
    return { all: ids.length, misplaced: misplaced.map((r) => r.id) };
  }

  beforeAll(async () => {
    a = await buildTestApp();
    watched = connect(a.db.appUrl, {
      max: 4,
      settings: { 'citus.log_remote_commands': 'on' },
      onnotice: onNotice,
    });
    b = await buildApp({
      ...a.deps,
      sql: watched,
      log: pino({ level: 'silent' }),
      ids: uuid,
      notify: createNotifier({ clock: a.clock, ids: uuid }),
      caches: createCaches(a.deps.config),
    });
    await b.ready();
    gp = (await b.inject({ method: 'POST', url: '/auth/dev/token', payload: GP })).json<{
      access_token: string;
    }>().access_token;
    const created = await a.app.inject({
      method: 'POST',
      url: '/fhir/Patient',
      headers: json(await a.token(OPERATOR)),
      payload: fx.patientBody(ins),
    });
    expect(created.statusCode, created.body).toBe(201);
    patientId = String(created.json<Json>()['id']);
  });

  afterAll(async () => {
    await b.close();
    await watched.end({ timeout: 5 });
    await a.close();
  });

  it('the server-id look-ups are co-located with the records (migration 0120)', async () => {
    const rows = await a.db.owner<{ logicalrelid: string; colocationid: number }[]>`
      SELECT logicalrelid::text, colocationid FROM pg_dist_partition
        WHERE logicalrelid IN ('patient_record'::regclass, 'resource_locator'::regclass,
          'profile_locator'::regclass)`;
    expect(rows).toHaveLength(3);
    expect(new Set(rows.map((r) => r.colocationid)).size).toBe(1);
  });

  it('N deposits on one record: locators on its shard; a two-phase commit only when the claim is elsewhere', async () => {
    const recordNode = await nodeOf('patient_record', patientId);
    const n = 12;
    let acrossWorkers = 0;
    let claimsElsewhere = 0;
    const documentIds: string[] = [];
    for (let i = 0; i < n; i++) {
      const bytes = fx.n1Bytes(ins, `deposit ${String(i)}`);
      const { res, prepared, locatorWrites } = await observe(201, () =>
        b.inject({
          method: 'POST',
          url: '/fhir/DocumentReference',
          headers: json(gp),
          payload: fx.iti105(fx.pdfDocumentReference(ins, bytes, author), bytes),
        }),
      );
      const id = String(res.json<Json>()['id']);
      documentIds.push(id);
      const [claim] = await claimsOf([id]);
      const claimNode = await nodeOf('document_unique_id', claim!);
      // Its three locators (document, content, SubmissionSet) were written on the record's worker.
      expect(locatorWrites.length).toBeGreaterThanOrEqual(1);
      expect(new Set(locatorWrites)).toEqual(new Set([recordNode]));
      if (claimNode === recordNode) {
        // The record's worker alone: nothing prepared elsewhere (a one-participant PREPARE there: see below).
        expect(prepared, `deposit ${String(i)}: claim on the record's worker`).toEqual([
          recordNode,
        ]);
      } else {
        claimsElsewhere++;
        expect(prepared.toSorted(), `deposit ${String(i)}: claim on :${String(claimNode)}`).toEqual(
          [recordNode, claimNode].toSorted(),
        );
      }
      if (new Set(prepared).size > 1) {
        acrossWorkers++;
      }
    }
    // A two-phase commit across workers exactly when the claim was on the other worker.
    expect(acrossWorkers).toBe(claimsElsewhere);
    // Every locator of the record hashes into the record's shard (same hash range, so the same node).
    expect(await locators()).toEqual({ all: 3 * n, misplaced: [] });
  });

  it('an ITI-65 transaction of two documents and a Folder: its six locators on the record’s shard', async () => {
    const recordNode = await nodeOf('patient_record', patientId);
    const docs = [0, 1].map((i) => {
      const bytes = fx.n1Bytes(ins, `bundle ${String(i)}`);
      return { docRef: fx.pdfDocumentReference(ins, bytes, author), bytes };
    });
    const { res, prepared, locatorWrites } = await observe(200, () =>
      b.inject({
        method: 'POST',
        url: '/fhir',
        headers: json(gp),
        payload: fx.iti65(ins, docs, true),
      }),
    );
    const ids = res
      .json<{ entry: { response: { location: string } }[] }>()
      .entry.map((e) => /DocumentReference\/([0-9a-f-]{36})/.exec(e.response.location)?.[1])
      .filter((id): id is string => id !== undefined);
    expect(ids).toHaveLength(2);
    const claimNodes = await Promise.all(
      (await claimsOf(ids)).map((u) => nodeOf('document_unique_id', u)),
    );
    expect(new Set(locatorWrites)).toEqual(new Set([recordNode]));
    expect(new Set(prepared)).toEqual(new Set([recordNode, ...claimNodes]));
    expect(await locators()).toEqual({ all: 3 * 12 + 6, misplaced: [] });
  });
});
