/**
 * npm run bench — the figures of docs/benchmarks.md, measured in one run on this machine:
 *  - deposit (ITI-105) of a 10 KB CDA with full validation, traced, 16 concurrent clients;
 *  - search (ITI-67) of one patient's 200 documents with 1 M documents in the base;
 *  - retrieval (ITI-68) of a document's bytes;
 *  - the DMP's SOAP interface (issue 19): ITI-41 deposits of the same CDA on the same records, and ITI-18
 *    FindDocuments of the searched record (its 200 documents, LeafClass) beside the FHIR search of the same 200
 *    (`_count=200`), both by the Node.js client, each SOAP request with its own signed VIHF (signed before the load);
 *  - the spread workload real use has (issue 18, issue 20): search and retrieval at random over BENCH_SPREAD_RECORDS
 *    records (default 100) of 200 documents each, deposited through the API, driven by a Node.js client (as the
 *    Medplum figures it is compared with were), not one hot record;
 *  - with `cold` in BENCH_WORKLOADS (not by default: about ten minutes of set-up), the cold workload (issue 20):
 *    search and retrieval at random over BENCH_COLD_RECORDS records (default 100,000) of one document each, more
 *    than the server's memories hold, each record read about once;
 *  - server RSS during the load;
 *  - the same inserts and selects done raw on PostgreSQL, as the baseline of the ratios.
 * Environment: DATABASE_URL (a server where a fresh database is created; default: an embedded PostgreSQL),
 * BENCH_DOCS (background documents, default 1 000 000), BENCH_RECORDS (the records holding them, default one per 200), BENCH_SECONDS (per workload, default 10),
 * BENCH_WARMUP_SECONDS (an uncounted run of each load before it, default 2), BENCH_CONCURRENCY (default 16), BENCH_WRITE=1 to update docs/benchmarks.md, BENCH_KEEP_DB=1 to keep the database
 * (DATABASE_URL only) for inspection, BENCH_SEED_TEMPLATE=name to seed once and measure copies (below).
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '../src/db/client.ts';
import type { Sql } from '../src/db/client.ts';
import { startEmbeddedDatabase } from '../src/db/embedded.ts';
import type { EmbeddedDatabase } from '../src/db/embedded.ts';
import { migrate } from '../src/db/migrate.ts';
import { MIGRATION_STEPS } from '../src/migration-steps.ts';
import { computeNirKey } from '../src/domain/identity/ins.ts';
import { benchCda, benchCdaTemplate } from './bench-cda.ts';
import type { LoadResult } from './http-load.ts';
import { request, runLoad } from './http-load.ts';
import { installFillerFunctions, seedBackground } from './seed.ts';
import { citusWorkers, createCitusDatabase, onEveryNode } from '../test/helpers/global-setup.ts';
import { SoapBench } from './soap.ts';
import type { ExternalResult } from './external-load.ts';
import { findTool, runPgbench, runWrk } from './external-load.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const DOCS = Number(process.env['BENCH_DOCS'] ?? 1_000_000);
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 10);
const WARMUP = Number(process.env['BENCH_WARMUP_SECONDS'] ?? 2);
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 16);
/**
 * The records holding them: BENCH_RECORDS, else 200 documents a record (the searched record's size). Issue 20's scale
 * series puts 10 documents a record (10 M documents over 1 M records).
 */
const BACKGROUND_PATIENTS = Number(
  process.env['BENCH_RECORDS'] ?? Math.max(1, Math.round(DOCS / 200)),
);
const TEST_OID = '1.2.250.1.213.1.4.10';
/**
 * BENCH_PGSS=1: PostgreSQL's own account of each measured load (pg_stat_statements, loaded in the embedded
 * database; a DATABASE_URL server must preload it itself), printed after the load: where the database's time goes.
 */
const STATEMENTS = process.env['BENCH_PGSS'] === '1';
/** BENCH_WORKLOADS=search,retrieve… runs only those (for profiling); the default runs all. */
const WORKLOADS = new Set(
  (process.env['BENCH_WORKLOADS'] ?? 'deposit,search,retrieve,soap,spread').split(','),
);
/**
 * BENCH_SEED_TEMPLATE=name (DATABASE_URL naming one PostgreSQL): the background documents are seeded once into a
 * database of that name, kept, and each run measures a copy of it — a base of 10 M documents takes half an hour to
 * seed and a few minutes to copy. The database's comment records what it holds; a run asking for another
 * BENCH_DOCS refuses it rather than measure a base of another size.
 */
const SEED_TEMPLATE = process.env['BENCH_SEED_TEMPLATE'];
if (SEED_TEMPLATE !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(SEED_TEMPLATE)) {
  throw new Error('BENCH_SEED_TEMPLATE: a lower-case database name');
}
/** Records of the spread workload (200 documents each); 0 skips it. */
const SPREAD_RECORDS = WORKLOADS.has('spread')
  ? Number(process.env['BENCH_SPREAD_RECORDS'] ?? 100)
  : 0;
const SPREAD_DOCS = 200;
/**
 * Records of the cold workload (issue 20: "100,000 records with cold caches"), one document each, created and
 * deposited through the API before it; only with `cold` in BENCH_WORKLOADS (not in the default list: its set-up is
 * three requests per record, about ten minutes for 100,000 on this machine kind).
 */
const COLD_RECORDS = WORKLOADS.has('cold')
  ? Number(process.env['BENCH_COLD_RECORDS'] ?? 100_000)
  : 0;
/** Requests a second the SOAP search might reach: as many VIHF are signed before its load (one per request). */
const SOAP_RATE_GUESS = Number(process.env['BENCH_SOAP_RATE'] ?? 1500);
/** The head of the FHIR search of the 200 (its Bundle's total, before the links and entries). */
const TOTAL_200 = Buffer.from('"type":"searchset","total":200,');
const skipped: LoadResult & { cpu?: CpuShare } = {
  requests: 0,
  errors: 0,
  seconds: 0,
  throughput: 0,
  p50: 0,
  p99: 0,
};
const AUTHOR = {
  kind: 'professional',
  idNatPs: '801234534765',
  profession: '10',
  specialty: 'SM03',
  structure: '1120459876',
  mode: 'normal',
};

/** Progress on stderr, with the wall-clock time (to find a phase in a BENCH_CPU_PROF profile). */
function log(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 23)}] ${msg}\n`);
}

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

function nir(seq: number): string {
  const first13 = `2800175${String(100000 + seq).padStart(6, '0')}`;
  return `${first13}${String(computeNirKey(first13)).padStart(2, '0')}`;
}

/** The `start` script of apps/server/package.json, split into its words. */
function startWords(): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(here, '../package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  // The command after the build (`node scripts/ensure-built.ts && …`).
  return (pkg.scripts['start'] ?? '')
    .split('&&')
    .slice(-1)
    .join('')
    .split(' ')
    .filter((w) => w !== '');
}

/** The Node.js and V8 flags of `npm start` (heap sizes and growth). */
function startFlags(): string {
  return startWords()
    .filter((f) => f.startsWith('--'))
    .join(' ');
}

/** The environment `npm start` sets before `node` (the allocator's arenas), as NAME → value. */
function startEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const word of startWords()) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(word);
    if (!m) {
      break;
    }
    env[m[1] as string] = m[2] as string;
  }
  return env;
}

function rssMb(pid: number): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** CPU seconds (user + system) a process used so far, from /proc (0 where /proc is missing). */
function cpuSeconds(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/**
 * CPU seconds of every PostgreSQL process of the machine (backends, WAL writer, checkpointer…), with the CPU of
 * the backends that already exited (the postmaster's reaped children: pgbench's connections end with its run).
 */
function postgresCpuSeconds(): number {
  let total = 0;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.includes('(postgres)')) {
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        total +=
          (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / 100;
      }
    } catch {
      // gone
    }
  }
  return total;
}

interface CpuShare {
  /** CPU milliseconds per request: the server process, PostgreSQL, the load generator (this process). */
  readonly server: number;
  readonly postgres: number;
  readonly client: number;
}

/**
 * The server's peak RSS since the last load began (sampled every 100 ms once the loads start): each load logs its
 * own, so that the run's peak can be traced to the workload that made it.
 */
let phasePeakRss = 0;

/** What the server's memory is made of now (bench/memory-report.js), as one JSON line. */
let memoryOf: () => Promise<string> = () => Promise.resolve('(no server)');

/** The bench database, for BENCH_PGSS's statement reports. */
let statementsDb: Sql | undefined;

/** Prints the statements of the last load by total time, per completed request (BENCH_PGSS=1). */
async function reportStatements(requests: number): Promise<void> {
  if (!statementsDb) {
    return;
  }
  const rows = await statementsDb<
    { query: string; calls: string; total: number; mean: number }[]
  >`SELECT query, calls::text, total_exec_time AS total, mean_exec_time AS mean
      FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
      ORDER BY total_exec_time DESC LIMIT 20`;
  for (const r of rows) {
    log(
      `  ${(r.total / requests).toFixed(3)} ms/req  ${(Number(r.calls) / requests).toFixed(2)} calls/req  mean ${r.mean.toFixed(3)} ms  ${r.query.replace(/\s+/g, ' ').slice(0, 110)}`,
    );
  }
}

/** Runs a load and measures the CPU each side spent per completed request. */
async function withCpu(
  serverPid: number,
  run: (seconds: number) => Promise<LoadResult>,
): Promise<LoadResult & { cpu?: CpuShare }> {
  phasePeakRss = rssMb(serverPid);
  // A warm-up of the same load first, not counted: what is measured is the steady state (compiled code, connections
  // open, the server's memories filled), not the first requests after a start.
  if (WARMUP > 0) {
    await run(WARMUP);
  }
  if (statementsDb) {
    await statementsDb`SELECT pg_stat_statements_reset()`;
  }
  const before = {
    server: cpuSeconds(serverPid),
    pg: postgresCpuSeconds(),
    self: process.cpuUsage(),
  };
  const r: LoadResult & Partial<ExternalResult> = await run(SECONDS);
  log(
    `  server RSS: peak ${phasePeakRss.toFixed(0)} MB during this load and its warm-up, ${rssMb(serverPid).toFixed(0)} MB at its end: ${await memoryOf()}`,
  );
  if (r.requests === 0) {
    return r;
  }
  const self = process.cpuUsage(before.self);
  const per = (seconds: number): number => (seconds * 1000) / r.requests;
  const server = per(cpuSeconds(serverPid) - before.server);
  const pg = per(postgresCpuSeconds() - before.pg);
  await reportStatements(r.requests); // after the CPU readings: its own query is not the load's
  return {
    ...r,
    cpu: {
      server,
      postgres: pg,
      // The bench process itself plus, for wrk and pgbench, the tool's own CPU.
      client: per((self.user + self.system) / 1e6 + (r.clientCpuSeconds ?? 0)),
    },
  };
}

async function waitReady(base: URL): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      const r = await request(base, { method: 'GET', path: '/ready' });
      if (r.status === 200) {
        return;
      }
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('server did not become ready');
}

async function token(base: URL, body: Record<string, unknown>): Promise<string> {
  const r = await request(base, {
    method: 'POST',
    path: '/auth/dev/token',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return (JSON.parse(r.body.toString()) as { access_token: string }).access_token;
}

/** The seeded template (BENCH_SEED_TEMPLATE), made now if it does not exist; the seconds its seed took. */
async function seededTemplate(admin: Sql, adminUrl: string, name: string): Promise<number> {
  const expected = `opendmp bench seed: ${String(DOCS)} documents over ${String(BACKGROUND_PATIENTS)} records`;
  const [existing] = await admin<{ comment: string | null }[]>`
    SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = ${name}`;
  if (existing) {
    const seconds = /seeded in ([0-9.]+) s/.exec(existing.comment ?? '')?.[1];
    if (!existing.comment?.startsWith(expected) || seconds === undefined) {
      throw new Error(
        `database ${name} holds another seed (${existing.comment ?? 'none'}), not: ${expected}`,
      );
    }
    log(`the seeded database ${name} exists: ${existing.comment}`);
    return Number(seconds);
  }
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const seed = connect(withDatabase(adminUrl, name), { max: 4 });
  let done = false;
  try {
    await migrate(seed, MIGRATION_STEPS);
    log(
      `seeding ${DOCS.toLocaleString('en')} background documents over ${BACKGROUND_PATIENTS} records into ${name}…`,
    );
    await installFillerFunctions(seed);
    const seconds = await seedBackground(seed, BACKGROUND_PATIENTS, DOCS);
    log(`seeded in ${seconds.toFixed(1)} s`);
    await seed.unsafe('CHECKPOINT').catch(() => undefined);
    await seed.unsafe(
      `COMMENT ON DATABASE ${name} IS '${expected}, seeded in ${seconds.toFixed(1)} s'`,
    );
    done = true;
    return seconds;
  } finally {
    await seed.end();
    if (!done) {
      // A half-seeded template would be copied by the next run as if whole.
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  let embedded: EmbeddedDatabase | undefined;
  let adminUrl = process.env['DATABASE_URL'];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'opendmp-bench-'));
  fs.chmodSync(tmp, 0o777);
  if (!adminUrl) {
    embedded = await startEmbeddedDatabase(path.join(tmp, 'db'), {
      database: 'postgres',
      persistent: false,
      ...(STATEMENTS
        ? {
            settings: [
              'shared_preload_libraries=pg_stat_statements',
              'pg_stat_statements.track=all',
            ],
          }
        : {}),
    });
    adminUrl = embedded.url;
  }
  const dbName = `opendmp_bench_${Date.now().toString(36)}`;
  const admin = connect(adminUrl, { max: 1 });
  // A Citus coordinator (its admin database has the extension and registered workers): the bench's database is made
  // a Citus database on every node, as the integration tests' template is (issue 20: the same workloads on the
  // cluster as on one node).
  const workerUrls = await citusWorkers(admin, adminUrl);
  if (SEED_TEMPLATE && (embedded || workerUrls.length > 0)) {
    throw new Error('BENCH_SEED_TEMPLATE needs DATABASE_URL naming a single PostgreSQL');
  }
  let seedSeconds: number | undefined;
  if (SEED_TEMPLATE) {
    seedSeconds = await seededTemplate(admin, adminUrl, SEED_TEMPLATE);
    // A copy of the seeded files (FILE_COPY: no WAL of the gigabytes), migrated forward below like any database.
    log(`copying the seeded database ${SEED_TEMPLATE}…`);
    const copyStarted = Date.now();
    await admin.unsafe(`CREATE DATABASE ${dbName} TEMPLATE ${SEED_TEMPLATE} STRATEGY = FILE_COPY`);
    log(`copied in ${((Date.now() - copyStarted) / 1000).toFixed(0)} s`);
  } else if (workerUrls.length > 0) {
    await createCitusDatabase(adminUrl, workerUrls, dbName);
  } else {
    await admin.unsafe(`CREATE DATABASE ${dbName}`);
  }
  await admin.end();
  const url = withDatabase(adminUrl, dbName);
  const owner = connect(url, { max: 4 });
  await migrate(owner, MIGRATION_STEPS);
  if (STATEMENTS) {
    await owner`CREATE EXTENSION IF NOT EXISTS pg_stat_statements`;
    statementsDb = owner;
  }
  const [pgVersion] = await owner<{ v: string }[]>`SELECT current_setting('server_version') AS v`;

  if (seedSeconds === undefined) {
    log(
      `seeding ${DOCS.toLocaleString('en')} background documents over ${BACKGROUND_PATIENTS} records…`,
    );
    await installFillerFunctions(owner);
    seedSeconds = await seedBackground(owner, BACKGROUND_PATIENTS, DOCS);
    log(`seeded in ${seedSeconds.toFixed(1)} s`);
  }
  // The seed's gigabytes of dirty pages are written now, not by the checkpointer during the measurements.
  await owner
    .unsafe('CHECKPOINT')
    .catch(() => log('CHECKPOINT refused (not a superuser): skipped'));

  const port = 18_500 + Math.floor(Math.random() * 1000);
  const base = new URL(`http://127.0.0.1:${port}`);
  // The heap settings of `npm start` (read from apps/server/package.json), unless BENCH_NODE_FLAGS says otherwise.
  const nodeFlags = (process.env['BENCH_NODE_FLAGS'] ?? startFlags())
    .split(' ')
    .filter((f) => f !== '');
  const profile = process.env['BENCH_CPU_PROF']
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env['BENCH_CPU_PROF']}`]
    : [];
  const memoryReport = path.join(tmp, 'memory-report.jsonl');
  // The service as `npm start` runs it: its build (ADR 0042), made first when missing or older than the sources.
  execFileSync(process.execPath, [path.join(here, '../scripts/ensure-built.ts')], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const builtMain = path.join(here, '../dist/main.js');
  const server = spawn(
    process.execPath,
    [...nodeFlags, ...profile, '--import', path.join(here, 'memory-report.js'), builtMain],
    {
      env: {
        ...startEnv(),
        ...process.env,
        DATABASE_URL: url,
        PORT: String(port),
        HOST: '127.0.0.1',
        OPENDMP_DEMO: '1',
        OPENDMP_JOBS: '0',
        OPENDMP_PUBLIC_URL: base.origin,
        // A key given in the environment lets a server started by hand read the same contents (BENCH_HOLD…).
        OPENDMP_MASTER_KEY: process.env['OPENDMP_MASTER_KEY'] ?? randomBytes(32).toString('base64'),
        DATA_DIR: path.join(tmp, 'server'),
        LOG_LEVEL: 'warn',
        BENCH_MEMORY_REPORT: memoryReport,
        // A few actors at thousands of requests a second: the per-actor quotas are off (docs/operations.md).
        OPENDMP_QUOTA_REQUESTS_PER_MINUTE: '0',
        OPENDMP_QUOTA_DEPOSIT_MB_PER_MINUTE: '0',
        OPENDMP_QUOTA_PUBLIC_REQUESTS_PER_MINUTE: '0',
      },
      stdio: ['ignore', process.env['BENCH_SERVER_STDOUT'] ? 'inherit' : 'ignore', 'inherit'],
    },
  );
  const serverPid = server.pid ?? 0;
  memoryOf = async (): Promise<string> => {
    const before = fs.existsSync(memoryReport) ? fs.readFileSync(memoryReport, 'utf8').length : 0;
    process.kill(serverPid, 'SIGUSR2');
    for (let i = 0; i < 50; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      const text = fs.existsSync(memoryReport) ? fs.readFileSync(memoryReport, 'utf8') : '';
      if (text.length > before && text.endsWith('\n')) {
        return text.slice(before).trim();
      }
    }
    return '(no memory report)';
  };
  try {
    await waitReady(base);
    const operator = await token(base, { kind: 'operator', id: 'bench' });
    const author = await token(base, AUTHOR);
    const fhir = { 'content-type': 'application/fhir+json' };

    // Records: one searched (200 documents), 64 receiving deposits.
    const createRecord = async (ins: string): Promise<void> => {
      const r = await request(base, {
        method: 'POST',
        path: '/fhir/Patient',
        headers: { ...fhir, authorization: `Bearer ${operator}` },
        body: JSON.stringify({
          resourceType: 'Patient',
          identifier: [{ system: `urn:oid:${TEST_OID}`, value: ins }],
          name: [{ use: 'official', family: 'BENCH', given: ['Patiente'] }],
          gender: 'female',
          birthDate: '1980-01-01',
        }),
      });
      if (r.status !== 201) {
        throw new Error(`record creation ${r.status} ${r.body.toString()}`);
      }
      const c = await request(base, {
        method: 'POST',
        path: '/fhir/Consent',
        headers: { ...fhir, authorization: `Bearer ${author}` },
        body: JSON.stringify({
          resourceType: 'Consent',
          status: 'active',
          scope: {
            coding: [
              {
                system: 'http://terminology.hl7.org/CodeSystem/consentscope',
                code: 'patient-privacy',
              },
            ],
          },
          category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
          patient: { identifier: { system: `urn:oid:${TEST_OID}`, value: ins } },
          provision: {
            actor: [
              {
                reference: {
                  identifier: { system: 'urn:oid:1.2.250.1.71.4.2.1', value: AUTHOR.idNatPs },
                },
              },
            ],
          },
        }),
      });
      if (c.status !== 201) {
        throw new Error(`consent ${c.status} ${c.body.toString()}`);
      }
    };
    const searched = nir(0);
    await createRecord(searched);
    const depositTargets = Array.from({ length: 64 }, (_, i) => nir(i + 1));
    for (const ins of depositTargets) {
      await createRecord(ins);
    }
    const template = benchCdaTemplate();
    let docSeq = 0;
    const deposit = async (ins: string): Promise<string> => {
      const bytes = benchCda(template, ins, `1.2.250.1.213.1.4.10.777.${process.pid}.${++docSeq}`);
      const r = await request(base, {
        method: 'POST',
        path: '/fhir/DocumentReference',
        headers: { ...fhir, authorization: `Bearer ${author}` },
        body: JSON.stringify({
          resourceType: 'DocumentReference',
          status: 'current',
          subject: { reference: `Patient?identifier=urn:oid:${TEST_OID}|${ins}` },
          content: [{ attachment: { contentType: 'text/xml', data: bytes.toString('base64') } }],
        }),
      });
      if (r.status !== 201) {
        throw new Error(`deposit ${r.status} ${r.body.toString().slice(0, 300)}`);
      }
      const created = JSON.parse(r.body.toString()) as {
        content?: { attachment?: { url?: string } }[];
      };
      return new URL(created.content?.[0]?.attachment?.url ?? '/').pathname;
    };
    log('depositing the searched patient’s 200 documents…');
    for (let i = 0; i < 200; i++) {
      await deposit(searched);
    }
    const cdaSize = benchCda(template, searched, '1.2.250.1.213.1.4.10.777.1').length;

    // Binary URLs of the searched patient's documents (for retrieval).
    const all = await request(base, {
      method: 'GET',
      path: `/fhir/DocumentReference?patient.identifier=${encodeURIComponent(`urn:oid:${TEST_OID}|${searched}`)}&_count=200`,
      headers: { authorization: `Bearer ${author}` },
    });
    const bundle = JSON.parse(all.body.toString()) as {
      total?: number;
      entry?: { resource: { content: { attachment: { url: string } }[] } }[];
    };
    const urls = (bundle.entry ?? []).map(
      (e) => new URL(e.resource.content[0]?.attachment.url ?? '').pathname,
    );
    if (urls.length !== 200) {
      throw new Error(`expected 200 documents, search returned ${urls.length}`);
    }

    const searchPath = `/fhir/DocumentReference?patient.identifier=${encodeURIComponent(`urn:oid:${TEST_OID}|${searched}`)}&status=current&_count=50`;
    if (process.env['BENCH_HOLD']) {
      // For measuring by hand (wrk, perf…): the server stays up with its data until this process gets SIGUSR2.
      fs.writeFileSync(
        process.env['BENCH_HOLD'],
        JSON.stringify(
          { base: base.origin, serverPid, token: author, searchPath, urls, databaseUrl: url },
          null,
          1,
        ),
      );
      log(
        `holding: ${process.env['BENCH_HOLD']} written; kill -USR2 ${String(process.pid)} to go on`,
      );
      await new Promise((resolve) => process.once('SIGUSR2', resolve));
    }
    let peakRss = rssMb(serverPid);
    phasePeakRss = peakRss;
    const sampler = setInterval(() => {
      const now = rssMb(serverPid);
      peakRss = Math.max(peakRss, now);
      phasePeakRss = Math.max(phasePeakRss, now);
    }, 100);

    // Reads are driven by wrk when it is there (a C client: the load generator's share of the 2 cores stays
    // small), else by the Node.js client; deposits always by the Node.js client (each needs a fresh CDA).
    const wrk = findTool('wrk', 'wrk');
    const readHeaders = { authorization: `Bearer ${author}` };
    log(`search: ${CONCURRENCY} clients × ${SECONDS} s (${wrk ? 'wrk' : 'Node.js client'})`);
    const search = !WORKLOADS.has('search')
      ? skipped
      : await withCpu(serverPid, async (seconds) => {
          if (wrk) {
            const r = await runWrk(wrk, {
              base,
              paths: [searchPath],
              headers: readHeaders,
              concurrency: CONCURRENCY,
              seconds,
            });
            if (r.requests > 0 && (r.bytes ?? 0) / r.requests < 50 * 1024) {
              throw new Error(`search answers of ${String((r.bytes ?? 0) / r.requests)} bytes`);
            }
            return r;
          }
          return runLoad(CONCURRENCY, seconds, async () => {
            const r = await request(base, {
              method: 'GET',
              path: searchPath,
              headers: readHeaders,
              discardBody: true,
            });
            if (r.status !== 200 || r.bytes < 50 * 1024) {
              throw new Error(`search ${r.status} ${r.bytes}`);
            }
          });
        });
    log(`retrieve: ${CONCURRENCY} clients × ${SECONDS} s (${wrk ? 'wrk' : 'Node.js client'})`);
    const retrieve = !WORKLOADS.has('retrieve')
      ? skipped
      : await withCpu(serverPid, async (seconds) => {
          if (wrk) {
            const r = await runWrk(wrk, {
              base,
              paths: urls,
              headers: readHeaders,
              concurrency: CONCURRENCY,
              seconds,
            });
            // Each answer: the document's bytes and a few hundred bytes of headers.
            const perAnswer = r.requests > 0 ? (r.bytes ?? 0) / r.requests - cdaSize : 0;
            if (perAnswer < 0 || perAnswer > 1024) {
              throw new Error(
                `retrieval answers differ from the document by ${String(perAnswer)} bytes`,
              );
            }
            return r;
          }
          return runLoad(CONCURRENCY, seconds, async (_w, n) => {
            const r = await request(base, {
              method: 'GET',
              path: urls[n % urls.length] ?? '/',
              headers: readHeaders,
              discardBody: true,
            });
            if (r.status !== 200 || Math.abs(r.bytes - cdaSize) > 64) {
              throw new Error(`retrieve ${r.status} ${r.bytes}`);
            }
          });
        });
    log(`deposit: ${CONCURRENCY} clients × ${SECONDS} s`);
    const depositLoad = !WORKLOADS.has('deposit')
      ? skipped
      : await withCpu(serverPid, (seconds) =>
          runLoad(CONCURRENCY, seconds, async (_w, n) => {
            await deposit(depositTargets[n % depositTargets.length] ?? searched);
          }),
        );

    // The SOAP interface on the same workloads: ITI-41 deposits beside the FHIR deposits above, ITI-18 FindDocuments
    // beside a FHIR search of the same 200 documents. Each SOAP request carries its own VIHF (single use), signed
    // beforehand so that the measure is the server's, as the FHIR side reuses one token.
    let soapDeposit = skipped;
    let soapFind = skipped;
    let fhirFindAll = skipped;
    if (WORKLOADS.has('soap')) {
      const soap = await SoapBench.start(base, AUTHOR, log);
      const fullSearch = `/fhir/DocumentReference?patient.identifier=${encodeURIComponent(`urn:oid:${TEST_OID}|${searched}`)}&status=current&_count=200`;
      log(
        `FHIR search of the 200 documents: ${CONCURRENCY} clients × ${SECONDS} s (Node.js client)`,
      );
      // As the ITI-18 client below: one answer read whole before the load, its 200 entries counted; under load each
      // answer's status, its total at the head and its size, that of the first.
      const fhirAll = await request(base, {
        method: 'GET',
        path: fullSearch,
        headers: readHeaders,
      });
      const fhirEntries = (JSON.parse(fhirAll.body.toString()) as { entry?: unknown[] }).entry;
      if (fhirAll.status !== 200 || fhirEntries?.length !== 200) {
        throw new Error(`the FHIR search of 200 answered ${String(fhirEntries?.length)} entries`);
      }
      fhirFindAll = await withCpu(serverPid, (seconds) =>
        runLoad(CONCURRENCY, seconds, async () => {
          const r = await request(base, {
            method: 'GET',
            path: fullSearch,
            headers: readHeaders,
            discardBody: true,
            keepHead: 256,
          });
          if (r.status !== 200 || r.bytes !== fhirAll.bytes || r.body.indexOf(TOTAL_200) < 0) {
            throw new Error(`search ${r.status} ${r.bytes}, not ${fhirAll.bytes}`);
          }
        }),
      );
      log(`ITI-18 FindDocuments: ${CONCURRENCY} clients × ${SECONDS} s (Node.js client)`);
      // One answer read whole: its 200 DocumentEntries counted, and its size, that of every answer of the load.
      const first = await soap.findDocuments(searched, true);
      if (first.entries !== 200) {
        throw new Error(`FindDocuments answered ${String(first.entries)} entries`);
      }
      log(
        `answers of the 200: ITI-18 ${String(first.bytes)} bytes, FHIR search ${String(fhirAll.bytes)} bytes`,
      );
      if (process.env['BENCH_ANSWERS']) {
        // For bench/answer-bytes.ts: what each answer's bytes cost the client and a plain server.
        fs.mkdirSync(process.env['BENCH_ANSWERS'], { recursive: true });
        fs.writeFileSync(path.join(process.env['BENCH_ANSWERS'], 'iti18.xml'), first.body ?? '');
        fs.writeFileSync(path.join(process.env['BENCH_ANSWERS'], 'fhir.json'), fhirAll.body);
      }
      await soap.sign(Math.round((WARMUP + SECONDS) * SOAP_RATE_GUESS));
      soapFind = await withCpu(serverPid, (seconds) =>
        runLoad(CONCURRENCY, seconds, async () => {
          const r = await soap.findDocuments(searched);
          if (r.bytes !== first.bytes) {
            throw new Error(`FindDocuments answered ${r.bytes} bytes, not ${first.bytes}`);
          }
        }),
      );
      log(`ITI-41 deposit: ${CONCURRENCY} clients × ${SECONDS} s`);
      await soap.sign(Math.round((WARMUP + SECONDS) * 500));
      soapDeposit = await withCpu(serverPid, (seconds) =>
        runLoad(CONCURRENCY, seconds, async (_w, n) => {
          const ins = depositTargets[n % depositTargets.length] ?? searched;
          const uniqueId = `1.2.250.1.213.1.4.10.778.${process.pid}.${++docSeq}`;
          await soap.provide(benchCda(template, ins, uniqueId), ins, uniqueId);
        }),
      );
      soap.report();
    }

    // The spread workload: SPREAD_RECORDS records of SPREAD_DOCS documents, deposited through the API by the same
    // 16 clients (not measured: the deposit figure above is the deposit workload), then searched and retrieved at
    // random, each record rarely twice in a row, by the Node.js client.
    let spreadSearch = skipped;
    let spreadRetrieve = skipped;
    if (SPREAD_RECORDS > 0) {
      const spreadIns = Array.from({ length: SPREAD_RECORDS }, (_, i) => nir(10_000 + i));
      log(`spread: ${SPREAD_RECORDS} records × ${SPREAD_DOCS} documents through the API…`);
      const setupStarted = Date.now();
      for (const ins of spreadIns) {
        await createRecord(ins);
      }
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          for (let i = next++; i < SPREAD_RECORDS * SPREAD_DOCS; i = next++) {
            await deposit(spreadIns[i % SPREAD_RECORDS] ?? searched);
          }
        }),
      );
      const spreadUrls: string[] = [];
      for (const ins of spreadIns) {
        const r = await request(base, {
          method: 'GET',
          path: `/fhir/DocumentReference?patient.identifier=${encodeURIComponent(`urn:oid:${TEST_OID}|${ins}`)}&_count=${SPREAD_DOCS}`,
          headers: readHeaders,
        });
        const found =
          (
            JSON.parse(r.body.toString()) as {
              entry?: { resource: { content: { attachment: { url: string } }[] } }[];
            }
          ).entry ?? [];
        if (found.length !== SPREAD_DOCS) {
          throw new Error(`spread record holds ${found.length} documents`);
        }
        for (const e of found) {
          spreadUrls.push(new URL(e.resource.content[0]?.attachment.url ?? '').pathname);
        }
      }
      log(
        `spread set up in ${((Date.now() - setupStarted) / 1000).toFixed(0)} s; server RSS ${rssMb(serverPid).toFixed(0)} MB: ${await memoryOf()}`,
      );
      const spreadPaths = spreadIns.map(
        (ins) =>
          `/fhir/DocumentReference?patient.identifier=${encodeURIComponent(`urn:oid:${TEST_OID}|${ins}`)}&status=current&_count=50`,
      );
      if (process.env['BENCH_HOLD_SPREAD']) {
        // As BENCH_HOLD, once the spread records are set up: their search paths and content URLs for loads by hand.
        fs.writeFileSync(
          process.env['BENCH_HOLD_SPREAD'],
          JSON.stringify({
            base: base.origin,
            serverPid,
            token: author,
            spreadPaths,
            spreadUrls,
            cdaSize,
            databaseUrl: url,
          }),
        );
        log(
          `holding: ${process.env['BENCH_HOLD_SPREAD']} written; kill -USR2 ${String(process.pid)} to go on`,
        );
        await new Promise((resolve) => process.once('SIGUSR2', resolve));
      }
      const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)] as T;
      log(`spread search: ${CONCURRENCY} clients × ${SECONDS} s (Node.js client)`);
      spreadSearch = await withCpu(serverPid, (seconds) =>
        runLoad(CONCURRENCY, seconds, async () => {
          const r = await request(base, {
            method: 'GET',
            path: pick(spreadPaths),
            headers: readHeaders,
            discardBody: true,
          });
          if (r.status !== 200 || r.bytes < 50 * 1024) {
            throw new Error(`spread search ${r.status} ${r.bytes}`);
          }
        }),
      );
      log(`spread retrieve: ${CONCURRENCY} clients × ${SECONDS} s (Node.js client)`);
      spreadRetrieve = await withCpu(serverPid, (seconds) =>
        runLoad(CONCURRENCY, seconds, async () => {
          const r = await request(base, {
            method: 'GET',
            path: pick(spreadUrls),
            headers: readHeaders,
            discardBody: true,
          });
          if (r.status !== 200 || Math.abs(r.bytes - cdaSize) > 64) {
            throw new Error(`spread retrieve ${r.status} ${r.bytes}`);
          }
        }),
      );
    }
    // The cold workload: COLD_RECORDS records of one document each, created and deposited through the API by the
    // same 16 clients (not measured), then searched and retrieved at random by the Node.js client — each record read
    // about once in the whole load, so that neither the server's memories (10,000 records, 50,000 locators) nor
    // PostgreSQL's buffers hold what a request needs: the rarely read record real use has, at the scale of a region.
    let coldSearch = skipped;
    let coldRetrieve = skipped;
    if (COLD_RECORDS > 0) {
      const coldIns = Array.from({ length: COLD_RECORDS }, (_, i) => nir(100_000 + i));
      const coldUrls = new Array<string>(COLD_RECORDS);
      log(`cold: ${COLD_RECORDS.toLocaleString('en')} records × 1 document through the API…`);
      const setupStarted = Date.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          for (let i = next++; i < COLD_RECORDS; i = next++) {
            const ins = coldIns[i] as string;
            await createRecord(ins);
            coldUrls[i] = await deposit(ins);
            if ((i + 1) % 10_000 === 0) {
              log(`  ${(i + 1).toLocaleString('en')} cold records`);
            }
          }
        }),
      );
      log(
        `cold set up in ${((Date.now() - setupStarted) / 1000).toFixed(0)} s; server RSS ${rssMb(serverPid).toFixed(0)} MB: ${await memoryOf()}`,
      );
      const coldPaths = coldIns.map(
        (ins) =>
          `/fhir/DocumentReference?patient.identifier=${encodeURIComponent(`urn:oid:${TEST_OID}|${ins}`)}&status=current&_count=50`,
      );
      const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)] as T;
      log(`cold search: ${CONCURRENCY} clients × ${SECONDS} s (Node.js client)`);
      coldSearch = await withCpu(serverPid, (seconds) =>
        runLoad(CONCURRENCY, seconds, async () => {
          const r = await request(base, {
            method: 'GET',
            path: pick(coldPaths),
            headers: readHeaders,
            discardBody: true,
          });
          if (r.status !== 200 || r.bytes < 1024) {
            throw new Error(`cold search ${r.status} ${r.bytes}`);
          }
        }),
      );
      log(`cold retrieve: ${CONCURRENCY} clients × ${SECONDS} s (Node.js client)`);
      coldRetrieve = await withCpu(serverPid, (seconds) =>
        runLoad(CONCURRENCY, seconds, async () => {
          const r = await request(base, {
            method: 'GET',
            path: pick(coldUrls),
            headers: readHeaders,
            discardBody: true,
          });
          if (r.status !== 200 || Math.abs(r.bytes - cdaSize) > 64) {
            throw new Error(`cold retrieve ${r.status} ${r.bytes}`);
          }
        }),
      );
    }
    clearInterval(sampler);

    // Raw PostgreSQL baseline, same database, same concurrency.
    const raw = connect(url, { max: CONCURRENCY });
    await raw.unsafe(
      'CREATE TABLE bench_raw (patient_id uuid NOT NULL, id uuid NOT NULL, data bytea NOT NULL, PRIMARY KEY (patient_id, id))',
    );
    // As document_content.ciphertext: random bytes, stored out of line without trying to compress them.
    await raw.unsafe('ALTER TABLE bench_raw ALTER COLUMN data SET STORAGE EXTERNAL');
    const payload = randomBytes(11 * 1024);
    const rawPatients = Array.from({ length: 64 }, () => randomUUID());
    const [searchedRow] = await raw<
      { patient_id: string }[]
    >`SELECT patient_id FROM ins_index WHERE ins = ${searched}`;
    const searchedId = searchedRow?.patient_id ?? '';
    // The baseline is driven by pgbench when it is there (a C client, as wrk for the reads), else by postgres.js.
    const pgbench = findTool('pgbench', 'postgresql-client');
    log(`raw PostgreSQL inserts and selects (${pgbench ? 'pgbench' : 'postgres.js'})…`);
    const rawSelectSql = `SELECT id, served FROM document WHERE patient_id = :pid AND status <> 'deleted'
      ORDER BY deposited_at DESC, id DESC LIMIT 50;`;
    const rawInsert = await withCpu(serverPid, (seconds) =>
      pgbench
        ? runPgbench(pgbench, {
            url,
            script: [
              '\\set p random(1, 64)',
              'BEGIN;',
              "INSERT INTO bench_raw (patient_id, id, data) VALUES (md5(:p::text)::uuid, gen_random_uuid(), decode(:payload, 'hex'));",
              'END;',
              '',
            ].join('\n'),
            variables: { payload: payload.toString('hex') },
            concurrency: CONCURRENCY,
            seconds,
          })
        : runLoad(CONCURRENCY, seconds, async (_w, n) => {
            await raw.begin(async (tx) => {
              await tx`INSERT INTO bench_raw (patient_id, id, data) VALUES (${rawPatients[n % 64] ?? ''}, ${randomUUID()}, ${payload})`;
            });
          }),
    );
    const rawSelect = await withCpu(serverPid, (seconds) =>
      pgbench
        ? runPgbench(pgbench, {
            url,
            script: `${rawSelectSql}\n`,
            variables: { pid: searchedId },
            concurrency: CONCURRENCY,
            seconds,
          })
        : runLoad(CONCURRENCY, seconds, async () => {
            const rows =
              await raw`SELECT id, served FROM document WHERE patient_id = ${searchedId} AND status <> 'deleted'
        ORDER BY deposited_at DESC, id DESC LIMIT 50`;
            if (rows.length !== 50) {
              throw new Error('raw select');
            }
          }),
    );
    await raw.end();

    const cpu = os.cpus();
    const machine = `${cpu.length} × ${cpu[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, PostgreSQL ${pgVersion?.v ?? '?'} (${embedded ? 'embedded' : 'DATABASE_URL'})`;
    const row = (name: string, r: LoadResult, target: string, vs?: LoadResult): string =>
      `| ${name} | ${r.throughput.toFixed(0)}/s | ${r.p50.toFixed(1)} ms | ${r.p99.toFixed(1)} ms | ${r.errors} | ${target} | ${vs ? `${(r.throughput / vs.throughput).toFixed(2)} × raw (${vs.throughput.toFixed(0)}/s)` : ''} |`;
    const table = [
      `Run of ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machine}.`,
      `${DOCS.toLocaleString('en')} background documents over ${BACKGROUND_PATIENTS.toLocaleString('en')} records (seeded in ${seedSeconds.toFixed(0)} s); the searched record holds 200 documents; CDA of ${(cdaSize / 1024).toFixed(1)} KB; ${CONCURRENCY} concurrent clients, ${SECONDS} s per workload after ${WARMUP} s of warm-up; load generators on the same machine: ${wrk ? 'wrk' : 'a Node.js client'} for search and retrieval, a Node.js client for deposits, ${pgbench ? 'pgbench' : 'postgres.js'} for raw PostgreSQL.`,
      '',
      '| workload | throughput | p50 | p99 | errors | target | ratio to raw PostgreSQL |',
      '|---|---|---|---|---|---|---|',
      row(
        'deposit, ITI-105, 10 KB CDA, fully validated + traced',
        depositLoad,
        '≥ 350/s',
        rawInsert,
      ),
      row('search, ITI-67, _count=50 of 200', search, '≥ 2,000/s, p99 < 20 ms', rawSelect),
      row('retrieve, ITI-68 (decrypt + access check)', retrieve, '≥ 4,000/s', rawSelect),
      ...(WORKLOADS.has('soap')
        ? [
            row(
              'deposit, ITI-41 (SOAP, VIHF), the same CDA and records',
              soapDeposit,
              '≥ 80 % of ITI-105',
              depositLoad,
            ).replace(/× raw/, '× ITI-105'),
            row(
              'search, FHIR ITI-67 of all 200 (_count=200, Node.js client)',
              fhirFindAll,
              '',
              rawSelect,
            ),
            row(
              'search, ITI-18 FindDocuments (SOAP, VIHF), the same 200, LeafClass',
              soapFind,
              '≥ 80 % of ITI-67',
              fhirFindAll,
            ).replace(/× raw/, '× ITI-67'),
          ]
        : []),
      ...(SPREAD_RECORDS > 0
        ? [
            row(
              `search, ITI-67, spread over ${SPREAD_RECORDS} records (Node.js client)`,
              spreadSearch,
              '≥ 1,500/s, p99 < 30 ms',
              rawSelect,
            ),
            row(
              `retrieve, ITI-68, spread over ${SPREAD_RECORDS * SPREAD_DOCS} documents (Node.js client)`,
              spreadRetrieve,
              '≥ 3,000/s',
              rawSelect,
            ),
          ]
        : []),
      ...(COLD_RECORDS > 0
        ? [
            row(
              `search, ITI-67, cold: at random over ${COLD_RECORDS.toLocaleString('en')} records (Node.js client)`,
              coldSearch,
              '',
              rawSelect,
            ),
            row(
              `retrieve, ITI-68, cold: at random over ${COLD_RECORDS.toLocaleString('en')} documents (Node.js client)`,
              coldRetrieve,
              '',
              rawSelect,
            ),
          ]
        : []),
      row('raw PostgreSQL: 11 KB single-row insert transaction', rawInsert, ''),
      row('raw PostgreSQL: indexed 50-row select', rawSelect, ''),
      '',
      `Server peak RSS during the load: ${peakRss.toFixed(0)} MB (target < 300 MB).`,
      '',
      'CPU per request, in milliseconds (user + system, from /proc; the machine has 2 cores for all three):',
      '',
      '| workload | server | PostgreSQL | load generator |',
      '|---|---|---|---|',
      ...Object.entries({
        deposit: depositLoad,
        search,
        retrieve,
        'ITI-41 deposit': soapDeposit,
        'FHIR search of 200': fhirFindAll,
        'ITI-18 FindDocuments': soapFind,
        'spread search': spreadSearch,
        'spread retrieve': spreadRetrieve,
        'cold search': coldSearch,
        'cold retrieve': coldRetrieve,
        'raw insert': rawInsert,
        'raw select': rawSelect,
      }).flatMap(([name, r]) =>
        r.cpu
          ? [
              `| ${name} | ${r.cpu.server.toFixed(2)} | ${r.cpu.postgres.toFixed(2)} | ${r.cpu.client.toFixed(2)} |`,
            ]
          : [],
      ),
    ].join('\n');
    process.stdout.write(`\n${table}\n`);
    for (const [name, r] of Object.entries({
      deposit: depositLoad,
      search,
      retrieve,
      soapDeposit,
      fhirFindAll,
      soapFind,
      spreadSearch,
      spreadRetrieve,
      coldSearch,
      coldRetrieve,
      rawInsert,
      rawSelect,
    })) {
      if (r.firstError) {
        log(`${name}: first error: ${r.firstError}`);
      }
    }
    if (process.env['BENCH_WRITE'] === '1') {
      const file = path.join(here, '../../../docs/benchmarks.md');
      const text = fs.readFileSync(file, 'utf8');
      const marker = /<!-- latest-run -->[\s\S]*<!-- \/latest-run -->/;
      fs.writeFileSync(
        file,
        text.replace(marker, `<!-- latest-run -->\n${table}\n<!-- /latest-run -->`),
      );
      log('docs/benchmarks.md updated');
    }
    log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    await owner.end();
    if (process.env['BENCH_KEEP_DB'] === '1' && !embedded) {
      log(`kept database ${dbName} (BENCH_KEEP_DB=1)`);
    } else {
      await onEveryNode(
        adminUrl,
        workerUrls,
        `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`,
      ).catch(() => undefined);
    }
    await embedded?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(
    `bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
  );
  process.exit(1);
});
