/**
 * Retry schedule of a failed delivery: exponential back-off, capped, then given up.
 *  B1. after the n-th failed attempt (n ≥ 1) the next one waits base × 2^(n−1), at most `maxMs`;
 *  B2. after `maxAttempts` failed attempts the notification is marked failed (kept for the operator, not retried).
 * Deterministic (no jitter): deliveries are spread by their own creation times.
 */
export interface BackoffPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
  readonly maxAttempts: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = {
  baseMs: 30_000,
  maxMs: 6 * 3_600_000,
  maxAttempts: 10,
};

/**
 * When to try again after `attempts` failed attempts, or null to give up.
 * @param attempts - failed attempts so far, including the one that just failed (≥ 1)
 */
export function nextAttemptAt(attempts: number, now: Date, policy: BackoffPolicy): Date | null {
  if (attempts >= policy.maxAttempts) {
    return null;
  }
  const exponent = Math.max(0, Math.min(attempts - 1, 40));
  const delay = Math.min(policy.maxMs, policy.baseMs * 2 ** exponent);
  return new Date(now.getTime() + delay);
}
