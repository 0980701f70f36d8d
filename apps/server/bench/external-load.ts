/**
 * Load generators written in C, so that the client's share of the 2 cores stays small: wrk for HTTP reads
 * (search, retrieval) and pgbench for the raw PostgreSQL baseline. Each runs as a child of `sh`, which then
 * prints its own /proc stat: the cutime/cstime fields hold the CPU of the children it waited for (the load
 * generator's CPU, read without polling). When a tool is missing, the bench falls back to its Node.js client
 * (http-load.ts, postgres.js) and says so in the table.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LoadResult } from './http-load.ts';
import { percentile } from './http-load.ts';

export interface ExternalResult extends LoadResult {
  /** CPU seconds (user + system) the load generator used. */
  readonly clientCpuSeconds: number;
  /** Bytes received, headers included (wrk only). */
  readonly bytes?: number;
}

/** The tool's path, installing its Debian package when missing and running as root (as CI machines do). */
export function findTool(name: string, debianPackage: string): string | undefined {
  const which = (): string | undefined => {
    try {
      return (
        execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined
      );
    } catch {
      return undefined;
    }
  };
  const found = which();
  if (found || process.env['BENCH_CLIENT'] === 'node') {
    return process.env['BENCH_CLIENT'] === 'node' ? undefined : found;
  }
  if (process.getuid?.() === 0) {
    try {
      execFileSync('apt-get', ['install', '-y', '-qq', debianPackage], {
        stdio: 'ignore',
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      });
    } catch {
      // not installable here: the Node.js client is used
    }
  }
  return which();
}

/** Runs `command args…` under sh and returns its output and the CPU seconds it used. */
async function runMeasured(
  command: string,
  args: readonly string[],
  cwd: string,
): Promise<{ stdout: string; cpuSeconds: number }> {
  const quoted = [command, ...args].map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(' ');
  const child = spawn('sh', ['-c', `${quoted}; status=$?; echo; cat /proc/$$/stat; exit $status`], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
  if (code !== 0) {
    throw new Error(`${command} failed (${String(code)}): ${stderr.slice(0, 500)}`);
  }
  const statLine = stdout.trimEnd().split('\n').pop() ?? '';
  const fields = statLine.slice(statLine.lastIndexOf(')') + 2).split(' ');
  // After the name: cutime and cstime are fields 16 and 17 of stat, i.e. 13 and 14 here (0-based).
  const ticks = Number(fields[13]) + Number(fields[14]);
  return { stdout, cpuSeconds: ticks / 100 };
}

export interface WrkSpec {
  readonly base: URL;
  /** Paths requested in turn. */
  readonly paths: readonly string[];
  readonly headers: Record<string, string>;
  readonly concurrency: number;
  readonly seconds: number;
}

/** GET load with wrk (2 threads, `concurrency` keep-alive connections); status ≥ 400 counts as an error. */
export async function runWrk(wrk: string, spec: WrkSpec): Promise<ExternalResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opendmp-wrk-'));
  try {
    const lua = [
      `local paths = { ${spec.paths.map((p) => JSON.stringify(p)).join(', ')} }`,
      `local headers = { ${Object.entries(spec.headers)
        .map(([k, v]) => `[${JSON.stringify(k)}] = ${JSON.stringify(v)}`)
        .join(', ')} }`,
      'local i = 0',
      'request = function()',
      '  i = i + 1',
      '  return wrk.format("GET", paths[(i % #paths) + 1], headers)',
      'end',
      'done = function(summary, latency, requests)',
      '  local e = summary.errors',
      '  io.write(string.format("WRK-RESULT %d %d %d %d %d %d\\n", summary.requests, summary.duration,',
      '    summary.bytes, e.status + e.connect + e.read + e.write + e.timeout,',
      '    latency:percentile(50), latency:percentile(99)))',
      'end',
    ].join('\n');
    fs.writeFileSync(path.join(dir, 'load.lua'), lua);
    // One thread: on 2 cores shared with the server and PostgreSQL, a second wrk thread made latencies worse
    // (p99 338 ms against 24 ms for the same retrievals, measured here).
    const threads = 1;
    const { stdout, cpuSeconds } = await runMeasured(
      wrk,
      [
        `-t${String(threads)}`,
        `-c${String(spec.concurrency)}`,
        `-d${String(spec.seconds)}s`,
        '--timeout',
        '10s',
        '-s',
        'load.lua',
        spec.base.origin,
      ],
      dir,
    );
    const m = /WRK-RESULT (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)/.exec(stdout);
    if (!m) {
      throw new Error(`wrk printed no result: ${stdout.slice(0, 500)}`);
    }
    const [requests, durationUs, bytes, errors, p50, p99] = m.slice(1).map(Number) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const ok = requests - errors;
    return {
      requests: ok,
      errors,
      seconds: durationUs / 1e6,
      throughput: ok / (durationUs / 1e6),
      p50: p50 / 1000,
      p99: p99 / 1000,
      bytes,
      clientCpuSeconds: cpuSeconds,
      ...(errors > 0
        ? { firstError: `${String(errors)} responses with status ≥ 400 or failed` }
        : {}),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export interface PgbenchSpec {
  readonly url: string;
  /** The transaction script (pgbench syntax). */
  readonly script: string;
  /** Variables given with -D. */
  readonly variables: Record<string, string>;
  readonly concurrency: number;
  readonly seconds: number;
}

/** A pgbench run of one script with prepared statements; latencies from its per-transaction log. */
export async function runPgbench(pgbench: string, spec: PgbenchSpec): Promise<ExternalResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opendmp-pgbench-'));
  try {
    fs.writeFileSync(path.join(dir, 'script.sql'), spec.script);
    const { stdout, cpuSeconds } = await runMeasured(
      pgbench,
      [
        '-n',
        '-M',
        'prepared',
        '-c',
        String(spec.concurrency),
        '-j',
        '2',
        '-T',
        String(spec.seconds),
        '-f',
        'script.sql',
        '-l',
        '--log-prefix',
        'tx',
        ...Object.entries(spec.variables).flatMap(([k, v]) => ['-D', `${k}=${v}`]),
        spec.url,
      ],
      dir,
    );
    const failed = /number of failed transactions: (\d+)/.exec(stdout);
    const latencies: number[] = [];
    for (const file of fs.readdirSync(dir).filter((f) => f.startsWith('tx.'))) {
      for (const line of fs.readFileSync(path.join(dir, file), 'utf8').split('\n')) {
        const f = line.split(' ');
        if (f.length > 2) {
          latencies.push(Number(f[2]) / 1000);
        }
      }
    }
    latencies.sort((a, b) => a - b);
    const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(stdout);
    const throughput = tps ? Number(tps[1]) : latencies.length / spec.seconds;
    return {
      requests: latencies.length,
      errors: failed ? Number(failed[1]) : 0,
      seconds: spec.seconds,
      throughput,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      clientCpuSeconds: cpuSeconds,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
