import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import pino from 'pino';
import { loadConfig } from '../config.ts';
import { connect } from '../db/client.ts';
import { appLogin, connectApp, ensureAppLogin } from '../db/app-login.ts';
import { DataDirLockedError, startEmbeddedDatabase } from '../db/embedded.ts';
import type { EmbeddedDatabase } from '../db/embedded.ts';
import { migrate } from '../db/migrate.ts';
import { MIGRATION_STEPS } from '../migration-steps.ts';
import { loadMasterKey, MASTER_KEY_FILE } from '../crypto/master-key.ts';
import type { OperatorActor } from '../domain/access/actor.ts';
import { regeneratePendingDocuments } from '../services/care-history-document.ts';
import type { ImportSummary, LineError } from '../services/care-history-import.ts';
import {
  DEFAULT_BATCH_SIZE,
  ImportFileError,
  importCareLines,
} from '../services/care-history-import.ts';
import { systemClock, uuid } from '../services/deps.ts';
import type { Deps } from '../services/deps.ts';
import { createCaches } from '../caches.ts';
import { fhirEncodings } from '../http/fhir/document-resource.ts';

/**
 * `npx opendmp import-remboursements FILE` — the operator imports a reimbursement CSV (docs/care-history.md).
 * Options: `--batch-size N` (default 5000), `--json` (summary as JSON on stdout), `--no-documents` (do not
 * regenerate the CNAM-HR documents after the import), `--operator ID` (the operator id in traces; default
 * OPENDMP_OPERATOR_ID or `assurance-maladie`). FILE `-` reads standard input.
 * Exit status: 0 every line imported (or already there); 1 some lines were rejected or skipped; 2 usage error,
 * unusable file, no database or no master key (nothing imported); 3 failure during the run (database, a CNAM-HR
 * document not regenerated): batches already committed stay, re-running is safe.
 * Database: DATABASE_URL, else the embedded PostgreSQL of DATA_DIR (the server must not be running on it).
 */
const USAGE = `usage: opendmp import-remboursements FILE [--batch-size N] [--json] [--no-documents] [--operator ID]
  FILE   CSV, UTF-8, ';' separated, header row (docs/care-history.md); '-' for standard input`;

interface Args {
  readonly file: string;
  readonly batchSize: number;
  readonly json: boolean;
  readonly documents: boolean;
  readonly operator: string;
}

function parseArgs(args: readonly string[]): Args | string {
  let file: string | undefined;
  let batchSize = DEFAULT_BATCH_SIZE;
  let json = false;
  let documents = true;
  let operator = process.env['OPENDMP_OPERATOR_ID'] ?? 'assurance-maladie';
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--json') {
      json = true;
    } else if (a === '--no-documents') {
      documents = false;
    } else if (a === '--batch-size' || a === '--operator') {
      const v = args[++i];
      if (v === undefined) {
        return `${a} needs a value`;
      }
      if (a === '--operator') {
        operator = v;
      } else {
        batchSize = Number(v);
        if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000) {
          return '--batch-size must be an integer from 1 to 100000';
        }
      }
    } else if (a === '-h' || a === '--help') {
      return '';
    } else if (a.startsWith('--')) {
      return `unknown option ${a}`;
    } else if (file === undefined) {
      file = a;
    } else {
      return 'one FILE only';
    }
  }
  if (file === undefined) {
    return 'FILE is required';
  }
  return { file, batchSize, json, documents, operator };
}

/** A progress bar on a terminal; a line every 10 % (or every 100,000 lines) otherwise. */
export function progressReporter(
  out: NodeJS.WriteStream,
  totalBytes: number | undefined,
): { update(lines: number, bytes: number): void; clear(): void; done(): void } {
  const tty = out.isTTY;
  const started = Date.now();
  let lastDraw = 0;
  let lastStep = -1;
  let drawn = false;
  const rate = (lines: number): string => {
    const s = (Date.now() - started) / 1000;
    return s > 0 ? `${Math.round(lines / s).toLocaleString('en-US')} lines/s` : '';
  };
  return {
    update(lines, bytes) {
      const fraction = totalBytes ? Math.min(1, bytes / totalBytes) : undefined;
      if (tty) {
        const now = Date.now();
        if (now - lastDraw < 100) {
          return;
        }
        lastDraw = now;
        const width = 30;
        const bar =
          fraction === undefined
            ? ''
            : `[${'#'.repeat(Math.round(fraction * width)).padEnd(width, '.')}] ${String(Math.floor(fraction * 100)).padStart(3)}% `;
        out.write(`\r${bar}${lines.toLocaleString('en-US')} lines  ${rate(lines)}\x1b[K`);
        drawn = true;
        return;
      }
      const step = fraction === undefined ? Math.floor(lines / 100_000) : Math.floor(fraction * 10);
      if (step > lastStep) {
        lastStep = step;
        if (lines > 0) {
          out.write(
            `progress: ${lines} lines${fraction === undefined ? '' : ` (${Math.floor(fraction * 100)}%)`} ${rate(lines)}\n`,
          );
        }
      }
    },
    clear() {
      if (tty && drawn) {
        out.write('\r\x1b[K');
        drawn = false;
      }
    },
    done() {
      if (tty && drawn) {
        out.write('\n');
        drawn = false;
      }
    },
  };
}

export function formatLineError(e: LineError): string {
  return `line ${e.line}: ${e.issues
    .map((i) => `${i.code}${i.location?.[0] ? ` (${i.location[0]})` : ''} ${i.message}`)
    .join('; ')}`;
}

export function formatSummary(s: ImportSummary, regenerated: number | undefined): string {
  const rate = s.elapsedMs > 0 ? Math.round((s.read * 1000) / s.elapsedMs) : s.read;
  return [
    'import-remboursements summary',
    `  read                 ${s.read}`,
    `  imported             ${s.imported}`,
    `  duplicates           ${s.duplicates}`,
    `  rejected             ${s.rejected}`,
    `  unknown patients     ${s.unknownPatients} (${s.unknownPatientLines} lines)`,
    `  closed records       ${s.closedRecordLines} lines`,
    `  older than 24 months ${s.expired} lines (skipped)`,
    `  records updated      ${s.patientsUpdated}`,
    ...(regenerated === undefined ? [] : [`  CNAM-HR documents    ${regenerated} regenerated`]),
    `  time                 ${(s.elapsedMs / 1000).toFixed(1)} s (${rate} lines/s)`,
    '',
  ].join('\n');
}

interface Opened {
  readonly deps: Deps;
  close(): Promise<void>;
}

/** The configured database, migrated, logged in as the application role (also used by `representative`). */
export async function openDatabase(): Promise<Opened> {
  const config = loadConfig();
  let embedded: EmbeddedDatabase | undefined;
  let url = config.databaseUrl;
  if (!url) {
    if (!fs.existsSync(path.join(config.dataDir, 'pg', 'PG_VERSION'))) {
      throw new Error(
        `no database in ${config.dataDir} (DATA_DIR): set DATA_DIR to the service's data folder, or DATABASE_URL`,
      );
    }
    embedded = await startEmbeddedDatabase(config.dataDir);
    url = embedded.url;
  }
  const owner = connect(url, { max: 1 });
  const login = appLogin(url);
  try {
    await migrate(owner, MIGRATION_STEPS);
    await ensureAppLogin(owner, login);
  } finally {
    await owner.end();
  }
  // As the service: logged in as the application role (ADR 0013).
  const sql = connectApp(login, { max: 4 });
  const deps: Deps = {
    sql,
    config,
    clock: systemClock,
    ids: uuid,
    log: pino({ level: 'silent' }),
    caches: createCaches(config),
    encodings: fhirEncodings,
  };
  return {
    deps,
    async close() {
      await sql.end({ timeout: 5 });
      await embedded?.stop();
    },
  };
}

/** Runs the import with the given dependencies (tests pass theirs). */
export async function runImport(
  deps: Deps,
  args: readonly string[],
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WriteStream; stdin?: Readable } = {
    stdout: process.stdout,
    stderr: process.stderr,
  },
): Promise<number> {
  const parsed = parseArgs(args);
  if (typeof parsed === 'string') {
    io.stderr.write(`${parsed ? `opendmp import-remboursements: ${parsed}\n` : ''}${USAGE}\n`);
    return parsed ? 2 : 0;
  }
  let input: Readable;
  let size: number | undefined;
  if (parsed.file === '-') {
    input = io.stdin ?? process.stdin;
  } else {
    try {
      size = fs.statSync(parsed.file).size;
    } catch {
      io.stderr.write(`opendmp import-remboursements: cannot read ${parsed.file}\n`);
      return 2;
    }
    input = fs.createReadStream(parsed.file, { highWaterMark: 256 * 1024 });
  }
  const actor: OperatorActor = {
    kind: 'operator',
    id: parsed.operator,
    name: 'Assurance Maladie — flux des remboursements',
  };
  if (parsed.documents) {
    // The CNAM-HR documents are stored encrypted: without the master key, fail before importing anything.
    try {
      loadMasterKey(deps.config);
    } catch (e) {
      const demoFolder =
        !deps.config.demo && fs.existsSync(path.join(deps.config.dataDir, MASTER_KEY_FILE))
          ? ' (this data folder is a demo one: set OPENDMP_DEMO=1)'
          : '';
      io.stderr.write(
        `opendmp import-remboursements: ${e instanceof Error ? e.message : String(e)}${demoFolder}; or pass --no-documents to import the lines only.\n`,
      );
      return 2;
    }
  }
  const progress = progressReporter(io.stderr, size);
  let summary: ImportSummary;
  try {
    summary = await importCareLines(deps, actor, input, {
      batchSize: parsed.batchSize,
      onProgress: (p) => progress.update(p.lines, p.bytes),
      onError: (e) => {
        progress.clear();
        io.stderr.write(`${formatLineError(e)}\n`);
      },
    });
  } catch (e) {
    progress.done();
    if (e instanceof ImportFileError) {
      io.stderr.write(`opendmp import-remboursements: the file cannot be imported: ${e.message}\n`);
      return 2;
    }
    io.stderr.write(
      `opendmp import-remboursements: failed: ${e instanceof Error ? e.message : String(e)}\n`,
    );
    io.stderr.write('Batches already committed are kept; running the same file again is safe.\n');
    return 3;
  }
  progress.done();
  let regenerated: number | undefined;
  let failedDocuments = 0;
  if (parsed.documents) {
    try {
      const result = await regeneratePendingDocuments(deps, actor);
      regenerated = result.generated;
      failedDocuments = result.failed;
      if (result.failed > 0) {
        io.stderr.write(
          `opendmp import-remboursements: ${result.failed} CNAM-HR document(s) could not be regenerated (first error: ${result.firstError ?? 'unknown'}); they stay pending for the next run.\n`,
        );
      }
    } catch (e) {
      io.stderr.write(
        `opendmp import-remboursements: lines imported, but regenerating the CNAM-HR documents failed: ${
          e instanceof Error ? e.message : String(e)
        }\n`,
      );
      return 3;
    }
  }
  io.stdout.write(
    parsed.json
      ? `${JSON.stringify({ ...summary, errors: summary.errors.length, documentsRegenerated: regenerated ?? null })}\n`
      : formatSummary(summary, regenerated),
  );
  if (failedDocuments > 0) {
    return 3;
  }
  const skipped = summary.rejected + summary.unknownPatientLines + summary.closedRecordLines;
  return skipped > 0 ? 1 : 0;
}

/** Entry point for the CLI dispatcher: `opendmp import-remboursements …`. */
export async function run(args: readonly string[]): Promise<number> {
  const parsed = parseArgs(args);
  if (typeof parsed === 'string') {
    return runImport({} as Deps, args);
  }
  let opened: Opened;
  try {
    opened = await openDatabase();
  } catch (e) {
    process.stderr.write(
      `opendmp import-remboursements: ${
        e instanceof DataDirLockedError
          ? `${e.message}\nThe service is running on that folder: import through its database (DATABASE_URL=… npx opendmp import-remboursements FILE).`
          : `cannot open the database: ${e instanceof Error ? e.message : String(e)}`
      }\n`,
    );
    return 2;
  }
  try {
    return await runImport(opened.deps, args);
  } finally {
    await opened.close();
  }
}
