import type { FastifyInstance } from 'fastify';
import type postgres from 'postgres';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { connect } from '../../src/db/client.ts';
import type { Sql } from '../../src/db/client.ts';
import { findRetrievalOf } from '../../src/db/documents.repository.ts';
import { findNotificationFacts } from '../../src/db/outbox.repository.ts';
import { findRecordForDeposit } from '../../src/db/records.repository.ts';
import { createNotifier } from '../../src/services/notifications/notify.ts';
import { uuid } from '../../src/services/deps.ts';
import { mergeRecords } from '../../src/services/record-merge.ts';
import { purgeDueRecords } from '../../src/services/records.ts';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp, GP, OPERATOR } from '../helpers/app.ts';
import * as fx from './documents.fixtures.ts';
import type { Json } from './documents.fixtures.ts';
import { createCaches } from '../../src/caches.ts';

/**
 * Issue 20, finding 7: every single-patient statement of a search, a read, a retrieval and their traces is planned
 * by Citus to one shard. A second instance of the service runs on a pool whose connections ask Citus to refuse any
 * statement planned into more than one task (`citus.multi_task_query_log_level = error`: the planner's task count,
 * read for every statement the service sends, stored functions' statements included); the requests must all answer
 * as on one node. Only on Citus.
 */
const onCitus = inject('workerUrls').length > 0;

describe.runIf(onCitus)('Citus: single-patient requests are planned to one shard', () => {
  let a: TestApp;
  let strictSql: Sql;
  let b: FastifyInstance;
  let gp: string;
  let patient: string;
  const ins = fx.nir('2840575123456');
  const auth = (token: string) => ({ authorization: `Bearer ${token}` });
  const json = (token: string) => ({ ...auth(token), 'content-type': 'application/fhir+json' });
  let documentId = '';
  let consentId = '';
  let binary = '';

  beforeAll(async () => {
    a = await buildTestApp();
    strictSql = connect(a.db.appUrl, {
      max: 4,
      settings: { 'citus.multi_task_query_log_level': 'error' },
    });
    b = await buildApp({
      ...a.deps,
      sql: strictSql,
      log: pino({ level: 'silent' }),
      ids: uuid,
      notify: createNotifier({ clock: a.clock, ids: uuid }),
      // Its own memory, as another instance has.
      caches: createCaches(a.deps.config),
    });
    await b.ready();
    const token = async (body: Json) =>
      (await b.inject({ method: 'POST', url: '/auth/dev/token', payload: body })).json<{
        access_token: string;
      }>().access_token;
    gp = await token(GP);
    patient = await token({ kind: 'patient', ins });
    const operator = await a.token(OPERATOR);
    const gpAtA = await a.token(GP);
    const created = await a.app.inject({
      method: 'POST',
      url: '/fhir/Patient',
      headers: json(operator),
      payload: fx.patientBody(ins),
    });
    expect(created.statusCode, created.body).toBe(201);
    const consent = await a.app.inject({
      method: 'POST',
      url: '/fhir/Consent',
      headers: json(gpAtA),
      payload: fx.consentBody(ins, GP.idNatPs),
    });
    expect(consent.statusCode, consent.body).toBe(201);
    consentId = String(consent.json<Json>()['id']);
    const bytes = fx.n1Bytes(ins);
    const res = await a.app.inject({
      method: 'POST',
      url: '/fhir/DocumentReference',
      headers: json(gpAtA),
      payload: fx.iti105(
        fx.pdfDocumentReference(ins, bytes, { idNatPs: GP.idNatPs, structure: GP.structure }),
        bytes,
      ),
    });
    expect(res.statusCode, res.body).toBe(201);
    const doc = res.json<Json>();
    documentId = String(doc['id']);
    binary = new URL(String((((doc['content'] as Json[])[0] as Json)['attachment'] as Json)['url']))
      .pathname;
  });

  afterAll(async () => {
    await b.close();
    await strictSql.end({ timeout: 5 });
    await a.close();
  });

  it('the strict pool refuses a statement that goes to every shard (the check can fail)', async () => {
    await expect(strictSql`SELECT count(*) FROM document`).rejects.toThrow(/multi-task/);
    await expect(
      strictSql`SELECT count(*) FROM document WHERE patient_id = ${a.deps.ids()}`,
    ).resolves.toHaveLength(1);
  });

  it('a deposit’s reads of the record (row, consents, notification facts) are one shard each', async () => {
    const record = await findRecordForDeposit(strictSql, createCaches(a.deps.config), ins);
    expect(record?.ins).toBe(ins);
    const facts = await strictSql.begin((tx) =>
      findNotificationFacts(tx, record!.patient_id, { documentId }),
    );
    expect(facts?.document?.id).toBe(documentId);
  });

  it('a retrieval of a content whose record is known reads its facts, revision and sealed bytes on one shard, in one statement', async () => {
    const contentId = binary.split('/').pop() ?? '';
    const record = await findRecordForDeposit(strictSql, createCaches(a.deps.config), ins);
    const read = await findRetrievalOf(strictSql, record!.patient_id, contentId);
    expect(read?.facts.id).toBe(documentId);
    expect(read?.revision).toBe(record?.documents_revision);
    expect(read?.content?.ciphertext.byteLength).toBeGreaterThan(0);
    expect(await findRetrievalOf(strictSql, record!.patient_id, a.deps.ids())).toBeUndefined();
  });

  const requests: [string, () => string, () => string][] = [
    [
      'search (ITI-67)',
      () =>
        `/fhir/DocumentReference?patient.identifier=${encodeURIComponent(`${fx.TEST_SYSTEM}|${ins}`)}`,
      () => gp,
    ],
    ['read (DocumentReference/{id})', () => `/fhir/DocumentReference/${documentId}`, () => gp],
    ['retrieval (ITI-68)', () => binary, () => gp],
    [
      'the record (Patient search by INS)',
      () => `/fhir/Patient?identifier=${encodeURIComponent(`${fx.TEST_SYSTEM}|${ins}`)}`,
      () => gp,
    ],
    ['the holder’s access history (AuditEvent)', () => '/fhir/AuditEvent', () => patient],
    // Its record through resource_locator, then the consent on that record (migration 0073, ADR 0027).
    ['a consent by its id (Consent/{id})', () => `/fhir/Consent/${consentId}`, () => patient],
  ];

  it('a login and a miss by id are traced on one shard each (the system chain’s stripes, ADR 0026)', async () => {
    // The logins of beforeAll went through the strict pool already; one more, of another actor.
    const login = await b.inject({
      method: 'POST',
      url: '/auth/dev/token',
      payload: { kind: 'patient', ins: fx.nir('1840575123457') },
    });
    expect(login.statusCode, login.body).toBe(200);
    // A document id that names nothing: its locator probe, then its miss traced on the caller's stripe.
    const miss = await b.inject({
      method: 'GET',
      url: `/fhir/DocumentReference/${a.deps.ids()}`,
      headers: auth(gp),
    });
    expect(miss.statusCode, miss.body.slice(0, 300)).toBe(404);
    const [traced] = await a.db.owner<{ n: number }[]>`
      SELECT count(*)::int AS n FROM system_audit_event WHERE action = 'auth.login'`;
    expect(traced!.n).toBeGreaterThanOrEqual(3);
  });

  for (const [what, url, token] of requests) {
    it(`${what}: on fresh facts, then on remembered facts with its conditional trace`, async () => {
      for (let i = 0; i < 2; i++) {
        const res = await b.inject({ method: 'GET', url: url(), headers: auth(token()) });
        expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
      }
    });
  }
  /**
   * The purge and the merge: besides the record's own rows, they write the look-up tables, which are distributed by
   * their own keys (`ins_index`, `document_unique_id` by the INS and the uniqueId; `resource_locator` and
   * `profile_locator` by the id, co-located with the records). Filtered on `patient_id`, such a statement went to
   * every shard (and `ins_index` has no index on `patient_id`: a scan of every record of the country per purge).
   * What the coordinator sends is read from its log (`citus.log_remote_commands`): every shard of a look-up table
   * it touches must be the shard of one of the records' keys, every shard co-located with the records one of theirs.
   */
  describe('the merge and the purge: look-up tables reached by their keys', () => {
    let watched: Sql;
    const sent: string[] = [];
    /** Shard id → its table and the start of its hash range. */
    const shards = new Map<string, { table: string; min: string }>();
    let serial = 0;

    beforeAll(async () => {
      watched = connect(a.db.appUrl, {
        max: 4,
        settings: { 'citus.log_remote_commands': 'on' },
        onnotice: (n: postgres.Notice) => {
          const command = /^issuing (.*)$/s.exec(n['message'] ?? '')?.[1];
          if (command !== undefined) {
            sent.push(command);
          }
        },
      });
      const rows = await a.db.owner<{ shardid: string; table: string; min: string | null }[]>`
        SELECT shardid::text, logicalrelid::text AS table, shardminvalue AS min FROM pg_dist_shard`;
      for (const r of rows) {
        shards.set(r.shardid, { table: r.table, min: r.min ?? '' });
      }
    });

    afterAll(async () => {
      await watched.end({ timeout: 5 });
    });

    /** A new record with a document and a consent. */
    async function record(): Promise<{ id: string; ins: string }> {
      const recordIns = fx.nir(`18003751${String(40000 + serial++).padStart(5, '0')}`);
      const created = await a.app.inject({
        method: 'POST',
        url: '/fhir/Patient',
        headers: json(await a.token(OPERATOR)),
        payload: fx.patientBody(recordIns),
      });
      expect(created.statusCode, created.body).toBe(201);
      const gpAtA = await a.token(GP);
      const bytes = fx.n1Bytes(recordIns, `purge ${String(serial)}`);
      const deposit = await a.app.inject({
        method: 'POST',
        url: '/fhir/DocumentReference',
        headers: json(gpAtA),
        payload: fx.iti105(
          fx.pdfDocumentReference(recordIns, bytes, {
            idNatPs: GP.idNatPs,
            structure: GP.structure,
          }),
          bytes,
        ),
      });
      expect(deposit.statusCode, deposit.body).toBe(201);
      const consent = await a.app.inject({
        method: 'POST',
        url: '/fhir/Consent',
        headers: json(gpAtA),
        payload: fx.consentBody(recordIns, GP.idNatPs),
      });
      expect(consent.statusCode, consent.body).toBe(201);
      return { id: String(created.json<Json>()['id']), ins: recordIns };
    }

    /** The shards of `table` that `values` hash to. */
    async function shardsOf(table: string, values: readonly string[]): Promise<Set<string>> {
      const rows = await a.db.owner<{ shardid: string }[]>`
        SELECT DISTINCT get_shard_id_for_distribution_column(${table}::regclass, v)::text AS shardid
          FROM unnest(${[...values]}::text[]) AS v`;
      return new Set(rows.map((r) => r.shardid));
    }

    /** The records' keys in the look-up tables (read as the owner), as the shards they hash to. */
    async function keysOf(ids: readonly string[], ins: readonly string[]) {
      const u = await a.db.owner<{ k: string }[]>`
        SELECT unique_id AS k FROM document WHERE patient_id = ANY(${[...ids]}::uuid[])`;
      const l = await a.db.owner<{ k: string }[]>`
        SELECT id::text AS k FROM resource_locator WHERE patient_id = ANY(${[...ids]}::uuid[])`;
      const ranges = await a.db.owner<{ min: string }[]>`
        SELECT s.shardminvalue AS min FROM unnest(${[...ids]}::uuid[]) AS r(id)
          JOIN pg_dist_shard s ON s.shardid = get_shard_id_for_distribution_column('patient_record', r.id)`;
      return {
        ins: await shardsOf('ins_index', ins),
        uniqueIds: await shardsOf(
          'document_unique_id',
          u.map((r) => r.k),
        ),
        locators: await shardsOf(
          'resource_locator',
          l.map((r) => r.k),
        ),
        uniqueIdCount: u.length,
        ranges: new Set(ranges.map((r) => r.min)),
      };
    }

    /**
     * The shards of each table the coordinator sent commands to while `run` ran, and those not allowed: a look-up
     * table's shard not among its keys', a shard co-located with the records outside the records' hash ranges.
     * Commands matching `across` (a statement across records by design) are left out.
     */
    async function watch(
      run: () => Promise<unknown>,
      keys: Awaited<ReturnType<typeof keysOf>>,
      across?: RegExp,
    ): Promise<{ touched: Map<string, Set<string>>; strays: string[] }> {
      sent.length = 0;
      await run();
      const touched = new Map<string, Set<string>>();
      for (const command of sent.filter((c) => !across?.test(c))) {
        for (const [, id] of command.matchAll(/_(\d+)\b/g)) {
          const shard = shards.get(id!);
          if (shard) {
            touched.set(shard.table, (touched.get(shard.table) ?? new Set()).add(id!));
          }
        }
      }
      const colocated = new Set(
        (
          await a.db.owner<{ table: string }[]>`
            SELECT logicalrelid::text AS table FROM pg_dist_partition WHERE colocationid =
              (SELECT colocationid FROM pg_dist_partition WHERE logicalrelid = 'patient_record'::regclass)`
        ).map((r) => r.table),
      );
      const allowed = (table: string, id: string): boolean => {
        switch (table) {
          case 'ins_index':
            return keys.ins.has(id);
          case 'document_unique_id':
            return keys.uniqueIds.has(id);
          case 'resource_locator':
            return keys.locators.has(id);
          default:
            return !colocated.has(table) || keys.ranges.has(shards.get(id)!.min);
        }
      };
      const strays = [...touched].flatMap(([table, ids]) =>
        [...ids].filter((id) => !allowed(table, id)).map((id) => `${table}_${id}`),
      );
      return { touched, strays };
    }

    it('a merge re-points the absorbed record’s INS, claims and locators on their shards; the survivor’s purge deletes them there', async () => {
      const survivor = await record();
      const absorbed = await record();
      const keys = await keysOf([survivor.id, absorbed.id], [survivor.ins, absorbed.ins]);
      expect(keys.uniqueIdCount).toBe(2);
      const merge = await watch(async () => {
        const merged = await mergeRecords(
          { ...a.deps, sql: watched },
          { kind: 'operator', id: 'ops' },
          survivor.id,
          absorbed.id,
          true,
        );
        expect(merged.absorbedId).toBe(absorbed.id);
      }, keys);
      expect(merge.strays).toEqual([]);
      expect(merge.touched.get('ins_index')?.size).toBe(1);
      const [moved] = await a.db.owner<{ ins: number; claims: number; locators: number }[]>`
        SELECT (SELECT count(*)::int FROM ins_index WHERE ins = ${absorbed.ins}
            AND patient_id = ${survivor.id}) AS ins,
          (SELECT count(*)::int FROM document_unique_id WHERE patient_id = ${survivor.id}) AS claims,
          (SELECT count(*)::int FROM resource_locator WHERE patient_id = ${absorbed.id}) AS locators`;
      expect(moved).toEqual({ ins: 1, claims: 2, locators: 0 });

      // The survivor, which absorbed a record, purged: its INS and the absorbed record's, its claims, its locators.
      const asked = await a.app.inject({
        method: 'POST',
        url: `/fhir/Patient/${survivor.id}/$request-deletion`,
        headers: {
          authorization: `Bearer ${await a.token({ kind: 'patient', ins: survivor.ins })}`,
        },
      });
      expect(asked.statusCode, asked.body).toBe(200);
      // The absorbed record's row is read by its id (the INS it held, listed in the survivor's merged_from).
      const after = await keysOf([survivor.id, absorbed.id], [survivor.ins, absorbed.ins]);
      a.clock.offsetMs = 24 * 3600 * 1000;
      try {
        const purge = await watch(
          async () => {
            expect((await purgeDueRecords({ ...a.deps, sql: watched })).purged).toBe(1);
            // The job's search for closed records goes to every shard by design (a simple filter, in batches).
          },
          after,
          /^SELECT\b.*\bpatient_record_\d+\b.*'closed'/s,
        );
        expect(purge.strays).toEqual([]);
        expect(purge.touched.get('ins_index')?.size).toBeGreaterThanOrEqual(1);
        expect(purge.touched.get('document_unique_id')?.size).toBeGreaterThanOrEqual(1);
        // The survivor's shard and the absorbed record's, where its locators stay (ADR 0031).
        expect(purge.touched.get('resource_locator')?.size).toBe(2);
      } finally {
        a.clock.offsetMs = 0;
      }
      const [left] = await a.db.owner<{ ins: number; claims: number; locators: number }[]>`
        SELECT (SELECT count(*)::int FROM ins_index
            WHERE ins IN (${survivor.ins}, ${absorbed.ins})) AS ins,
          (SELECT count(*)::int FROM document_unique_id WHERE patient_id = ${survivor.id}) AS claims,
          (SELECT count(*)::int FROM resource_locator WHERE patient_id = ${survivor.id}) AS locators`;
      expect(left).toEqual({ ins: 0, claims: 0, locators: 0 });
    });
  });
});
