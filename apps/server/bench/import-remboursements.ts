/**
 * Benchmark of the reimbursement importer (issue 7): N generated lines (default 100,000) for the demo patients,
 * imported twice through the service the CLI uses (validation, per-patient batches, traces), against raw PostgreSQL
 * inserting the same rows in the same batches (no parsing, no validation, no trace). Reports lines/s, the ratio,
 * and the importer's peak RSS (sampled), to show the memory stays bounded whatever the file size.
 *
 *   node bench/import-remboursements.ts [N]          # embedded PostgreSQL in a temp folder
 *   DATABASE_URL=postgres://… node bench/import-remboursements.ts 1000000
 *
 * `benchImport(url, lines)` is exported for bench/run.ts.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { loadConfig } from '../src/config.ts';
import { connect } from '../src/db/client.ts';
import { appLogin, connectApp, ensureAppLogin } from '../src/db/app-login.ts';
import { startEmbeddedDatabase } from '../src/db/embedded.ts';
import { migrate } from '../src/db/migrate.ts';
import { MIGRATION_STEPS } from '../src/migration-steps.ts';
import { loadDemoData } from '../src/demo/load.ts';
import { importCareLines } from '../src/services/care-history-import.ts';
import { systemClock, uuid } from '../src/services/deps.ts';
import type { Deps } from '../src/services/deps.ts';
import { generateLines, writeLines } from './gen-remboursements.ts';
import { createCaches } from '../src/caches.ts';
import { fhirEncodings } from '../src/http/fhir/document-resource.ts';

export interface ImportBench {
  readonly lines: number;
  readonly firstLinesPerSecond: number;
  readonly againLinesPerSecond: number;
  readonly rawLinesPerSecond: number;
  readonly ratioToRaw: number;
  readonly peakRssMb: number;
  readonly peakHeapMb: number;
  readonly imported: number;
  readonly duplicatesOnReimport: number;
}

export async function benchImport(url: string, lines = 100_000): Promise<ImportBench> {
  const owner = connect(url, { max: 2 });
  await migrate(owner, MIGRATION_STEPS);
  const login = appLogin(url);
  await ensureAppLogin(owner, login);
  const sql = connectApp(login, { max: 4 });
  const config = { ...loadConfig({ OPENDMP_DEMO: '1' }), jobs: false };
  const deps: Deps = {
    sql,
    config,
    clock: systemClock,
    ids: uuid,
    log: pino({ level: 'silent' }),
    caches: createCaches(config),
    encodings: fhirEncodings,
  };
  await loadDemoData(deps);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opendmp-bench-import-'));
  const file = path.join(dir, 'remboursements.csv');
  await writeLines(fs.createWriteStream(file), generateLines(lines));
  const operator = { kind: 'operator', id: 'bench-feed' } as const;
  let peak = 0;
  let peakHeap = 0;
  const sample = setInterval(() => {
    const m = process.memoryUsage();
    peak = Math.max(peak, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }, 50);
  try {
    const first = await importCareLines(deps, operator, fs.createReadStream(file));
    const again = await importCareLines(deps, operator, fs.createReadStream(file));
    clearInterval(sample);

    // Raw PostgreSQL: the same rows, same batch size, grouped per patient, one INSERT … SELECT FROM unnest each.
    // One session: the temporary table lives in it.
    const raw = connect(url, { max: 1 });
    await raw`CREATE TEMP TABLE raw_line (LIKE care_line INCLUDING ALL)`;
    const ids = new Map(
      (
        await owner<{ ins: string; patient_id: string }[]>`SELECT ins, patient_id FROM ins_index`
      ).map((r) => [r.ins, r.patient_id]),
    );
    const t0 = performance.now();
    const insertBatch = async (batch: string[][]): Promise<void> => {
      const byPatient = new Map<string, string[][]>();
      for (const r of batch) {
        const list = byPatient.get(r[0] as string) ?? [];
        list.push(r);
        byPatient.set(r[0] as string, list);
      }
      await raw.begin(async (tx) => {
        for (const [ins, group] of byPatient) {
          const col = (i: number) => group.map((r) => (r[i] === '' ? null : (r[i] as string)));
          await tx`INSERT INTO raw_line (patient_id, line_key, care_date, code_kind, code, label, quantity, executant_id,
              executant_profession, prescriber_id, structure_id, amount_cents, imported_at)
            SELECT ${ids.get(ins) as string}::uuid, decode(k, 'hex'), d, kind, code, label, q, ex, prof, pr, st, a, now()
            FROM unnest(${group.map((r) => createHash('sha256').update(r.join(';')).digest('hex'))}::text[],
              ${col(1)}::date[], ${col(2)}::text[], ${col(3)}::text[], ${col(4)}::text[], ${col(5)}::numeric[],
              ${col(6)}::text[], ${col(7)}::text[], ${col(8)}::text[], ${col(9)}::text[],
              ${group.map((r) => Math.round(Number((r[10] as string).replace(',', '.')) * 100))}::bigint[])
              AS t(k, d, kind, code, label, q, ex, prof, pr, st, a)
            ON CONFLICT DO NOTHING`;
        }
      });
    };
    let batch: string[][] = [];
    let header = true;
    for (const line of generateLines(lines)) {
      if (header) {
        header = false;
        continue;
      }
      batch.push(line.split(';'));
      if (batch.length === 5000) {
        await insertBatch(batch);
        batch = [];
      }
    }
    if (batch.length > 0) {
      await insertBatch(batch);
    }
    const rawSeconds = (performance.now() - t0) / 1000;
    await raw.end({ timeout: 5 });
    const firstRate = Math.round((first.read * 1000) / first.elapsedMs);
    const rawRate = Math.round(lines / rawSeconds);
    return {
      lines,
      firstLinesPerSecond: firstRate,
      againLinesPerSecond: Math.round((again.read * 1000) / again.elapsedMs),
      rawLinesPerSecond: rawRate,
      ratioToRaw: Number((firstRate / rawRate).toFixed(2)),
      peakRssMb: Math.round(peak / 1024 / 1024),
      peakHeapMb: Math.round(peakHeap / 1024 / 1024),
      imported: first.imported,
      duplicatesOnReimport: again.duplicates,
    };
  } finally {
    clearInterval(sample);
    fs.rmSync(dir, { recursive: true, force: true });
    await sql.end({ timeout: 5 });
    await owner.end({ timeout: 5 });
  }
}

async function main(): Promise<void> {
  const lines = Number(process.argv[2] ?? 100_000);
  let url = process.env['DATABASE_URL'];
  let tmp: string | undefined;
  let stop: (() => Promise<void>) | undefined;
  if (!url) {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'opendmp-bench-pg-'));
    fs.chmodSync(tmp, 0o777);
    const pg = await startEmbeddedDatabase(tmp, { persistent: false });
    url = pg.url;
    stop = () => pg.stop();
  }
  try {
    const result = await benchImport(url, lines);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await stop?.();
    if (tmp) {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await main();
  process.exit(0);
}
