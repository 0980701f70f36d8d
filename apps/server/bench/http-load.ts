import http from 'node:http';

/** A small keep-alive HTTP load generator: N concurrent workers for a fixed duration, latencies recorded. */
export interface LoadResult {
  readonly requests: number;
  readonly errors: number;
  readonly seconds: number;
  readonly throughput: number;
  readonly p50: number;
  readonly p99: number;
  readonly firstError?: string;
}

export interface RequestSpec {
  readonly method: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
  /** Status expected (default 200). */
  readonly expect?: number;
  /** Count the answer's bytes without keeping them (a load generator should not be the bottleneck). */
  readonly discardBody?: boolean;
  /** With discardBody: keep the answer's first bytes, up to this many (a status marker to check), as `body`. */
  readonly keepHead?: number;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

export function request(
  base: URL,
  spec: RequestSpec,
): Promise<{ status: number; body: Buffer; bytes: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: base.hostname,
        port: base.port,
        method: spec.method,
        path: spec.path,
        headers: {
          ...(spec.headers ?? {}),
          ...(spec.body !== undefined
            ? { 'content-length': String(Buffer.byteLength(spec.body)) }
            : {}),
        },
        agent,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let bytes = 0;
        const head = spec.discardBody ? (spec.keepHead ?? 0) : Infinity;
        res.on('data', (c: Buffer) => {
          if (bytes < head) {
            chunks.push(c.subarray(0, head - bytes));
          }
          bytes += c.byteLength;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks),
            bytes,
            headers: res.headers,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (spec.body !== undefined) {
      req.write(spec.body);
    }
    req.end();
  });
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) {
    return 0;
  }
  const i = Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length));
  return sorted[i] ?? 0;
}

/** Runs `next(i)` from `concurrency` workers until `seconds` elapse. */
export async function runLoad(
  concurrency: number,
  seconds: number,
  next: (worker: number, n: number) => Promise<void>,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const start = performance.now();
  const end = start + seconds * 1000;
  let counter = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (performance.now() < end) {
        const t0 = performance.now();
        try {
          await next(worker, counter++);
          latencies.push(performance.now() - t0);
        } catch (e) {
          errors++;
          firstError ??= e instanceof Error ? e.message : String(e);
        }
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    errors,
    seconds: elapsed,
    throughput: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    ...(firstError ? { firstError } : {}),
  };
}
