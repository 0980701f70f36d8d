import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * How many traces the current request wrote (or queued for its own durable commit). A request that ends in a
 * "not found" having written none is a miss, which the HTTP layer traces before answering (http/miss-trace.ts):
 * a refusal answered as a miss has always written its denial, so both answers cost one durable write (issue 16,
 * item 8: the time of the answer told them apart).
 */
export interface RequestTraces {
  written: number;
}

const current = new AsyncLocalStorage<RequestTraces>();

/** Runs `fn` (a request's handler) with its own count of traces. */
export function countingTraces<T>(traces: RequestTraces, fn: () => T): T {
  return current.run(traces, fn);
}

/** Called by services/audit.ts for each trace it writes on behalf of the running request. */
export function noteTrace(): void {
  const traces = current.getStore();
  if (traces) {
    traces.written++;
  }
}
