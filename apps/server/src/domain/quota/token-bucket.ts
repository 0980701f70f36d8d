/**
 * Token buckets for the quotas (issue 16): a bucket holds at most `burst` tokens and refills at `perMinute` tokens
 * a minute; a request costs tokens (1 per request, or its body bytes for deposits).
 *
 * Rules:
 *   - a new bucket starts full;
 *   - a cost the bucket holds is taken; otherwise nothing is taken and the answer says how many whole seconds
 *     (at least 1) until the bucket holds it;
 *   - a cost larger than `burst` could never be held: it is let through when the bucket is full, which leaves the
 *     bucket in debt (negative) until the refill pays it back;
 *   - a rate of 0 turns the quota off (everything passes, nothing is counted).
 * Pure: the caller gives the time.
 */
export interface Rate {
  readonly perMinute: number;
  readonly burst: number;
}

export interface Bucket {
  readonly tokens: number;
  /** When `tokens` was last computed, in milliseconds. */
  readonly at: number;
}

export type Take =
  | { readonly ok: true; readonly bucket: Bucket }
  | { readonly ok: false; readonly bucket: Bucket; readonly retryAfterSeconds: number };

export function isQuotaOn(rate: Rate): boolean {
  return rate.perMinute > 0 && rate.burst > 0;
}

/** The bucket at `now`, refilled since it was last computed. */
export function refill(bucket: Bucket | undefined, rate: Rate, now: number): Bucket {
  if (!bucket) {
    return { tokens: rate.burst, at: now };
  }
  const elapsed = Math.max(0, now - bucket.at);
  return {
    tokens: Math.min(rate.burst, bucket.tokens + (elapsed * rate.perMinute) / 60_000),
    at: Math.max(now, bucket.at),
  };
}

/** Takes `cost` tokens from the bucket at `now`, or says how long to wait. */
export function take(bucket: Bucket | undefined, rate: Rate, cost: number, now: number): Take {
  if (!isQuotaOn(rate)) {
    return { ok: true, bucket: bucket ?? { tokens: 0, at: now } };
  }
  const current = refill(bucket, rate, now);
  const affordable = cost <= current.tokens || (cost > rate.burst && current.tokens >= rate.burst);
  if (affordable) {
    return { ok: true, bucket: { tokens: current.tokens - cost, at: current.at } };
  }
  const needed = Math.min(cost, rate.burst) - current.tokens;
  const seconds = Math.ceil((needed * 60) / rate.perMinute);
  return { ok: false, bucket: current, retryAfterSeconds: Math.max(1, seconds) };
}
