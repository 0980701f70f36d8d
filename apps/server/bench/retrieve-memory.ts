/**
 * node bench/retrieve-memory.ts — peak RSS of the server during the retrieval (ITI-68, GET /fhir/Binary/{id}) of one
 * near-limit document, alone and two at once (issue 16 follow-up; figures in docs/operations.md "Memory budget").
 * Run it with the node of the repository (`../../node_modules/.bin/node bench/retrieve-memory.ts`).
 *
 * As bench/deposit-memory.ts: the server is started as `npm run demo` does (node flags read from package.json's demo
 * script) on a fresh embedded database in a temporary folder; one 19 MB CDA is deposited (RETRIEVE_MB sets its
 * size), then retrieved RETRIEVE_RUNS times (default 3) per phase — one at a time, then two at once (RETRIEVE_AT_ONCE,
 * default `1,2`) — by a fresh server process, the process's peak RSS (VmHWM) reset through
 * /proc/<pid>/clear_refs before each run. Each answer is checked byte for byte. Linux only.
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
  rssMb,
  startDemoServer,
} from './memory-probe.ts';

const MB = Number(process.env['RETRIEVE_MB'] ?? 19);
const RUNS = Number(process.env['RETRIEVE_RUNS'] ?? 3);
const AT_ONCE = (process.env['RETRIEVE_AT_ONCE'] ?? '1,2').split(',').map(Number);
const PORT = 19000 + Math.floor(Math.random() * 1000);

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'opendmp-mem-'));
  fs.chmodSync(dataDir, 0o777); // the embedded PostgreSQL runs as its own user under root
  let server = await startDemoServer(dataDir, PORT);
  try {
    const base = server.base;
    const nir = fx.nir('1850275123456');
    const { template, authorToken } = await nearLimitRecord(server, nir);
    const bytes = nearLimitCda(template, MB);
    const deposited = await request(`${base}/fhir/DocumentReference`, {
      method: 'POST',
      body: Buffer.from(JSON.stringify(fx.iti105(fx.cdaDocumentReference(nir, bytes), bytes))),
      token: authorToken,
    });
    if (deposited.status !== 201) {
      throw new Error(`not deposited: ${deposited.body.toString().slice(0, 500)}`);
    }
    const url = String(
      (
        JSON.parse(deposited.body.toString()) as {
          content: { attachment: { url: string } }[];
        }
      ).content[0]?.attachment.url,
    ).replace(/^https?:\/\/[^/]+/, base);
    // A fresh process for the retrievals: what the deposit left in memory (libxml2's, the allocator's) is not
    // counted.
    await server.stop();
    server = await startDemoServer(dataDir, PORT);
    // The holder reads it (the author, without an authorization on the record, would not).
    const reader = await server.token({ kind: 'patient', ins: nir });
    await request(`${base}/fhir/metadata`, { method: 'GET' });
    await new Promise((r) => setTimeout(r, 1000));
    const pid = server.pid;
    console.log(`${String(MB)} MB CDA; RSS before the retrievals ${String(rssMb(pid))} MB`);
    for (const concurrent of AT_ONCE) {
      for (let run = 0; run < RUNS; run++) {
        resetPeak(pid);
        const started = Date.now();
        const answers = await Promise.all(
          Array.from({ length: concurrent }, () => request(url, { method: 'GET', token: reader })),
        );
        const ms = Date.now() - started;
        await new Promise((r) => setTimeout(r, 300));
        const exited = server.exited();
        if (exited) {
          console.log(`${String(concurrent)} at once: the server died (${exited})`);
          return;
        }
        const whole = answers.every((a) => a.status === 200 && a.body.equals(bytes));
        console.log(
          `${String(concurrent)} at once, run ${String(run + 1)}: peak RSS ${String(peakRssMb(pid))} MB, ${whole ? 'bytes identical' : `WRONG ${answers.map((a) => a.status).join(' ')}`}, ${String(ms)} ms`,
        );
      }
    }
  } finally {
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
