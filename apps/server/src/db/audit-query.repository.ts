import type { Db } from './client.ts';
import { isUuid } from '../domain/identity/uuid.ts';

/**
 * Reading the traces: the access history (AuditEvent search, newest first, keyset paging on (recorded_at, id)) and
 * the chain verifier's streaming readers. SQL only. Record traces are read with their patient_id, except the
 * operator's look-ups by event id and by agent, which use their own indexes (fan-out under Citus).
 */
export interface AuditEventRow {
  /** null for the system chain. */
  patient_id: string | null;
  seq: string;
  id: string;
  recorded_at: Date;
  action: string;
  outcome: 'success' | 'denied' | 'failure';
  reason_code: string | null;
  actor_kind: string;
  actor_id: string;
  actor_name: string | null;
  actor_profession: string | null;
  actor_specialty: string | null;
  actor_structure: string | null;
  access_mode: string | null;
  justification: string | null;
  entity_type: string | null;
  entity_id: string | null;
  detail: Record<string, string | number | boolean | null>;
  prev_hash: Buffer | null;
  hash: Buffer;
  /** Version of the link's canonical form (migration 0020); read by the verifier only. */
  canon?: number;
  /** recorded_at as stored, to the microsecond (`2026-01-01T00:00:00.123456Z`); read by the verifier only. */
  recorded_at_us?: string;
  /** The system chain's stripe (migration 0072); read by the verifier only. */
  stripe?: number;
}

/** What the verifier reads besides FIELDS: the canonical form version and the stored time to the microsecond. */
const VERIFY_FIELDS = `canon, to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS recorded_at_us`;

const FIELDS = `seq, id, recorded_at, action, outcome, reason_code, actor_kind, actor_id, actor_name, actor_profession,
  actor_specialty, actor_structure, access_mode, justification, entity_type, entity_id, detail, prev_hash, hash`;

export interface AuditWindow {
  /** recorded_at ≥ from */
  readonly from?: Date | undefined;
  /** recorded_at < to */
  readonly to?: Date | undefined;
  /** Keyset: strictly older than this (recorded_at, id). */
  readonly before?: { readonly at: Date; readonly id: string } | undefined;
  readonly actorId?: string | undefined;
  readonly action?: string | undefined;
  /** Only these actor kinds (`professional`, `patient`…). */
  readonly actorKinds?: readonly string[] | undefined;
  /** Not these actor kinds (the holder side, hidden by default in the patient portal). */
  readonly excludeActorKinds?: readonly string[] | undefined;
  /** Only these access modes (`bris_de_glace`, `centre_15`). */
  readonly accessModes?: readonly string[] | undefined;
  /** Only this outcome (`denied` for refusals). */
  readonly outcome?: 'success' | 'denied' | 'failure' | undefined;
  readonly limit: number;
}

function where(db: Db, w: AuditWindow) {
  return db`${w.from ? db`AND recorded_at >= ${w.from}` : db``}
    ${w.to ? db`AND recorded_at < ${w.to}` : db``}
    ${w.before ? db`AND (recorded_at, id) < (${w.before.at}, ${w.before.id})` : db``}
    ${w.actorId !== undefined ? db`AND actor_id = ${w.actorId}` : db``}
    ${w.action !== undefined ? db`AND action = ${w.action}` : db``}
    ${w.actorKinds !== undefined ? db`AND actor_kind = ANY(${[...w.actorKinds]}::text[])` : db``}
    ${w.excludeActorKinds !== undefined ? db`AND NOT (actor_kind = ANY(${[...w.excludeActorKinds]}::text[]))` : db``}
    ${w.accessModes !== undefined ? db`AND access_mode = ANY(${[...w.accessModes]}::text[])` : db``}
    ${w.outcome !== undefined ? db`AND outcome = ${w.outcome}` : db``}`;
}

/**
 * One record's traces, newest first, with those of the records it absorbed by a merge (their chains stay theirs,
 * issue 17 rule 11, ADR 0016): the record's `merged_from` is read first, then the traces filtered on constants, so
 * that on Citus a record that absorbed none is read on its one shard (a filter on a CTE's ids goes to every shard).
 */
export async function findRecordAuditEvents(
  db: Db,
  patientId: string,
  w: AuditWindow,
): Promise<AuditEventRow[]> {
  const [record] = await db<{ merged_from: string[] }[]>`SELECT merged_from FROM patient_record
    WHERE patient_id = ${patientId}`;
  const absorbed = record?.merged_from ?? [];
  return db<AuditEventRow[]>`SELECT patient_id, ${db.unsafe(FIELDS)} FROM audit_event
    WHERE ${
      absorbed.length === 0
        ? db`patient_id = ${patientId}`
        : db`patient_id = ANY(${[patientId, ...absorbed]}::uuid[])`
    } ${where(db, w)}
    ORDER BY recorded_at DESC, id DESC LIMIT ${w.limit}`;
}

/** Traces of the system chain (events attached to no record), newest first. */
export async function findSystemAuditEvents(db: Db, w: AuditWindow): Promise<AuditEventRow[]> {
  return db<
    AuditEventRow[]
  >`SELECT NULL::uuid AS patient_id, ${db.unsafe(FIELDS)} FROM system_audit_event
    WHERE true ${where(db, w)}
    ORDER BY recorded_at DESC, id DESC LIMIT ${w.limit}`;
}

/** One agent's traces across every record (operator), newest first — fans out under Citus. */
export async function findRecordAuditEventsByActor(
  db: Db,
  w: AuditWindow & { readonly actorId: string },
): Promise<AuditEventRow[]> {
  return db<AuditEventRow[]>`SELECT patient_id, ${db.unsafe(FIELDS)} FROM audit_event
    WHERE true ${where(db, w)}
    ORDER BY recorded_at DESC, id DESC LIMIT ${w.limit}`;
}

/** A trace by its id, on any chain. */
export async function findAuditEventById(db: Db, id: string): Promise<AuditEventRow | undefined> {
  const [row] = await db<
    AuditEventRow[]
  >`SELECT patient_id, ${db.unsafe(FIELDS)} FROM audit_event WHERE id = ${id}`;
  if (row) {
    return row;
  }
  const [system] = await db<AuditEventRow[]>`SELECT NULL::uuid AS patient_id, ${db.unsafe(FIELDS)}
    FROM system_audit_event WHERE id = ${id}`;
  return system;
}

export interface TracedDocumentRow {
  id: string;
  confidentiality: string[];
  status: string;
  deposited_at: Date;
  /** The document's title and J66 type code, to name it in the history (patient portal). */
  title: string | null;
  type_code: string | null;
}

/** Visibility facts of the documents named by a page of traces (to hide what the holder may not see yet). */
export async function findTracedDocuments(
  db: Db,
  patientId: string,
  ids: readonly string[],
): Promise<TracedDocumentRow[]> {
  // A traced id that is no UUID names no document (and would fail the uuid cast).
  const uuids = ids.filter(isUuid);
  if (uuids.length === 0) {
    return [];
  }
  return db<TracedDocumentRow[]>`SELECT id, confidentiality, status, deposited_at,
      metadata->>'title' AS title, type_code FROM document
    WHERE patient_id = ${patientId} AND id IN ${db(uuids)}`;
}

// ------------------------------------------------------------------------------------------ verification

export interface RecordHeadRow {
  patient_id: string;
  audit_seq: string;
  audit_head: Buffer | null;
}

/** Records in patient_id order, after `after` (keyset pages). */
export async function findRecordHeads(
  db: Db,
  after: string | null,
  limit: number,
): Promise<RecordHeadRow[]> {
  return after
    ? db<RecordHeadRow[]>`SELECT patient_id, audit_seq, audit_head FROM patient_record
        WHERE patient_id > ${after} ORDER BY patient_id LIMIT ${limit}`
    : db<RecordHeadRow[]>`SELECT patient_id, audit_seq, audit_head FROM patient_record
        ORDER BY patient_id LIMIT ${limit}`;
}

/**
 * Streams the traces of the given records in (patient_id, seq) order through a server-side cursor, `chunk` rows
 * at a time: memory stays bounded whatever the number of events.
 */
export async function streamRecordEvents(
  db: Db,
  patientIds: readonly string[],
  chunk: number,
  onRows: (rows: AuditEventRow[]) => Promise<void> | void,
): Promise<void> {
  if (patientIds.length === 0) {
    return;
  }
  const cursor = db<
    AuditEventRow[]
  >`SELECT patient_id, ${db.unsafe(FIELDS)}, ${db.unsafe(VERIFY_FIELDS)}
    FROM audit_event WHERE patient_id IN ${db([...patientIds])} ORDER BY patient_id, seq`.cursor(
    chunk,
  );
  for await (const rows of cursor) {
    await onRows(rows);
  }
}

/** Streams the system chain's stripes, each in seq order (stripe by stripe). */
export async function streamSystemEvents(
  db: Db,
  chunk: number,
  onRows: (rows: AuditEventRow[]) => Promise<void> | void,
): Promise<void> {
  const cursor = db<AuditEventRow[]>`SELECT NULL::uuid AS patient_id, stripe, ${db.unsafe(FIELDS)},
    ${db.unsafe(VERIFY_FIELDS)} FROM system_audit_event ORDER BY stripe, seq`.cursor(chunk);
  for await (const rows of cursor) {
    await onRows(rows);
  }
}

/** A trace whose record does not exist (its record row was removed outside the purge), if any. */
export async function findOrphanAuditEvent(
  db: Db,
): Promise<{ patient_id: string; seq: string; id: string } | undefined> {
  const [row] = await db<{ patient_id: string; seq: string; id: string }[]>`
    SELECT a.patient_id, a.seq, a.id FROM audit_event a
    WHERE NOT EXISTS (SELECT 1 FROM patient_record r WHERE r.patient_id = a.patient_id)
    ORDER BY a.patient_id, a.seq LIMIT 1`;
  return row;
}

/**
 * An INS index entry whose record is gone without a tombstone (a record removed outside the purge), if any: the one
 * of smallest patient id. ins_index is distributed by INS and patient_record by patient id on Citus, which refuses
 * an anti-join of the two (citus-rules.md rule 15): the index is read in pages by INS, and each page's patient ids
 * are looked up with a plain `patient_id = ANY(…)` (the same on plain PostgreSQL).
 */
export async function findRecordMissing(
  db: Db,
  pageSize = 5000,
): Promise<{ ins: string; patient_id: string } | undefined> {
  let found: { ins: string; patient_id: string } | undefined;
  let after: string | null = null;
  for (;;) {
    const page: { ins: string; patient_id: string }[] =
      after === null
        ? await db`SELECT ins, patient_id FROM ins_index ORDER BY ins LIMIT ${pageSize}`
        : await db`SELECT ins, patient_id FROM ins_index WHERE ins > ${after} ORDER BY ins LIMIT ${pageSize}`;
    if (page.length === 0) {
      return found;
    }
    const ids = [...new Set(page.map((r) => r.patient_id))];
    const live = new Set(
      (
        await db<{ patient_id: string }[]>`SELECT patient_id FROM patient_record
          WHERE patient_id = ANY(${ids}::uuid[])`
      ).map((r) => r.patient_id),
    );
    for (const r of page) {
      if (!live.has(r.patient_id) && (found === undefined || r.patient_id < found.patient_id)) {
        found = r;
      }
    }
    if (page.length < pageSize) {
      return found;
    }
    after = page[page.length - 1]?.ins ?? null;
  }
}

// ------------------------------------------------------------------------------------------ anchors

export interface AnchoredLinkRow {
  patient_id: string;
  seq: string;
  /** The chain's hash at that seq now; null when no such link. */
  hash: Buffer | null;
  /** Whether the record exists. */
  live: boolean;
}

/**
 * For anchored (record, seq) pairs, the chain's hash at that seq today and whether the record still exists, in the
 * order given (the verifier's C7). Two plain statements filtered on patient_id (no join with a list of values, which
 * Citus may refuse): the records that exist, and the links at those seqs.
 */
export async function findAnchoredLinks(
  db: Db,
  patientIds: readonly string[],
  seqs: readonly string[],
): Promise<AnchoredLinkRow[]> {
  const ids = [...new Set(patientIds)];
  const keys = patientIds.map((id, i) => `${id}:${seqs[i] ?? ''}`);
  const live = new Set(
    (
      await db<{ patient_id: string }[]>`SELECT patient_id FROM patient_record
        WHERE patient_id = ANY(${ids}::uuid[])`
    ).map((r) => r.patient_id),
  );
  const links = new Map(
    (
      await db<
        { key: string; hash: Buffer }[]
      >`SELECT patient_id::text || ':' || seq::text AS key, hash
        FROM audit_event WHERE patient_id = ANY(${ids}::uuid[]) AND seq = ANY(${[...new Set(seqs)]}::bigint[])
          AND patient_id::text || ':' || seq::text = ANY(${keys}::text[])`
    ).map((r) => [r.key, r.hash]),
  );
  return patientIds.map((id, i) => ({
    patient_id: id,
    seq: seqs[i] ?? '',
    hash: links.get(keys[i] ?? '') ?? null,
    live: live.has(id),
  }));
}

/** A stripe of the system chain's hash at `seq`, if that link exists. */
export async function findSystemLinkHash(
  db: Db,
  stripe: number,
  seq: string,
): Promise<Buffer | null> {
  const [row] = await db<
    { hash: Buffer }[]
  >`SELECT hash FROM system_audit_event WHERE stripe = ${stripe} AND seq = ${seq}`;
  return row?.hash ?? null;
}

/** The database's clock now (clock_timestamp), as anchors and the verifier order themselves by it. */
export async function databaseClock(db: Db): Promise<Date> {
  const [row] = await db<{ now: Date }[]>`SELECT clock_timestamp() AS now`;
  if (!row) {
    throw new Error('no clock');
  }
  return row.now;
}
