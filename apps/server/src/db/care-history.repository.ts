import type { CodeKind } from '../domain/care-history/line.ts';
import type { Db } from './client.ts';

/** Reimbursement lines (table care_line) and the CNAM-HR document state. SQL only; every query filters on patient_id. */

export interface NewCareLine {
  readonly lineKey: Buffer;
  readonly careDate: string;
  readonly kind: CodeKind;
  readonly code: string;
  readonly label: string;
  readonly quantity: string;
  readonly executantId: string | null;
  readonly executantProfession: string | null;
  readonly prescriberId: string | null;
  readonly structureId: string | null;
  readonly amountCents: number;
}

export interface CareLineRow {
  line_key: Buffer;
  care_date: string;
  code_kind: CodeKind;
  code: string;
  label: string;
  quantity: string;
  executant_id: string | null;
  executant_profession: string | null;
  prescriber_id: string | null;
  structure_id: string | null;
  amount_cents: number;
  imported_at: Date;
}

/**
 * Inserts one patient's lines (one statement, arrays unnested); lines whose key exists are skipped.
 * @returns how many were new
 */
export async function insertCareLines(
  db: Db,
  patientId: string,
  lines: readonly NewCareLine[],
  at: Date,
): Promise<number> {
  if (lines.length === 0) {
    return 0;
  }
  const col = <T>(f: (l: NewCareLine) => T): T[] => lines.map(f);
  const rows =
    await db`INSERT INTO care_line (patient_id, line_key, care_date, code_kind, code, label, quantity,
      executant_id, executant_profession, prescriber_id, structure_id, amount_cents, imported_at)
    SELECT ${patientId}::uuid, decode(k, 'hex'), d, kind, code, label, q, ex, prof, pr, st, amount, ${at}::timestamptz
    FROM unnest(${col((l) => l.lineKey.toString('hex'))}::text[], ${col((l) => l.careDate)}::date[],
      ${col((l) => l.kind)}::text[], ${col((l) => l.code)}::text[], ${col((l) => l.label)}::text[],
      ${col((l) => l.quantity)}::numeric[], ${col((l) => l.executantId)}::text[],
      ${col((l) => l.executantProfession)}::text[], ${col((l) => l.prescriberId)}::text[],
      ${col((l) => l.structureId)}::text[], ${col((l) => l.amountCents)}::bigint[])
      AS t(k, d, kind, code, label, q, ex, prof, pr, st, amount)
    ON CONFLICT (patient_id, line_key) DO NOTHING RETURNING 1`;
  // Counted by what came back: on Citus the row count of INSERT … SELECT … ON CONFLICT DO NOTHING is the number of
  // rows selected, not inserted (citus-rules.md rule 12).
  return rows.length;
}

const LINE_COLUMNS = `line_key, care_date::text AS care_date, code_kind, code, label, quantity::text AS quantity,
  executant_id, executant_profession, prescriber_id, structure_id, amount_cents::float8 AS amount_cents, imported_at`;

export interface CareLineQuery {
  /** First date in view (inclusive), ISO. */
  readonly from: string;
  /** Last date (inclusive), ISO; absent = no bound. */
  readonly to?: string | undefined;
  readonly kinds?: readonly CodeKind[] | undefined;
  /** Keyset position: the last (care_date, line_key) of the previous page. */
  readonly after?: { readonly careDate: string; readonly lineKey: Buffer } | undefined;
  readonly limit: number;
}

/** One patient's lines newest first, in a date range, optionally by kind, keyset-paged. */
export async function findCareLines(
  db: Db,
  patientId: string,
  q: CareLineQuery,
): Promise<CareLineRow[]> {
  const params: unknown[] = [patientId, q.from];
  const where = ['patient_id = $1', 'care_date >= $2::date'];
  if (q.to !== undefined) {
    params.push(q.to);
    where.push(`care_date <= $${params.length}::date`);
  }
  if (q.kinds !== undefined && q.kinds.length > 0) {
    params.push(q.kinds);
    where.push(`code_kind = ANY($${params.length}::text[])`);
  }
  if (q.after !== undefined) {
    params.push(q.after.careDate, q.after.lineKey);
    where.push(
      `(care_date < $${params.length - 1}::date OR (care_date = $${params.length - 1}::date AND line_key > $${params.length}))`,
    );
  }
  params.push(q.limit);
  return db.unsafe<CareLineRow[]>(
    `SELECT ${LINE_COLUMNS} FROM care_line WHERE ${where.join(' AND ')}
     ORDER BY care_date DESC, line_key LIMIT $${params.length}`,
    params as never[],
    { prepare: true },
  );
}

/** How many lines are in view for one patient (same filters as findCareLines, without paging). */
export async function countCareLines(
  db: Db,
  patientId: string,
  q: Omit<CareLineQuery, 'after' | 'limit'>,
): Promise<number> {
  const params: unknown[] = [patientId, q.from];
  const where = ['patient_id = $1', 'care_date >= $2::date'];
  if (q.to !== undefined) {
    params.push(q.to);
    where.push(`care_date <= $${params.length}::date`);
  }
  if (q.kinds !== undefined && q.kinds.length > 0) {
    params.push(q.kinds);
    where.push(`code_kind = ANY($${params.length}::text[])`);
  }
  const [row] = await db.unsafe<{ n: number }[]>(
    `SELECT count(*)::int AS n FROM care_line WHERE ${where.join(' AND ')}`,
    params as never[],
    { prepare: true },
  );
  return row?.n ?? 0;
}

/** Deletes one patient's lines dated before `before` (retention). */
export async function deleteCareLinesBefore(
  db: Db,
  patientId: string,
  before: string,
): Promise<number> {
  const rows =
    await db`DELETE FROM care_line WHERE patient_id = ${patientId} AND care_date < ${before}::date RETURNING 1`;
  return rows.length;
}

/** Records that hold lines older than `before` (a simple filter; the caller then works record by record). */
export async function recordsWithLinesBefore(
  db: Db,
  before: string,
  limit: number,
): Promise<string[]> {
  const rows = await db<{ patient_id: string }[]>`SELECT DISTINCT patient_id FROM care_line
    WHERE care_date < ${before}::date LIMIT ${limit}`;
  return rows.map((r) => r.patient_id);
}

// ---------------------------------------------------------------- CNAM-HR document state

export interface CareHistoryStateRow {
  patient_id: string;
  pending: boolean;
  lines_changed_at: Date | null;
  document_id: string | null;
  document_unique_id: string | null;
  document_version: number;
  generated_at: Date | null;
}

/** Takes the record row's write lock (as the trace append does) before rows referencing it are inserted. */
export async function lockRecordForWrite(db: Db, patientId: string): Promise<void> {
  await db`SELECT 1 FROM patient_record WHERE patient_id = ${patientId} FOR UPDATE`;
}

/** Marks that new lines arrived for this record (the CNAM-HR document must be regenerated). */
export async function markPending(db: Db, patientId: string, at: Date): Promise<void> {
  await db`INSERT INTO care_history_state (patient_id, pending, lines_changed_at) VALUES (${patientId}, true, ${at})
    ON CONFLICT (patient_id) DO UPDATE SET pending = true, lines_changed_at = excluded.lines_changed_at`;
}

export async function lockState(
  db: Db,
  patientId: string,
): Promise<CareHistoryStateRow | undefined> {
  const [row] = await db<
    CareHistoryStateRow[]
  >`SELECT patient_id, pending, lines_changed_at, document_id,
      document_unique_id, document_version, generated_at
    FROM care_history_state WHERE patient_id = ${patientId} FOR UPDATE`;
  return row;
}

export async function findState(
  db: Db,
  patientId: string,
): Promise<CareHistoryStateRow | undefined> {
  const [row] = await db<
    CareHistoryStateRow[]
  >`SELECT patient_id, pending, lines_changed_at, document_id,
      document_unique_id, document_version, generated_at
    FROM care_history_state WHERE patient_id = ${patientId}`;
  return row;
}

export async function saveGenerated(
  db: Db,
  patientId: string,
  doc: { documentId: string | null; uniqueId: string; version: number; at: Date },
): Promise<void> {
  await db`INSERT INTO care_history_state (patient_id, pending, document_id, document_unique_id, document_version, generated_at)
    VALUES (${patientId}, false, ${doc.documentId}, ${doc.uniqueId}, ${doc.version}, ${doc.at})
    ON CONFLICT (patient_id) DO UPDATE SET pending = false, document_id = excluded.document_id,
      document_unique_id = excluded.document_unique_id, document_version = excluded.document_version,
      generated_at = excluded.generated_at`;
}

/** Records whose CNAM-HR document awaits regeneration. */
export async function pendingRecords(db: Db, limit: number): Promise<string[]> {
  const rows = await db<
    { patient_id: string }[]
  >`SELECT patient_id FROM care_history_state WHERE pending LIMIT ${limit}`;
  return rows.map((r) => r.patient_id);
}

/**
 * INS → patient_id and record status for a batch of INS: the INS lookup, then the records by their patient_id
 * (`= ANY`: routed to the shards holding them under Citus).
 */
export async function resolveInsBatch(
  db: Db,
  ins: readonly string[],
): Promise<Map<string, { patientId: string; status: 'active' | 'closed' }>> {
  const out = new Map<string, { patientId: string; status: 'active' | 'closed' }>();
  if (ins.length === 0) {
    return out;
  }
  const found = await db<
    { ins: string; patient_id: string }[]
  >`SELECT ins, patient_id FROM ins_index
    WHERE ins = ANY(${ins as string[]})`;
  if (found.length === 0) {
    return out;
  }
  const statuses = await db<
    { patient_id: string; status: 'active' | 'closed' }[]
  >`SELECT patient_id, status
    FROM patient_record WHERE patient_id = ANY(${found.map((f) => f.patient_id)}::uuid[])`;
  const byId = new Map(statuses.map((s) => [s.patient_id, s.status]));
  for (const f of found) {
    const status = byId.get(f.patient_id);
    if (status) {
      out.set(f.ins, { patientId: f.patient_id, status });
    }
  }
  return out;
}
