import type { Db } from '../../db/client.ts';
import type { DocumentRow } from '../../db/documents.repository.ts';
import type {
  FolderRow,
  ListEncodedColumns,
  SubmissionSetRow,
} from '../../db/submissions.repository.ts';
import type { ListMetadata } from '../../domain/documents/list-model.ts';
import type { RegistryEncodings } from './encodings.ts';
import { encodeEntry, listTruth } from './encodings.ts';

/**
 * The step of migration 0080 (ADR 0020): each document stored before it kept its truth as FHIR JSON (`resource`, the
 * DocumentReference as stored at deposit and changed since). Read once into the neutral truth by the FHIR adapter's
 * reader (`read`: http/fhir/former-truth.ts, wired by src/migration-steps.ts) and its encodings rewritten from that
 * truth (`encodings`), in the migrations' transaction. A row that does not read back stops the migration with its
 * id (no document is served from a truth the service cannot read).
 */
type Json = Record<string, unknown>;

/** A row as migration 0080 finds it: the former truth, opaque here, in `resource`. */
export type FormerRow = Omit<
  DocumentRow,
  'metadata' | 'fhir_carried' | 'subject_patient_id' | 'served'
> & {
  resource: Json;
};

/** The neutral truth of a former row, as its interface reads it. */
export type FormerTruthReader = (
  row: FormerRow,
) => Pick<DocumentRow, 'metadata' | 'fhir_carried' | 'subject_patient_id'>;

const BATCH = 500;

/** Fills the truth and rewrites the FHIR encoding of every row migration 0080 left without it. */
export async function upgradeDocumentTruth(
  tx: Db,
  read: FormerTruthReader,
  encodings: RegistryEncodings,
): Promise<number> {
  let done = 0;
  for (;;) {
    const rows = await tx.unsafe<FormerRow[]>(
      `SELECT patient_id, id, version_id, status, archived, type_code, class_code, confidentiality, author_ids,
        author_structures, depositor_kind, depositor_id, deposited_at, unique_id, lineage_id, replaces_id,
        format_code, facility_code, setting_code, event_codes, related_ids, depositor_structure, submission_set_id,
        doc_date, creation_time, service_start, service_stop, updated_at, content_id, mime_type,
        size::float8 AS size, sha1, resource
      FROM document WHERE metadata IS NULL ORDER BY patient_id, id LIMIT ${String(BATCH)}`,
    );
    for (const row of rows) {
      const { resource: _former, ...columns } = row;
      // Every row so far is its first metadata version (migration 0082 adds these columns so).
      const truth = {
        ...columns,
        entry_uuid: row.id,
        entry_version: 1,
        ...read(row),
      };
      const { served } = encodeEntry(encodings, truth);
      await tx`UPDATE document SET metadata = ${tx.json(truth.metadata as never)},
          fhir_carried = ${truth.fhir_carried === null ? null : tx.json(truth.fhir_carried as never)},
          subject_patient_id = ${truth.subject_patient_id}, served = ${served}
        WHERE patient_id = ${row.patient_id} AND id = ${row.id}`;
    }
    done += rows.length;
    if (rows.length < BATCH) {
      return done;
    }
  }
}

/**
 * A SubmissionSet or Folder row as migration 0150 finds it: its typed columns, and its former truth, the FHIR List
 * as stored at deposit (opaque here), in `resource` (ADR 0029).
 */
export type FormerListRow = (
  | ({ readonly kind: 'submissionSet' } & Omit<SubmissionSetRow, keyof ListEncodedColumns>)
  | ({ readonly kind: 'folder' } & Omit<FolderRow, keyof ListEncodedColumns>)
) & { readonly resource: Json };

/** The neutral truth of a former List row, as its interface reads it. */
export type FormerListReader = (row: FormerListRow) => {
  readonly metadata: ListMetadata;
  readonly fhir_carried: Json | null;
};

/**
 * The step of migration 0150: fills the neutral truth of every SubmissionSet and Folder left without it, read from
 * its former FHIR truth by the FHIR adapter (`read`), and caches its encoding (`encodings.list`, all its members in
 * list order), in the migrations' transaction. Returns the number of Lists upgraded.
 */
export async function upgradeListTruth(
  tx: Db,
  read: FormerListReader,
  encodings: RegistryEncodings,
): Promise<number> {
  let done = 0;
  for (const kind of ['submissionSet', 'folder'] as const) {
    const table = kind === 'folder' ? 'folder' : 'submission_set';
    for (;;) {
      const rows = await tx.unsafe<Record<string, unknown>[]>(
        `SELECT * FROM ${table} WHERE metadata IS NULL ORDER BY patient_id, id LIMIT ${String(BATCH)}`,
      );
      for (const raw of rows) {
        const {
          metadata: _m,
          fhir_carried: _c,
          served: _s,
          ...columns
        } = raw as unknown as FormerListRow & Partial<ListEncodedColumns>;
        const row = { ...columns, kind } as FormerListRow;
        const { metadata, fhir_carried } = read(row);
        const members = await tx<{ document_id: string }[]>`SELECT document_id FROM list_entry
          WHERE patient_id = ${row.patient_id} AND list_id = ${row.id} ORDER BY position`;
        const truth = listTruth(
          { ...(row as unknown as SubmissionSetRow & FolderRow), metadata, fhir_carried },
          kind,
        );
        const served = encodings.list(
          truth,
          members.map((m) => m.document_id),
        );
        await tx`UPDATE ${tx(table)} SET metadata = ${tx.json(metadata as never)},
            fhir_carried = ${fhir_carried === null ? null : tx.json(fhir_carried as never)}, served = ${served}
          WHERE patient_id = ${row.patient_id} AND id = ${row.id}`;
      }
      done += rows.length;
      if (rows.length < BATCH) {
        break;
      }
    }
  }
  return done;
}
