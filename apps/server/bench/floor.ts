/**
 * node bench/floor.ts — the floor of a spread retrieval on this machine (issue 20): what the spread ITI-68 workload
 * would cost with nothing of opendmp in it. A bare node:http server (no framework, no token, no policy, no
 * encryption) answers `GET /<id>` with the bytes of one of 20,000 rows of 10 KB read at random from an embedded
 * PostgreSQL (bytea stored out of line, read as base64 as opendmp reads its sealed contents), then the same with an
 * access trace per request: one row inserted by group commit, one insert in flight as opendmp's read traces are
 * (services/audit.ts), the answer sent once its row is committed. Driven by the bench's Node.js client (16 keep-alive
 * connections, 10 s after 2 s of warm-up), with the CPU each side spent per request from /proc: the server process,
 * the PostgreSQL processes of this database alone (its postmaster and children), the client.
 *
 * The sum of the three is the smallest CPU a traced retrieval can cost here; 2 cores over it bounds the throughput
 * any implementation reaches on this machine with the client beside it (docs/benchmarks.md, "The floor").
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '../src/db/client.ts';
import { startEmbeddedDatabase } from '../src/db/embedded.ts';
import { request, runLoad } from './http-load.ts';

const ROWS = 20_000;
const CONCURRENCY = 16;
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 10);

/** The bare server (a child process): FLOOR_DB, FLOOR_PORT, FLOOR_TRACE=1 for a traced answer. */
function serve(): void {
  const sql = connect(process.env['FLOOR_DB'] ?? '', { max: 8 });
  const traced = process.env['FLOOR_TRACE'] === '1';
  let waiting: { readonly id: string; readonly done: () => void }[] = [];
  let inFlight = false;
  const flush = async (): Promise<void> => {
    if (inFlight || waiting.length === 0) {
      return;
    }
    inFlight = true;
    const batch = waiting;
    waiting = [];
    await sql`INSERT INTO floor_trace (document_id, at)
      SELECT d, now() FROM unnest(${batch.map((b) => b.id)}::uuid[]) AS d`;
    inFlight = false;
    for (const b of batch) {
      b.done();
    }
    void flush();
  };
  http
    .createServer((req, res) => {
      const id = (req.url ?? '/').slice(1);
      void (async () => {
        const [row] = await sql.unsafe<{ b: string }[]>(
          `SELECT encode(body, 'base64') AS b FROM floor_content WHERE id = $1`,
          [id],
          { prepare: true },
        );
        const bytes = Buffer.from(row?.b ?? '', 'base64');
        if (traced) {
          await new Promise<void>((done) => {
            waiting.push({ id, done });
            void flush();
          });
        }
        res.writeHead(200, {
          'content-type': 'application/octet-stream',
          'content-length': bytes.length,
        });
        res.end(bytes);
      })();
    })
    .listen(Number(process.env['FLOOR_PORT']), '127.0.0.1');
}

function cpuSeconds(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100;
  } catch {
    return 0;
  }
}

/** The postmaster's CPU and its children's (with the backends that exited, counted in its cutime). */
function postgresCpuSeconds(postmaster: number): number {
  let total = cpuSeconds(postmaster);
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster) {
        total += cpuSeconds(Number(entry));
      }
    } catch {
      // gone
    }
  }
  return total;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opendmp-floor-'));
  fs.chmodSync(dir, 0o777);
  const db = await startEmbeddedDatabase(path.join(dir, 'db'), {
    database: 'postgres',
    persistent: false,
  });
  try {
    const sql = connect(db.url, { max: 2 });
    await sql.unsafe(`CREATE TABLE floor_content (id uuid PRIMARY KEY, body bytea)`);
    await sql.unsafe(`ALTER TABLE floor_content ALTER body SET STORAGE EXTERNAL`);
    await sql.unsafe(
      `CREATE TABLE floor_trace (n bigserial PRIMARY KEY, document_id uuid NOT NULL, at timestamptz NOT NULL)`,
    );
    await sql.unsafe(`INSERT INTO floor_content
      SELECT gen_random_uuid(), decode(repeat(md5(g::text), 640), 'hex') FROM generate_series(1, ${String(ROWS)}) g`);
    await sql.unsafe('CHECKPOINT');
    const ids = (await sql<{ id: string }[]>`SELECT id FROM floor_content`).map((r) => r.id);
    await sql.end();
    const postmaster = Number(
      fs.readFileSync(path.join(dir, 'db', 'pg', 'postmaster.pid'), 'utf8').split('\n')[0],
    );
    for (const traced of [false, true]) {
      const port = 19_000 + Math.floor(Math.random() * 1000);
      const server = spawn(process.execPath, [fileURLToPath(import.meta.url), 'serve'], {
        env: {
          ...process.env,
          FLOOR_DB: db.url,
          FLOOR_PORT: String(port),
          FLOOR_TRACE: traced ? '1' : '0',
        },
        stdio: 'inherit',
      });
      try {
        await new Promise((r) => setTimeout(r, 1500));
        const base = new URL(`http://127.0.0.1:${String(port)}`);
        const one = async (): Promise<void> => {
          const r = await request(base, {
            method: 'GET',
            path: `/${ids[Math.floor(Math.random() * ids.length)] ?? ''}`,
            discardBody: true,
          });
          if (r.status !== 200 || r.bytes !== 10_240) {
            throw new Error(`answer ${String(r.status)}, ${String(r.bytes)} bytes`);
          }
        };
        await runLoad(CONCURRENCY, 2, one);
        const before = {
          server: cpuSeconds(server.pid ?? 0),
          pg: postgresCpuSeconds(postmaster),
          self: process.cpuUsage(),
        };
        const r = await runLoad(CONCURRENCY, SECONDS, one);
        const self = process.cpuUsage(before.self);
        const per = (s: number): string => ((s * 1000) / r.requests).toFixed(2);
        const server_ = cpuSeconds(server.pid ?? 0) - before.server;
        const pg = postgresCpuSeconds(postmaster) - before.pg;
        const client = (self.user + self.system) / 1e6;
        process.stdout.write(
          `${traced ? 'select + traced (group commit)' : 'select only'}: ${r.throughput.toFixed(0)}/s, p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, ${String(r.errors)} errors${r.firstError ? ` (${r.firstError})` : ''}; CPU a request: server ${per(server_)}, PostgreSQL ${per(pg)}, client ${per(client)} ms; 2 cores over their sum: ${((2 * r.requests) / (server_ + pg + client)).toFixed(0)}/s\n`,
        );
      } finally {
        server.kill();
      }
    }
  } finally {
    await db.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'serve') {
  serve();
} else {
  main().catch((e: unknown) => {
    process.stderr.write(`floor failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
