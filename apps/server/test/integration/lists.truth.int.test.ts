/**
 * Issue 18 point 2 for SubmissionSets and Folders (ADR 0029, docs/registry-model.md): the record of truth of a List is
 * its neutral metadata (domain/documents/list-model.ts) and its members; the FHIR List served is a cache that the one
 * encoder (http/fhir/list-resource.ts) rebuilds from the truth, byte for byte — on the demo data set with Lists
 * deposited through ITI-65 (a SubmissionSet carrying a profile, a sourceId, a designationType, a client's extension,
 * a contained author, a note, a second identifier; a Folder) and ITI-105 (the SubmissionSet the server makes), and on
 * a database written by the previous schema (test/fixtures/previous-schema) migrated forward: each List is served as
 * before, and the SOAP side's neutral view of it (sourceId, authors, title) is what its typed columns said.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { connect } from '../../src/db/client.ts';
import type { Db } from '../../src/db/client.ts';
import type { FolderRow, SubmissionSetRow } from '../../src/db/submissions.repository.ts';
import { migrate, MIGRATIONS_DIR } from '../../src/db/migrate.ts';
import { loadDemoDocuments } from '../../src/demo/documents.ts';
import { loadDemoData } from '../../src/demo/load.ts';
import { MIGRATION_STEPS } from '../../src/migration-steps.ts';
import { listTruth } from '../../src/services/documents/encodings.ts';
import { fhirListText } from '../../src/http/fhir/list-resource.ts';
import { IHE_DESIGNATION_TYPE, IHE_SOURCE_ID } from '../../src/http/fhir/list-reading.ts';
import { withDatabase } from '../helpers/global-setup.ts';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp, GP, OPERATOR } from '../helpers/app.ts';
import * as fx from './documents.fixtures.ts';
import type { Json } from './documents.fixtures.ts';

type Stored =
  | { kind: 'submissionSet'; row: SubmissionSetRow; members: string[] }
  | { kind: 'folder'; row: FolderRow; members: string[] };

async function storedLists(db: Db): Promise<Stored[]> {
  const members = new Map<string, string[]>();
  for (const e of await db<{ list_id: string; document_id: string }[]>`
      SELECT list_id, document_id FROM list_entry ORDER BY patient_id, list_id, position`) {
    members.set(e.list_id, [...(members.get(e.list_id) ?? []), e.document_id]);
  }
  const sets = await db<SubmissionSetRow[]>`SELECT * FROM submission_set ORDER BY patient_id, id`;
  const folders = await db<FolderRow[]>`SELECT * FROM folder ORDER BY patient_id, id`;
  return [
    ...sets.map((row) => ({
      kind: 'submissionSet' as const,
      row,
      members: members.get(row.id) ?? [],
    })),
    ...folders.map((row) => ({ kind: 'folder' as const, row, members: members.get(row.id) ?? [] })),
  ];
}

/** Every List's cached FHIR text, rebuilt from its truth and members alone, must be the very bytes stored. */
function expectRebuilt(lists: readonly Stored[]): void {
  for (const l of lists) {
    expect(fhirListText(listTruth(l.row, l.kind), l.members), l.row.id).toBe(l.row.served);
    expect(l.row.metadata.kind, l.row.id).toBe(l.kind);
  }
}

/** The List the code before migration 0150 served (list-resource.ts servedList of the stored `resource`). */
function previouslyServed(
  resource: Json,
  id: string,
  versionId: number,
  lastUpdated: string,
  members: readonly string[],
): Json {
  const { meta, identifier, ...rest } = resource as Json & { meta?: Json };
  return {
    resourceType: 'List',
    id,
    meta: {
      ...(meta ?? {}),
      versionId: String(versionId),
      lastUpdated: new Date(lastUpdated).toISOString(),
    },
    ...rest,
    identifier: [
      ...(identifier as Json[]),
      { use: 'official', system: 'urn:ietf:rfc:3986', value: `urn:uuid:${id}` },
    ],
    entry: members.map((m) => ({ item: { reference: `DocumentReference/${m}` } })),
  };
}

describe('lists: the neutral truth of SubmissionSets and Folders, and the FHIR List rebuilt from it byte for byte', () => {
  let t: TestApp | undefined;
  const adminUrl = inject('adminUrl');
  const name = `lists_truth_${process.pid}_${Math.random().toString(36).slice(2, 7)}`;
  const before = fs.mkdtempSync(path.join(os.tmpdir(), 'opendmp-lists-truth-'));

  afterAll(async () => {
    await t?.close();
    const admin = connect(adminUrl, { max: 1 });
    await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
    fs.rmSync(before, { recursive: true, force: true });
  });

  it('rebuilds every List of the demo data set and of ITI-65 / ITI-105 deposits, and serves those bytes', async () => {
    t = await buildTestApp({ masterKey: randomBytes(32).toString('base64') });
    await loadDemoData(t.deps);
    await loadDemoDocuments(t.deps);
    const app = t;
    const ins = fx.nir('2790351215189');
    const json = (token: string) => ({
      authorization: `Bearer ${token}`,
      'content-type': 'application/fhir+json',
    });
    const created = await app.app.inject({
      method: 'POST',
      url: '/fhir/Patient',
      headers: json(await app.token(OPERATOR)),
      payload: fx.patientBody(ins),
    });
    expect(created.statusCode, created.body).toBe(201);
    const gp = await app.token(GP);
    const author = { idNatPs: GP.idNatPs, structure: GP.structure };

    // ITI-65: a SubmissionSet with what the neutral model has (sourceId, designationType, author, note, title) and
    // what it has not (a profile, a client's extension, a second identifier), and a Folder.
    const a = fx.n1Bytes(ins, 'a');
    const b = fx.n1Bytes(ins, 'b');
    const bundle = fx.iti65(
      ins,
      [
        { docRef: fx.pdfDocumentReference(ins, a, author), bytes: a, contentType: 'text/xml' },
        { docRef: fx.pdfDocumentReference(ins, b, author), bytes: b, contentType: 'text/xml' },
      ],
      true,
    );
    const set = ((bundle['entry'] as Json[])[0] as Json)['resource'] as Json;
    Object.assign(set, {
      meta: {
        profile: [
          'https://profiles.ihe.net/ITI/MHD/StructureDefinition/IHE.MHD.Comprehensive.SubmissionSet',
        ],
      },
      contained: [
        {
          resourceType: 'Practitioner',
          id: 'author',
          identifier: [{ system: fx.IDNAT_PS, value: GP.idNatPs }],
        },
      ],
      extension: [
        { url: IHE_SOURCE_ID, valueIdentifier: { value: 'urn:oid:1.2.250.1.999.7' } },
        {
          url: IHE_DESIGNATION_TYPE,
          valueCodeableConcept: {
            coding: [
              { system: 'urn:oid:1.2.250.1.213.1.1.4.12', code: '04', display: 'Hospitalisation' },
            ],
          },
        },
        { url: 'https://example.org/fhir/StructureDefinition/batch', valueString: 'kept' },
      ],
      title: 'Lot de test',
      source: { reference: '#author' },
      note: [{ text: 'Commentaire du lot' }],
    });
    (set['identifier'] as Json[]).push({ system: 'urn:oid:1.2.250.1.999.8', value: 'LOT-1' });
    const deposited = await app.app.inject({
      method: 'POST',
      url: '/fhir',
      headers: json(gp),
      payload: bundle,
    });
    expect(deposited.statusCode, deposited.body).toBe(200);
    const locations = deposited
      .json<{ entry: { response: { location: string } }[] }>()
      .entry.map((e) => e.response.location);
    const setId = /^List\/([0-9a-f-]{36})/.exec(locations[0] ?? '')?.[1] as string;
    const folderId = /^List\/([0-9a-f-]{36})/.exec(locations[5] ?? '')?.[1] as string;

    // ITI-105: the SubmissionSet the server makes.
    const c = fx.n1Bytes(ins, 'c');
    const published = await app.app.inject({
      method: 'POST',
      url: '/fhir/DocumentReference',
      headers: json(gp),
      payload: fx.iti105(fx.pdfDocumentReference(ins, c, author), c),
    });
    expect(published.statusCode, published.body).toBe(201);

    const lists = await storedLists(app.db.owner);
    expect(lists.length).toBeGreaterThan(10);
    expectRebuilt(lists);

    // The neutral truth holds the XDS fields; the FHIR client's own parts are carried beside it.
    const stored = lists.find((l) => l.row.id === setId);
    expect(stored?.row.metadata).toEqual({
      kind: 'submissionSet',
      uniqueId: stored?.row.unique_id,
      patientId: stored?.row.patient_id,
      status: 'current',
      title: 'Lot de test',
      comments: 'Commentaire du lot',
      sourceId: 'urn:oid:1.2.250.1.999.7',
      contentTypeCode: '04',
      authorIdNatPs: [GP.idNatPs],
      codeList: [],
      time: '2024-05-01T10:00:00+02:00',
    });
    expect(Object.keys(stored?.row.fhir_carried ?? {}).sort()).toEqual([
      'contained',
      'extension',
      'identifier',
      'meta',
      'source',
    ]);
    const published105 = lists.find(
      (l) => l.kind === 'submissionSet' && l.members.includes(String(published.json<Json>()['id'])),
    );
    expect(published105?.row.fhir_carried).toBeNull();

    // What a reader is served is those bytes: a read, and the search-set entry of ITI-66 (the patient sees all).
    const holder = await app.token({ kind: 'patient', ins });
    for (const id of [setId, folderId, published105?.row.id ?? '']) {
      const res = await app.app.inject({
        method: 'GET',
        url: `/fhir/List/${id}`,
        headers: { authorization: `Bearer ${holder}` },
      });
      expect(res.statusCode, `${id} ${res.body}`).toBe(200);
      expect(res.body).toBe(lists.find((l) => l.row.id === id)?.row.served);
    }
    const found = await app.app.inject({
      method: 'GET',
      url: `/fhir/List?patient.identifier=${encodeURIComponent(`${fx.TEST_SYSTEM}|${ins}`)}`,
      headers: { authorization: `Bearer ${holder}` },
    });
    expect(found.statusCode, found.body).toBe(200);
    const entries = found.json<{ entry: { resource: Json }[] }>().entry;
    expect(entries.length).toBe(3);
    for (const e of entries) {
      expect(JSON.stringify(e.resource)).toBe(
        lists.find((l) => l.row.id === e.resource['id'])?.row.served,
      );
    }
    // The cached List keeps what the client sent beside the truth, where FHIR puts it.
    const served = JSON.parse(stored?.row.served ?? '{}') as Json;
    expect(served).toMatchObject({
      meta: { profile: expect.any(Array) as unknown, versionId: '1' },
      title: 'Lot de test',
      note: [{ text: 'Commentaire du lot' }],
    });
    expect(served['identifier']).toEqual([
      (set['identifier'] as Json[])[0],
      { system: 'urn:oid:1.2.250.1.999.8', value: 'LOT-1' },
      { use: 'official', system: 'urn:ietf:rfc:3986', value: `urn:uuid:${setId}` },
    ]);
  }, 300_000);

  it('migrates a database of the previous schema forward: same Lists served, rebuilt byte for byte', async () => {
    const fixture = JSON.parse(
      gunzipSync(
        fs.readFileSync(new URL('../fixtures/previous-schema/documents.json.gz', import.meta.url)),
      ).toString('utf8'),
    ) as Record<string, Json[]>;
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
        expect.arrayContaining(['0150_list_truth.sql', '0151_list_truth_required.sql']),
      );
      const [former] = await sql<{ n: number }[]>`SELECT count(*)::int AS n
        FROM information_schema.columns
        WHERE table_name IN ('submission_set', 'folder') AND column_name = 'resource'`;
      expect(former?.n).toBe(0);

      const lists = await storedLists(sql);
      const previous = [...(fixture['submission_set'] ?? []), ...(fixture['folder'] ?? [])];
      expect(lists.length).toBe(previous.length);
      expect(lists.some((l) => l.kind === 'folder')).toBe(true);
      expectRebuilt(lists);
      for (const l of lists) {
        const old = previous.find((p) => p['id'] === l.row.id) as Json;
        const served =
          l.kind === 'folder'
            ? previouslyServed(
                old['resource'] as Json,
                l.row.id,
                Number(old['version_id']),
                String(old['updated_at']),
                l.members,
              )
            : previouslyServed(
                old['resource'] as Json,
                l.row.id,
                1,
                String(old['submitted_at']),
                l.members,
              );
        // What a client is served is the same List (member order aside: the former truth was jsonb).
        expect(JSON.parse(l.row.served), l.row.id).toEqual(served);
        // The SOAP side's neutral view is what the typed columns said.
        expect(l.row.metadata.uniqueId).toBe(old['unique_id']);
        if (l.kind === 'submissionSet') {
          expect(l.row.metadata.authorIdNatPs).toEqual(old['author_ids']);
          expect(l.row.metadata.sourceId).toBe(old['source_id'] ?? undefined);
        } else {
          expect(l.row.metadata.title).toBe(old['title'] ?? undefined);
          expect(l.row.metadata.codeList).toEqual(old['codes']);
        }
      }
    } finally {
      await sql.end();
    }
  }, 300_000);
});
