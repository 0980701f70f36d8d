import { describe, expect, it } from 'vitest';
import { take, type Bucket, type Rate } from './token-bucket.ts';

const RATE: Rate = { perMinute: 60, burst: 10 }; // one token a second, ten at most
const at = (tokens: number, ms: number): Bucket => ({ tokens, at: ms });

describe('token bucket', () => {
  it.each([
    // name, bucket, cost, now, ok, tokens after, retry after (s)
    ['a new bucket starts full', undefined, 1, 0, true, 9, undefined],
    ['takes what the bucket holds', at(3, 0), 3, 0, true, 0, undefined],
    ['refuses one token more than it holds', at(2, 0), 3, 0, false, 2, 1],
    ['refills one token a second', at(0, 0), 1, 1_000, true, 0, undefined],
    ['half a second is not yet a token', at(0, 0), 1, 500, false, 0.5, 1],
    ['never refills past the burst', at(9, 0), 10, 3_600_000, true, 0, undefined],
    ['says how long until the cost is held', at(0, 0), 5, 0, false, 0, 5],
    ['a clock going back takes nothing back', at(5, 10_000), 5, 0, true, 0, undefined],
    [
      'a cost above the burst passes on a full bucket, in debt',
      at(10, 0),
      25,
      0,
      true,
      -15,
      undefined,
    ],
    ['a cost above the burst waits for a full bucket', at(9, 0), 25, 0, false, 9, 1],
    ['a bucket in debt waits for the debt to be paid', at(-15, 0), 1, 0, false, -15, 16],
  ] as const)('%s', (_name, bucket, cost, now, ok, tokens, retry) => {
    const r = take(bucket, RATE, cost, now);
    expect(r.ok).toBe(ok);
    expect(r.bucket.tokens).toBeCloseTo(tokens);
    expect(r.ok ? undefined : r.retryAfterSeconds).toBe(retry);
  });

  it.each([
    ['no rate', { perMinute: 0, burst: 10 }],
    ['no burst', { perMinute: 60, burst: 0 }],
  ] as const)('is off with %s: everything passes', (_name, rate) => {
    let bucket: Bucket | undefined;
    for (let i = 0; i < 1_000; i++) {
      const r = take(bucket, rate, 1_000_000, 0);
      expect(r.ok).toBe(true);
      bucket = r.bucket;
    }
  });

  it('lets 600 requests at 136/s through only up to the burst plus the refill', () => {
    const rate: Rate = { perMinute: 1_200, burst: 300 };
    let bucket: Bucket | undefined;
    let passed = 0;
    for (let i = 0; i < 600; i++) {
      const r = take(bucket, rate, 1, (i * 1000) / 136);
      bucket = r.bucket;
      passed += r.ok ? 1 : 0;
    }
    // 4.4 s at 20/s refill: 300 + 88.
    expect(passed).toBeGreaterThanOrEqual(385);
    expect(passed).toBeLessThanOrEqual(390);
  });
});
