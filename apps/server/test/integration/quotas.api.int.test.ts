/**
 * Issue 16, finding 6: one actor sent 600 requests at 136/s without a 429. Quotas per authenticated actor on
 * requests and on deposited bytes, per client address on public routes; 429 with Retry-After and an
 * OperationOutcome.
 */
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QuotaConfig } from '../../src/config.ts';
import { loadConfig } from '../../src/config.ts';
import { QuotaBook } from '../../src/http/quota.plugin.ts';
import { buildTestApp, GP, OPERATOR, type TestApp } from '../helpers/app.ts';

const FHIR = { 'content-type': 'application/fhir+json' };
const NURSE = { ...GP, idNatPs: '899700367917' };

function expectThrottled(
  res: { statusCode: number; headers: Record<string, unknown>; json(): unknown },
  code: string,
): void {
  expect(res.statusCode).toBe(429);
  expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  const outcome = res.json() as {
    resourceType: string;
    issue: { code: string; details: { coding: { code: string }[] } }[];
  };
  expect(outcome.resourceType).toBe('OperationOutcome');
  expect(outcome.issue[0]?.code).toBe('throttled');
  expect(outcome.issue[0]?.details.coding[0]?.code).toBe(code);
}

describe('with the default quotas', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers 429 to an actor sending 600 requests at once, not before the burst', async () => {
    const token = await t.token(GP);
    const started = Date.now();
    // All at once (a client with many connections): each request's quota is taken before its database work, so the
    // refusals do not depend on how fast the database answers a miss (a Citus cluster answers slower than one node).
    const statuses = (
      await Promise.all(
        Array.from({ length: 600 }, () =>
          t.app.inject({
            method: 'GET',
            url: `/fhir/DocumentReference/${randomUUID()}`,
            headers: { authorization: `Bearer ${token}` },
          }),
        ),
      )
    ).map((res) => res.statusCode);
    const seconds = (Date.now() - started) / 1000;
    const { requestBurst, requestsPerMinute } = loadConfig({}).quotas;
    const answered = statuses.filter((s) => s !== 429).length;
    // Not before the burst; no more than the burst and what the rate refilled meanwhile.
    expect(answered).toBeGreaterThanOrEqual(requestBurst);
    expect(answered).toBeLessThanOrEqual(
      requestBurst + Math.ceil((requestsPerMinute / 60) * seconds) + 1,
    );
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(100);
    // Another actor is not affected.
    const other = await t.app.inject({
      method: 'GET',
      url: `/fhir/DocumentReference/${randomUUID()}`,
      headers: { authorization: `Bearer ${await t.token(NURSE)}` },
    });
    expect(other.statusCode).not.toBe(429);
  });

  it('never limits /health and /ready', async () => {
    for (let i = 0; i < 400; i++) {
      const res = await t.app.inject({ method: 'GET', url: i % 2 ? '/health' : '/ready' });
      expect(res.statusCode).toBe(200);
    }
  });
});

describe('with small quotas', () => {
  const QUOTAS: QuotaConfig = {
    requestsPerMinute: 6,
    requestBurst: 5,
    depositBytesPerMinute: 60_000,
    depositBurstBytes: 50_000,
    publicRequestsPerMinute: 6,
    publicBurst: 3,
    authFailuresPerMinute: 60,
    trackedKeys: 1_000,
  };
  let t: TestApp;
  let port: number;
  beforeAll(async () => {
    t = await buildTestApp({ quotas: { ...QUOTAS, publicBurst: 1_000 } });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const address = t.app.server.address();
    port = typeof address === 'object' && address ? address.port : 0;
  });
  afterAll(async () => {
    await t.close();
  });

  it('refuses the requests of one actor past its burst, with Retry-After, and not those of another', async () => {
    const token = await t.token({ kind: 'operator', id: 'op-requests' });
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 7; i++) {
      last = await t.app.inject({
        method: 'GET',
        url: `/fhir/Patient/${randomUUID()}`,
        headers: { authorization: `Bearer ${token}` },
      });
      statuses.push(last.statusCode);
    }
    expect(statuses.slice(0, 5).every((s) => s !== 429)).toBe(true);
    expect(statuses.slice(5)).toEqual([429, 429]);
    expectThrottled(last!, 'QUOTA_EXCEEDED');
    expect(last!.headers['cache-control']).toBe('no-store');
    const other = await t.app.inject({
      method: 'GET',
      url: `/fhir/Patient/${randomUUID()}`,
      headers: { authorization: `Bearer ${await t.token(OPERATOR)}` },
    });
    expect(other.statusCode).not.toBe(429);
  });

  it('refuses the deposits of an actor past its bytes, before reading the body', async () => {
    const token = await t.token({ kind: 'operator', id: 'op-bytes' });
    const body = JSON.stringify({
      resourceType: 'Bundle',
      type: 'transaction',
      pad: 'x'.repeat(30_000),
    });
    const send = () =>
      t.app.inject({
        method: 'POST',
        url: '/fhir',
        headers: { ...FHIR, authorization: `Bearer ${token}` },
        payload: body,
      });
    const first = await send();
    expect(first.statusCode).not.toBe(429);
    const second = await send();
    expectThrottled(second, 'QUOTA_DEPOSIT_EXCEEDED');
    // 30 kB short at 1 kB/s: about 10 s to wait.
    expect(Number(second.headers['retry-after'])).toBeGreaterThanOrEqual(5);
    expect(Number(second.headers['retry-after'])).toBeLessThanOrEqual(31);
  });

  it('counts the bytes of a chunked body too', async () => {
    const token = await t.token({ kind: 'operator', id: 'op-chunked' });
    const post = (): Promise<{ status: number; retryAfter: string | undefined; body: string }> =>
      new Promise((resolve, reject) => {
        const req = http.request(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: '/fhir',
            headers: { ...FHIR, authorization: `Bearer ${token}` },
          },
          (res) => {
            let body = '';
            res.on('data', (c: Buffer) => (body += c.toString()));
            res.on('end', () =>
              resolve({
                status: res.statusCode ?? 0,
                retryAfter: res.headers['retry-after'] as string | undefined,
                body,
              }),
            );
          },
        );
        req.on('error', reject);
        // No Content-Length: Node sends the body chunked.
        for (let i = 0; i < 30; i++) {
          req.write('x'.repeat(1_000));
        }
        req.end();
      });
    const first = await post();
    expect(first.status).not.toBe(429);
    const second = await post();
    expect(second.status).toBe(429);
    expect(second.body).toContain('QUOTA_DEPOSIT_EXCEEDED');
    expect(Number(second.retryAfter)).toBeGreaterThanOrEqual(1);
  });
});

describe('public routes, by client address', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({
      quotas: { ...loadConfig({}).quotas, publicRequestsPerMinute: 6, publicBurst: 3 },
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('refuses dev tokens to an address past its burst and serves another address', async () => {
    const ask = (remoteAddress: string) =>
      t.app.inject({
        method: 'POST',
        url: '/auth/dev/token',
        payload: { kind: 'operator', id: 'op' },
        remoteAddress,
      });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      statuses.push((await ask('192.0.2.10')).statusCode);
    }
    expect(statuses).toEqual([200, 200, 200]);
    expectThrottled(await ask('192.0.2.10'), 'QUOTA_EXCEEDED');
    expect((await ask('192.0.2.11')).statusCode).toBe(200);
  });
});

describe('quota memory', () => {
  it('remembers a bounded number of buckets', () => {
    const book = new QuotaBook({ perMinute: 60, burst: 1 }, 100);
    for (let i = 0; i < 10_000; i++) {
      book.take(`key-${i}`, 1, 0);
    }
    expect(book.size).toBeLessThanOrEqual(100);
  });

  it('reads each quota from its variable; 0 turns one off', () => {
    const q = loadConfig({
      OPENDMP_QUOTA_REQUESTS_PER_MINUTE: '0',
      OPENDMP_QUOTA_REQUEST_BURST: '7',
      OPENDMP_QUOTA_DEPOSIT_MB_PER_MINUTE: '2',
      OPENDMP_QUOTA_DEPOSIT_BURST_MB: '3',
      OPENDMP_QUOTA_PUBLIC_REQUESTS_PER_MINUTE: '4',
      OPENDMP_QUOTA_PUBLIC_BURST: '5',
      OPENDMP_QUOTA_TRACKED_KEYS: '6',
      OPENDMP_QUOTA_AUTH_FAILURES_PER_MINUTE: '8',
    }).quotas;
    expect(q).toEqual({
      requestsPerMinute: 0,
      requestBurst: 7,
      depositBytesPerMinute: 2 * 1024 * 1024,
      depositBurstBytes: 3 * 1024 * 1024,
      publicRequestsPerMinute: 4,
      publicBurst: 5,
      authFailuresPerMinute: 8,
      trackedKeys: 6,
    });
    const book = new QuotaBook({ perMinute: q.requestsPerMinute, burst: q.requestBurst }, 10);
    for (let i = 0; i < 100; i++) {
      expect(book.take('k', 1, 0)).toBeUndefined();
    }
  });
});
