import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp, GP, OPERATOR } from '../helpers/app.ts';
import { documentDeps } from '../../src/services/documents/context.ts';
import * as fx from './documents.fixtures.ts';
import type { Json } from './documents.fixtures.ts';
import { createCaches } from '../../src/caches.ts';

/**
 * Issue 20: Citus as a supported target. The whole integration suite runs on a Citus cluster in CI (.ci/run); this
 * file holds what the rest of the suite did not already show: the distribution itself, and the uniqueness of a
 * producer's uniqueId across records, which Citus broke silently (finding 4: the row count of INSERT … SELECT … ON
 * CONFLICT DO NOTHING is the rows selected, not inserted). Runs on plain PostgreSQL too (same answers expected).
 */
const onCitus = inject('workerUrls').length > 0;

describe('Citus: the distribution, and uniqueIds unique across the DMP', () => {
  let t: TestApp;
  let gp: string;
  const json = (token: string) => ({
    authorization: `Bearer ${token}`,
    'content-type': 'application/fhir+json',
  });
  const author = { idNatPs: GP.idNatPs, structure: GP.structure };
  const insA = fx.nir('1840175116045');
  const insB = fx.nir('2850299123456');
  const insC = fx.nir('1860375116078');

  async function createRecord(ins: string): Promise<string> {
    const res = await t.app.inject({
      method: 'POST',
      url: '/fhir/Patient',
      headers: json(await t.token(OPERATOR)),
      payload: fx.patientBody(ins),
    });
    expect(res.statusCode, res.body).toBe(201);
    return String(res.json<Json>()['id']);
  }

  function deposit(ins: string, text: string, masterIdentifier?: unknown) {
    const bytes = fx.n1Bytes(ins, text, masterIdentifier ? { masterIdentifier } : {});
    const docRef = fx.pdfDocumentReference(
      ins,
      bytes,
      author,
      masterIdentifier ? { masterIdentifier } : {},
    );
    return { docRef, bytes, payload: fx.iti105(docRef, bytes) };
  }

  /** The uniqueId as stored (an OID without its `urn:oid:` prefix). */
  const storedId = (docRef: Json) =>
    (docRef['masterIdentifier'] as { value: string }).value.replace(/^urn:oid:/, '');

  beforeAll(async () => {
    t = await buildTestApp();
    gp = await t.token(GP);
  });
  afterAll(async () => {
    await t.close();
  });

  it.runIf(onCitus)(
    'distributes the patient tables by patient_id (co-located), the look-ups by their key, the directory as reference tables',
    async () => {
      const rows = await t.db.owner<
        { table: string; method: string; column: string | null; colocation: number }[]
      >`
        SELECT logicalrelid::text AS table, partmethod::text || repmodel::text AS method,
          column_to_column_name(logicalrelid, partkey) AS column, colocationid AS colocation
        FROM pg_dist_partition`;
      const by = new Map(rows.map((r) => [r.table, r]));
      const record = by.get('patient_record');
      expect(record).toMatchObject({ method: 'hs', column: 'patient_id' });
      for (const table of [
        'document',
        'document_content',
        'audit_event',
        'consent',
        'outbox',
        'inbox',
        'care_line',
        'profile_entry',
        'record_tombstone',
        'legal_representative',
      ]) {
        expect(by.get(table), table).toMatchObject({
          method: 'hs',
          column: 'patient_id',
          colocation: record!.colocation,
        });
      }
      expect(by.get('ins_index')).toMatchObject({ method: 'hs', column: 'ins' });
      expect(by.get('document_unique_id')).toMatchObject({ method: 'hs', column: 'unique_id' });
      expect(by.get('resource_locator')).toMatchObject({ method: 'hs', column: 'id' });
      for (const table of ['structure', 'professional', 'professional_structure']) {
        expect(by.get(table), table).toMatchObject({ method: 'nt' });
      }
      // The system chain, striped (migration 0072): distributed by stripe, events with their heads.
      expect(by.get('system_audit_head')).toMatchObject({ method: 'hs', column: 'stripe' });
      expect(by.get('system_audit_event')).toMatchObject({
        method: 'hs',
        column: 'stripe',
        colocation: by.get('system_audit_head')!.colocation,
      });
      const [shards] = await t.db.owner<{ n: number }[]>`
        SELECT count(*)::int AS n FROM pg_dist_shard WHERE logicalrelid = 'patient_record'::regclass`;
      expect(shards!.n).toBe(32);
      const [fn] = await t.db.owner<{ n: number }[]>`
        SELECT count(*)::int AS n FROM pg_dist_object o JOIN pg_proc p ON p.oid = o.objid
        WHERE p.proname IN ('append_record_audit', 'purge_record_audit') AND o.distribution_argument_index = 0`;
      expect(fn!.n).toBe(2);
    },
  );

  it('the same uniqueId deposited on another record → 409 DOC_UNIQUE_ID_EXISTS; one record holds it', async () => {
    await createRecord(insA);
    await createRecord(insB);
    const first = deposit(insA, 'on record A');
    const ok = await t.app.inject({
      method: 'POST',
      url: '/fhir/DocumentReference',
      headers: json(gp),
      payload: first.payload,
    });
    expect(ok.statusCode, ok.body).toBe(201);
    const uniqueId = storedId(first.docRef);
    const again = deposit(insB, 'on record B', first.docRef['masterIdentifier']);
    const res = await t.app.inject({
      method: 'POST',
      url: '/fhir/DocumentReference',
      headers: json(gp),
      payload: again.payload,
    });
    expect(res.statusCode, res.body).toBe(409);
    expect(fx.issueCodes(res.body)).toEqual(['DOC_UNIQUE_ID_EXISTS']);
    const holders = await t.db.owner`SELECT patient_id FROM document WHERE unique_id = ${uniqueId}`;
    expect(holders).toHaveLength(1);
  });

  it('concurrent deposits of one uniqueId on two records: one 201, the others 409', async () => {
    const first = deposit(insA, 'raced across records');
    const other = deposit(insB, 'raced across records', first.docRef['masterIdentifier']);
    const answers = await Promise.all(
      [first, other, first, other].map((d) =>
        t.app.inject({
          method: 'POST',
          url: '/fhir/DocumentReference',
          headers: json(gp),
          payload: d.payload,
        }),
      ),
    );
    const statuses = answers.map((a) => a.statusCode).sort();
    expect(statuses, answers.map((a) => a.body.slice(0, 200)).join('\n')).toEqual([
      201, 409, 409, 409,
    ]);
    const uniqueId = storedId(first.docRef);
    expect(await t.db.owner`SELECT 1 FROM document WHERE unique_id = ${uniqueId}`).toHaveLength(1);
    expect(
      await t.db.owner`SELECT 1 FROM document_unique_id WHERE unique_id = ${uniqueId}`,
    ).toHaveLength(1);
  });

  it('two first deposits on a new record at once: both stored under the one data key, both read back', async () => {
    const patientId = await createRecord(insC);
    const docs = [deposit(insC, 'first of two'), deposit(insC, 'second of two')];
    const answers = await Promise.all(
      docs.map((d) =>
        t.app.inject({
          method: 'POST',
          url: '/fhir/DocumentReference',
          headers: json(gp),
          payload: d.payload,
        }),
      ),
    );
    for (const a of answers) {
      expect(a.statusCode, a.body).toBe(201);
    }
    // Opened by a process that never read the record's key: the key the contents were sealed with is stored.
    const fresh = documentDeps({ ...t.deps, caches: createCaches(t.deps.config) }).contents;
    for (const [i, a] of answers.entries()) {
      const url = ((a.json<Json>()['content'] as Json[])[0]!['attachment'] as { url: string }).url;
      const contentId = url.split('/').pop() ?? '';
      expect((await fresh.get(t.db.sql, patientId, contentId))?.equals(docs[i]!.bytes)).toBe(true);
    }
  });
});
