import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { demoVihfKey } from '../../src/http/auth/dev-vihf.ts';
import { STORED_QUERY } from '../../src/http/xds/registry.ts';
import { buildAssertion, certificateSubject, signAssertion } from '../../src/xds/vihf.ts';
import { addCertificate } from '../../src/xds/vihf-store.ts';
import { buildTestApp, type TestApp } from '../helpers/app.ts';
import * as fx from './documents.fixtures.ts';
import * as x from './xds.fixtures.ts';

/**
 * Issue 19, quotas of the SOAP services: a hospital's gateway sends all its software's calls from one address, so the
 * SOAP services count nothing by client address (not the per-address quota of public routes); once the VIHF is
 * verified, the professional it names is charged on the same per-actor buckets as their bearer requests. Past it: a
 * SOAP Sender fault with the quota's code, HTTP 429 and Retry-After.
 */
const STRUCTURE = '1750300000';
const A = { idNatPs: '899700366240', profession: '10', specialty: 'SM26', structure: STRUCTURE };
const B = { idNatPs: '899700000002', profession: '10', specialty: 'SM26', structure: STRUCTURE };
const ADDRESS = '198.51.100.7'; // one gateway

describe('SOAP quotas: per VIHF professional, never per address', () => {
  let t: TestApp;
  const key = demoVihfKey();
  const ins = fx.nir('1850575123456');

  beforeAll(async () => {
    t = await buildTestApp({
      quotas: {
        ...loadConfig({}).quotas,
        publicRequestsPerMinute: 1,
        publicBurst: 1,
        requestsPerMinute: 3,
        requestBurst: 3,
        authFailuresPerMinute: 0,
      },
    });
    await addCertificate(t.deps.sql, {
      structure: STRUCTURE,
      pem: key.certificatePem,
      by: 'test',
      at: t.clock.now(),
    });
  });
  afterAll(async () => {
    await t.close();
  });

  async function findDocuments(
    who: typeof A,
  ): Promise<{ status: number; retryAfter: string | undefined; answer: x.SoapAnswer }> {
    const now = t.clock.now();
    const assertion = signAssertion(
      buildAssertion(
        { ...who, sector: 'SA07' },
        certificateSubject(key.certificatePem),
        `_${randomUUID()}`,
        now,
        new Date(now.getTime() + 3600_000),
      ),
      key,
    );
    const res = await t.app.inject({
      method: 'POST',
      url: `${x.SERVICES}/registry`,
      headers: { 'content-type': 'application/soap+xml' },
      remoteAddress: ADDRESS,
      payload: x.iti18(assertion, STORED_QUERY.FindDocuments, {
        $XDSDocumentEntryPatientId: `'${ins}^^^&amp;${fx.TEST_OID}&amp;ISO'`,
        $XDSDocumentEntryStatus: "('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')",
      }),
    });
    const root = (await import('../../src/xds/xml.ts')).parseXml(res.rawPayload);
    const retryAfter = res.headers['retry-after'];
    return {
      status: res.statusCode,
      retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined,
      answer: {
        status: res.statusCode,
        root,
        text: res.body,
        parts: new Map(),
        contentType: String(res.headers['content-type']),
      },
    };
  }

  it('counts nothing by address: two professionals of one structure, five calls from one gateway (public quota 1)', async () => {
    for (const who of [A, A, A, B, B]) {
      const out = await findDocuments(who);
      expect(out.status, out.answer.text).toBe(200);
      expect(x.faultOf(out.answer.root)).toBeUndefined();
    }
  });

  it('refuses the professional past their request quota: Sender fault QUOTA_EXCEEDED, 429, Retry-After; others pass', async () => {
    const out = await findDocuments(A);
    expect(out.status, out.answer.text).toBe(429);
    expect(x.faultOf(out.answer.root)).toEqual({ code: 'QUOTA_EXCEEDED', subcode: '' });
    expect(out.answer.text).toContain('env:Sender');
    expect(out.answer.text).toContain('wsa:RelatesTo');
    expect(Number(out.retryAfter)).toBeGreaterThan(0);
    // Another professional of the same structure, from the same gateway: their own bucket.
    expect((await findDocuments(B)).status).toBe(200);
  });

  it("charges the VIHF's professional on the same bucket as their bearer requests", async () => {
    const token = await t.token({ kind: 'professional', ...A, sector: 'SA07', mode: 'normal' });
    const res = await t.app.inject({
      method: 'GET',
      url: `/fhir/DocumentReference?patient.identifier=${fx.TEST_SYSTEM}|${ins}`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.statusCode, res.body).toBe(429);
  });
});
