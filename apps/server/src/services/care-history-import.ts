import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import type { CsvError } from 'csv-parse';
import type { OperatorActor } from '../domain/access/actor.ts';
import type { RecordFacts } from '../domain/access/facts.ts';
import { decideAccess } from '../domain/access/policy.ts';
import type { CareLine } from '../domain/care-history/line.ts';
import { canonicalLine, checkHeader, readCareLine } from '../domain/care-history/line.ts';
import { inWindow, isoDay } from '../domain/care-history/window.ts';
import type { DomainIssue } from '../domain/errors.ts';
import { CS } from '../domain/identity/code-systems.ts';
import type { NewCareLine } from '../db/care-history.repository.ts';
import * as careDb from '../db/care-history.repository.ts';
import { loadReferenceData } from '../reference/value-sets.ts';
import { loadAccessMatrix } from './access-matrix.ts';
import { audit } from './audit.ts';
import type { Deps } from './deps.ts';

/**
 * The Assurance Maladie reimbursement feed (docs/care-history.md): a CSV stream imported in bounded memory.
 *
 * - The file is streamed through csv-parse (`;`, UTF-8 with or without BOM, header row); lines are validated one
 *   by one (domain/care-history/line.ts) and a bad line is reported with its line number, never stopping the run.
 * - Good lines are gathered in batches (default 5,000), grouped per patient; each batch is one transaction:
 *   per patient, the operator's right to feed class 60 data is decided (decideAccess 'document.deposit' of a
 *   REMB document: record exists and is active), lines are inserted with ON CONFLICT DO NOTHING on
 *   (patient_id, line_key) — so importing the same file again changes nothing — the record is marked for
 *   regeneration of its CNAM-HR document, and one operator trace is written on the record (counts only, no
 *   clinical content) when lines were added. A closed record's lines are refused and that denial is traced.
 * - While a batch is written the next one is parsed (one batch in flight at most): memory stays bounded
 *   whatever the file size.
 * - The run itself is traced on the system chain (`care-history.import-run`, counts only).
 */
export interface LineError {
  /** 1-based line number in the file (the header is line 1). */
  readonly line: number;
  readonly issues: readonly DomainIssue[];
}

export interface ImportSummary {
  /** Data lines read (the header excluded). */
  read: number;
  /** New lines stored. */
  imported: number;
  /** Valid lines already stored (an earlier import, or twice in this file). */
  duplicates: number;
  /** Invalid lines (each reported with its number). */
  rejected: number;
  /** Valid lines whose INS has no record. */
  unknownPatientLines: number;
  /** Distinct INS without a record (exact up to 10,000). */
  unknownPatients: number;
  /** Valid lines for a closed record (refused). */
  closedRecordLines: number;
  /** Valid lines older than the 24-month window (skipped: they would never be shown). */
  expired: number;
  /** Distinct records that received new lines (exact up to 10,000). */
  patientsUpdated: number;
  batches: number;
  /** The first errors (at most `keepErrors`); all of them went to `onError`. */
  errors: LineError[];
  elapsedMs: number;
}

export interface ImportProgress {
  readonly lines: number;
  readonly bytes: number;
}

export interface ImportOptions {
  readonly batchSize?: number;
  readonly onError?: (e: LineError) => void;
  readonly onProgress?: (p: ImportProgress) => void;
  /** How many errors the summary keeps (default 1,000). */
  readonly keepErrors?: number;
}

const UNKNOWN_CAP = 10_000;
/** Lines per transaction. */
export const DEFAULT_BATCH_SIZE = 5000;

/** A fatal problem with the file itself (unreadable header): nothing is imported. */
export class ImportFileError extends Error {
  readonly issues: readonly DomainIssue[];
  constructor(issues: readonly DomainIssue[]) {
    super(issues.map((i) => `${i.code}: ${i.message}`).join('; '));
    this.name = 'ImportFileError';
    this.issues = issues;
  }
}

interface Pending {
  readonly line: CareLine;
  readonly key: Buffer;
}

export function lineKey(line: CareLine): Buffer {
  return createHash('sha256').update(canonicalLine(line)).digest();
}

/** The operator's decisions here depend only on the record's existence and status (no consent is involved). */
function operatorFacts(status: 'active' | 'closed'): RecordFacts {
  return {
    status,
    isMinor: false,
    blockedIdNatPs: [],
    emergencyObjections: { bris_de_glace: false, centre_15: false },
  };
}

const REMB_DOCUMENT = {
  typeCode: 'REMB',
  classCode: '60',
  authorIdNatPs: [],
  authorStructures: [],
  confidentiality: ['N'],
} as const;

async function writeBatch(
  deps: Deps,
  actor: OperatorActor,
  batch: readonly Pending[],
  summary: ImportSummary,
  unknown: Set<string>,
  updated: Set<string>,
): Promise<void> {
  const byIns = new Map<string, Pending[]>();
  for (const p of batch) {
    const list = byIns.get(p.line.ins);
    if (list) {
      list.push(p);
    } else {
      byIns.set(p.line.ins, [p]);
    }
  }
  const records = await careDb.resolveInsBatch(deps.sql, [...byIns.keys()]);
  const now = deps.clock.now();
  const matrix = loadAccessMatrix();
  await deps.sql.begin(async (tx) => {
    // One chain of statements per patient; the chains run concurrently on the transaction's connection
    // (postgres.js pipelines them), each patient's own statements staying in order.
    // Records in patient_id order: two imports running at once lock them in the same order (no deadlock).
    const ordered = [...byIns].sort(([a], [b]) => {
      const pa = records.get(a)?.patientId ?? '';
      const pb = records.get(b)?.patientId ?? '';
      return pa < pb ? -1 : pa > pb ? 1 : 0;
    });
    const work = ordered.map(async ([ins, lines]) => {
      const rec = records.get(ins);
      if (!rec) {
        summary.unknownPatientLines += lines.length;
        if (unknown.size < UNKNOWN_CAP) {
          unknown.add(ins);
        }
        return;
      }
      const decision = decideAccess({
        actor,
        ins,
        record: operatorFacts(rec.status),
        matrix,
        now,
        action: 'document.deposit',
        document: REMB_DOCUMENT,
      });
      if (!decision.allow) {
        summary.closedRecordLines += lines.length;
        await audit(tx, deps, actor, rec.patientId, {
          action: 'care-history.import',
          outcome: 'denied',
          reasonCode: decision.reason,
          detail: { lines: lines.length },
        });
        return;
      }
      // Lock the record first: the lines' foreign key takes a KEY SHARE lock that the trace's FOR UPDATE would
      // otherwise have to upgrade, which deadlocks against a concurrent writer of the same record.
      await careDb.lockRecordForWrite(tx, rec.patientId);
      const rows: NewCareLine[] = lines.map((p) => ({ ...p.line, lineKey: p.key }));
      const inserted = await careDb.insertCareLines(tx, rec.patientId, rows, now);
      summary.imported += inserted;
      summary.duplicates += lines.length - inserted;
      if (inserted > 0) {
        if (updated.size < UNKNOWN_CAP) {
          updated.add(rec.patientId);
        }
        await careDb.markPending(tx, rec.patientId, now);
        await audit(tx, deps, actor, rec.patientId, {
          action: 'care-history.import',
          outcome: 'success',
          entityType: 'CareHistory',
          detail: { lines: lines.length, imported: inserted, duplicates: lines.length - inserted },
        });
      }
    });
    await Promise.all(work);
  });
  summary.batches++;
}

/**
 * Imports a CSV stream of reimbursement lines as the operator.
 * @throws ImportFileError when the header row is unusable (nothing is imported)
 */
export async function importCareLines(
  deps: Deps,
  actor: OperatorActor,
  input: Readable,
  options: ImportOptions = {},
): Promise<ImportSummary> {
  const started = performance.now();
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const keepErrors = options.keepErrors ?? 1000;
  const today = isoDay(deps.clock.now());
  const g15 = loadReferenceData().valueSets.get('G15');
  const professionExists = g15
    ? (code: string) => g15.has(CS.TRE_G15_PROFESSION_SANTE, code)
    : undefined;
  const summary: ImportSummary = {
    read: 0,
    imported: 0,
    duplicates: 0,
    rejected: 0,
    unknownPatientLines: 0,
    unknownPatients: 0,
    closedRecordLines: 0,
    expired: 0,
    patientsUpdated: 0,
    batches: 0,
    errors: [],
    elapsedMs: 0,
  };
  const unknown = new Set<string>();
  const updated = new Set<string>();
  const report = (e: LineError): void => {
    summary.rejected++;
    if (summary.errors.length < keepErrors) {
      summary.errors.push(e);
    }
    options.onError?.(e);
  };

  let bytes = 0;
  let lastSkipped = -1;
  input.on('data', (chunk: Buffer | string) => {
    bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
  });
  const parser = input.pipe(
    parse({
      delimiter: ';',
      bom: true,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      on_skip: (e: CsvError | undefined): undefined => {
        const line = typeof e?.['lines'] === 'number' ? e['lines'] : 0;
        // csv-parse may signal one broken line more than once.
        if (line !== 0 && line === lastSkipped) {
          return;
        }
        lastSkipped = line;
        summary.read++;
        report({
          line,
          issues: [
            { code: 'CARE_CSV_SYNTAX', message: 'The line is not valid CSV (quotes, separators).' },
          ],
        });
      },
    }),
  );

  let header: string[] | undefined;
  let batch: Pending[] = [];
  let inFlight: Promise<void> | undefined;
  const flush = async (): Promise<void> => {
    await inFlight;
    const current = batch;
    batch = [];
    if (current.length === 0) {
      inFlight = undefined;
      return;
    }
    const writing = writeBatch(deps, actor, current, summary, unknown, updated);
    // Awaited at the next flush; this only keeps a failure from being reported as unhandled meanwhile.
    writing.catch(() => undefined);
    inFlight = writing;
  };

  for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    const { record, info } = item;
    if (!header) {
      header = record.map((c) => c.trim().toLowerCase());
      const problems = checkHeader(header);
      if (problems.length > 0) {
        input.destroy();
        throw new ImportFileError(problems);
      }
      continue;
    }
    summary.read++;
    if (record.length !== header.length) {
      report({
        line: info.lines,
        issues: [
          {
            code: 'CARE_CSV_COLUMN_COUNT',
            message: `The line has ${record.length} fields; the header has ${header.length}.`,
          },
        ],
      });
    } else {
      const fields: Record<string, string> = {};
      header.forEach((name, i) => {
        fields[name] = record[i] ?? '';
      });
      const read = readCareLine(fields, {
        today,
        ...(professionExists ? { professionExists } : {}),
      });
      if (!read.ok) {
        report({ line: info.lines, issues: read.error });
      } else if (!inWindow(read.value.careDate, today)) {
        summary.expired++;
      } else {
        batch.push({ line: read.value, key: lineKey(read.value) });
        if (batch.length >= batchSize) {
          await flush();
        }
      }
    }
    if (summary.read % 1000 === 0) {
      options.onProgress?.({ lines: summary.read, bytes });
    }
  }
  if (!header) {
    throw new ImportFileError([
      { code: 'CARE_HEADER_MISSING', message: 'The file is empty: a header row is expected.' },
    ]);
  }
  await flush();
  await inFlight;
  options.onProgress?.({ lines: summary.read, bytes });
  summary.unknownPatients = unknown.size;
  summary.patientsUpdated = updated.size;
  summary.elapsedMs = Math.round(performance.now() - started);
  await deps.sql.begin(async (tx) => {
    await audit(tx, deps, actor, null, {
      action: 'care-history.import-run',
      outcome: 'success',
      detail: {
        read: summary.read,
        imported: summary.imported,
        duplicates: summary.duplicates,
        rejected: summary.rejected,
        unknownPatientLines: summary.unknownPatientLines,
        closedRecordLines: summary.closedRecordLines,
        expired: summary.expired,
        patientsUpdated: summary.patientsUpdated,
      },
    });
  });
  return summary;
}
