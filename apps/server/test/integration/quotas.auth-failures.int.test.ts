/**
 * Issue 16 follow-up: a flood of bad tokens was bounded only by timeouts — each one cost a signature check and
 * answered 401 as often as it was sent. Failed authentications now take from a bucket of the client address; once it
 * is empty, that address is answered 429 with Retry-After before any token of it is checked.
 */
import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { buildTestApp, GP, type TestApp } from '../helpers/app.ts';

/** A token signed by nobody the service trusts. */
const FORGED =
  'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ4IiwiZXhwIjo0MTAyNDQ0ODAwfQ.c2lnbmF0dXJl';

function expectThrottled(res: LightMyRequestResponse): void {
  expect(res.statusCode, res.body).toBe(429);
  expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  const outcome = res.json<{
    resourceType: string;
    issue: { code: string; details: { coding: { code: string }[] } }[];
  }>();
  expect(outcome.resourceType).toBe('OperationOutcome');
  expect(outcome.issue[0]?.code).toBe('throttled');
  expect(outcome.issue[0]?.details.coding[0]?.code).toBe('QUOTA_AUTH_FAILURES_EXCEEDED');
}

describe('failed authentications per client address', () => {
  let t: TestApp;
  const get = (address: string, token: string) =>
    t.app.inject({
      method: 'GET',
      url: `/fhir/Patient/${randomUUID()}`,
      headers: { authorization: `Bearer ${token}` },
      remoteAddress: address,
    });

  beforeAll(async () => {
    t = await buildTestApp({
      quotas: { ...loadConfig({}).quotas, authFailuresPerMinute: 5 },
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers 401 up to the quota, then 429 with Retry-After to that address only', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      statuses.push((await get('192.0.2.10', FORGED)).statusCode);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    const refused = await get('192.0.2.10', FORGED);
    expectThrottled(refused);
    // 5 a minute: one failure comes back every 12 s.
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(12);
    expect(refused.headers['cache-control']).toBe('no-store');
    // The address is held off whatever it sends: its tokens are not even checked.
    const good = await t.token(GP);
    expectThrottled(await get('192.0.2.10', good));
    // Another address is not: its good token passes, its bad token is told why.
    expect((await get('192.0.2.11', good)).statusCode).toBe(404);
    expect((await get('192.0.2.11', FORGED)).statusCode).toBe(401);
  });

  it('counts failed portal logins too', async () => {
    const login = () =>
      t.app.inject({
        method: 'POST',
        url: '/auth/portal/dev-login',
        headers: { 'content-type': 'application/json' },
        payload: { account: 'nobody', portal: 'pro' },
        remoteAddress: '192.0.2.20',
      });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      statuses.push((await login()).statusCode);
    }
    expect(statuses).toEqual([400, 400, 400, 400, 400]);
    expectThrottled(await login());
  });

  it('never limits /health and /ready, nor successful authentications', async () => {
    for (let i = 0; i < 5; i++) {
      expect((await get('192.0.2.40', FORGED)).statusCode).toBe(401);
    }
    expectThrottled(await get('192.0.2.40', FORGED));
    for (const url of ['/health', '/ready']) {
      const res = await t.app.inject({ method: 'GET', url, remoteAddress: '192.0.2.40' });
      expect(res.statusCode).toBe(200);
    }
    const good = await t.token(GP);
    for (let i = 0; i < 20; i++) {
      expect((await get('192.0.2.30', good)).statusCode).toBe(404);
    }
  });
});

describe('with the default quota', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('stops a flood of bad tokens from one address at the quota', async () => {
    const quota = loadConfig({}).quotas.authFailuresPerMinute;
    expect(quota).toBeGreaterThan(0);
    const statuses: number[] = [];
    for (let i = 0; i < quota + 50; i++) {
      const res = await t.app.inject({
        method: 'GET',
        url: '/fhir/DocumentReference?patient.identifier=x',
        headers: { authorization: `Bearer ${FORGED}` },
        remoteAddress: '198.51.100.7',
      });
      statuses.push(res.statusCode);
    }
    expect(statuses.indexOf(429)).toBe(quota);
    expect(statuses.slice(0, quota).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(quota + 1).every((s) => s === 429)).toBe(true);
  });
});
