/**
 * What the memory scripts (bench/deposit-memory.ts, bench/retrieve-memory.ts) share: the server started as
 * `npm run demo` starts it (the script's node flags and variables, test/helpers/child-service.ts), a small HTTP
 * client, the process's peak and current RSS read from /proc (Linux only), and a near-limit CDA for a fresh record.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtMain, scriptFlags } from '../test/helpers/child-service.ts';
import * as fx from '../test/integration/documents.fixtures.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

export function request(
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

function statusMb(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const status = fs.readFileSync(`/proc/${String(pid)}/status`, 'utf8');
  return Math.round(Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024);
}

/** Peak RSS since the process started or since the last resetPeak, in MB. */
export function peakRssMb(pid: number): number {
  return statusMb(pid, 'VmHWM');
}

export function rssMb(pid: number): number {
  return statusMb(pid, 'VmRSS');
}

export function resetPeak(pid: number): void {
  fs.writeFileSync(`/proc/${String(pid)}/clear_refs`, '5');
}

export interface DemoServer {
  readonly pid: number;
  readonly base: string;
  exited(): string | undefined;
  /** A development token for `claims`. */
  token(claims: unknown): Promise<string>;
  stop(): Promise<void>;
}

/** The server as `npm run demo` starts it (plus `extraArgs`), on `dataDir` and `port`, once ready. */
export async function startDemoServer(
  dataDir: string,
  port: number,
  extraArgs: readonly string[] = [],
): Promise<DemoServer> {
  const { env, args } = scriptFlags('demo');
  const server = spawn(process.execPath, [...args, ...extraArgs, builtMain()], {
    cwd: path.join(here, '..'),
    env: {
      ...process.env,
      ...env,
      OPENDMP_DEMO: '1',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      OPENDMP_JOBS: '0',
      // One actor sends every near-limit document: its quotas would answer 429 before the document budget speaks.
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
  const base = `http://127.0.0.1:${String(port)}`;
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
  console.log(`server flags: ${[...args, ...extraArgs].join(' ')} ${JSON.stringify(env)}`);
  return {
    pid: server.pid ?? 0,
    base,
    exited: () => exited,
    async token(claims) {
      const res = await request(`${base}/auth/dev/token`, {
        method: 'POST',
        body: Buffer.from(JSON.stringify(claims)),
      });
      return (JSON.parse(res.body.toString()) as { access_token: string }).access_token;
    },
    async stop() {
      if (!exited) {
        server.kill('SIGTERM');
        await gone;
      }
    },
  };
}

/** Creates a record for `nir` through the API (as the operator); the CDA template rewritten for it. */
export async function nearLimitRecord(
  server: DemoServer,
  nir: string,
): Promise<{ template: string; authorToken: string }> {
  const created = await request(`${server.base}/fhir/Patient`, {
    method: 'POST',
    body: Buffer.from(JSON.stringify(fx.patientBody(nir))),
    token: await server.token({ kind: 'operator', id: 'bench' }),
  });
  if (created.status !== 201) {
    throw new Error(`patient not created: ${created.body.toString()}`);
  }
  const template = fx.rewriteIns(fx.readExample('VAC-NOTE_2023.01.xml'), nir);
  return { template, authorToken: await server.token(fx.authorTokenBody(fx.header(template))) };
}

/** A valid CDA made `mb` MB large by a comment (as large as a scanned level 1 body), with a fresh document id. */
export function nearLimitCda(template: string, mb: number): Buffer {
  const xml = fx.rewriteDocumentId(template, fx.freshOid());
  const filler = mb * 1024 * 1024 - Buffer.byteLength(xml) - 9;
  return Buffer.from(
    xml.replace(/<\/(\w+:)?ClinicalDocument>\s*$/, (end) => `<!-- ${'A'.repeat(filler)} -->${end}`),
  );
}
