import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * A request's single-use key — a VIHF assertion's (xds/vihf.ts rule V8) — written with the request's own writes
 * rather than in a statement and a commit of its own before the request: an ITI-18's with its first read trace (ADR
 * 0037, migration 0182: the append inserts the use and appends the trace only if the use was new, or already this
 * request's), an ITI-41's in the statement that stores the deposit, an ITI-57's in the transaction of the update (ADR
 * 0039) — so that a replay's trace or deposit is never written and the request is refused. Plain PostgreSQL only (on
 * Citus the SOAP plugin writes the use alone first, as before).
 */
export interface SingleUse {
  readonly key: string;
  readonly expiresAt: Date;
  /** The certificate the assertion was verified with: the use is written only while it is registered, unrevoked. */
  readonly certificateId: string;
  /** The request's own id (vihf_assertion_used.used_by): its use written again is its own, not a replay. */
  readonly by: string;
  /** Written by a committed statement (a read trace's append, a deposit): the request need not write it again. */
  confirmed: boolean;
  /** The transaction that wrote it last (services/audit.ts `audit`): done once that one commits ({@link committedIn}). */
  writtenIn?: object;
}

/** The request's single use was refused: its key is another request's (a replay), or its certificate was revoked. */
export class SingleUseRefused extends Error {
  constructor() {
    super('the single-use key was used already');
    this.name = 'SingleUseRefused';
  }
}

const current = new AsyncLocalStorage<SingleUse>();

/** Runs `fn` (a request's service call) with its single use to write with its first trace. */
export function withSingleUse<T>(use: SingleUse, fn: () => T): T {
  return current.run(use, fn);
}

/** The running request's single use, while no committed statement has written it. */
export function pendingSingleUse(): SingleUse | undefined {
  const use = current.getStore();
  return use && !use.confirmed ? use : undefined;
}

/**
 * Tells the running request that `tx` committed: its single use is done if `tx` wrote it (ADR 0039: an ITI-57's use
 * goes with its update's transaction).
 */
export function committedIn(tx: object): void {
  const use = current.getStore();
  if (use && !use.confirmed && use.writtenIn === tx) {
    use.confirmed = true;
  }
}

/** Runs `fn` outside any request's single use (the trace batcher's appends, which serve many requests). */
export function withoutSingleUse<T>(fn: () => T): T {
  return current.exit(fn);
}
