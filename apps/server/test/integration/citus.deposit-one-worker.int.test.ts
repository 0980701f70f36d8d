import { createHash } from 'node:crypto';
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
import type { Deps } from '../../src/services/deps.ts';
import * as documents from '../../src/db/documents.repository.ts';
import * as wrap from '../../src/db/document-wrap.repository.ts';
import { documentDeps } from '../../src/services/documents/context.ts';
import { encodeEntry } from '../../src/services/documents/encodings.ts';
import { wrapBareDocuments } from '../../src/services/documents/wrap-bare.ts';
import { fhirEncodings } from '../../src/http/fhir/document-resource.ts';
import { XDS } from '../../src/xds/ebrim.ts';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp, GP, OPERATOR } from '../helpers/app.ts';
import * as fx from './documents.fixtures.ts';
import type { Json } from './documents.fixtures.ts';
import * as x from './xds.fixtures.ts';

/**
 * Issue 20, finding 8 (ADR 0031, migration 0120): a deposit of one record writes one worker. `resource_locator` is
 * co-located with `patient_record` and the deposit's server ids are drawn into the record's shard, so its locators
 * are written beside the record's rows; the uniqueId claim (`document_unique_id`, distributed by the uniqueId) stays
 * the one write that may land elsewhere. What the coordinator sends to the workers is read from its own log of them
 * (`citus.log_remote_commands`, one notice per command with the node it went to): a deposit whose claims are on the
 * record's worker commits there alone, without a two-phase commit (migration 0180, ADR 0035: no COPY); one whose
 * claim is on the other worker is a two-phase commit over exactly those two. The other server ids of a record (a
 * consent's, a metadata update's new entryUUID, a wrapped document's new content id) are drawn into its shard too
 * (ADR 0035). The record's rows are written by one call of store_submission_record on the record's worker (migration
 * 0186, ADR 0038): the workers' own notices (what that call runs there and sends from there) are relayed to the
 * coordinator's client. Only on Citus.
 */
const onCitus = inject('workerUrls').length > 0;

interface Sent {
  readonly command: string;
  /** The node that ran the command: where it was sent, or where it ran locally. */
  readonly port: number;
  /** The node that sent it: the coordinator, or a worker running a delegated function. */
  readonly from: number;
}

const COORDINATOR = Number(new URL(inject('adminUrl')).port);

describe.runIf(onCitus)('Citus: a deposit of one record writes one worker', () => {
  let a: TestApp;
  let watched: Sql;
  let b: FastifyInstance;
  let bDeps: Deps;
  let gp: string;
  let patientId = '';
  const sent: Sent[] = [];
  const ins = fx.nir('1870675123451');
  const author = { idNatPs: GP.idNatPs, structure: GP.structure };
  const json = (token: string) => ({
    authorization: `Bearer ${token}`,
    'content-type': 'application/fhir+json',
  });

  /**
   * The coordinator's own log of what it sends (`issuing …`, the node in the detail), and, relayed from the workers
   * with `from host:port` as the detail, what a delegated function sends from its worker and what it runs there
   * (`citus.log_remote_commands` and `citus.log_local_commands`, set on the workers for this test's database).
   */
  const onNotice = (n: postgres.Notice): void => {
    const message = n['message'] ?? '';
    const detail = n['detail'] ?? '';
    const relayed = /^from [^:\s]+:(\d+)$/.exec(detail)?.[1];
    const from = relayed === undefined ? COORDINATOR : Number(relayed);
    const local = /^executing the command locally: (.*)$/s.exec(message)?.[1];
    if (local !== undefined && relayed !== undefined) {
      sent.push({ command: local, port: from, from });
      return;
    }
    const issued = /^issuing (.*?)(?:\nDETAIL:\s+(on server .*))?$/s.exec(message);
    const port = /on server \S+@[^:\s]+:(\d+)/.exec(issued?.[2] ?? detail)?.[1];
    if (issued?.[1] !== undefined && port !== undefined) {
      sent.push({ command: issued[1], port: Number(port), from });
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

  /**
   * What `send` made the nodes run: the nodes that received a PREPARE TRANSACTION, those that wrote a locator, and
   * the commands the coordinator itself sent.
   */
  async function watch<R>(send: () => Promise<R>) {
    sent.length = 0;
    const result = await send();
    const prepared = sent.filter((s) => /^PREPARE TRANSACTION/i.test(s.command)).map((s) => s.port);
    const locatorWrites = sent
      .filter((s) => /^(INSERT INTO|COPY) \S*resource_locator_\d+/i.test(s.command))
      .map((s) => s.port);
    const fromCoordinator = sent.filter((s) => s.from === COORDINATOR);
    return { result, prepared, locatorWrites, fromCoordinator };
  }

  /**
   * Of what the coordinator sent: the nodes its calls of store_submission_record went to, and its writes other than
   * the uniqueId claims and the locators (which it writes itself, migration 0186) and the commit's commands.
   */
  function recordWrites(fromCoordinator: readonly Sent[]) {
    return {
      calls: fromCoordinator
        .filter((s) => /store_submission_record\(/.test(s.command))
        .map((s) => s.port),
      others: fromCoordinator
        .filter(
          (s) =>
            /^(INSERT|UPDATE|DELETE|COPY)\b/i.test(s.command) &&
            !/^INSERT INTO \S*(document_unique_id|resource_locator)_\d+ /i.test(s.command),
        )
        .map((s) => s.command.slice(0, 60)),
    };
  }

  /** {@link watch} of one request, answered with `status`. */
  async function observe<R extends { statusCode: number; body: string }>(
    status: number,
    send: () => Promise<R>,
  ) {
    const { result: res, ...seen } = await watch(send);
    expect(res.statusCode, res.body.slice(0, 500)).toBe(status);
    return { res, ...seen };
  }

  /** The uniqueIds the record's documents of these ids claimed. */
  async function claimsOf(ids: readonly string[]): Promise<string[]> {
    const rows = await a.db.owner<{ unique_id: string }[]>`
      SELECT unique_id FROM document WHERE patient_id = ${patientId} AND id = ANY(${ids as string[]}::uuid[])`;
    expect(rows).toHaveLength(ids.length);
    return rows.map((r) => r.unique_id);
  }

  /** Those of `ids` that do not hash into the record's shard (its hash range). */
  async function offRecordShard(ids: readonly string[]): Promise<string[]> {
    const misplaced = await a.db.owner<{ id: string }[]>`
      WITH record AS (SELECT shardminvalue FROM pg_dist_shard
          WHERE shardid = get_shard_id_for_distribution_column('patient_record', ${patientId}::uuid))
      SELECT l.id FROM unnest(${ids as string[]}::uuid[]) AS l(id)
        JOIN pg_dist_shard s ON s.shardid = get_shard_id_for_distribution_column('resource_locator', l.id)
        WHERE s.shardminvalue IS DISTINCT FROM (SELECT shardminvalue FROM record)`;
    return misplaced.map((r) => r.id);
  }

  /** The record's locators, and those whose id does not hash into the record's shard. */
  async function locators(): Promise<{ all: number; misplaced: string[] }> {
    const rows = await a.db.owner<{ id: string }[]>`
      SELECT id FROM resource_locator WHERE patient_id = ${patientId}`;
    const ids = rows.map((r) => r.id);
    return { all: ids.length, misplaced: await offRecordShard(ids) };
  }

  beforeAll(async () => {
    a = await buildTestApp();
    // The workers log what a delegated function runs there and sends from there; Citus relays those notices to the
    // coordinator's client (set before the watched pool's connections to the workers open).
    await Promise.all(
      inject('workerUrls').map(async (url) => {
        const worker = connect(url, { max: 1 });
        try {
          await worker.unsafe(`ALTER DATABASE ${a.db.name} SET citus.log_remote_commands = on`);
          await worker.unsafe(`ALTER DATABASE ${a.db.name} SET citus.log_local_commands = on`);
        } finally {
          await worker.end();
        }
      }),
    );
    watched = connect(a.db.appUrl, {
      max: 4,
      settings: { 'citus.log_remote_commands': 'on' },
      onnotice: onNotice,
    });
    bDeps = {
      ...a.deps,
      sql: watched,
      log: pino({ level: 'silent' }),
      ids: uuid,
      notify: createNotifier({ clock: a.clock, ids: uuid }),
      caches: createCaches(a.deps.config),
    };
    b = await buildApp(bDeps);
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
      const { res, prepared, locatorWrites, fromCoordinator } = await observe(201, () =>
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
      // The record's rows are written by one call on the record's worker; the coordinator writes only the claim and
      // the locators itself (ADR 0038).
      expect(recordWrites(fromCoordinator)).toEqual({ calls: [recordNode], others: [] });
      // Its three locators (document, content, SubmissionSet) were written on the record's worker, by one statement
      // (migration 0193: one multi-row INSERT … VALUES, one round trip; one INSERT each before).
      expect(locatorWrites).toEqual([recordNode]);
      if (claimNode === recordNode) {
        // The record's worker alone: a plain commit there, no two-phase commit at all (migration 0180: no COPY).
        expect(prepared, `deposit ${String(i)}: claim on the record's worker`).toEqual([]);
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
    const { res, prepared, locatorWrites, fromCoordinator } = await observe(200, () =>
      b.inject({
        method: 'POST',
        url: '/fhir',
        headers: json(gp),
        payload: fx.iti65(ins, docs, true),
      }),
    );
    // Two contents: delegated as well (their ciphertexts folded into one constant array, migration 0186).
    expect(recordWrites(fromCoordinator)).toEqual({ calls: [recordNode], others: [] });
    const ids = res
      .json<{ entry: { response: { location: string } }[] }>()
      .entry.map((e) => /DocumentReference\/([0-9a-f-]{36})/.exec(e.response.location)?.[1])
      .filter((id): id is string => id !== undefined);
    expect(ids).toHaveLength(2);
    const claimNodes = await Promise.all(
      (await claimsOf(ids)).map((u) => nodeOf('document_unique_id', u)),
    );
    // Its six locators in one statement (migration 0193).
    expect(locatorWrites).toEqual([recordNode]);
    // Prepared on the record's worker and the claims' only when a claim is on the other worker.
    expect(new Set(prepared)).toEqual(
      claimNodes.every((n) => n === recordNode) ? new Set() : new Set([recordNode, ...claimNodes]),
    );
    expect(await locators()).toEqual({ all: 3 * 12 + 6, misplaced: [] });
  });

  it('an ITI-65 whose first claim is on the other worker, its second on the record’s: a two-phase commit over both', async () => {
    // Migration 0181: the claims were written first (migration 0180), and Citus does not see a second node written
    // through a connection the transaction opened for a read: this deposit committed on both workers without 2PC.
    const recordNode = await nodeOf('patient_record', patientId);
    // The record's data key exists (a first deposit writes it first, on the record's worker: not the case here).
    const first = fx.n1Bytes(ins, 'before the claims', {}, author);
    await observe(201, () =>
      b.inject({
        method: 'POST',
        url: '/fhir/DocumentReference',
        headers: json(gp),
        payload: fx.iti105(fx.pdfDocumentReference(ins, first, author), first),
      }),
    );
    const pick = async (onRecord: boolean): Promise<string> => {
      for (;;) {
        const oid = fx.freshOid();
        if (((await nodeOf('document_unique_id', oid)) === recordNode) === onRecord) {
          return oid;
        }
      }
    };
    const oids = [await pick(false), await pick(true)];
    const docs = oids.map((oid, i) => {
      const bytes = fx.n1Bytes(
        ins,
        `claims ${String(i)}`,
        { masterIdentifier: { value: `urn:oid:${oid}` } },
        author,
      );
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
    expect((await claimsOf(ids)).toSorted()).toEqual(oids.toSorted());
    expect(locatorWrites).toEqual([recordNode]);
    const other = await nodeOf('document_unique_id', oids[0]!);
    expect(other).not.toBe(recordNode);
    expect(prepared.toSorted()).toEqual([recordNode, other].toSorted());
  });

  it('a consent: its id drawn into the record’s shard, its locator written on the record’s worker, no two-phase commit', async () => {
    const recordNode = await nodeOf('patient_record', patientId);
    const { res, prepared, locatorWrites } = await observe(201, () =>
      b.inject({
        method: 'POST',
        url: '/fhir/Consent',
        headers: json(gp),
        payload: fx.consentBody(ins, GP.idNatPs),
      }),
    );
    const id = String(res.json<Json>()['id']);
    const [locator] = await a.db.owner<{ kind: string }[]>`
      SELECT kind FROM resource_locator WHERE id = ${id} AND patient_id = ${patientId}`;
    expect(locator?.kind).toBe('Consent');
    expect(await offRecordShard([id])).toEqual([]);
    expect(locatorWrites).toEqual([recordNode]);
    // One worker, a plain commit: the consent's notifications are written by an `INSERT … VALUES`, routed to the
    // record's shard (outbox.repository insertOutboxRows; it was an `INSERT … SELECT`, a COPY on Citus, and a
    // two-phase commit on that one worker).
    expect(prepared).toEqual([]);
  });

  it('ITI-57 archiving a document: the new entryUUID the server chose drawn into the record’s shard', async () => {
    const recordNode = await nodeOf('patient_record', patientId);
    const [doc] = await a.db.owner<{ id: string; entry_uuid: string }[]>`
      SELECT id, entry_uuid FROM document WHERE patient_id = ${patientId} AND status = 'current'
        ORDER BY id LIMIT 1`;
    const viaB = { ...a, app: b } as TestApp;
    const assertion = await x.vihf(viaB, GP);
    const {
      result: answer,
      prepared,
      locatorWrites,
    } = await watch(() =>
      x.soap(viaB, 'registry', x.iti57(assertion, x.statusUpdate(doc!.id, XDS.archived))),
    );
    expect(x.registryOutcome(answer.root), answer.text).toMatchObject({ errors: [] });
    const [after] = await a.db.owner<{ entry_uuid: string; archived: boolean }[]>`
      SELECT entry_uuid, archived FROM document WHERE patient_id = ${patientId} AND id = ${doc!.id}`;
    expect(after?.archived).toBe(true);
    expect(after?.entry_uuid).not.toBe(doc!.entry_uuid);
    expect(await offRecordShard([after!.entry_uuid])).toEqual([]);
    expect(locatorWrites).toEqual([recordNode]);
    expect(prepared).toEqual([]);
  });

  it('a bare document wrapped in place: its new content id drawn into the record’s shard', async () => {
    const recordNode = await nodeOf('patient_record', patientId);
    // A document as a deposit before rule 9 left it (as documents.wrap-bare does): its content a bare PDF.
    const pdf = fx.pdfBytes('compte rendu déposé avant la règle 9');
    const [doc] = await a.db.owner<{ id: string }[]>`
      SELECT id FROM document WHERE patient_id = ${patientId} AND status = 'current' AND NOT archived
        ORDER BY id LIMIT 1`;
    const deps = documentDeps(bDeps);
    await a.db.owner.begin(async (tx) => {
      const row = await documents.lockDocument(tx, patientId, doc!.id);
      const sealed = await deps.contents.seal(tx, patientId, [pdf]);
      const content = sealed.contents[0];
      if (!row || !content) {
        throw new Error('no document or nothing sealed');
      }
      const sha1 = createHash('sha1').update(pdf).digest();
      const metadata = {
        ...row.metadata,
        mimeType: 'application/pdf',
        size: pdf.byteLength,
        hash: sha1.toString('hex'),
      };
      const at = new Date();
      const change = {
        content_id: content.contentId,
        mime_type: 'application/pdf',
        size: pdf.byteLength,
        sha1,
        metadata,
      };
      await wrap.replaceDocumentContent(
        tx,
        patientId,
        row.id,
        {
          fromVersion: row.version_id,
          formerContentId: row.content_id,
          contentId: content.contentId,
          sealed: content,
          mimeType: 'application/pdf',
          size: pdf.byteLength,
          sha1,
          metadata,
          ...encodeEntry(fhirEncodings, {
            ...row,
            ...change,
            version_id: row.version_id + 1,
            updated_at: at,
          }),
        },
        at,
      );
    });
    const { result: summary, locatorWrites } = await watch(() => wrapBareDocuments(deps));
    expect(summary).toEqual({ wrapped: 1, unwrappable: 0, skipped: 0 });
    const [after] = await a.db.owner<{ content_id: string; mime_type: string }[]>`
      SELECT content_id, mime_type FROM document WHERE patient_id = ${patientId} AND id = ${doc!.id}`;
    expect(after?.mime_type).toBe('text/xml');
    expect(await offRecordShard([after!.content_id])).toEqual([]);
    expect(locatorWrites).toEqual([recordNode]);
  });
});
