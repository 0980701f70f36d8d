import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp, OPERATOR } from '../helpers/app.ts';
import * as fx from './documents.fixtures.ts';
import type { Json } from './documents.fixtures.ts';

/**
 * Issue 3 acceptance: every ANS CDA example is deposited through ITI-105 and through ITI-65 (its recordTarget
 * rewritten to a record created here), found again through ITI-67 with type and date filters, and retrieved
 * byte-identical through ITI-68; the original examples whose INS key is wrong are refused; the database holds
 * no document byte in clear.
 */
interface Deposited {
  readonly name: string;
  readonly bytes: Buffer;
  readonly id: string;
  readonly token: string;
  /** Who reads it back (the author, or the patient for the operator's class-60 documents). */
  readonly reader: string;
  readonly typeCode: string;
  readonly via: 'ITI-105' | 'ITI-65';
}

describe('documents: every ANS CDA example, deposited, found and retrieved', () => {
  let t: TestApp;
  let operator: string;
  const ins = fx.nir('2790351215189');
  const deposited: Deposited[] = [];
  const auth = (token: string) => ({ authorization: `Bearer ${token}` });
  const json = (token: string) => ({ ...auth(token), 'content-type': 'application/fhir+json' });

  beforeAll(async () => {
    t = await buildTestApp({ masterKey: randomBytes(32).toString('base64') });
    operator = await t.token(OPERATOR);
    const res = await t.app.inject({
      method: 'POST',
      url: '/fhir/Patient',
      headers: json(operator),
      payload: fx.patientBody(ins),
    });
    expect(res.statusCode).toBe(201);
  });
  afterAll(async () => {
    await t.close();
  });

  const consented = new Set<string>();

  /**
   * The token of the CDA's author (the operator for the reimbursement history, class 60), and the token that
   * reads it back: the author once their software declared the patient's consent, or the patient for class 60.
   */
  async function depositorToken(
    bytes: Buffer,
  ): Promise<{ token: string; reader: string; typeCode: string }> {
    const h = fx.header(bytes);
    if (h.code.code === 'REMB') {
      return {
        token: operator,
        reader: await t.token({ kind: 'patient', ins }),
        typeCode: h.code.code,
      };
    }
    const body = fx.authorTokenBody(h);
    const token = await t.token(body);
    const idNatPs = String(body['idNatPs']);
    if (!consented.has(idNatPs)) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/fhir/Consent',
        headers: json(token),
        payload: fx.consentBody(ins, idNatPs),
      });
      expect(res.statusCode, res.body).toBeLessThan(300);
      consented.add(idNatPs);
    }
    return { token, reader: token, typeCode: h.code.code };
  }

  it('accepts every example through ITI-105 (simplified publish)', async () => {
    const names = fx.cdaExamples();
    expect(names.length).toBeGreaterThanOrEqual(30);
    for (const name of names) {
      const bytes = Buffer.from(fx.rewriteIns(fx.readExample(name), ins), 'utf8');
      const { token, reader, typeCode } = await depositorToken(bytes);
      const res = await t.app.inject({
        method: 'POST',
        url: '/fhir/DocumentReference',
        headers: json(token),
        payload: fx.iti105(fx.cdaDocumentReference(ins, bytes), bytes),
      });
      expect(res.statusCode, `${name}: ${res.body.slice(0, 500)}`).toBe(201);
      const doc = res.json<Json>();
      expect(res.headers['location']).toContain(
        `/fhir/DocumentReference/${String(doc['id'])}/_history/1`,
      );
      expect(doc['status']).toBe('current');
      expect(JSON.stringify(doc['type'])).toContain(typeCode);
      // The answer is served from the rows as written: it is exactly what a read returns afterwards.
      const read = await t.app.inject({
        method: 'GET',
        url: `/fhir/DocumentReference/${String(doc['id'])}`,
        headers: auth(reader),
      });
      expect(read.json<Json>(), name).toEqual(doc);
      deposited.push({
        name,
        bytes,
        id: String(doc['id']),
        token,
        reader,
        typeCode,
        via: 'ITI-105',
      });
    }
  });

  it('accepts every example through ITI-65 (provide bundle) with a transaction-response', async () => {
    for (const name of fx.cdaExamples()) {
      const xml = fx.rewriteDocumentId(fx.rewriteIns(fx.readExample(name), ins), fx.freshOid());
      const bytes = Buffer.from(xml, 'utf8');
      const { token, reader, typeCode } = await depositorToken(bytes);
      const res = await t.app.inject({
        method: 'POST',
        url: '/fhir',
        headers: json(token),
        payload: fx.iti65(ins, [{ docRef: fx.cdaDocumentReference(ins, bytes), bytes }]),
      });
      expect(res.statusCode, `${name}: ${res.body.slice(0, 500)}`).toBe(200);
      const bundle = res.json<{
        type: string;
        entry: { response: { status: string; location: string } }[];
      }>();
      expect(bundle.type).toBe('transaction-response');
      expect(bundle.entry.map((e) => e.response.status)).toEqual([
        '201 Created',
        '201 Created',
        '201 Created',
      ]);
      const [list, docRef, binary] = bundle.entry.map((e) => e.response.location);
      expect(list).toMatch(/^List\/[0-9a-f-]{36}\/_history\/1$/);
      expect(binary).toMatch(/^Binary\/[0-9a-f-]{36}$/);
      const id = /^DocumentReference\/([0-9a-f-]{36})\/_history\/1$/.exec(docRef ?? '')?.[1];
      expect(id, docRef).toBeDefined();
      deposited.push({ name, bytes, id: id as string, token, reader, typeCode, via: 'ITI-65' });
    }
  });

  it('finds each document through ITI-67 with type and date filters, newest first', async () => {
    const gpToken = deposited[0]?.reader as string;
    const all = await t.app.inject({
      method: 'GET',
      url: `/fhir/DocumentReference?patient.identifier=${encodeURIComponent(`${fx.TEST_SYSTEM}|${ins}`)}&_count=1000`,
      headers: auth(gpToken),
    });
    expect(all.statusCode).toBe(200);
    const today = new Date().toISOString().slice(0, 10);
    for (const d of deposited) {
      const read = await t.app.inject({
        method: 'GET',
        url: `/fhir/DocumentReference/${d.id}`,
        headers: auth(d.reader),
      });
      expect(read.statusCode, d.name).toBe(200);
      const creation = ((read.json<Json>()['content'] as Json[])[0]?.['attachment'] as Json)[
        'creation'
      ] as string;
      const query = new URLSearchParams({
        'patient.identifier': `${fx.TEST_SYSTEM}|${ins}`,
        type: d.typeCode,
        creation,
        _count: '1000',
      });
      query.append('date', `ge${today}`);
      const res = await t.app.inject({
        method: 'GET',
        url: `/fhir/DocumentReference?${query.toString()}`,
        headers: auth(d.reader),
      });
      expect(res.statusCode, `${d.name}: ${res.body.slice(0, 300)}`).toBe(200);
      const bundle = res.json<{ total: number; entry?: { resource: Json }[] }>();
      const ids = (bundle.entry ?? []).map((e) => e.resource['id']);
      expect(ids, `${d.via} ${d.name}`).toContain(d.id);
      // The search answer splices stored JSON text: it must be the very resource a read serves.
      const found = (bundle.entry ?? []).find((e) => e.resource['id'] === d.id);
      expect(found?.resource, `${d.via} ${d.name}`).toEqual(read.json<Json>());
      for (const e of bundle.entry ?? []) {
        expect(JSON.stringify(e.resource['type'])).toContain(`"${d.typeCode}"`);
      }
      const none = await t.app.inject({
        method: 'GET',
        url: `/fhir/DocumentReference?${new URLSearchParams({ 'patient.identifier': `${fx.TEST_SYSTEM}|${ins}`, type: d.typeCode, date: 'lt2000-01-01' }).toString()}`,
        headers: auth(d.reader),
      });
      expect(none.json<{ total: number }>().total, d.name).toBe(0);
    }
  });

  it('retrieves each document byte-identical with its Content-Type and SHA-1 ETag (ITI-68)', async () => {
    for (const d of deposited) {
      const read = await t.app.inject({
        method: 'GET',
        url: `/fhir/DocumentReference/${d.id}`,
        headers: auth(d.reader),
      });
      const attachment = ((read.json<Json>()['content'] as Json[])[0]?.['attachment'] ??
        {}) as Json;
      const url = new URL(String(attachment['url']));
      expect(url.pathname).toMatch(/^\/fhir\/Binary\/[0-9a-f-]{36}$/);
      expect(attachment['size']).toBe(d.bytes.byteLength);
      expect(attachment['hash']).toBe(fx.sha1Base64(d.bytes));
      const res = await t.app.inject({ method: 'GET', url: url.pathname, headers: auth(d.reader) });
      expect(res.statusCode, d.name).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/xml/);
      expect(res.headers['etag']).toBe(
        `"${Buffer.from(fx.sha1Base64(d.bytes), 'base64').toString('hex')}"`,
      );
      expect(Buffer.compare(res.rawPayload, d.bytes), d.name).toBe(0);
    }
  });

  it('answers a FHIR Binary to Accept: application/fhir+json', async () => {
    const d = deposited[0] as Deposited;
    const read = await t.app.inject({
      method: 'GET',
      url: `/fhir/DocumentReference/${d.id}`,
      headers: auth(d.reader),
    });
    const url = new URL(
      String((((read.json<Json>()['content'] as Json[])[0] as Json)['attachment'] as Json)['url']),
    );
    const res = await t.app.inject({
      method: 'GET',
      url: url.pathname,
      headers: { ...auth(d.reader), accept: 'application/fhir+json' },
    });
    expect(res.statusCode).toBe(200);
    const binary = res.json<Json>();
    expect(binary).toMatchObject({ resourceType: 'Binary', contentType: 'text/xml' });
    expect(Buffer.from(String(binary['data']), 'base64').equals(d.bytes)).toBe(true);
  });

  it('refuses the original examples whose INS key is wrong, with ID_INS_KEY, and stores nothing', async () => {
    const before = await t.db.owner`SELECT count(*)::int AS n FROM document`;
    let wrongKeys = 0;
    for (const name of fx.cdaExamples()) {
      const bytes = Buffer.from(fx.rewriteDocumentId(fx.readExample(name), fx.freshOid()), 'utf8');
      const h = fx.header(bytes);
      if (
        !h.ins ||
        (await import('../../src/domain/identity/ins.ts')).validateIns(h.ins.value, h.ins.oid).ok
      ) {
        continue;
      }
      wrongKeys++;
      const token = await t.token(fx.authorTokenBody(h));
      const docRef = fx.cdaDocumentReference(h.ins.value, bytes, {
        subject: { reference: `Patient?identifier=urn:oid:${h.ins.oid}|${h.ins.value}` },
      });
      const res = await t.app.inject({
        method: 'POST',
        url: '/fhir/DocumentReference',
        headers: json(token),
        payload: fx.iti105(docRef, bytes),
      });
      expect(res.statusCode, name).toBe(422);
      expect(fx.issueCodes(res.body), name).toContain('ID_INS_KEY');
      expect(res.json<Json>()['resourceType']).toBe('OperationOutcome');
      // The same without any subject: the patient is read from the CDA header, and refused the same way.
      const bare = fx.cdaDocumentReference(h.ins.value, bytes);
      delete bare['subject'];
      const res2 = await t.app.inject({
        method: 'POST',
        url: '/fhir/DocumentReference',
        headers: json(token),
        payload: fx.iti105(bare, bytes),
      });
      expect(res2.statusCode, name).toBe(422);
      expect(fx.issueCodes(res2.body), name).toContain('ID_INS_KEY');
    }
    expect(wrongKeys).toBeGreaterThanOrEqual(1);
    const after = await t.db.owner`SELECT count(*)::int AS n FROM document`;
    expect(after[0]?.['n']).toBe(before[0]?.['n']);
  });

  it('keeps no document byte in clear in the database', async () => {
    const rows = await t.db.owner<
      { patient_id: string; content_id: string; ciphertext: Buffer; nonce: Buffer; tag: Buffer }[]
    >`
      SELECT patient_id, content_id, ciphertext, nonce, tag FROM document_content`;
    expect(rows.length).toBe(deposited.length);
    for (const row of rows) {
      expect(row.ciphertext.includes('ClinicalDocument')).toBe(false);
      expect(row.ciphertext.includes(ins)).toBe(false);
      expect(row.nonce.length).toBe(12);
      expect(row.tag.length).toBe(16);
    }
    const sample = deposited.find((d) => d.name.startsWith('VAC-NOTE')) as Deposited;
    const [row] = await t.db.owner<Json[]>`SELECT c.* FROM document_content c JOIN document d
      ON d.patient_id = c.patient_id AND d.content_id = c.content_id WHERE d.id = ${sample.id}`;
    const dump = JSON.stringify(row);
    expect(dump).not.toContain('ClinicalDocument');
    const clearHex = sample.bytes.subarray(0, 64).toString('hex');
    expect(Buffer.from(JSON.stringify(row)).toString('hex')).not.toContain(clearHex);
    const keys = await t.db.owner<
      { wrapped_key: Buffer }[]
    >`SELECT wrapped_key FROM record_data_key`;
    expect(keys.length).toBe(1);
    expect(keys[0]?.wrapped_key.length).toBe(60);
  });

  it('traces every deposit, search, read and retrieve', async () => {
    const rows = await t.db.owner<
      { action: string; n: number }[]
    >`SELECT action, count(*)::int AS n FROM audit_event
      WHERE outcome = 'success' GROUP BY action`;
    const count = new Map(rows.map((r) => [r.action, r.n]));
    expect(count.get('document.deposit')).toBe(deposited.length);
    expect(count.get('document.retrieve')).toBeGreaterThanOrEqual(deposited.length);
    expect(count.get('document.read')).toBeGreaterThanOrEqual(deposited.length);
    expect(count.get('document.search')).toBeGreaterThanOrEqual(deposited.length);
  });
});
