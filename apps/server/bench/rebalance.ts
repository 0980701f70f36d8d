/**
 * node bench/rebalance.ts <hold.json> <host:port> — issue 20's "rebalancing of a record's shard to a new worker under
 * a read load (no error, measured pause)", on the service's own tables: a server held by
 * `BENCH_HOLD_SPREAD=<hold.json> npm run bench` on a Citus coordinator (its spread records: 100 records of 200
 * documents) is read by 16 Node.js clients, half searches and half retrievals at random over those records, while
 * this script adds the worker <host:port> (its database already created with the citus extension) and rebalances
 * the shards onto it (`citus_add_node`, `citus_rebalance_start`, polled with `citus_rebalance_status` until done).
 * Printed: each second's reads, errors and slowest read, with the rebalance's state, then the summary before, during
 * and after. Environment: BEFORE and AFTER (seconds of load before the rebalance starts and after it ends, default
 * 20), CONCURRENCY (default 16). Run with the repository's node: `../../node_modules/.bin/node bench/rebalance.ts …`.
 */
import fs from 'node:fs';
import postgres from 'postgres';
import { request } from './http-load.ts';

interface Hold {
  readonly base: string;
  readonly token: string;
  readonly spreadPaths: readonly string[];
  readonly spreadUrls: readonly string[];
  readonly cdaSize: number;
  readonly databaseUrl: string;
}

const [holdFile, node] = process.argv.slice(2);
if (!holdFile || !node || !/^[\w.-]+:\d+$/.test(node)) {
  process.stderr.write('usage: node bench/rebalance.ts <hold.json> <host:port>\n');
  process.exit(2);
}
const BEFORE = Number(process.env['BEFORE'] ?? 20);
const AFTER = Number(process.env['AFTER'] ?? 20);
const CONCURRENCY = Number(process.env['CONCURRENCY'] ?? 16);
const hold = JSON.parse(fs.readFileSync(holdFile, 'utf8')) as Hold;
const base = new URL(hold.base);
const headers = { authorization: `Bearer ${hold.token}` };
const sql = postgres(hold.databaseUrl, { max: 1, onnotice: () => undefined });

type Phase = 'before' | 'during' | 'after';
interface Second {
  ok: number;
  errors: number;
  slowest: number;
  phase: Phase;
  moves: string;
}
const seconds: Second[] = [];
const started = Date.now();
let phase: Phase = 'before';
let moves = '';
let stop = false;
let firstError: string | undefined;

function slot(): Second {
  const i = Math.floor((Date.now() - started) / 1000);
  while (seconds.length <= i) {
    seconds.push({ ok: 0, errors: 0, slowest: 0, phase, moves });
  }
  return seconds[i] as Second;
}

const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)] as T;

async function client(n: number): Promise<void> {
  for (let i = n; !stop; i++) {
    const search = i % 2 === 0;
    const at = performance.now();
    let ok = false;
    try {
      const r = await request(base, {
        method: 'GET',
        path: search ? pick(hold.spreadPaths) : pick(hold.spreadUrls),
        headers,
        discardBody: true,
        keepHead: 300,
      });
      ok =
        r.status === 200 &&
        (search ? r.bytes >= 50 * 1024 : Math.abs(r.bytes - hold.cdaSize) <= 64);
      if (!ok) {
        firstError ??= `${search ? 'search' : 'retrieval'} ${r.status} ${r.body.toString()}`;
      }
    } catch (e) {
      firstError ??= String(e);
    }
    const s = slot();
    const ms = performance.now() - at;
    if (ok) {
      s.ok++;
    } else {
      s.errors++;
    }
    s.slowest = Math.max(s.slowest, ms);
  }
}

async function rebalance(): Promise<{ seconds: number; moves: number }> {
  const [host, port] = node!.split(':') as [string, string];
  await new Promise((r) => setTimeout(r, BEFORE * 1000));
  phase = 'during';
  const t0 = Date.now();
  await sql`SELECT citus_add_node(${host}, ${Number(port)})`;
  await sql`SELECT citus_rebalance_start()`;
  let done: number;
  for (;;) {
    await new Promise((r) => setTimeout(r, 500));
    const [st] = await sql<
      {
        state: string;
        details: { tasks?: unknown[]; task_state_counts?: Record<string, number> };
      }[]
    >`
      SELECT state::text, details FROM citus_rebalance_status() ORDER BY job_id DESC LIMIT 1`;
    const counts = st?.details.task_state_counts ?? {};
    done = counts['done'] ?? 0;
    moves = `${st?.state ?? '?'} ${JSON.stringify(counts)}`;
    if (!st || ['finished', 'failed', 'cancelled'].includes(st.state)) {
      break;
    }
  }
  const took = (Date.now() - t0) / 1000;
  phase = 'after';
  moves = '';
  await new Promise((r) => setTimeout(r, AFTER * 1000));
  return { seconds: took, moves: done };
}

const load = Array.from({ length: CONCURRENCY }, (_, n) => client(n));
const result = await rebalance();
stop = true;
await Promise.all(load);
await sql.end();

for (const [i, s] of seconds.entries()) {
  console.log(
    `${String(i).padStart(4)} s  ${s.phase.padEnd(6)}  ${String(s.ok).padStart(5)} reads  ${String(s.errors).padStart(3)} errors  slowest ${s.slowest.toFixed(0).padStart(5)} ms  ${s.moves}`,
  );
}
for (const p of ['before', 'during', 'after'] as const) {
  const of = seconds.slice(1, -1).filter((s) => s.phase === p);
  const reads = of.reduce((a, s) => a + s.ok, 0);
  const errors = of.reduce((a, s) => a + s.errors, 0);
  const slowest = Math.max(0, ...of.map((s) => s.slowest));
  const worst = of.map((s) => s.ok).sort((a, b) => a - b)[0] ?? 0;
  console.log(
    `${p}: ${of.length} s, ${(reads / Math.max(1, of.length)).toFixed(0)} reads/s (worst second ${worst}), ${errors} errors, slowest read ${slowest.toFixed(0)} ms`,
  );
}
console.log(
  `rebalance: ${result.moves} moves in ${result.seconds.toFixed(1)} s${firstError ? `; first error: ${firstError}` : ''}`,
);
