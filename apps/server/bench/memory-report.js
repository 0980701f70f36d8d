/**
 * Loaded into the benchmarked server with `--import` (bench/run.ts, never by the service itself; JavaScript, so that
 * the server, run from its build as `npm start` runs it, does not load Node's TypeScript stripper for it): on SIGUSR2 the
 * server appends one JSON line to BENCH_MEMORY_REPORT — its RSS and what V8 says makes it up (the JavaScript heap
 * by space, memory outside the heap, ArrayBuffers including the XML parser's WebAssembly memory) — so that the
 * bench can say which part of the server's memory each load grew.
 */
import fs from 'node:fs';
import v8 from 'node:v8';

const file = process.env['BENCH_MEMORY_REPORT'];
if (file) {
  process.on('SIGUSR2', () => {
    const m = process.memoryUsage();
    const spaces = Object.fromEntries(
      v8.getHeapSpaceStatistics().map((s) => [s.space_name, Math.round(s.space_size / 1048576)]),
    );
    fs.appendFileSync(
      file,
      `${JSON.stringify({
        rss: Math.round(m.rss / 1048576),
        heapTotal: Math.round(m.heapTotal / 1048576),
        heapUsed: Math.round(m.heapUsed / 1048576),
        external: Math.round(m.external / 1048576),
        arrayBuffers: Math.round(m.arrayBuffers / 1048576),
        spaces,
      })}\n`,
    );
  });
}
