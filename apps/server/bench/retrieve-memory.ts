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
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as fx from '../test/integration/documents.fixtures.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const MB = Number(process.env['RETRIEVE_MB'] ?? 19);
const RUNS = Number(process.env['RETRIEVE_RUNS'] ?? 3);
const AT_ONCE = (process.env['RETRIEVE_AT_ONCE'] ?? '1,2').split(',').map(Number);
const PORT = 19000 + Math.floor(Math.random() * 1000);

function demoFlags(): { env: Record<string, string>; args: string[] } {
  const pkg = JSON.parse(fs.readFileSync(path.join(here, '..', 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const env: Record<string, string> = {};
  const args: string[] = [];
  for (const w of (pkg.scripts['demo'] ?? '').split(/\s+/)) {
    if (/^[A-Z_]+=/.test(w)) {
      const [k, v] = w.split('=') as [string, string];
      env[k] = v;
    } else if (w.startsWith('--')) {
      args.push(w);
    }
  }
  return { env, args };
}

function request(
  url: string,
  options: { method: string; body?: Buffer; token?: string },
): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: options.method,
        headers: {
          ...(options.body
            ? { 'content-type': 'application/fhir+json', 'content-length': options.body.length }
            : {}),
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

function peakRssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${String(pid)}/status`, 'utf8');
  return Math.round(Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${String(pid)}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

function resetPeak(pid: number): void {
  fs.writeFileSync(`/proc/${String(pid)}/clear_refs`, '5');
}

interface Server {
  readonly pid: number;
  readonly base: string;
  exited(): string | undefined;
  stop(): Promise<void>;
}

/** The server as `npm run demo` starts it, on `dataDir`, once ready. */
async function startServer(dataDir: string): Promise<Server> {
  const { env, args } = demoFlags();
  const server = spawn(process.execPath, [...args, 'src/main.ts'], {
    cwd: path.join(here, '..'),
    env: {
      ...process.env,
      ...env,
      OPENDMP_DEMO: '1',
      PORT: String(PORT),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      OPENDMP_JOBS: '0',
      OPENDMP_QUOTA_REQUESTS_PER_MINUTE: '0',
      OPENDMP_QUOTA_DEPOSIT_MB_PER_MINUTE: '0',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let exited: string | undefined;
  const gone = new Promise<void>((resolve) => {
    server.on('exit', (code, signal) => {
      exited = `exit ${String(code)} ${String(signal)}`;
      resolve();
    });
  });
  const base = `http://127.0.0.1:${String(PORT)}`;
  for (let i = 0; ; i++) {
    if (exited) {
      throw new Error(`server ${exited}`);
    }
    const ok = await fetch(`${base}/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) {
      break;
    }
    if (i > 600) {
      throw new Error('server not ready');
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  console.log(`server flags: ${args.join(' ')} ${JSON.stringify(env)}`);
  return {
    pid: server.pid ?? 0,
    base,
    exited: () => exited,
    async stop() {
      if (!exited) {
        server.kill('SIGTERM');
        await gone;
      }
    },
  };
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'opendmp-mem-'));
  fs.chmodSync(dataDir, 0o777); // the embedded PostgreSQL runs as its own user under root
  let server = await startServer(dataDir);
  try {
    const base = server.base;
    const tokenOf = async (claims: unknown): Promise<string> => {
      const res = await request(`${base}/auth/dev/token`, {
        method: 'POST',
        body: Buffer.from(JSON.stringify(claims)),
      });
      return (JSON.parse(res.body.toString()) as { access_token: string }).access_token;
    };
    const nir = fx.nir('1850275123456');
    const template = fx.rewriteIns(fx.readExample('VAC-NOTE_2023.01.xml'), nir);
    const created = await request(`${base}/fhir/Patient`, {
      method: 'POST',
      body: Buffer.from(JSON.stringify(fx.patientBody(nir))),
      token: await tokenOf({ kind: 'operator', id: 'bench' }),
    });
    if (created.status !== 201) {
      throw new Error(`patient not created: ${created.body.toString()}`);
    }
    const xml = fx.rewriteDocumentId(template, fx.freshOid());
    const filler = MB * 1024 * 1024 - Buffer.byteLength(xml) - 9;
    const bytes = Buffer.from(
      xml.replace(
        /<\/(\w+:)?ClinicalDocument>\s*$/,
        (end) => `<!-- ${'A'.repeat(filler)} -->${end}`,
      ),
    );
    const deposited = await request(`${base}/fhir/DocumentReference`, {
      method: 'POST',
      body: Buffer.from(JSON.stringify(fx.iti105(fx.cdaDocumentReference(nir, bytes), bytes))),
      token: await tokenOf(fx.authorTokenBody(fx.header(template))),
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
    server = await startServer(dataDir);
    // The holder reads it (the author, without an authorization on the record, would not).
    const reader = await tokenOf({ kind: 'patient', ins: nir });
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
