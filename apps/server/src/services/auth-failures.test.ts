import { describe, expect, it } from 'vitest';
import { AuthFailureLog, OVERFLOW_ADDRESS, type AuthFailureSummary } from './auth-failures.ts';

function setup(maxKeys = 100): {
  log: AuthFailureLog;
  written: AuthFailureSummary[];
  advance: (ms: number) => void;
} {
  let now = 1_000_000;
  const written: AuthFailureSummary[] = [];
  const log = new AuthFailureLog({
    windowMs: 60_000,
    maxKeys,
    now: () => now,
    write: async (s) => {
      written.push(s);
    },
    onError: () => undefined,
  });
  return { log, written, advance: (ms) => (now += ms) };
}

const total = (written: AuthFailureSummary[], address: string, reason: string): number =>
  written
    .filter((s) => s.address === address && s.reason === reason)
    .reduce((n, s) => n + s.count, 0);

describe('authentication failures, aggregated', () => {
  it('traces the first failure of an address at once and the rest of the window as one event', async () => {
    const { log, written } = setup();
    log.record('AUTH_TOKEN_SIGNATURE', '192.0.2.1');
    expect(written).toEqual([
      { address: '192.0.2.1', reason: 'AUTH_TOKEN_SIGNATURE', count: 1, windowStart: 1_000_000 },
    ]);
    for (let i = 0; i < 999; i++) {
      log.record('AUTH_TOKEN_SIGNATURE', '192.0.2.1');
    }
    expect(written).toHaveLength(1);
    await log.flush();
    expect(written).toHaveLength(2);
    expect(written[1]).toMatchObject({ count: 999 });
    expect(total(written, '192.0.2.1', 'AUTH_TOKEN_SIGNATURE')).toBe(1_000);
  });

  it('keeps reasons and addresses apart', async () => {
    const { log, written } = setup();
    log.record('AUTH_TOKEN_EXPIRED', '192.0.2.1');
    log.record('AUTH_TOKEN_SIGNATURE', '192.0.2.1');
    log.record('AUTH_TOKEN_EXPIRED', '192.0.2.2');
    log.record('AUTH_TOKEN_EXPIRED', '192.0.2.2');
    await log.flush();
    expect(total(written, '192.0.2.1', 'AUTH_TOKEN_EXPIRED')).toBe(1);
    expect(total(written, '192.0.2.1', 'AUTH_TOKEN_SIGNATURE')).toBe(1);
    expect(total(written, '192.0.2.2', 'AUTH_TOKEN_EXPIRED')).toBe(2);
  });

  it('starts a new window after the window length', async () => {
    const { log, written, advance } = setup();
    log.record('AUTH_TOKEN_EXPIRED', '192.0.2.1');
    log.record('AUTH_TOKEN_EXPIRED', '192.0.2.1');
    advance(60_000);
    log.record('AUTH_TOKEN_EXPIRED', '192.0.2.1');
    await log.flush();
    expect(written.map((s) => [s.count, s.windowStart])).toEqual([
      [1, 1_000_000],
      [1, 1_000_000],
      [1, 1_060_000],
    ]);
  });

  it('writes a bounded number of traces whatever the flood', async () => {
    const { log, written } = setup(50);
    for (let i = 0; i < 100_000; i++) {
      log.record(i % 2 ? 'AUTH_TOKEN_INVALID' : 'AUTH_TOKEN_SIGNATURE', `10.0.${i % 5_000}.1`);
    }
    await log.flush();
    expect(written.length).toBeLessThanOrEqual(2 * (50 + 2));
    const counted = written.reduce((n, s) => n + s.count, 0);
    expect(counted).toBe(100_000);
    expect(written.some((s) => s.address === OVERFLOW_ADDRESS)).toBe(true);
  });
});
