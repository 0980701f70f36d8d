import type { Caches } from '../caches.ts';
import type { ConsentRow } from './consent.repository.ts';
import type { ClosureReason, RecordState, RecordStatus } from '../domain/records/lifecycle.ts';
import type { Db } from './client.ts';
import { keysByShard } from './engine.ts';
import type { RecordNotificationFacts } from './outbox.repository.ts';
import { RECORD_NOTIFICATION_COLUMNS } from './outbox.repository.ts';

export interface RecordRow {
  patient_id: string;
  ins: string;
  ins_oid: string;
  birth_name: string;
  /** Nom d'usage (migration 0053, issue 17 rule 8); null when the patient uses their birth name. */
  used_name?: string | null;
  given_names: string[];
  sex: string;
  birth_date: string;
  birth_place: string | null;
  status: RecordStatus;
  created_at: Date;
  created_by: string;
  closed_at: Date | null;
  closure_reason: ClosureReason | null;
  closure_comment: string | null;
  deletion_requested_at: Date | null;
  general_practitioner: string | null;
  version: number;
  /** Moved by every change to the record's documents (migration 0016); bigint as text. */
  documents_revision: string;
  /** The NIA the record was created under, once it received its NIR (migration 0052, issue 17 rule 11). */
  former_ins?: string | null;
  former_ins_oid?: string | null;
  /** Set on a record absorbed by a merge: its survivor (migration 0060, issue 17 rule 11). */
  merged_into?: string | null;
}

const COLUMNS = `patient_id, ins, ins_oid, birth_name, used_name, given_names, sex, birth_date::text AS birth_date, birth_place,
  status, created_at, created_by, closed_at, closure_reason, closure_comment, deletion_requested_at,
  general_practitioner, version, documents_revision, former_ins, former_ins_oid, merged_into`;

export function stateOf(row: RecordRow): RecordState {
  return {
    status: row.status,
    closedAt: row.closed_at,
    closureReason: row.closure_reason,
    deletionRequestedAt: row.deletion_requested_at,
  };
}

export async function findPatientIdByIns(sql: Db, ins: string): Promise<string | undefined> {
  const [row] = await sql<
    { patient_id: string }[]
  >`SELECT patient_id FROM ins_index WHERE ins = ${ins}`;
  return row?.patient_id;
}

/** The INS system (bare OID) of each of these records that exists. */
export async function findInsOids(
  sql: Db,
  patientIds: readonly string[],
): Promise<Map<string, string>> {
  if (patientIds.length === 0) {
    return new Map();
  }
  const rows = await sql<{ patient_id: string; ins_oid: string }[]>`
    SELECT patient_id, ins_oid FROM patient_record WHERE patient_id = ANY(${[...patientIds]}::uuid[])`;
  return new Map(rows.map((r) => [r.patient_id, r.ins_oid]));
}

export async function findRecord(sql: Db, patientId: string): Promise<RecordRow | undefined> {
  const [row] = await sql.unsafe<RecordRow[]>(
    `SELECT ${COLUMNS} FROM patient_record WHERE patient_id = $1`,
    [patientId],
    { prepare: true },
  );
  return row;
}

export async function lockRecord(tx: Db, patientId: string): Promise<RecordRow | undefined> {
  const [row] = await tx.unsafe<RecordRow[]>(
    `SELECT ${COLUMNS} FROM patient_record WHERE patient_id = $1 FOR UPDATE`,
    [patientId],
    { prepare: true },
  );
  return row;
}

export async function findRecordByIns(sql: Db, ins: string): Promise<RecordRow | undefined> {
  const patientId = await findPatientIdByIns(sql, ins);
  return patientId ? findRecord(sql, patientId) : undefined;
}

/**
 * A record row with its active consents, read in one statement (the policy needs both on every request).
 * The consents come as JSON (same columns as `SELECT * FROM consent`), newest first. `access_tag` is
 * record_access_tag (migration 0017) computed in the same statement: a digest of the row and those consents,
 * which a trace can be made conditional on (services/audit.ts, docs/adr/0009-confirmed-reads.md).
 */
export interface RecordWithConsents extends RecordRow {
  readonly active_consents: readonly ConsentRow[];
  /** Read only for reads that remember or confirm facts (a `source` given): ~0.1 ms of PostgreSQL otherwise spared. */
  readonly access_tag?: string;
}

// The subqueries filter on the parameter $1 (the record's patient id), not on patient_record.patient_id: on Citus a
// subquery correlated on the distribution column goes to every shard (citus-rules.md rule 13).
const ACTIVE_CONSENTS = `(SELECT COALESCE(json_agg(c ORDER BY c.created_at DESC), '[]'::json) FROM consent c
  WHERE c.patient_id = $1 AND c.status = 'active') AS active_consents`;

/**
 * record_access_tag($1) (migrations 0071, 0194) written out in the statement: on Citus the statement runs on the record's
 * shard, where a function that queries distributed tables again is refused (citus-rules.md rule 11). The text must
 * stay the function's exactly: append_record_audit compares the two.
 */
const ACCESS_TAG = `md5(json_populate_record(patient_record, '{"audit_seq":0,"audit_head":null}')::text || '|' ||
  COALESCE((SELECT string_agg(c::text, ',' ORDER BY c.id) FROM consent c WHERE c.patient_id = $1 AND c.status = 'active'),
  '')) AS access_tag`;

type ConsentJson = Omit<ConsentRow, 'created_at' | 'expires_at' | 'ended_at'> & {
  created_at: string;
  expires_at: string | null;
  ended_at: string | null;
};

function withConsentDates<R extends { active_consents: ConsentJson[] }>(
  row: R,
): Omit<R, 'active_consents'> & { active_consents: ConsentRow[] } {
  const date = (t: string | null): Date | null => (t === null ? null : new Date(t));
  return {
    ...row,
    active_consents: row.active_consents.map((c) => ({
      ...c,
      created_at: new Date(c.created_at),
      expires_at: date(c.expires_at),
      ended_at: date(c.ended_at),
    })),
  };
}

/**
 * How a read may obtain a record's facts: `remembered` from this pool's memory when present (the request's trace
 * must then be conditional on their tag), `fresh` from the database (and remembered).
 */
export type FactsSource = 'remembered' | 'fresh';

/**
 * The record with its active consents. With a `source`, also its access tag, and the result is remembered in
 * `caches.recordFacts` (`remembered`: taken from there when present; never trusted alone: a read decided on them is
 * answered only once its trace, conditional on their tag, is written, ADR 0009); without, a plain read (writes,
 * which lock what they change). `sql` is the pool the caches belong to.
 */
export async function findRecordWithConsents(
  sql: Db,
  caches: Pick<Caches, 'recordFacts'>,
  patientId: string,
  source?: FactsSource,
): Promise<RecordWithConsents | undefined> {
  const memory = caches.recordFacts;
  if (source === 'remembered') {
    const known = memory.get(patientId);
    if (known) {
      return known;
    }
  }
  const [row] = await sql.unsafe<
    (RecordRow & { active_consents: ConsentJson[]; access_tag?: string })[]
  >(
    source === undefined
      ? `SELECT ${COLUMNS}, ${ACTIVE_CONSENTS} FROM patient_record WHERE patient_id = $1`
      : `SELECT ${COLUMNS}, ${ACTIVE_CONSENTS}, ${ACCESS_TAG} FROM patient_record WHERE patient_id = $1`,
    [patientId],
    { prepare: true },
  );
  if (!row) {
    memory.delete(patientId);
    return undefined;
  }
  const record = withConsentDates(row);
  if (source !== undefined) {
    memory.set(patientId, record);
  }
  return record;
}

/**
 * The record of an INS, through `caches.patientIds` (INS → patient id). The pair never changes while the record
 * exists; a record purged and created again gets a new id, so a remembered id is trusted only when the row it names
 * carries that INS (otherwise it is forgotten and looked up again).
 */
export async function findRecordWithConsentsByIns(
  sql: Db,
  caches: Pick<Caches, 'recordFacts' | 'patientIds'>,
  ins: string,
  source?: FactsSource,
): Promise<RecordWithConsents | undefined> {
  return viaInsCache(sql, caches, ins, (patientId, known) =>
    findRecordWithConsents(sql, caches, patientId, known ? source : source && 'fresh'),
  );
}

/** What a deposit reads before deciding and writing: the record, its consents and what notifications need. */
export type RecordForDeposit = RecordWithConsents & RecordNotificationFacts;

export async function findRecordForDeposit(
  sql: Db,
  caches: Pick<Caches, 'patientIds'>,
  ins: string,
): Promise<RecordForDeposit | undefined> {
  return viaInsCache(sql, caches, ins, async (patientId) => {
    const [row] = await sql.unsafe<
      (RecordRow & RecordNotificationFacts & { active_consents: ConsentJson[] })[]
    >(
      `SELECT ${COLUMNS}, ${ACTIVE_CONSENTS}, ${RECORD_NOTIFICATION_COLUMNS}
        FROM patient_record WHERE patient_id = $1`,
      [patientId],
      { prepare: true },
    );
    return row ? withConsentDates(row) : undefined;
  });
}

/** A record read by INS through the INS → patient id memory (`known`: the id came from there). */
async function viaInsCache<R extends RecordRow>(
  sql: Db,
  caches: Pick<Caches, 'patientIds'>,
  ins: string,
  read: (patientId: string, known: boolean) => Promise<R | undefined>,
): Promise<R | undefined> {
  const cache = caches.patientIds;
  const known = cache.get(ins);
  if (known) {
    const row = await read(known, true);
    // A record absorbed by a merge keeps its INS but no longer answers for it (ins_index names the survivor).
    if (!row?.merged_into && (row?.ins === ins || row?.former_ins === ins)) {
      return row;
    }
    cache.delete(ins);
  }
  const patientId = await findPatientIdByIns(sql, ins);
  if (!patientId) {
    return undefined;
  }
  const row = await read(patientId, false);
  if (row?.ins === ins || row?.former_ins === ins) {
    cache.set(ins, patientId);
  }
  return row;
}

export interface NewRecord {
  patientId: string;
  ins: string;
  insOid: string;
  birthName: string;
  usedName?: string | null;
  givenNames: string[];
  sex: string;
  birthDate: string;
  birthPlace: string | null;
  createdAt: Date;
  createdBy: string;
}

/**
 * Issue 17 rule 11: the record `patientId` (locked by the caller) takes the NIR as its INS and keeps the NIA as its
 * former one; both resolve to it (ins_index). The holder side's notifications follow the new matricule. False when
 * the NIR already names a record (nothing is changed).
 */
export async function assignNir(
  tx: Db,
  patientId: string,
  a: { formerIns: string; formerOid: string; nir: string; nirOid: string },
  at: Date,
): Promise<boolean> {
  const inserted = await tx`INSERT INTO ins_index (ins, patient_id) VALUES (${a.nir}, ${patientId})
    ON CONFLICT (ins) DO NOTHING RETURNING patient_id`;
  if (inserted.length === 0) {
    return false;
  }
  await tx`UPDATE patient_record SET ins = ${a.nir}, ins_oid = ${a.nirOid}, former_ins = ${a.formerIns},
      former_ins_oid = ${a.formerOid}, nir_assigned_at = ${at}, version = version + 1
    WHERE patient_id = ${patientId}`;
  for (const table of ['inbox', 'outbox']) {
    await tx.unsafe(
      `UPDATE ${table} SET recipient_id = $1 WHERE patient_id = $2 AND recipient_id = $3
        AND recipient_kind IN ('patient', 'representative')`,
      [a.nir, patientId, a.formerIns],
    );
  }
  return true;
}

/** Inserts the INS lookup first: its primary key makes a concurrent second creation fail cleanly. */
export async function insertRecord(tx: Db, r: NewRecord): Promise<boolean> {
  const inserted =
    await tx`INSERT INTO ins_index (ins, patient_id) VALUES (${r.ins}, ${r.patientId})
    ON CONFLICT (ins) DO NOTHING RETURNING patient_id`;
  if (inserted.length === 0) {
    return false;
  }
  await tx`INSERT INTO patient_record (patient_id, ins, ins_oid, birth_name, used_name, given_names, sex,
      birth_date, birth_place, status, created_at, created_by)
    VALUES (${r.patientId}, ${r.ins}, ${r.insOid}, ${r.birthName}, ${r.usedName ?? null}, ${r.givenNames},
      ${r.sex}, ${r.birthDate}, ${r.birthPlace}, 'active', ${r.createdAt}, ${r.createdBy})`;
  return true;
}

export async function updateRecordState(
  tx: Db,
  patientId: string,
  s: RecordState,
  comment: string | null,
): Promise<void> {
  await tx`UPDATE patient_record SET status = ${s.status}, closed_at = ${s.closedAt},
      closure_reason = ${s.closureReason}, deletion_requested_at = ${s.deletionRequestedAt},
      closure_comment = ${s.status === 'closed' ? comment : null}, version = version + 1
    WHERE patient_id = ${patientId}`;
}

export async function setGeneralPractitioner(
  tx: Db,
  patientId: string,
  idNatPs: string | null,
): Promise<void> {
  await tx`UPDATE patient_record SET general_practitioner = ${idNatPs}, version = version + 1
    WHERE patient_id = ${patientId}`;
}

export async function findOpposition(
  sql: Db,
  ins: string,
): Promise<{ registered_at: Date } | undefined> {
  const [row] = await sql<
    { registered_at: Date }[]
  >`SELECT registered_at FROM opposition WHERE ins = ${ins}`;
  return row;
}

export async function insertOpposition(
  tx: Db,
  ins: string,
  at: Date,
  by: string,
): Promise<boolean> {
  const rows =
    await tx`INSERT INTO opposition (ins, registered_at, registered_by) VALUES (${ins}, ${at}, ${by})
    ON CONFLICT (ins) DO NOTHING RETURNING ins`;
  return rows.length > 0;
}

export async function deleteOpposition(tx: Db, ins: string): Promise<boolean> {
  const rows = await tx`DELETE FROM opposition WHERE ins = ${ins} RETURNING ins`;
  return rows.length > 0;
}

/** Closed records: candidates of the purge job (a simple filter, run in batches). */
export async function findClosedRecordIds(
  sql: Db,
  limit: number,
  after: string | null,
): Promise<string[]> {
  const rows = after
    ? await sql<{ patient_id: string }[]>`SELECT patient_id FROM patient_record
        WHERE status = 'closed' AND patient_id > ${after} ORDER BY patient_id LIMIT ${limit}`
    : await sql<{ patient_id: string }[]>`SELECT patient_id FROM patient_record
        WHERE status = 'closed' ORDER BY patient_id LIMIT ${limit}`;
  return rows.map((r) => r.patient_id);
}

/**
 * The keys under which a record's rows live in the look-up tables, which are distributed by those keys on Citus and
 * not by `patient_id` (ADR 0018): its INS (its own, the NIA it was created under, and those of the records it
 * absorbed, which a merge re-pointed to it: issue 17 rule 11), the uniqueIds its documents claimed, the server ids
 * located in `resource_locator` (documents and their entryUUIDs, past ones included, contents, SubmissionSets,
 * Folders, consents) and in `profile_locator` (profile entries). A statement on a look-up table filtered by these
 * keys goes to their shards only; filtered on `patient_id` it went to every shard (32 index probes, and for
 * `ins_index`, which has no index on `patient_id`, a scan of every shard: every record of the country).
 * One statement on the record's shard, plus one on the shards of the records it absorbed, if any.
 */
export interface RecordLookupKeys {
  readonly ins: readonly string[];
  readonly uniqueIds: readonly string[];
  readonly locatorIds: readonly string[];
  readonly profileIds: readonly string[];
}

export async function findLookupKeys(tx: Db, patientId: string): Promise<RecordLookupKeys> {
  const [row] = await tx<
    {
      ins: string;
      former_ins: string | null;
      merged_from: string[];
      unique_ids: string[];
      locator_ids: string[];
      profile_ids: string[];
    }[]
  >`SELECT r.ins, r.former_ins, r.merged_from,
      ARRAY(SELECT unique_id FROM document WHERE patient_id = ${patientId}) AS unique_ids,
      ARRAY(SELECT id FROM document WHERE patient_id = ${patientId}
        UNION SELECT entry_uuid FROM document WHERE patient_id = ${patientId}
        UNION SELECT entry_uuid FROM document_past_entry WHERE patient_id = ${patientId}
        UNION SELECT content_id FROM document_content WHERE patient_id = ${patientId}
        UNION SELECT id FROM submission_set WHERE patient_id = ${patientId}
        UNION SELECT id FROM folder WHERE patient_id = ${patientId}
        UNION SELECT id FROM consent WHERE patient_id = ${patientId})::text[] AS locator_ids,
      ARRAY(SELECT id FROM profile_entry WHERE patient_id = ${patientId})::text[] AS profile_ids
    FROM patient_record r WHERE r.patient_id = ${patientId}`;
  if (!row) {
    return { ins: [], uniqueIds: [], locatorIds: [], profileIds: [] };
  }
  const ins = [row.ins, row.former_ins];
  if (row.merged_from.length > 0) {
    const absorbed = await tx<{ ins: string; former_ins: string | null }[]>`
      SELECT ins, former_ins FROM patient_record WHERE patient_id = ANY(${row.merged_from}::uuid[])`;
    ins.push(...absorbed.flatMap((r) => [r.ins, r.former_ins]));
  }
  return {
    ins: [...new Set(ins.filter((i): i is string => i !== null))],
    uniqueIds: row.unique_ids,
    locatorIds: row.locator_ids,
    profileIds: row.profile_ids,
  };
}

/** Deletes the look-up rows naming the record under its keys (each statement on its keys' shards alone). */
async function deleteLookups(tx: Db, patientId: string, keys: RecordLookupKeys): Promise<void> {
  // Every INS of the record: its current one, the NIA it was created under, those it absorbed (issue 17 rule 11).
  // A statement per shard of the keys (engine.ts keysByShard): a purge on one worker commits without two phases.
  for (const group of await keysByShard(tx, 'ins_index', keys.ins)) {
    await tx`DELETE FROM ins_index WHERE ins = ANY(${group}::text[]) AND patient_id = ${patientId}`;
  }
  for (const group of await keysByShard(tx, 'document_unique_id', keys.uniqueIds)) {
    await tx`DELETE FROM document_unique_id
      WHERE unique_id = ANY(${group}::text[]) AND patient_id = ${patientId}`;
  }
  for (const group of await keysByShard(tx, 'resource_locator', keys.locatorIds)) {
    await tx`DELETE FROM resource_locator WHERE id = ANY(${group}::uuid[]) AND patient_id = ${patientId}`;
  }
  for (const group of await keysByShard(tx, 'profile_locator', keys.profileIds)) {
    await tx`DELETE FROM profile_locator WHERE id = ANY(${group}::uuid[]) AND patient_id = ${patientId}`;
  }
}

/**
 * Deletes a record and everything keyed by it, leaving a tombstone. Patient tables are listed by the caller; the
 * look-up tables (`ins_index`, `document_unique_id`, `resource_locator`, `profile_locator`) are emptied here by
 * their own keys ({@link findLookupKeys}), read before the record's rows go.
 * The tombstone and the traces are the database function purge_record_audit's (migration 0020): it refuses unless
 * the record itself is due (closed, deletion requested or retention elapsed at `at`) and returns
 * the reason it wrote; the application role cannot write tombstones nor delete traces itself.
 */
export async function purgeRecord(
  tx: Db,
  row: RecordRow,
  at: Date,
  patientTables: readonly string[],
): Promise<'retention-expired' | 'deletion-requested'> {
  const [purged] = await tx<{ reason: 'retention-expired' | 'deletion-requested' }[]>`
    SELECT purge_record_audit(${row.patient_id}, ${at}) AS reason`;
  const keys = await findLookupKeys(tx, row.patient_id);
  await deleteLookups(tx, row.patient_id, keys);
  for (const table of patientTables) {
    await tx.unsafe(`DELETE FROM ${table} WHERE patient_id = $1`, [row.patient_id]);
  }
  await tx`DELETE FROM legal_representative WHERE patient_id = ${row.patient_id}`;
  await tx`DELETE FROM patient_record WHERE patient_id = ${row.patient_id}`;
  if (!purged) {
    throw new Error('purge_record_audit returned nothing');
  }
  return purged.reason;
}
