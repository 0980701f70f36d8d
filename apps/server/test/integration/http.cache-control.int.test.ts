/**
 * Issue 16, finding 8: API answers carrying health data lacked `Cache-Control: no-store`. Every /fhir, /portal-api
 * and /auth answer — successes, errors and refusals alike — and every portal page now carries it.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, GP, OPERATOR, type TestApp } from '../helpers/app.ts';
import * as fx from './documents.fixtures.ts';
import type { Json } from './documents.fixtures.ts';

describe('Cache-Control: no-store', () => {
  let t: TestApp;
  let dist: string;
  let gp: string;
  let docId: string;
  let binary: string;
  const ins = fx.nir('2790351215189');
  const json = (token: string) => ({
    authorization: `Bearer ${token}`,
    'content-type': 'application/fhir+json',
  });
  const previousDist = process.env['OPENDMP_PORTAL_DIST'];

  beforeAll(async () => {
    // A stand-in for the built portals: a page and a hashed asset each.
    dist = fs.mkdtempSync(path.join(os.tmpdir(), 'opendmp-portal-'));
    for (const portal of ['patient', 'pro']) {
      fs.mkdirSync(path.join(dist, portal, 'assets'), { recursive: true });
      fs.writeFileSync(path.join(dist, portal, 'index.html'), '<!doctype html><title>x</title>');
      fs.writeFileSync(path.join(dist, portal, 'assets', 'index-abc123.js'), 'void 0;');
    }
    process.env['OPENDMP_PORTAL_DIST'] = dist;
    t = await buildTestApp({ masterKey: randomBytes(32).toString('base64') });
    const operator = await t.token(OPERATOR);
    gp = await t.token(GP);
    const created = await t.app.inject({
      method: 'POST',
      url: '/fhir/Patient',
      headers: json(operator),
      payload: fx.patientBody(ins),
    });
    expect(created.statusCode, created.body).toBe(201);
    const consent = await t.app.inject({
      method: 'POST',
      url: '/fhir/Consent',
      headers: json(gp),
      payload: fx.consentBody(ins, GP.idNatPs),
    });
    expect(consent.statusCode, consent.body).toBeLessThan(300);
    const bytes = fx.n1Bytes(ins);
    const deposit = await t.app.inject({
      method: 'POST',
      url: '/fhir/DocumentReference',
      headers: json(gp),
      payload: fx.iti105(
        fx.pdfDocumentReference(ins, bytes, { idNatPs: GP.idNatPs, structure: GP.structure }),
        bytes,
      ),
    });
    expect(deposit.statusCode, deposit.body).toBe(201);
    const doc = deposit.json<Json>();
    docId = String(doc['id']);
    binary = new URL(String((((doc['content'] as Json[])[0] as Json)['attachment'] as Json)['url']))
      .pathname;
  });
  afterAll(async () => {
    await t.close();
    if (previousDist === undefined) {
      delete process.env['OPENDMP_PORTAL_DIST'];
    } else {
      process.env['OPENDMP_PORTAL_DIST'] = previousDist;
    }
    fs.rmSync(dist, { recursive: true, force: true });
  });

  it('is on every API answer that carries health data', async () => {
    const holder = await t.token({ kind: 'patient', ins });
    for (const [token, url] of [
      [gp, `/fhir/DocumentReference?patient.identifier=${fx.TEST_SYSTEM}|${ins}`],
      [gp, `/fhir/DocumentReference/${docId}`],
      [gp, binary],
      [gp, `/fhir/List?patient.identifier=${fx.TEST_SYSTEM}|${ins}`],
      [holder, `/fhir/Patient?identifier=${fx.TEST_SYSTEM}|${ins}`],
      [holder, `/portal-api/documents/${docId}/audience`],
    ] as const) {
      const res = await t.app.inject({ method: 'GET', url, headers: json(token) });
      expect(res.statusCode, `${url} ${res.body.slice(0, 200)}`).toBe(200);
      expect(res.headers['cache-control'], url).toMatch(/(^|, )no-store(,|$)/);
    }
  });

  it('is on errors, refusals and public API answers too', async () => {
    const answers = [
      await t.app.inject({
        method: 'GET',
        url: `/fhir/DocumentReference/${randomUUID()}`,
        headers: json(gp),
      }),
      await t.app.inject({ method: 'GET', url: '/fhir/DocumentReference' }),
      await t.app.inject({ method: 'GET', url: '/fhir/metadata' }),
      await t.app.inject({ method: 'GET', url: '/auth/portal/session' }),
      await t.app.inject({ method: 'POST', url: '/fhir', headers: json(gp), payload: '{' }),
    ];
    expect(answers.map((r) => r.statusCode)).toEqual([404, 401, 200, 200, 400]);
    for (const res of answers) {
      expect(res.headers['cache-control']).toBe('no-store');
    }
  });

  it('is on the portal pages (document views included), not on their hashed assets', async () => {
    for (const url of ['/patient/', `/patient/documents/${docId}`, '/pro/patients/x/documents']) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['cache-control'], url).toBe('no-store');
    }
    const asset = await t.app.inject({ method: 'GET', url: '/patient/assets/index-abc123.js' });
    expect(asset.headers['cache-control']).toContain('immutable');
  });
});
