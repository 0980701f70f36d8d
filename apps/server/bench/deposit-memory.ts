/**
 * node bench/deposit-memory.ts — peak RSS of the server during one, two and three concurrent near-limit deposits
 * (issue 16 finding 2; figures in docs/operations.md "Input limits and memory budget"). Run it with the node of
 * the repository (`../../node_modules/.bin/node bench/deposit-memory.ts`, as npm scripts do).
 *
 * Starts the server as `npm run demo` does (bench/memory-probe.ts) on a fresh embedded database in a temporary
 * folder, deposits CDA documents made large by a comment (as large as a level 1 body) through ITI-105 for a record
 * created here, and reads the process's peak RSS (VmHWM, reset through /proc/<pid>/clear_refs before each phase);
 * three at once show the document budget (the third answers 503). Linux only. DEPOSIT_MB (default 19) sets the
 * document size, DEPOSIT_RUNS (default 2) the repetitions, DEPOSIT_NODE_FLAGS extra node flags of the server
 * (e.g. --trace-gc). (The "before" figures of docs/operations.md deposited bare PDFs, with the script of that time.)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as fx from '../test/integration/documents.fixtures.ts';
import {
  nearLimitCda,
  nearLimitRecord,
  peakRssMb,
  request,
  resetPeak,
  startDemoServer,
} from './memory-probe.ts';

const MB = Number(process.env['DEPOSIT_MB'] ?? 19);
const RUNS = Number(process.env['DEPOSIT_RUNS'] ?? 2);
const PORT = 18000 + Math.floor(Math.random() * 1000);

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'opendmp-mem-'));
  fs.chmodSync(dataDir, 0o777); // the embedded PostgreSQL runs as its own user under root
  const extra = (process.env['DEPOSIT_NODE_FLAGS'] ?? '').split(' ').filter((f) => f !== '');
  const server = await startDemoServer(dataDir, PORT, extra);
  try {
    const pid = server.pid;
    const nir = fx.nir('1850275123456');
    const { template, authorToken } = await nearLimitRecord(server, nir);
    const body = (): Buffer => {
      const bytes = nearLimitCda(template, MB);
      return Buffer.from(JSON.stringify(fx.iti105(fx.cdaDocumentReference(nir, bytes), bytes)));
    };
    console.log(
      `CDA document ${String(MB)} MB (body ${String(Math.round(body().length / 1048576))} MB)`,
    );
    console.log(`idle RSS: ${String(peakRssMb(pid))} MB (peak since start)`);
    for (const concurrent of [1, 2, 3]) {
      for (let run = 0; run < RUNS; run++) {
        const bodies = Array.from({ length: concurrent }, body);
        resetPeak(pid);
        const started = Date.now();
        const answers = await Promise.allSettled(
          bodies.map((b) =>
            request(`${server.base}/fhir/DocumentReference`, {
              method: 'POST',
              body: b,
              token: authorToken,
            }),
          ),
        );
        await new Promise((r) => setTimeout(r, 500));
        const statuses = answers.map((a) =>
          a.status === 'fulfilled' ? String(a.value.status) : `error ${String(a.reason)}`,
        );
        const exited = server.exited();
        if (exited) {
          console.log(`${String(concurrent)} concurrent: the server died (${exited})`);
          return;
        }
        console.log(
          `${String(concurrent)} concurrent, run ${String(run + 1)}: peak RSS ${String(peakRssMb(pid))} MB, answers ${statuses.join(' ')}, ${String(Date.now() - started)} ms`,
        );
      }
    }
  } finally {
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
