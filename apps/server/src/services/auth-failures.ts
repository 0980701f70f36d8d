/**
 * Authentication failures traced on the system chain (issue 16, finding 8): a bad, expired or forged token, a
 * portal login that fails. Each trace says the stable reason (AUTH_TOKEN_SIGNATURE, AUTH_OIDC_…) and the client
 * address, never anything of the token.
 *
 * Bounded, so that a flood of failures cannot flood the trace: failures are aggregated per (client address,
 * reason) and per window. The first failure of a pair in a window is traced at once (count 1); the others of the
 * window are counted and traced as one event when the window ends (count = how many more). At most `maxKeys` pairs
 * are told apart in a window; beyond, failures count under the address `other`. So a window writes at most
 * 2 × (maxKeys + number of reasons) traces, whatever the number of failures.
 */
import { SYSTEM_ACTOR } from '../domain/audit/audit-record.ts';
import type { AuditInput } from '../domain/audit/audit-record.ts';
import { trace } from './audit.ts';
import type { Deps } from './deps.ts';

export const AUTH_FAILURE_ACTION = 'auth.failure';
export const OVERFLOW_ADDRESS = 'other';

/** One trace to write: `count` failures of `reason` from `address` in the window starting at `windowStart`. */
export interface AuthFailureSummary {
  readonly address: string;
  readonly reason: string;
  readonly count: number;
  readonly windowStart: number;
}

export interface AuthFailureOptions {
  readonly windowMs: number;
  readonly maxKeys: number;
  readonly now: () => number;
  /** Writes one summary (a trace). A failure to write is reported to `onError`, never to the client. */
  readonly write: (summary: AuthFailureSummary) => Promise<void>;
  readonly onError: (error: unknown) => void;
}

interface Pair {
  readonly address: string;
  readonly reason: string;
  count: number;
  written: number;
}

export class AuthFailureLog {
  readonly #options: AuthFailureOptions;
  #pairs = new Map<string, Pair>();
  #windowStart: number;
  readonly #pending = new Set<Promise<void>>();

  constructor(options: AuthFailureOptions) {
    this.#options = options;
    this.#windowStart = options.now();
  }

  /** Counts one failure; traces it at once when it is the first of its pair in the window. */
  record(reason: string, address: string): void {
    if (this.#options.now() - this.#windowStart >= this.#options.windowMs) {
      this.#rotate();
    }
    let key = `${address}\u0000${reason}`;
    let pair = this.#pairs.get(key);
    if (!pair && this.#pairs.size >= this.#options.maxKeys) {
      key = `${OVERFLOW_ADDRESS}\u0000${reason}`;
      pair = this.#pairs.get(key);
      address = OVERFLOW_ADDRESS;
    }
    if (pair) {
      pair.count += 1;
      return;
    }
    this.#pairs.set(key, { address, reason, count: 1, written: 1 });
    this.#write({ address, reason, count: 1, windowStart: this.#windowStart });
  }

  /** Ends the window: traces what was counted and not yet traced. Resolves once every trace is written. */
  async flush(): Promise<void> {
    this.#rotate();
    await Promise.all([...this.#pending]);
  }

  #rotate(): void {
    const pairs = this.#pairs;
    const windowStart = this.#windowStart;
    this.#pairs = new Map();
    this.#windowStart = this.#options.now();
    for (const pair of pairs.values()) {
      if (pair.count > pair.written) {
        this.#write({
          address: pair.address,
          reason: pair.reason,
          count: pair.count - pair.written,
          windowStart,
        });
      }
    }
  }

  #write(summary: AuthFailureSummary): void {
    const p = this.#options
      .write(summary)
      .catch((error: unknown) => this.#options.onError(error))
      .finally(() => this.#pending.delete(p));
    this.#pending.add(p);
  }
}

/** The trace of a summary: system chain, outcome failure, the reason as reason code. */
export function authFailureTrace(summary: AuthFailureSummary, windowMs: number): AuditInput {
  return {
    action: AUTH_FAILURE_ACTION,
    outcome: 'failure',
    reasonCode: summary.reason,
    detail: {
      clientAddress: summary.address,
      count: summary.count,
      windowStart: new Date(summary.windowStart).toISOString(),
      windowSeconds: Math.round(windowMs / 1000),
    },
  };
}

/** The log of the service: one-minute windows, 1,000 (address, reason) pairs each, traced through `trace`. */
export function createAuthFailureLog(
  deps: Pick<Deps, 'sql' | 'clock' | 'ids' | 'notify' | 'log'>,
  options: { windowMs?: number; maxKeys?: number } = {},
): { log: AuthFailureLog; stop(): Promise<void> } {
  const windowMs = options.windowMs ?? 60_000;
  const log = new AuthFailureLog({
    windowMs,
    maxKeys: options.maxKeys ?? 1_000,
    now: () => Date.now(),
    write: (summary) => trace(deps, SYSTEM_ACTOR, null, authFailureTrace(summary, windowMs)),
    onError: (error) =>
      deps.log.warn(
        { err: error instanceof Error ? error.name : typeof error },
        'authentication failure not traced',
      ),
  });
  const timer = setInterval(() => void log.flush(), windowMs);
  timer.unref();
  return {
    log,
    async stop() {
      clearInterval(timer);
      await log.flush();
    },
  };
}
