/**
 * node bench/deposit-memory.ts — peak RSS of the server during one, two and three concurrent near-limit deposits
 * (issue 16 finding 2; figures in docs/operations.md "Input limits and memory budget"). Run it with the node of
 * the repository (`../../node_modules/.bin/node bench/deposit-memory.ts`, as npm scripts do).
 *
 * Starts the server as `npm run demo` does (the node flags are read from package.json's demo script) on a fresh
 * embedded database in a temporary folder, deposits 19 MB documents through ITI-105 with the development identity
 * provider's tokens, and reads the process's peak RSS (VmHWM, reset through /proc/<pid>/clear_refs before each
 * phase); three at once show the document budget (the third answers 503). Linux only. DEPOSIT_MB (default 19)
 * sets the document size, DEPOSIT_RUNS (default 2) the repetitions, DEPOSIT_KIND the document: `cda` (default; a
 * CDA made large by a comment, as large as a level 1 body, for a patient created here) or `pdf` (the demo patient's
 * PDF, for revisions before CDA-only content, issue 17), DEPOSIT_NODE_FLAGS extra node flags of the server
 * (e.g. --trace-gc).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as fx from '../test/integration/documents.fixtures.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const MB = Number(process.env['DEPOSIT_MB'] ?? 19);
const RUNS = Number(process.env['DEPOSIT_RUNS'] ?? 2);
const KIND = process.env['DEPOSIT_KIND'] ?? 'cda';
const PORT = 18000 + Math.floor(Math.random() * 1000);
const PATIENT = '158037505610143';
const GP = {
  kind: 'professional',
  idNatPs: '899700366240',
  profession: '10',
  specialty: 'SM26',
  structure: '1750300000',
  sector: 'SA07',
  mode: 'normal',
};

function demoFlags(): { env: Record<string, string>; args: string[] } {
  const pkg = JSON.parse(fs.readFileSync(path.join(here, '..', 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const words = (pkg.scripts['demo'] ?? '').split(/\s+/);
  const env: Record<string, string> = {};
  const args: string[] = [];
  for (const w of words) {
    if (/^[A-Z_]+=/.test(w)) {
      const [k, v] = w.split('=') as [string, string];
      env[k] = v;
    } else if (w.startsWith('--')) {
      args.push(w);
    }
  }
  return { env, args };
}

function post(
  url: string,
  body: Buffer,
  token?: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/fhir+json',
          'content-length': body.length,
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function peakRssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${String(pid)}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

function resetPeak(pid: number): void {
  fs.writeFileSync(`/proc/${String(pid)}/clear_refs`, '5');
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'opendmp-mem-'));
  fs.chmodSync(dataDir, 0o777); // the embedded PostgreSQL runs as its own user under root
  const { env, args } = demoFlags();
  const extra = (process.env['DEPOSIT_NODE_FLAGS'] ?? '').split(' ').filter((f) => f !== '');
  const server = spawn(process.execPath, [...args, ...extra, 'src/main.ts'], {
    cwd: path.join(here, '..'),
    env: {
      ...process.env,
      ...env,
      OPENDMP_DEMO: '1',
      PORT: String(PORT),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      OPENDMP_JOBS: '0',
      // One actor deposits every document here: its per-actor quotas would answer 429 before the budget speaks.
      OPENDMP_QUOTA_REQUESTS_PER_MINUTE: '0',
      OPENDMP_QUOTA_DEPOSIT_MB_PER_MINUTE: '0',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  let exited: string | undefined;
  server.on('exit', (code, signal) => {
    exited = `exit ${String(code)} ${String(signal)}`;
  });
  const base = `http://127.0.0.1:${String(PORT)}`;
  try {
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
    const tokenOf = async (claims: unknown): Promise<string> => {
      const res = await post(`${base}/auth/dev/token`, Buffer.from(JSON.stringify(claims)));
      return (JSON.parse(res.body) as { access_token: string }).access_token;
    };
    const pid = server.pid ?? 0;
    const nir = fx.nir('1850275123456');
    const cdaTemplate = fx.rewriteIns(fx.readExample('VAC-NOTE_2023.01.xml'), nir);
    let token = await tokenOf(GP);
    if (KIND === 'cda') {
      const created = await post(
        `${base}/fhir/Patient`,
        Buffer.from(JSON.stringify(fx.patientBody(nir))),
        await tokenOf({ kind: 'operator', id: 'bench' }),
      );
      if (created.status !== 201) {
        throw new Error(`patient not created: ${created.body}`);
      }
      token = await tokenOf(fx.authorTokenBody(fx.header(cdaTemplate)));
    }
    const body = (): Buffer => {
      if (KIND === 'cda') {
        const xml = fx.rewriteDocumentId(cdaTemplate, fx.freshOid());
        const filler = MB * 1024 * 1024 - Buffer.byteLength(xml) - 9;
        const bytes = Buffer.from(
          xml.replace(
            /<\/(\w+:)?ClinicalDocument>\s*$/,
            (end) => `<!-- ${'A'.repeat(filler)} -->${end}`,
          ),
        );
        return Buffer.from(JSON.stringify(fx.iti105(fx.cdaDocumentReference(nir, bytes), bytes)));
      }
      const bytes = Buffer.alloc(MB * 1024 * 1024, 0x20);
      bytes.write(`%PDF-1.4\n% ${String(Math.random())}\n`);
      bytes.write('%%EOF\n', bytes.length - 6);
      const docRef = fx.pdfDocumentReference(PATIENT, bytes, {
        idNatPs: GP.idNatPs,
        structure: GP.structure,
      });
      return Buffer.from(JSON.stringify(fx.iti105(docRef, bytes)));
    };
    console.log(
      `server flags: ${args.join(' ')} ${JSON.stringify(env)}; ${KIND} document ${String(MB)} MB (body ${String(Math.round(body().length / 1048576))} MB)`,
    );
    console.log(`idle RSS: ${String(peakRssMb(pid))} MB (peak since start)`);
    for (const concurrent of [1, 2, 3]) {
      for (let run = 0; run < RUNS; run++) {
        const bodies = Array.from({ length: concurrent }, body);
        resetPeak(pid);
        const started = Date.now();
        const answers = await Promise.allSettled(
          bodies.map((b) => post(`${base}/fhir/DocumentReference`, b, token)),
        );
        await new Promise((r) => setTimeout(r, 500));
        const statuses = answers.map((a) =>
          a.status === 'fulfilled' ? String(a.value.status) : `error ${String(a.reason)}`,
        );
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
    server.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 3000));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
