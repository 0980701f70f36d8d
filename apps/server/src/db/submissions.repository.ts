import type { Db } from './client.ts';
import type { ListMetadata } from '../domain/documents/list-model.ts';
import type { SingleUse } from '../services/single-use.ts';

/**
 * Submission sets, folders and their members (list_entry). SQL only. The truth of a List is its `metadata`
 * (domain/documents/list-model.ts) with the typed columns copied from it; `fhir_carried` what a FHIR client sent that
 * the model has no field for; `served` the FHIR List as encoded from them with all its members (a cache: ADR 0029).
 */
export interface ListEncodedColumns {
  metadata: ListMetadata;
  fhir_carried: Record<string, unknown> | null;
  served: string;
}

export interface SubmissionSetRow extends ListEncodedColumns {
  patient_id: string;
  id: string;
  unique_id: string;
  source_id: string | null;
  designation_code: string | null;
  author_ids: string[];
  depositor_kind: string;
  depositor_id: string;
  submitted_at: Date;
}

export interface FolderRow extends ListEncodedColumns {
  patient_id: string;
  id: string;
  unique_id: string;
  codes: string[];
  title: string | null;
  status: 'current' | 'retired';
  version_id: number;
  created_at: Date;
  updated_at: Date;
}

export async function findSubmissionSets(
  db: Db,
  patientId: string,
  limit: number,
): Promise<SubmissionSetRow[]> {
  return db<SubmissionSetRow[]>`SELECT * FROM submission_set WHERE patient_id = ${patientId}
    ORDER BY submitted_at DESC, id DESC LIMIT ${limit}`;
}

export async function findFolders(db: Db, patientId: string, limit: number): Promise<FolderRow[]> {
  return db<FolderRow[]>`SELECT * FROM folder WHERE patient_id = ${patientId}
    ORDER BY updated_at DESC, id DESC LIMIT ${limit}`;
}

export async function findSubmissionSet(
  db: Db,
  patientId: string,
  id: string,
): Promise<SubmissionSetRow | undefined> {
  const [row] = await db<
    SubmissionSetRow[]
  >`SELECT * FROM submission_set WHERE patient_id = ${patientId} AND id = ${id}`;
  return row;
}

export async function findFolder(
  db: Db,
  patientId: string,
  id: string,
): Promise<FolderRow | undefined> {
  const [row] = await db<
    FolderRow[]
  >`SELECT * FROM folder WHERE patient_id = ${patientId} AND id = ${id}`;
  return row;
}

/** The record holding a SubmissionSet or Folder of that uniqueId (unique per record; the first found). */
export async function locateListUniqueId(db: Db, uniqueId: string): Promise<string | undefined> {
  const [row] = await db<{ patient_id: string }[]>`SELECT patient_id FROM submission_set
      WHERE unique_id = ${uniqueId}
    UNION ALL SELECT patient_id FROM folder WHERE unique_id = ${uniqueId} LIMIT 1`;
  return row?.patient_id;
}

/** Members of the given lists, in list order. */
export async function findListEntries(
  db: Db,
  patientId: string,
  listIds: readonly string[],
): Promise<{ list_id: string; document_id: string }[]> {
  if (listIds.length === 0) {
    return [];
  }
  return db<{ list_id: string; document_id: string }[]>`SELECT list_id, document_id FROM list_entry
    WHERE patient_id = ${patientId} AND list_id = ANY(${listIds as string[]}::uuid[]) ORDER BY list_id, position`;
}

// ---------------------------------------------------------------- the write of a whole deposit

/** A row as its table's columns name it (every column: the function fills none). */
type Row = Readonly<Record<string, unknown>>;

/**
 * Everything a deposit writes, for store_submission (migration 0018). bytea values are hex (`\x…`) except the
 * contents' nonce and tag (base64). The documents' ciphertexts and served texts go beside it (`large`).
 */
export interface SubmissionWrite {
  readonly now: string;
  /** The record data key the contents are sealed with: its current one, or `new_key`, inserted here. */
  readonly key_version: number;
  readonly new_key?: Row;
  readonly claims: readonly Row[];
  readonly supersede: readonly { id: string; from_version: number; served: string }[];
  readonly contents: readonly Row[];
  readonly locators: readonly Row[];
  readonly submission_sets: readonly Row[];
  readonly folders: readonly Row[];
  readonly documents: readonly Row[];
  readonly list_entries: readonly Row[];
  /** The traces, as canonical tails (append_record_audit). */
  readonly audit_tails: readonly string[];
  readonly outbox: readonly Row[];
}

/** A refusal store_submission raised: `code` is the domain code, `entityId` the document or List concerned. */
export class SubmissionConflict extends Error {
  readonly code: string;
  readonly entityId: string | undefined;
  constructor(code: string, entityId: string | undefined) {
    super(code);
    this.name = 'SubmissionConflict';
    this.code = code;
    this.entityId = entityId;
  }
}

/** What the write was built on (the record's data key, a replaced version) changed meanwhile: build it again. */
export class StaleSubmission extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StaleSubmission';
  }
}

/** The large pieces of each document, in the order of `contents` (ciphertexts) and of `documents` (served). */
export interface SubmissionPieces {
  readonly ciphertexts: readonly Buffer[];
  readonly served: readonly string[];
}

/**
 * One statement, its own transaction: all of the submission is written, or nothing. The rows go as one jsonb
 * parameter (postgres.js serialises an object by the type PostgreSQL describes: JSON text parsed once, where a
 * json parameter cast to jsonb would be parsed twice), the large pieces as typed arrays (ciphertexts in base64).
 *
 * With `use` (a SOAP request's VIHF single use, ADR 0039; plain PostgreSQL only), the same statement writes it first
 * (use_assertions, migration 0182) and stores the submission only if it was new or already this request's: false
 * when another request holds it (a replay) or its certificate was revoked — nothing is written then. The use commits
 * or rolls back with the deposit.
 */
export async function storeSubmission(
  db: Db,
  patientId: string,
  write: SubmissionWrite,
  large: SubmissionPieces,
  use?: SingleUse,
): Promise<boolean> {
  try {
    // Ciphertexts travel as base64 text decoded by PostgreSQL: postgres.js sends parameters as text, and a bytea
    // goes as hex (2 characters a byte, then escaped again inside an array literal: about 6 bytes of JavaScript
    // strings per stored byte at once); base64 costs 4/3, and one content (ITI-105) goes as a plain parameter,
    // without an array literal around it (docs/operations.md "Input limits and memory").
    const [only, ...more] = large.ciphertexts;
    const call =
      only !== undefined && more.length === 0
        ? db`store_submission(${patientId}::uuid, ${write as never}::jsonb,
            ARRAY[decode(${only.toString('base64')}::text, 'base64')], ${large.served as string[]}::text[])`
        : // Decoded by an immutable function, not a subquery: on Citus the call's arguments must be constants for it
          // to be sent to the record's worker (migration 0186, ADR 0038).
          db`store_submission(${patientId}::uuid, ${write as never}::jsonb,
            opendmp_decode_base64(${large.ciphertexts.map((c) => c.toString('base64'))}::text[]),
            ${large.served as string[]}::text[])`;
    if (use === undefined) {
      await db`SELECT ${call}`;
      return true;
    }
    // The use first (a materialised CTE: its function is volatile); the deposit only for the row it answers.
    const rows = await db`
      WITH used AS (
        SELECT held_key FROM use_assertions(${[use.key]}::text[], ${[use.expiresAt.toISOString()]}::timestamptz[],
          ${[use.certificateId]}::uuid[], ${[use.by]}::uuid[]))
      SELECT ${call} FROM used`;
    return rows.length > 0;
  } catch (e) {
    const pg = e as { code?: string; message?: string; detail?: string };
    if (pg.code === 'ODC01') {
      throw new SubmissionConflict(pg.message ?? '', pg.detail || undefined);
    }
    if (pg.code === 'ODS01') {
      throw new StaleSubmission(pg.message ?? '');
    }
    throw e;
  }
}
