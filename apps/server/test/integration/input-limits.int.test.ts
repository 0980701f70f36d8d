import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp, GP, OPERATOR } from '../helpers/app.ts';
import * as fx from './documents.fixtures.ts';
import type { Json } from './documents.fixtures.ts';

/**
 * Issue 16, findings 1 and 2: bounded work per request. A huge Bundle is refused before any object per entry is
 * built, every validation step lists a bounded number of issues, the bytes of documents in flight have a
 * process-wide budget (503 HTTP_BUSY with Retry-After beyond it), and large contents decoded out of the raw body
 * are stored byte for byte.
 */
const BUDGET = 3 * 1024 * 1024;

describe('input limits', () => {
  let t: TestApp;
  let gp: string;
  let patient: string;
  const ins = fx.nir('1850275123456');
  const json = (token: string) => ({
    authorization: `Bearer ${token}`,
    'content-type': 'application/fhir+json',
  });

  beforeAll(async () => {
    t = await buildTestApp({
      masterKey: randomBytes(32).toString('base64'),
      maxDocumentBytes: 1_500_000,
      documentBudgetBytes: BUDGET,
      quotas: loadConfig({
        OPENDMP_QUOTA_REQUESTS_PER_MINUTE: '0',
        OPENDMP_QUOTA_DEPOSIT_MB_PER_MINUTE: '0',
      }).quotas,
    });
    const operator = await t.token(OPERATOR);
    gp = await t.token(GP);
    patient = await t.token({ kind: 'patient', ins });
    const created = await t.app.inject({
      method: 'POST',
      url: '/fhir/Patient',
      headers: json(operator),
      payload: fx.patientBody(ins),
    });
    expect(created.statusCode, created.body).toBe(201);
  });
  afterAll(async () => {
    await t.close();
  });

  it('refuses a transaction Bundle of 400,000 empty entries (1.2 MB) with one small 413, even from a patient', async () => {
    const body = `{"resourceType":"Bundle","type":"transaction","entry":[${Array(400_000).fill('{}').join(',')}]}`;
    const res = await t.app.inject({
      method: 'POST',
      url: '/fhir',
      headers: json(patient),
      payload: body,
    });
    expect(res.statusCode).toBe(413);
    expect(fx.issueCodes(res.body)).toEqual(['HTTP_BODY_TOO_COMPLEX']);
    expect(res.body).toContain('10000 items per array');
    expect(res.body.length).toBeLessThan(2000);
  });

  it('refuses a Bundle of more than 1000 entries before validating any (413 DOC_BUNDLE_TOO_MANY_ENTRIES)', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/fhir',
      headers: json(gp),
      payload: { resourceType: 'Bundle', type: 'transaction', entry: Array(5000).fill({}) },
    });
    expect(res.statusCode).toBe(413);
    expect(fx.issueCodes(res.body)).toEqual(['DOC_BUNDLE_TOO_MANY_ENTRIES']);
    expect(res.body).toContain('at most 1000 entries');
  });

  it('lists at most 100 issues of one validation step, then says how many more', async () => {
    const entry = { resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'x' } };
    const res = await t.app.inject({
      method: 'POST',
      url: '/fhir',
      headers: json(gp),
      payload: { resourceType: 'Bundle', type: 'transaction', entry: Array(1000).fill(entry) },
    });
    expect(res.statusCode).toBe(422);
    const codes = fx.issueCodes(res.body);
    expect(codes).toHaveLength(101);
    expect(codes.slice(0, 100).every((c) => c === 'DOC_BUNDLE_ENTRY_UNSUPPORTED')).toBe(true);
    expect(codes[100]).toBe('ISSUES_TRUNCATED');
    expect(res.json<{ issue: { diagnostics: string }[] }>().issue[100]?.diagnostics).toMatch(
      /^900 more issue/,
    );
  });

  it('stores large contents decoded out of the raw body byte for byte (ITI-105 data, ITI-65 Binary)', async () => {
    for (const kind of ['iti105', 'iti65'] as const) {
      // A CDA made large by a comment of 700 KB (base64 text: the body of a level 1 document is as large).
      const xml = fx.rewriteDocumentId(
        fx.rewriteIns(fx.readExample('VAC-NOTE_2023.01.xml'), ins),
        fx.freshOid(),
      );
      const bytes = Buffer.from(
        xml.replace(
          /<\/(\w+:)?ClinicalDocument>\s*$/,
          (end) => `<!-- ${randomBytes(525_000).toString('base64')} -->${end}`,
        ),
      );
      const author = await t.token(fx.authorTokenBody(fx.header(bytes)));
      const docRef = fx.cdaDocumentReference(ins, bytes);
      const res = await t.app.inject({
        method: 'POST',
        url: kind === 'iti105' ? '/fhir/DocumentReference' : '/fhir',
        headers: json(author),
        payload:
          kind === 'iti105'
            ? fx.iti105(docRef, bytes)
            : fx.iti65(ins, [{ docRef, bytes, contentType: 'text/xml' }]),
      });
      expect(res.statusCode, res.body.slice(0, 300)).toBe(kind === 'iti105' ? 201 : 200);
      const served = res.json<Json>();
      const docId =
        kind === 'iti105'
          ? String(served['id'])
          : String(
              (served['entry'] as { response: { location: string } }[])
                .map((e) => e.response.location)
                .find((l) => l.startsWith('DocumentReference/'))
                ?.split('/')[1],
            );
      const read = await t.app.inject({
        method: 'GET',
        url: `/fhir/DocumentReference/${docId}`,
        headers: { authorization: `Bearer ${patient}` },
      });
      expect(read.statusCode, read.body.slice(0, 300)).toBe(200);
      const url = String(
        ((read.json<Json>()['content'] as Json[])[0]?.['attachment'] as Json)['url'],
      );
      const binary = await t.app.inject({
        method: 'GET',
        url: url.replace(/^https?:\/\/[^/]+/, ''),
        headers: { authorization: `Bearer ${patient}`, accept: 'text/xml' },
      });
      expect(binary.statusCode).toBe(200);
      expect(binary.rawPayload.equals(bytes)).toBe(true);
      expect(read.body).not.toContain('opendmp-content:');
    }
  });

  it('answers 503 HTTP_BUSY with Retry-After while the document budget is spent, and admits again once it is free', async () => {
    const size = 2 * 1024 * 1024;
    // A first deposit whose body is still arriving holds 2 MB of the 3 MB budget.
    const slow = new PassThrough();
    const first = t.app.inject({
      method: 'POST',
      url: '/fhir/DocumentReference',
      headers: { ...json(gp), 'content-length': String(size) },
      payload: slow,
    });
    slow.write(Buffer.alloc(1024, 0x20));
    await new Promise((r) => setTimeout(r, 50));

    const second = await t.app.inject({
      method: 'POST',
      url: '/fhir/DocumentReference',
      headers: { ...json(gp), 'content-length': String(size) },
      payload: Buffer.alloc(size, 0x20),
    });
    expect(second.statusCode).toBe(503);
    expect(second.headers['retry-after']).toBe('2');
    expect(fx.issueCodes(second.body)).toEqual(['HTTP_BUSY']);

    slow.end(Buffer.alloc(size - 1024, 0x20));
    const firstAnswer = await first;
    expect(firstAnswer.statusCode).toBe(400); // spaces only: not JSON, but the budget was held meanwhile

    const third = await t.app.inject({
      method: 'POST',
      url: '/fhir/DocumentReference',
      headers: { ...json(gp), 'content-length': String(size) },
      payload: Buffer.alloc(size, 0x20),
    });
    expect(third.statusCode).toBe(400);
    expect(fx.issueCodes(third.body)).toEqual(['HTTP_BODY_NOT_JSON']);
  });

  it('counts a chunked body against the budget as it arrives (503 HTTP_BUSY past it)', async () => {
    const stream = new PassThrough();
    const answer = t.app.inject({
      method: 'POST',
      url: '/fhir/DocumentReference',
      headers: { ...json(gp), 'transfer-encoding': 'chunked' },
      payload: stream,
    });
    for (let i = 0; i < 4; i++) {
      stream.write(Buffer.alloc(1024 * 1024, 0x20));
    }
    stream.end();
    const res = await answer;
    expect(res.statusCode).toBe(503);
    expect(fx.issueCodes(res.body)).toEqual(['HTTP_BUSY']);
    expect(res.headers['retry-after']).toBe('2');
  });

  it('refuses a body over the limit from its Content-Length, before reading it (413 HTTP_BODY_TOO_LARGE)', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/fhir/DocumentReference',
      headers: { ...json(gp), 'content-length': String(50 * 1024 * 1024) },
      payload: Buffer.alloc(10),
    });
    expect(res.statusCode).toBe(413);
    expect(fx.issueCodes(res.body)).toEqual(['HTTP_BODY_TOO_LARGE']);
  });
});
