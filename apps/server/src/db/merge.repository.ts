/**
 * SQL of the record merge (issue 17 rule 11, docs/adr/0016-record-merge.md). No decisions here: the service decides
 * with domain/records/merge.ts. `patient_id` is never updated on a patient table (citus-rules 4): rows move by
 * insert under the survivor then delete under the absorbed record, in the caller's transaction.
 */
import type { Db } from './client.ts';
import { keysByShard } from './engine.ts';
import type { ContentRow, DataKeyRow } from './document-content.repository.ts';
import type { RecordLookupKeys } from './records.repository.ts';

export interface MergeConsentRow {
  id: string;
  kind: string;
  actor_kind: string | null;
  actor_id: string | null;
  purpose: string | null;
  status: string;
}

/** What the absorbed record holds that the merge cannot move (counts). */
export async function countUnmovable(
  tx: Db,
  patientId: string,
): Promise<{ profileEntries: number; careLines: number }> {
  const [row] = await tx<{ profile_entries: number; care_lines: number }[]>`
    SELECT (SELECT count(*)::int FROM profile_entry WHERE patient_id = ${patientId}) AS profile_entries,
      (SELECT count(*)::int FROM care_line WHERE patient_id = ${patientId}) AS care_lines`;
  return { profileEntries: row?.profile_entries ?? 0, careLines: row?.care_lines ?? 0 };
}

/** Ids of the record's encrypted contents. */
export async function findContentIds(tx: Db, patientId: string): Promise<string[]> {
  const rows = await tx<{ content_id: string }[]>`SELECT content_id FROM document_content
    WHERE patient_id = ${patientId} ORDER BY content_id`;
  return rows.map((r) => r.content_id);
}

export async function insertDataKey(
  tx: Db,
  patientId: string,
  key: DataKeyRow & { readonly created_at: Date },
): Promise<void> {
  await tx`INSERT INTO record_data_key (patient_id, key_version, master_key_id, wrapped_key, created_at)
    VALUES (${patientId}, ${key.key_version}, ${key.master_key_id}, ${key.wrapped_key}, ${key.created_at})`;
}

export async function insertContent(
  tx: Db,
  patientId: string,
  contentId: string,
  row: ContentRow,
): Promise<void> {
  await tx`INSERT INTO document_content (patient_id, content_id, key_version, nonce, tag, ciphertext)
    VALUES (${patientId}, ${contentId}, ${row.key_version}, ${row.nonce}, ${row.tag}, ${row.ciphertext})`;
}

/** Insert under `to` every row of `table` that `from` holds (same columns, same ids), then delete them from `from`. */
async function moveRows(tx: Db, table: string, from: string, to: string): Promise<number> {
  const moved = await tx<{ patient_id: string }[]>`INSERT INTO ${tx(table)}
    SELECT (jsonb_populate_record(null::${tx(table)}, to_jsonb(r) || jsonb_build_object('patient_id', ${to}::uuid))).*
    FROM ${tx(table)} r WHERE r.patient_id = ${from}
    RETURNING patient_id`;
  return moved.length;
}

/**
 * Moves the absorbed record's documents to the survivor, once their contents are sealed under the survivor
 * (insertContent): submission sets, folders, documents, list entries and visibility notices are re-inserted under
 * the survivor and deleted under the absorbed record, whose contents and data keys are then deleted; the uniqueId and
 * id lookups name the survivor, found by their own keys (`keys`, records.findLookupKeys, read before anything moved:
 * on Citus a look-up table filtered on `patient_id` goes to every shard). The survivor's documents revision moves
 * past both records' (cached facts remembered under the absorbed record's revision never match it). Returns the
 * number of documents moved.
 */
export async function moveDocuments(
  tx: Db,
  from: string,
  to: string,
  keys: Pick<RecordLookupKeys, 'uniqueIds' | 'locatorIds'>,
): Promise<number> {
  await moveRows(tx, 'submission_set', from, to);
  await moveRows(tx, 'folder', from, to);
  // A moved document's FHIR subject still names the record it was deposited in (ADR 0016): its encoding is unchanged.
  await tx`UPDATE document SET subject_patient_id = ${from}
    WHERE patient_id = ${from} AND subject_patient_id IS NULL`;
  const documents = await moveRows(tx, 'document', from, to);
  await moveRows(tx, 'document_past_entry', from, to);
  await moveRows(tx, 'list_entry', from, to);
  await moveRows(tx, 'document_visibility_notice', from, to);
  for (const table of [
    'document_past_entry',
    'list_entry',
    'document_visibility_notice',
    'document',
    'folder',
    'submission_set',
    'document_content',
    'record_data_key',
  ]) {
    await tx`DELETE FROM ${tx(table)} WHERE patient_id = ${from}`;
  }
  // A statement per shard of the keys (engine.ts keysByShard): a merge on one worker commits without two phases.
  for (const group of await keysByShard(tx, 'document_unique_id', keys.uniqueIds)) {
    await tx`UPDATE document_unique_id SET patient_id = ${to}
      WHERE unique_id = ANY(${group}::text[]) AND patient_id = ${from}`;
  }
  for (const group of await keysByShard(tx, 'resource_locator', keys.locatorIds)) {
    await tx`UPDATE resource_locator SET patient_id = ${to}
      WHERE id = ANY(${group}::uuid[]) AND patient_id = ${from}`;
  }
  const [absorbed] = await tx<{ documents_revision: string }[]>`UPDATE patient_record
    SET documents_revision = documents_revision + 1 WHERE patient_id = ${from}
    RETURNING documents_revision::text`;
  await tx`UPDATE patient_record
    SET documents_revision = greatest(documents_revision, ${absorbed?.documents_revision ?? '0'}::bigint) + 1
    WHERE patient_id = ${to}`;
  return documents;
}

export async function findConsentKeys(tx: Db, patientId: string): Promise<MergeConsentRow[]> {
  return tx<MergeConsentRow[]>`SELECT id, kind, actor_kind, actor_id, purpose, status FROM consent
    WHERE patient_id = ${patientId}`;
}

/**
 * Moves every consent of `from` to `to` (same ids); those named in `endIds` arrive ended (`ended_by` = 'merge').
 * Returns the number moved.
 */
export async function moveConsents(
  tx: Db,
  from: string,
  to: string,
  endIds: readonly string[],
  at: Date,
): Promise<number> {
  const moved = await tx<{ id: string }[]>`
    INSERT INTO consent
    SELECT (jsonb_populate_record(null::consent, to_jsonb(c) || jsonb_build_object('patient_id', ${to}::uuid)
      || CASE WHEN c.id = ANY(${[...endIds]}::uuid[])
           THEN jsonb_build_object('status', 'inactive', 'ended_at', ${at}::timestamptz, 'ended_by', 'merge')
           ELSE '{}'::jsonb END)).*
    FROM consent c WHERE c.patient_id = ${from}
    RETURNING id`;
  await tx`DELETE FROM consent WHERE patient_id = ${from}`;
  return moved.length;
}

export async function findPreferenceKinds(tx: Db, patientId: string): Promise<string[]> {
  const rows = await tx<{ recipient_kind: string }[]>`
    SELECT recipient_kind FROM notification_preference WHERE patient_id = ${patientId}`;
  return rows.map((r) => r.recipient_kind);
}

/** Moves the preferences of `from` for `kinds` to `to`; the others of `from` are dropped. */
export async function movePreferences(
  tx: Db,
  from: string,
  to: string,
  kinds: readonly string[],
): Promise<void> {
  await tx`INSERT INTO notification_preference
    SELECT (jsonb_populate_record(null::notification_preference,
      to_jsonb(p) || jsonb_build_object('patient_id', ${to}::uuid))).*
    FROM notification_preference p
    WHERE p.patient_id = ${from} AND p.recipient_kind = ANY(${[...kinds]}::text[])`;
  await tx`DELETE FROM notification_preference WHERE patient_id = ${from}`;
}

/** Moves the registered legal representatives of `from` to `to`; one already registered on `to` is kept once. */
export async function moveRepresentatives(tx: Db, from: string, to: string): Promise<number> {
  const moved = await tx<{ patient_id: string }[]>`INSERT INTO legal_representative
    SELECT (jsonb_populate_record(null::legal_representative,
      to_jsonb(r) || jsonb_build_object('patient_id', ${to}::uuid))).*
    FROM legal_representative r WHERE r.patient_id = ${from}
    ON CONFLICT DO NOTHING RETURNING patient_id`;
  await tx`DELETE FROM legal_representative WHERE patient_id = ${from}`;
  return moved.length;
}

/**
 * Every INS that resolved to `from` (its own, a former NIA, those it absorbed: `ins`, records.findLookupKeys) now
 * resolves to `to`. By INS: `ins_index` is distributed by INS on Citus and has no index on `patient_id`.
 */
export async function repointIns(
  tx: Db,
  from: string,
  to: string,
  ins: readonly string[],
): Promise<number> {
  let moved = 0;
  for (const group of await keysByShard(tx, 'ins_index', ins)) {
    const rows = await tx<{ ins: string }[]>`UPDATE ins_index SET patient_id = ${to}
      WHERE ins = ANY(${group}::text[]) AND patient_id = ${from} RETURNING ins`;
    moved += rows.length;
  }
  return moved;
}

/** Closes the absorbed record and names its survivor; the survivor lists it (and what it had absorbed). */
export async function recordMerge(
  tx: Db,
  absorbed: string,
  survivor: string,
  at: Date,
): Promise<void> {
  const [row] = await tx<{ merged_from: string[] }[]>`UPDATE patient_record
    SET status = 'closed', closed_at = ${at}, closure_reason = 'operator-decision',
      closure_comment = 'merged', deletion_requested_at = NULL, merged_into = ${survivor}, merged_at = ${at},
      version = version + 1
    WHERE patient_id = ${absorbed} RETURNING merged_from`;
  const carried = [absorbed, ...(row?.merged_from ?? [])];
  await tx`UPDATE patient_record
    SET merged_from = merged_from || ${carried}::uuid[], version = version + 1
    WHERE patient_id = ${survivor}`;
}

/** The records a survivor absorbed (their chains belong to its history). */
export async function findMergedFrom(db: Db, patientId: string): Promise<string[]> {
  const [row] = await db<{ merged_from: string[] }[]>`SELECT merged_from FROM patient_record
    WHERE patient_id = ${patientId}`;
  return row?.merged_from ?? [];
}

/**
 * The current INS of the record an INS resolves to (its own, or that of the record it was merged into or received
 * as its NIR); undefined when no record answers for it. Two statements: on Citus, a record filtered on a subquery's
 * patient id goes to every shard, the two filtered on constants go to one shard each (citus-rules.md rule 15).
 */
export async function findCurrentIns(db: Db, ins: string): Promise<string | undefined> {
  const [index] = await db<
    { patient_id: string }[]
  >`SELECT patient_id FROM ins_index WHERE ins = ${ins}`;
  if (!index) {
    return undefined;
  }
  const [row] = await db<{ ins: string }[]>`SELECT ins FROM patient_record
    WHERE patient_id = ${index.patient_id}`;
  return row?.ins;
}
