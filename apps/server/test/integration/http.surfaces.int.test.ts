/**
 * Issue 18 point 7: each API surface is its own encapsulated Fastify plugin (app.ts, http/surface.ts), with its own
 * authentication hook and error mapping. A FHIR route answers OperationOutcomes under the bearer guard; a SOAP route
 * answers SOAP faults and the bearer hook never runs on it (a bad bearer token beside a missing VIHF is not even
 * read); a portal route answers the portal's OperationOutcome (the code its pages read, a French text) under its own
 * guard; the auth surface has no bearer hook; the admin surface has; a URL no surface serves is guarded before its
 * 404.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { STORED_QUERY } from '../../src/http/xds/registry.ts';
import { parseXml } from '../../src/xds/xml.ts';
import { buildTestApp, GP, type TestApp } from '../helpers/app.ts';
import * as fx from './documents.fixtures.ts';
import * as x from './xds.fixtures.ts';

interface Outcome {
  resourceType: string;
  issue: { details: { coding: { code: string }[]; text: string } }[];
}

function codeOf(body: string): string | undefined {
  const outcome = JSON.parse(body) as Outcome;
  expect(outcome.resourceType).toBe('OperationOutcome');
  return outcome.issue[0]?.details.coding[0]?.code;
}

describe('API surfaces, each its own plugin', () => {
  let t: TestApp;
  let gp: string;
  let address = 0;
  const ins = fx.nir('1850575123457');

  beforeAll(async () => {
    t = await buildTestApp({ quotas: { ...loadConfig({}).quotas, authFailuresPerMinute: 0 } });
    gp = await t.token(GP);
  });
  afterAll(async () => {
    await t.close();
  });

  async function authFailures(remoteAddress: string): Promise<string[]> {
    let rows: { reason_code: string }[] = [];
    for (let i = 0; i < 100 && rows.length === 0; i++) {
      rows = await t.db.owner<{ reason_code: string }[]>`
        SELECT reason_code FROM system_audit_event
        WHERE action = 'auth.failure' AND detail->>'clientAddress' = ${remoteAddress}`;
      if (rows.length === 0) {
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    return rows.map((r) => r.reason_code);
  }

  it('a FHIR route: OperationOutcomes, under the bearer guard', async () => {
    const bad = await t.app.inject({
      method: 'GET',
      url: `/fhir/DocumentReference?patient.identifier=${fx.TEST_OID}|${ins}`,
      headers: { authorization: 'Bearer garbage' },
    });
    expect(bad.statusCode).toBe(401);
    expect(bad.headers['www-authenticate']).toContain('invalid_token');
    expect(codeOf(bad.body)).toBe('AUTH_TOKEN_INVALID');

    const media = await t.app.inject({
      method: 'POST',
      url: '/fhir/DocumentReference',
      headers: { authorization: `Bearer ${gp}`, 'content-type': 'application/soap+xml' },
      payload: '<x/>',
    });
    expect(media.statusCode).toBe(415);
    expect(codeOf(media.body)).toBe('HTTP_MEDIA_TYPE');
  });

  it('a SOAP route: SOAP faults, and the bearer hook does not run', async () => {
    const remoteAddress = `192.0.2.${String(++address)}`;
    const query = x.iti18('', STORED_QUERY.FindDocuments, {
      $XDSDocumentEntryPatientId: `'${ins}^^^&amp;${fx.TEST_OID}&amp;ISO'`,
    });
    const res = await t.app.inject({
      method: 'POST',
      url: `${x.SERVICES}/registry`,
      headers: {
        'content-type': 'application/soap+xml',
        authorization: 'Bearer garbage',
      },
      payload: query.replace(/<wsse:Security[^>]*><\/wsse:Security>/, ''),
      remoteAddress,
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/soap+xml');
    expect(res.headers['www-authenticate']).toBeUndefined();
    expect(x.faultOf(parseXml(res.rawPayload))?.code).toBe('VIHF_MISSING');
    // The VIHF's failure is counted; the bearer token beside it was never read.
    expect(await authFailures(remoteAddress)).toEqual(['VIHF_MISSING']);

    const media = await t.app.inject({
      method: 'POST',
      url: `${x.SERVICES}/registry`,
      headers: { 'content-type': 'text/plain' },
      payload: 'not a SOAP message',
    });
    expect(media.statusCode).toBeGreaterThanOrEqual(400);
    expect(media.headers['content-type']).toContain('application/soap+xml');
    expect(x.faultOf(parseXml(media.rawPayload))?.subcode).toBeDefined();
  });

  it("a portal route: the portal's OperationOutcome (code and French text), under its own guard", async () => {
    const patient = await t.token({ kind: 'patient', ins });
    const bad = await t.app.inject({
      method: 'GET',
      url: '/portal-api/history?show=everything',
      headers: { authorization: `Bearer ${patient}` },
    });
    expect(bad.statusCode).toBe(400);
    expect(codeOf(bad.body)).toBe('HTTP_PARAMETER_INVALID');
    expect((JSON.parse(bad.body) as Outcome).issue[0]?.details.text).toMatch(/[a-zéèàç]/);

    const anonymous = await t.app.inject({ method: 'GET', url: '/portal-api/history' });
    expect(anonymous.statusCode).toBe(401);
    expect(codeOf(anonymous.body)).toBe('AUTH_TOKEN_MISSING');
    // Its static files are open.
    expect((await t.app.inject({ method: 'GET', url: '/' })).statusCode).toBe(200);
  });

  it('the auth surface has no bearer hook; the admin surface has', async () => {
    const token = await t.app.inject({
      method: 'POST',
      url: '/auth/dev/token',
      headers: { authorization: 'Bearer garbage' },
      payload: GP,
    });
    expect(token.statusCode).toBe(200);

    const admin = await t.app.inject({ method: 'GET', url: '/admin/vihf-certificates' });
    expect(admin.statusCode).toBe(401);
    expect(codeOf(admin.body)).toBe('AUTH_TOKEN_MISSING');
    const notOperator = await t.app.inject({
      method: 'GET',
      url: '/admin/vihf-certificates',
      headers: { authorization: `Bearer ${gp}` },
    });
    expect(notOperator.statusCode).toBe(403);
    expect(codeOf(notOperator.body)).toBe('ACCESS_ACTION_NOT_PERMITTED');
  });

  it('a URL no surface serves is guarded before its 404', async () => {
    const anonymous = await t.app.inject({ method: 'GET', url: '/fhir/Nothing' });
    expect(anonymous.statusCode).toBe(401);
    expect(codeOf(anonymous.body)).toBe('AUTH_TOKEN_MISSING');
    const known = await t.app.inject({
      method: 'GET',
      url: '/elsewhere',
      headers: { authorization: `Bearer ${gp}` },
    });
    expect(known.statusCode).toBe(404);
    expect(codeOf(known.body)).toBe('HTTP_NOT_FOUND');
    // Under /auth/ nothing is protected: a miss is a 404.
    expect((await t.app.inject({ method: 'GET', url: '/auth/nothing' })).statusCode).toBe(404);
  });
});
