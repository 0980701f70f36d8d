import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { levelOneContent } from '../../src/cda/level-one.ts';
import * as wrap from '../../src/db/document-wrap.repository.ts';
import * as documents from '../../src/db/documents.repository.ts';
import { documentDeps } from '../../src/services/documents/context.ts';
import { encodeEntry } from '../../src/services/documents/encodings.ts';
import { wrapBareDocuments } from '../../src/services/documents/wrap-bare.ts';
import { parseCda } from '../../src/validation/cda.ts';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp, GP, OPERATOR } from '../helpers/app.ts';
import * as fx from './documents.fixtures.ts';
import type { Json } from './documents.fixtures.ts';
import { fhirEncodings } from '../../src/http/fhir/document-resource.ts';

/**
 * Documents stored bare before rule 9 (issue 17; ADR 0014) are wrapped in place in a CDA N1 by the service at start:
 * same document, same uniqueId, next version, a schema-valid CDA holding the very bytes, traced; a second run finds
 * nothing; a file no CDA N1 carries is left as it is.
 */
describe('documents: stored bare documents wrapped in a CDA N1 (issue 17 rule 9)', () => {
  let t: TestApp;
  let gp: string;
  let patientId: string;
  const masterKey = randomBytes(32).toString('base64');
  const ins = fx.nir('1650975012377');
  const author = { idNatPs: GP.idNatPs, structure: GP.structure };
  const json = (token: string) => ({
    authorization: `Bearer ${token}`,
    'content-type': 'application/fhir+json',
  });

  /** A document as a deposit before rule 9 left it: its content the bare file, under its XDS-SD format. */
  async function legacyBareDocument(file: Buffer, mimeType: string): Promise<string> {
    const n1 = fx.n1Bytes(ins, 'legacy', {}, author);
    const res = await t.app.inject({
      method: 'POST',
      url: '/fhir/DocumentReference',
      headers: json(gp),
      payload: fx.iti105(fx.pdfDocumentReference(ins, n1, author), n1),
    });
    expect(res.statusCode, res.body.slice(0, 300)).toBe(201);
    const id = String(res.json<Json>()['id']);
    const deps = documentDeps(t.deps);
    await t.db.owner.begin(async (tx) => {
      const row = await documents.lockDocument(tx, patientId, id);
      if (!row) {
        throw new Error('deposited document not found');
      }
      const sealed = await deps.contents.seal(tx, patientId, [file]);
      const content = sealed.contents[0];
      if (!content) {
        throw new Error('nothing sealed');
      }
      const sha1 = createHash('sha1').update(file).digest();
      const metadata = {
        ...row.metadata,
        mimeType,
        size: file.byteLength,
        hash: sha1.toString('hex'),
      };
      const at = new Date();
      await wrap.replaceDocumentContent(
        tx,
        patientId,
        id,
        {
          fromVersion: row.version_id,
          formerContentId: row.content_id,
          contentId: content.contentId,
          sealed: content,
          mimeType,
          size: file.byteLength,
          sha1,
          metadata,
          ...encodeEntry(fhirEncodings, {
            ...row,
            content_id: content.contentId,
            mime_type: mimeType,
            size: file.byteLength,
            sha1,
            metadata,
            version_id: row.version_id + 1,
            updated_at: at,
          }),
        },
        at,
      );
    });
    return id;
  }

  async function read(id: string): Promise<Json> {
    const res = await t.app.inject({
      method: 'GET',
      url: `/fhir/DocumentReference/${id}`,
      headers: { authorization: `Bearer ${gp}` },
    });
    expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
    return res.json<Json>();
  }

  async function retrieve(doc: Json): Promise<{ type: string; bytes: Buffer }> {
    const attachment = ((doc['content'] as Json[])[0] as Json)['attachment'] as Json;
    const res = await t.app.inject({
      method: 'GET',
      url: new URL(String(attachment['url'])).pathname,
      headers: { authorization: `Bearer ${gp}`, accept: '*/*' },
    });
    expect(res.statusCode).toBe(200);
    return { type: String(res.headers['content-type']), bytes: res.rawPayload };
  }

  beforeAll(async () => {
    t = await buildTestApp({ masterKey });
    const operator = await t.token(OPERATOR);
    const res = await t.app.inject({
      method: 'POST',
      url: '/fhir/Patient',
      headers: json(operator),
      payload: fx.patientBody(ins),
    });
    expect(res.statusCode, res.body).toBe(201);
    patientId = String(res.json<Json>()['id']);
    gp = await t.token(GP);
    await t.app.inject({
      method: 'POST',
      url: '/fhir/Consent',
      headers: json(gp),
      payload: fx.consentBody(ins, GP.idNatPs),
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('wraps a stored bare PDF in place: same document, next version, a schema-valid CDA N1 of the same bytes', async () => {
    const pdf = fx.pdfBytes('compte rendu déposé avant la règle 9');
    const id = await legacyBareDocument(pdf, 'application/pdf');
    const before = await read(id);
    expect((await retrieve(before)).bytes.equals(pdf)).toBe(true);

    const summary = await wrapBareDocuments(documentDeps(t.deps));
    expect(summary).toEqual({ wrapped: 1, unwrappable: 0, skipped: 0 });

    const after = await read(id);
    expect(after['id']).toBe(id);
    expect(after['masterIdentifier']).toEqual(before['masterIdentifier']);
    expect(Number((after['meta'] as Json)['versionId'])).toBe(
      Number((before['meta'] as Json)['versionId']) + 1,
    );
    const content = (after['content'] as Json[])[0] as Json;
    const attachment = content['attachment'] as Json;
    expect(attachment['contentType']).toBe('text/xml');
    expect((content['format'] as Json)['code']).toBe('urn:ihe:iti:xds-sd:pdf:2008');
    const { bytes: cda } = await retrieve(after);
    expect(attachment['size']).toBe(cda.byteLength);
    expect(attachment['hash']).toBe(fx.sha1Base64(cda));
    const parsed = parseCda(cda);
    expect(parsed.ok, JSON.stringify(parsed.ok ? '' : parsed.error)).toBe(true);
    expect(levelOneContent(cda)?.equals(pdf)).toBe(true);
    if (parsed.ok) {
      const uniqueId = String((before['masterIdentifier'] as Json)['value']).replace(
        'urn:oid:',
        '',
      );
      expect(parsed.value.id.root).toBe(uniqueId);
      expect(parsed.value.ins).toEqual({ value: ins, oid: fx.TEST_OID });
    }
    // The former Binary is gone; ITI-67 serves the new version.
    const former = ((before['content'] as Json[])[0] as Json)['attachment'] as Json;
    const gone = await t.app.inject({
      method: 'GET',
      url: new URL(String(former['url'])).pathname,
      headers: { authorization: `Bearer ${gp}` },
    });
    expect(gone.statusCode).toBe(404);
    const search = await t.app.inject({
      method: 'GET',
      url: `/fhir/DocumentReference?patient.identifier=${encodeURIComponent(`${fx.TEST_SYSTEM}|${ins}`)}`,
      headers: { authorization: `Bearer ${gp}` },
    });
    const found = search
      .json<{ entry: { resource: Json }[] }>()
      .entry.map((e) => e.resource)
      .find((r) => r['id'] === id);
    expect(found?.['content']).toEqual(after['content']);
    // Traced in the record's chain, without content.
    const [trace] = await t.db.owner<
      Json[]
    >`SELECT action, outcome, entity_id, detail FROM audit_event
      WHERE patient_id = ${patientId} AND action = 'document.wrap'`;
    expect(trace).toMatchObject({ action: 'document.wrap', outcome: 'success', entity_id: id });
    expect(trace?.['detail']).toMatchObject({
      formerSha1: createHash('sha1').update(pdf).digest('hex'),
      mediaType: 'application/pdf',
    });
  });

  it('is idempotent: a second run finds nothing to wrap', async () => {
    expect(await wrapBareDocuments(documentDeps(t.deps))).toEqual({
      wrapped: 0,
      unwrappable: 0,
      skipped: 0,
    });
  });

  it('leaves a file no CDA N1 carries as it is, and says so', async () => {
    const html = Buffer.from('<html><body>ancien dépôt</body></html>', 'utf8');
    const id = await legacyBareDocument(html, 'text/html');
    expect(await wrapBareDocuments(documentDeps(t.deps))).toEqual({
      wrapped: 0,
      unwrappable: 1,
      skipped: 0,
    });
    const doc = await read(id);
    expect((await retrieve(doc)).bytes.equals(html)).toBe(true);
  });

  it('wraps them on demand too: `opendmp documents wrap-bare` (exit 1 while an unwrappable one is left)', async () => {
    const pdf = fx.pdfBytes('déposé avant la règle 9, repris en ligne de commande');
    const id = await legacyBareDocument(pdf, 'application/pdf');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: t.db.url,
      OPENDMP_MASTER_KEY: masterKey,
    };
    delete env['INIT_CWD'];
    const bin = fileURLToPath(new URL('../../bin/opendmp.js', import.meta.url));
    const r = spawnSync(process.execPath, [bin, 'documents', 'wrap-bare'], {
      env,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.stdout, r.stderr).toContain('Wrapped 1 document(s) in a CDA N1; 1 cannot be wrapped');
    expect(r.status).toBe(1);
    expect(r.stderr).not.toContain('ancien dépôt');
    const { bytes } = await retrieve(await read(id));
    expect(levelOneContent(bytes)?.equals(pdf)).toBe(true);
  });
});
