/**
 * Issue 18 point 2 (ADR 0020, docs/registry-model.md): the record of truth of a document entry is its typed columns
 * and neutral metadata; the FHIR DocumentReference served is a cache that the one encoder rebuilds from the truth,
 * byte for byte — on the demo data set (with documents then masked, archived, deleted, replaced, and one carrying a
 * client's extension and context.related), and on a database written by the previous schema (the rows of
 * test/fixtures/previous-schema, captured from the code before migration 0080) migrated forward: what a client is
 * served is unchanged, and the metadata the registry answers is what it answered before.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { connect } from '../../src/db/client.ts';
import type { Db } from '../../src/db/client.ts';
import type { DocumentRow } from '../../src/db/documents.repository.ts';
import { migrate, MIGRATIONS_DIR } from '../../src/db/migrate.ts';
import { loadDemoDocuments } from '../../src/demo/documents.ts';
import { loadDemoData } from '../../src/demo/load.ts';
import { MIGRATION_STEPS } from '../../src/migration-steps.ts';
import { loadDemoCareHistory } from '../../src/services/care-history-demo.ts';
import { encodeEntry } from '../../src/services/documents/encodings.ts';
import { registryEntry } from '../../src/services/documents/registry-entry.ts';
import { fhirEncodings, servedDocumentText } from '../../src/http/fhir/document-resource.ts';
import { loadDemoProfiles } from '../../src/demo/profiles.ts';
import { withDatabase } from '../helpers/global-setup.ts';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp, GP, OPERATOR } from '../helpers/app.ts';
import * as fx from './documents.fixtures.ts';
import type { Json } from './documents.fixtures.ts';

const ALL = `patient_id, id, entry_uuid, entry_version, version_id, status, archived, type_code, class_code, confidentiality, author_ids,
  author_structures, depositor_kind, depositor_id, deposited_at, unique_id, lineage_id, replaces_id, format_code,
  facility_code, setting_code, event_codes, related_ids, depositor_structure, submission_set_id, doc_date,
  creation_time, service_start, service_stop, updated_at, content_id, mime_type, size::float8 AS size, sha1,
  subject_patient_id, metadata, fhir_carried, served`;

async function storedRows(db: Db): Promise<DocumentRow[]> {
  return db.unsafe<DocumentRow[]>(`SELECT ${ALL} FROM document ORDER BY patient_id, id`);
}

/** Every row's cached FHIR text, rebuilt from its truth alone, must be the very bytes stored. */
function expectRebuilt(rows: readonly DocumentRow[]): void {
  for (const row of rows) {
    const { served, ...truth } = row;
    expect(encodeEntry(fhirEncodings, truth).served, row.id).toBe(served);
  }
}

describe('documents: the neutral truth, and the FHIR encoding rebuilt from it byte for byte', () => {
  let t: TestApp | undefined;
  const adminUrl = inject('adminUrl');
  const name = `truth_${process.pid}_${Math.random().toString(36).slice(2, 7)}`;
  const before = fs.mkdtempSync(path.join(os.tmpdir(), 'opendmp-truth-'));

  afterAll(async () => {
    await t?.close();
    const admin = connect(adminUrl, { max: 1 });
    await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
    fs.rmSync(before, { recursive: true, force: true });
  });

  it('rebuilds every entry of the demo data set, and of documents changed through the API', async () => {
    t = await buildTestApp({ masterKey: randomBytes(32).toString('base64') });
    await loadDemoData(t.deps);
    await loadDemoDocuments(t.deps);
    await loadDemoCareHistory(t.deps);
    await loadDemoProfiles(t.deps);

    const app = t;
    const ins = fx.nir('2790351215189');
    const json = (token: string) => ({
      authorization: `Bearer ${token}`,
      'content-type': 'application/fhir+json',
    });
    const operator = await app.token(OPERATOR);
    const created = await app.app.inject({
      method: 'POST',
      url: '/fhir/Patient',
      headers: json(operator),
      payload: fx.patientBody(ins),
    });
    expect(created.statusCode, created.body).toBe(201);
    const gp = await app.token(GP);
    const author = { idNatPs: GP.idNatPs, structure: GP.structure };
    const publish = async (text: string, overrides: Json = {}): Promise<string> => {
      const bytes = fx.n1Bytes(ins, text);
      const res = await app.app.inject({
        method: 'POST',
        url: '/fhir/DocumentReference',
        headers: json(gp),
        payload: fx.iti105(fx.pdfDocumentReference(ins, bytes, author, overrides), bytes),
      });
      expect(res.statusCode, res.body).toBe(201);
      // The deposit's answer is the cached encoding of version 1.
      const id = String(res.json<Json>()['id']);
      const [row] = await app.db.owner<
        { served: string }[]
      >`SELECT served FROM document WHERE id = ${id}`;
      expect(res.body).toBe(servedDocumentText(row?.served ?? '', app.deps.config.publicBaseUrl));
      return id;
    };
    const patch = async (id: string, ops: unknown[]): Promise<void> => {
      const res = await app.app.inject({
        method: 'PATCH',
        url: `/fhir/DocumentReference/${id}`,
        headers: { authorization: `Bearer ${gp}`, 'content-type': 'application/json-patch+json' },
        payload: JSON.stringify(ops),
      });
      expect(res.statusCode, res.body).toBe(200);
    };
    const context = fx.pdfDocumentReference(ins, fx.n1Bytes(ins), author)['context'] as Json;
    const carried = await publish('carried', {
      extension: [
        { valueString: 'kept', url: 'https://example.org/fhir/StructureDefinition/client-note' },
      ],
      context: {
        ...context,
        related: [
          { identifier: { system: 'urn:oid:1.2.250.1.999', value: 'ORDER-42' }, display: 'o' },
        ],
      },
    });
    const masked = await publish('masked');
    await patch(masked, [
      {
        op: 'add',
        path: '/securityLabel/-',
        value: { coding: [{ system: fx.A07, code: 'MASQUE_PS' }] },
      },
    ]);
    const archived = await publish('archived');
    await patch(archived, [{ op: 'replace', path: '/extension/0/valueBoolean', value: true }]);
    const deleted = await publish('deleted');
    await patch(deleted, [{ op: 'replace', path: '/status', value: 'entered-in-error' }]);
    const v1 = await publish('v1');
    await publish('v2', {
      relatesTo: [{ code: 'replaces', target: { reference: `DocumentReference/${v1}` } }],
    });

    const rows = await storedRows(app.db.owner);
    expect(rows.length).toBeGreaterThan(80);
    expectRebuilt(rows);

    // What a reader is served is those bytes (the public URL in place of the marker).
    const holder = await app.token({ kind: 'patient', ins });
    for (const id of [carried, archived, v1]) {
      const res = await app.app.inject({
        method: 'GET',
        url: `/fhir/DocumentReference/${id}`,
        headers: { authorization: `Bearer ${holder}` },
      });
      expect(res.statusCode, `${id} ${res.body}`).toBe(200);
      const row = rows.find((r) => r.id === id);
      expect(res.body).toBe(servedDocumentText(row?.served ?? '', app.deps.config.publicBaseUrl));
    }
    const kept = rows.find((r) => r.id === carried);
    expect(kept?.fhir_carried).toEqual({
      extension: [
        { url: 'https://example.org/fhir/StructureDefinition/client-note', valueString: 'kept' },
      ],
      related: [
        { identifier: { system: 'urn:oid:1.2.250.1.999', value: 'ORDER-42' }, display: 'o' },
      ],
    });
    const replaced = rows.find((r) => r.replaces_id === v1);
    expect(replaced?.metadata.relatesTo).toEqual([{ code: 'replaces', targetId: v1 }]);
    // Masking made a new metadata version (ADR 0021): a new entryUUID, the logicalId kept, the former one recorded.
    const maskedRow = rows.find((r) => r.id === masked);
    expect(maskedRow?.entry_version).toBe(2);
    expect(maskedRow?.entry_uuid).not.toBe(masked);
    expect(JSON.parse(maskedRow?.served ?? '{}')).toMatchObject({
      id: maskedRow?.entry_uuid,
      identifier: [{ value: `urn:uuid:${masked}` }],
    });
    const past = await app.db.owner`SELECT entry_uuid, entry_version FROM document_past_entry
      WHERE document_id = ${masked}`;
    expect(past).toEqual([{ entry_uuid: masked, entry_version: 1 }]);
    expect(rows.find((r) => r.id === masked)?.metadata.confidentiality.map((c) => c.code)).toEqual([
      'N',
      'MASQUE_PS',
    ]);
  }, 300_000);

  it('migrates a database of the previous schema forward: same bytes rebuilt, same answers', async () => {
    const fixture = JSON.parse(
      gunzipSync(
        fs.readFileSync(new URL('../fixtures/previous-schema/documents.json.gz', import.meta.url)),
      ).toString('utf8'),
    ) as Record<string, Json[]> & { metadata: Record<string, Json | null> };
    const admin = connect(adminUrl, { max: 1 });
    await admin.unsafe(`CREATE DATABASE ${name}`);
    await admin.end();
    for (const f of fs.readdirSync(MIGRATIONS_DIR).filter((f) => f < '0080')) {
      fs.copyFileSync(path.join(MIGRATIONS_DIR, f), path.join(before, f));
    }
    const sql = connect(withDatabase(adminUrl, name), { max: 1 });
    try {
      await migrate(sql, MIGRATION_STEPS, before);
      for (const table of [
        'record_data_key',
        'document_content',
        'submission_set',
        'folder',
        'document',
        'list_entry',
        'resource_locator',
        'document_unique_id',
      ]) {
        await sql`INSERT INTO ${sql(table)}
          SELECT * FROM jsonb_populate_recordset(NULL::${sql(table)}, ${sql.json(fixture[table] as never)})`;
      }
      const applied = await migrate(sql, MIGRATION_STEPS);
      expect(applied).toEqual(
        expect.arrayContaining(['0080_document_truth.sql', '0081_document_truth_required.sql']),
      );
      const [former] = await sql<
        { n: number }[]
      >`SELECT count(*)::int AS n FROM information_schema.columns
        WHERE table_name = 'document' AND column_name = 'resource'`;
      expect(former?.n).toBe(0);

      const rows = await storedRows(sql);
      const previous = fixture['document'] ?? [];
      expect(rows.length).toBe(previous.length);
      expectRebuilt(rows);
      for (const row of rows) {
        const old = previous.find((p) => p['id'] === row.id);
        // What a client is served is the same resource (member order aside: rows changed before kept jsonb's).
        expect(JSON.parse(row.served), row.id).toEqual(JSON.parse(String(old?.['served'])));
        const answered = fixture.metadata[row.id];
        if (answered) {
          // The registry answers the metadata it answered before (registry-entry.ts read it back from FHIR), but
          // for what the FHIR encoding added to it: the served Binary URL and isArchived (the entry's `archived`).
          const { contentUrl: _url, archived: _archived, ...neutral } = answered;
          expect(JSON.parse(JSON.stringify(registryEntry(row).metadata)), row.id).toEqual(neutral);
        }
      }
      // Documents whose authors lack an IdNat_PS no longer fail to read as registry entries.
      expect(Object.values(fixture.metadata).filter((m) => m === null).length).toBeGreaterThan(0);
    } finally {
      await sql.end();
    }
  }, 300_000);
});
