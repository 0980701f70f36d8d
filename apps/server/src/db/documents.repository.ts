import type { Caches } from '../caches.ts';
import type { DocumentMetadata } from '../domain/documents/model.ts';
import type postgres from 'postgres';
import type { Db } from './client.ts';
import type { ContentPartRow, ContentRow } from './document-content.repository.ts';
import { singleNode } from './engine.ts';
import {
  CONTENT_PART_COLUMNS,
  CONTENT_PARTS,
  ContentAssembly,
} from './document-content.repository.ts';

/** Document metadata rows (table `document`) and the id lookups. SQL only; every query filters on patient_id. */
export type StoredStatus = 'current' | 'superseded' | 'deleted';

/** What access decisions and search paging need (no resource JSON). */
export interface DocumentFactsRow {
  /** The document's logicalId (its first version's entryUUID): relations, lists and traces name it by this. */
  id: string;
  /**
   * The current metadata version's entryUUID (FHIR DocumentReference.id, ebRIM ExtrinsicObject id); `id` at the first
   * version. ADR 0021.
   */
  entry_uuid: string;
  version_id: number;
  status: StoredStatus;
  archived: boolean;
  type_code: string;
  class_code: string;
  confidentiality: string[];
  author_ids: string[];
  author_structures: string[];
  depositor_kind: 'professional' | 'patient' | 'representative' | 'operator' | 'software';
  depositor_id: string;
  deposited_at: Date;
}

export interface DocumentRow extends DocumentFactsRow {
  patient_id: string;
  /** XDS `version` of the metadata: 1, then + 1 per metadata update (a new entryUUID each). */
  entry_version: number;
  unique_id: string;
  lineage_id: string;
  replaces_id: string | null;
  format_code: string;
  facility_code: string;
  setting_code: string;
  event_codes: string[];
  related_ids: string[];
  depositor_structure: string | null;
  submission_set_id: string;
  doc_date: Date | null;
  creation_time: Date | null;
  service_start: Date | null;
  service_stop: Date | null;
  updated_at: Date;
  content_id: string;
  mime_type: string;
  size: number;
  sha1: Buffer;
  /**
   * The record the document was deposited in, when a record merge moved it to another one (ADR 0016: its FHIR
   * subject still names it); null otherwise.
   */
  subject_patient_id: string | null;
  /** The neutral metadata, the record of truth with the typed columns (ADR 0020, docs/registry-model.md). */
  metadata: DocumentMetadata;
  /** What a FHIR client sent that the neutral model has no field for (FHIR encoding only), or null. */
  fhir_carried: FhirCarried | null;
  /** The FHIR encoding of this version (a cache rebuilt from the truth: http/fhir/document-resource.ts). */
  served: string;
}

/** JSON kept as a FHIR client sent it: its own extensions and context.related (http/fhir/document-resource.ts `carriedOf`). */
export interface FhirCarried {
  readonly extension?: readonly unknown[];
  readonly related?: readonly unknown[];
}

const FACTS = `id, version_id, status, archived, type_code, class_code, confidentiality, author_ids, author_structures,
  depositor_kind, depositor_id, deposited_at, entry_uuid`;
const TRUTH = `patient_id, ${FACTS}, entry_version, unique_id, lineage_id, replaces_id, format_code, facility_code, setting_code,
  event_codes, related_ids, depositor_structure, submission_set_id, doc_date, creation_time, service_start,
  service_stop, updated_at, content_id, mime_type, size::float8 AS size, sha1, subject_patient_id, metadata, fhir_carried`;
const ALL = `${TRUTH}, served`;

export type NewDocument = Omit<DocumentRow, 'version_id' | 'updated_at'>;

// ---------------------------------------------------------------- lookups keyed by id / uniqueId

export type LocatorKind = 'DocumentReference' | 'Binary' | 'List';

/**
 * The record holding the resource of that kind and id, through `caches.locators`: an id belongs to one record (ids
 * are never reused) until a merge moves it to the survivor (`relocate`); once its record is purged, the record's own
 * rows are gone and the caller answers 404 as it would without it. Only found locators are kept.
 */
export async function locate(
  db: Db,
  caches: Pick<Caches, 'locators'>,
  id: string,
  kind: LocatorKind,
): Promise<string | undefined> {
  const cache = caches.locators;
  const key = `${kind}/${id}`;
  const known = cache.get(key);
  if (known) {
    return known;
  }
  const [row] = await db<{ patient_id: string }[]>`SELECT patient_id FROM resource_locator
    WHERE id = ${id} AND kind = ${kind}`;
  if (row) {
    cache.set(key, row.patient_id);
  }
  return row?.patient_id;
}

/**
 * The record holding a content (ITI-68), as {@link locate} finds it; when its locator is not remembered and the
 * database is a single PostgreSQL, with everything the retrieval reads of it, in the same statement
 * ({@link findRetrieval}).
 */
export async function locateContent(
  db: Db,
  caches: Pick<Caches, 'locators'>,
  contentId: string,
): Promise<{ readonly patientId: string; readonly read?: RetrievalRead } | undefined> {
  const key = `Binary/${contentId}`;
  const known = caches.locators.get(key);
  if (known) {
    return { patientId: known };
  }
  if (!(await singleNode(db))) {
    const patientId = await locate(db, caches, contentId, 'Binary');
    return patientId ? { patientId } : undefined;
  }
  const read = await findRetrieval(db, contentId);
  if (read) {
    caches.locators.set(key, read.patientId);
  }
  return read ? { patientId: read.patientId, read } : undefined;
}

/**
 * The record holding the resource, read again from the database: a merge moves an absorbed record's resources to
 * the survivor (issue 17 rule 11, ADR 0016), so a remembered locator that finds nothing is looked up once more.
 */
export async function relocate(
  db: Db,
  caches: Pick<Caches, 'locators'>,
  id: string,
  kind: LocatorKind,
): Promise<string | undefined> {
  caches.locators.delete(`${kind}/${id}`);
  return locate(db, caches, id, kind);
}

/** Whether a UUID is already a server id (a document's logicalId or entryUUID, a content's, a List's). */
export async function isKnownId(db: Db, id: string): Promise<boolean> {
  const [row] = await db<{ one: number }[]>`SELECT 1 AS one FROM resource_locator WHERE id = ${id}`;
  return row !== undefined;
}

/** The document holding a producer's uniqueId, whatever its record (the lookup is unique DMP-wide). */
export async function locateUniqueId(db: Db, uniqueId: string): Promise<string | undefined> {
  const [row] = await db<{ document_id: string }[]>`SELECT document_id FROM document_unique_id
    WHERE unique_id = ${uniqueId}`;
  return row?.document_id;
}

// ---------------------------------------------------------------- documents

/** Ids of the record's documents whose referenceIdList (related_ids) holds one of these values. */
export async function findDocumentIdsByRelated(
  db: Db,
  patientId: string,
  values: readonly string[],
): Promise<string[]> {
  const rows = await db<{ id: string }[]>`SELECT id FROM document
    WHERE patient_id = ${patientId} AND related_ids && ${values as string[]}::text[]`;
  return rows.map((r) => r.id);
}

export async function insertDocument(db: Db, d: NewDocument): Promise<void> {
  await db`WITH revision AS (UPDATE patient_record SET documents_revision = documents_revision + 1
      WHERE patient_id = ${d.patient_id})
    INSERT INTO document (patient_id, id, version_id, unique_id, lineage_id, replaces_id, status, archived,
      type_code, class_code, format_code, facility_code, setting_code, confidentiality, event_codes, related_ids,
      author_ids, author_structures, depositor_kind, depositor_id, depositor_structure, submission_set_id,
      doc_date, creation_time, service_start, service_stop, deposited_at, updated_at, content_id, mime_type, size,
      sha1, metadata, fhir_carried, served)
    VALUES (${d.patient_id}, ${d.id}, 1, ${d.unique_id}, ${d.lineage_id}, ${d.replaces_id}, ${d.status},
      ${d.archived}, ${d.type_code}, ${d.class_code}, ${d.format_code}, ${d.facility_code}, ${d.setting_code},
      ${d.confidentiality}, ${d.event_codes}, ${d.related_ids}, ${d.author_ids}, ${d.author_structures},
      ${d.depositor_kind}, ${d.depositor_id}, ${d.depositor_structure}, ${d.submission_set_id}, ${d.doc_date},
      ${d.creation_time}, ${d.service_start}, ${d.service_stop}, ${d.deposited_at}, ${d.deposited_at},
      ${d.content_id}, ${d.mime_type}, ${d.size}, ${d.sha1}, ${db.json(d.metadata as never)},
      ${d.fhir_carried === null ? null : db.json(d.fhir_carried as never)}, ${d.served})`;
}

export async function findDocument(
  db: Db,
  patientId: string,
  id: string,
): Promise<DocumentRow | undefined> {
  const [row] = await db.unsafe<DocumentRow[]>(
    `SELECT ${ALL} FROM document WHERE patient_id = $1 AND id = $2`,
    [patientId, id],
    { prepare: true },
  );
  return row;
}

/** Documents of one record by id, in no order (one statement). */
export async function findDocuments(
  db: Db,
  patientId: string,
  ids: readonly string[],
): Promise<Omit<DocumentRow, 'served'>[]> {
  if (ids.length === 0) {
    return [];
  }
  // The truth only: the neutral find encodes it its own way (no FHIR text read for it).
  return db.unsafe<Omit<DocumentRow, 'served'>[]>(
    `SELECT ${TRUTH} FROM document WHERE patient_id = $1 AND id = ANY($2::uuid[])`,
    [patientId, ids as string[]],
    { prepare: true },
  );
}

export async function lockDocument(
  db: Db,
  patientId: string,
  id: string,
): Promise<DocumentRow | undefined> {
  const [row] = await db.unsafe<DocumentRow[]>(
    `SELECT ${ALL} FROM document WHERE patient_id = $1 AND id = $2 FOR UPDATE`,
    [patientId, id],
    { prepare: true },
  );
  return row;
}

export async function findDocumentByUniqueId(
  db: Db,
  patientId: string,
  uniqueId: string,
): Promise<DocumentRow | undefined> {
  const [row] = await db.unsafe<DocumentRow[]>(
    `SELECT ${ALL} FROM document WHERE patient_id = $1 AND unique_id = $2`,
    [patientId, uniqueId],
    { prepare: true },
  );
  return row;
}

/**
 * The document named by any of its ids: its logicalId (`id`), its current entryUUID, or the entryUUID of one of its
 * earlier metadata versions (ADR 0021) — the current version either way.
 */
export async function findDocumentByAnyId(
  db: Db,
  patientId: string,
  anyId: string,
): Promise<DocumentRow | undefined> {
  const [row] = await db.unsafe<DocumentRow[]>(
    `SELECT ${ALL} FROM document WHERE patient_id = $1 AND (id = $2 OR entry_uuid = $2 OR id = (
      SELECT document_id FROM document_past_entry WHERE patient_id = $1 AND entry_uuid = $2))`,
    [patientId, anyId],
    { prepare: true },
  );
  return row;
}

/** What retrieval (ITI-68) needs of a document: the access facts and the content's description, no resource. */
export interface ContentFactsRow extends DocumentFactsRow {
  content_id: string;
  mime_type: string;
  sha1: Buffer;
}

export async function findContentFacts(
  db: Db,
  patientId: string,
  contentId: string,
): Promise<ContentFactsRow | undefined> {
  const [row] = await db.unsafe<ContentFactsRow[]>(
    `SELECT ${FACTS}, content_id, mime_type, sha1 FROM document WHERE patient_id = $1 AND content_id = $2`,
    [patientId, contentId],
    { prepare: true },
  );
  return row;
}

/** What a retrieval reads of a content it knows only by id ({@link findRetrieval}). */
export interface RetrievalRead {
  /** The record holding the content (its locator). */
  readonly patientId: string;
  /** The record's documents revision, read in the same snapshot as the facts. */
  readonly revision: string;
  readonly facts: ContentFactsRow;
  /** The sealed content, undefined when its row is missing. */
  readonly content: ContentRow | undefined;
}

type RetrievalRow = ContentFactsRow &
  Partial<ContentPartRow> & { patient_id: string; revision: string };

/**
 * A retrieval's reads of a content known only by its id, in one statement and one snapshot: its locator, its
 * record's documents revision, its document's facts and its sealed content (in parts, as findContent reads it).
 * Single PostgreSQL only (db/engine.ts): on Citus a locator and its record's rows are on different shards as far as
 * the planner knows, and the retrieval reads them one after the other. The reads of a retrieval at random over
 * many documents went from three round trips to one (session 13, docs/benchmarks.md): on this machine kind a round
 * trip's wake-ups of the two processes cost more CPU than the statements themselves.
 */
export async function findRetrieval(db: Db, contentId: string): Promise<RetrievalRead | undefined> {
  return retrievalRead(
    db.unsafe<RetrievalRow[]>(
      `WITH f AS (
         SELECT patient_id, ${FACTS}, content_id, mime_type, sha1 FROM document
          WHERE patient_id = (SELECT patient_id FROM resource_locator WHERE id = $1 AND kind = 'Binary')
            AND content_id = $1)
       SELECT f.*, (SELECT documents_revision FROM patient_record r WHERE r.patient_id = f.patient_id) AS revision,
         ${CONTENT_PART_COLUMNS}
       FROM f LEFT JOIN document_content c ON c.patient_id = f.patient_id AND c.content_id = f.content_id
       ${CONTENT_PARTS}
       ORDER BY p.at`,
      [contentId],
      { prepare: true },
    ),
    contentId,
  );
}

/**
 * The same reads as {@link findRetrieval} for a content whose record is known (its locator remembered, or read apart
 * on Citus, where a locator lives on another shard than its record): the record's documents revision, the
 * document's facts and the sealed content in one statement, one shard (every condition on the parameter $1,
 * citus-rules.md rule 13), instead of the facts and the content in two (docs/benchmarks.md "Sixteenth session").
 */
export async function findRetrievalOf(
  db: Db,
  patientId: string,
  contentId: string,
): Promise<RetrievalRead | undefined> {
  return retrievalRead(
    db.unsafe<RetrievalRow[]>(
      `WITH f AS (
         SELECT patient_id, ${FACTS}, content_id, mime_type, sha1 FROM document
          WHERE patient_id = $1 AND content_id = $2)
       SELECT f.*, (SELECT documents_revision FROM patient_record r WHERE r.patient_id = $1) AS revision,
         ${CONTENT_PART_COLUMNS}
       FROM f LEFT JOIN document_content c ON c.patient_id = $1 AND c.content_id = f.content_id
       ${CONTENT_PARTS}
       ORDER BY p.at`,
      [patientId, contentId],
      { prepare: true },
    ),
    contentId,
  );
}

/** A retrieval's rows (facts and revision on each, the content in parts) as one read. */
async function retrievalRead(
  rows: postgres.PendingQuery<RetrievalRow[]>,
  contentId: string,
): Promise<RetrievalRead | undefined> {
  let read: { patientId: string; revision: string; facts: ContentFactsRow } | undefined;
  const assembly = new ContentAssembly(contentId);
  await rows.forEach((r) => {
    if (!read) {
      const {
        patient_id: patientId,
        revision,
        key_version: _keyVersion,
        nonce: _nonce,
        tag: _tag,
        size: _size,
        at: _at,
        part: _part,
        ...facts
      } = r;
      read = { patientId, revision, facts };
    }
    if (r.key_version !== null && r.key_version !== undefined) {
      assembly.add(r as ContentPartRow);
    }
  });
  return read ? { ...read, content: assembly.done() } : undefined;
}

/** The cached FHIR text of a document version (column `served`), as ITI-67 serves it. */
export interface ServedDocumentText {
  id: string;
  /** The FHIR id (the current entryUUID). */
  entry_uuid: string;
  served: string;
  version_id: number;
}

export async function findServedDocumentTexts(
  db: Db,
  patientId: string,
  ids: readonly string[],
): Promise<ServedDocumentText[]> {
  if (ids.length === 0) {
    return [];
  }
  return db.unsafe<ServedDocumentText[]>(
    `SELECT id, entry_uuid, served, version_id FROM document WHERE patient_id = $1 AND id = ANY($2::uuid[])`,
    [patientId, ids as string[]],
    { prepare: true },
  );
}

/** A metadata change: a new version of the same entry (same id, version_id + 1). */
export interface DocumentFieldsChange {
  status?: StoredStatus;
  archived?: boolean;
  confidentiality?: string[];
  metadata?: DocumentMetadata;
  /** A metadata update's new entryUUID and version (ADR 0021); a status change keeps them. */
  entry_uuid?: string;
  entry_version?: number;
}

export interface DocumentChange extends DocumentFieldsChange {
  /** The version the change applies to (the caller holds the row's lock). */
  fromVersion: number;
  /** The FHIR encoding of the new version (column `served`). */
  served: string;
}

export async function updateDocument(
  db: Db,
  patientId: string,
  id: string,
  change: DocumentChange,
  at: Date,
): Promise<number> {
  const entry = change.entry_uuid ?? null;
  if (entry !== null) {
    // A metadata update (ADR 0021): the version it supersedes keeps naming the document, and its new entryUUID is
    // located like every server id (statements of their own: resource_locator is distributed by id).
    await db`INSERT INTO document_past_entry (patient_id, entry_uuid, document_id, entry_version, superseded_at)
      SELECT patient_id, entry_uuid, id, entry_version, ${at} FROM document
      WHERE patient_id = ${patientId} AND id = ${id} AND version_id = ${change.fromVersion}`;
    await db`INSERT INTO resource_locator (id, patient_id, kind) VALUES (${entry}, ${patientId}, 'DocumentReference')`;
  }
  const [row] = await db<{ version_id: number }[]>`WITH revision AS (UPDATE patient_record
      SET documents_revision = documents_revision + 1 WHERE patient_id = ${patientId})
    UPDATE document SET
      entry_uuid = COALESCE(${entry}::uuid, entry_uuid),
      entry_version = COALESCE(${change.entry_version ?? null}::integer, entry_version),
      status = COALESCE(${change.status ?? null}, status),
      archived = COALESCE(${change.archived ?? null}, archived),
      confidentiality = COALESCE(${change.confidentiality ?? null}::text[], confidentiality),
      metadata = COALESCE(${change.metadata ? db.json(change.metadata as never) : null}::jsonb, metadata),
      served = ${change.served},
      version_id = version_id + 1,
      updated_at = ${at}
    WHERE patient_id = ${patientId} AND id = ${id} AND version_id = ${change.fromVersion}
    RETURNING version_id`;
  if (!row) {
    throw new Error('document vanished or changed during update');
  }
  return row.version_id;
}

// ---------------------------------------------------------------- search (ITI-67)

/** One date bound on a column: `op` is a SQL comparison, `at` the bound. */
export interface DateBound {
  readonly column:
    'doc_date' | 'creation_time' | 'service_start' | 'service_stop' | 'service_end_or_start';
  readonly op: '>=' | '<';
  readonly at: Date;
}

/** Filters the database applies (each list is an OR of values; the lists are ANDed). */
export interface DocumentFilter {
  readonly statuses: readonly StoredStatus[];
  readonly archived?: boolean;
  readonly typeCodes?: readonly string[];
  readonly classCodes?: readonly string[];
  readonly settingCodes?: readonly string[];
  readonly facilityCodes?: readonly string[];
  readonly formatCodes?: readonly string[];
  readonly eventCodes?: readonly string[];
  readonly securityLabels?: readonly string[];
  readonly authorIds?: readonly string[];
  /**
   * XDS authorPerson values (ITI-18 `$XDSDocumentEntryAuthorPerson`, domain/documents/author-person.ts): a document
   * matches when one of its authors matches one of them. Not SQL: services/documents/search.ts applies it to the rows
   * the other filters found ({@link findDocumentAuthors}).
   */
  readonly authorPersons?: readonly string[];
  /** uniqueId (masterIdentifier) or server id (entryUUID): either matches. */
  readonly identifiers?: { readonly uniqueIds: readonly string[]; readonly ids: readonly string[] };
  readonly relatedIds?: readonly string[];
  readonly replacesIds?: readonly string[];
  readonly dates: readonly DateBound[];
}

const DATE_EXPR: Record<DateBound['column'], string> = {
  doc_date: 'doc_date',
  creation_time: 'creation_time',
  service_start: 'service_start',
  service_stop: 'service_stop',
  service_end_or_start: 'COALESCE(service_stop, service_start)',
};

/**
 * The access facts of one patient's documents matching `filter`, newest first (deposited_at DESC, id DESC): an
 * index range scan on document_newest. Deleted documents are never returned.
 */
export async function searchDocumentFacts(
  db: Db,
  patientId: string,
  filter: DocumentFilter,
  limit: number,
): Promise<DocumentFactsRow[]> {
  const where: string[] = ['patient_id = $1', "status <> 'deleted'"];
  const params: unknown[] = [patientId];
  const bind = (value: unknown): string => {
    params.push(value);
    return `$${String(params.length)}`;
  };
  const anyOf = (column: string, values: readonly string[] | undefined, cast = 'text[]'): void => {
    if (values !== undefined) {
      where.push(`${column} = ANY(${bind(values)}::${cast})`);
    }
  };
  const overlaps = (column: string, values: readonly string[] | undefined): void => {
    if (values !== undefined) {
      where.push(`${column} && ${bind(values)}::text[]`);
    }
  };
  where.push(`status = ANY(${bind(filter.statuses)}::text[])`);
  if (filter.archived !== undefined) {
    where.push(`archived = ${bind(filter.archived)}`);
  }
  anyOf('type_code', filter.typeCodes);
  anyOf('class_code', filter.classCodes);
  anyOf('setting_code', filter.settingCodes);
  anyOf('facility_code', filter.facilityCodes);
  anyOf('format_code', filter.formatCodes);
  if (filter.identifiers !== undefined) {
    const ids = bind(filter.identifiers.ids);
    where.push(
      `(unique_id = ANY(${bind(filter.identifiers.uniqueIds)}::text[]) OR id = ANY(${ids}::uuid[]) OR entry_uuid = ANY(${ids}::uuid[]))`,
    );
  }
  anyOf('replaces_id', filter.replacesIds, 'uuid[]');
  overlaps('event_codes', filter.eventCodes);
  overlaps('confidentiality', filter.securityLabels);
  overlaps('author_ids', filter.authorIds);
  overlaps('related_ids', filter.relatedIds);
  for (const d of filter.dates) {
    const expr = DATE_EXPR[d.column];
    where.push(`${expr} ${d.op} ${bind(d.at)}`);
  }
  // One JSON text for all rows, each row a positional array (FACTS order): one native JSON.parse instead of
  // decoding a few thousand fields one by one, and no member names for PostgreSQL to write.
  const sqlText = `SELECT COALESCE(json_agg(json_build_array(${FACTS})), '[]'::json)::text AS facts FROM (
    SELECT ${FACTS} FROM document WHERE ${where.join(' AND ')}
    ORDER BY deposited_at DESC, id DESC LIMIT ${bind(limit)}) f`;
  const [row] = await db.unsafe<{ facts: string }[]>(sqlText, params as never[], { prepare: true });
  const rows = JSON.parse(row?.facts ?? '[]') as FactsTuple[];
  return rows.map((r) => ({
    id: r[0],
    version_id: r[1],
    status: r[2],
    archived: r[3],
    type_code: r[4],
    class_code: r[5],
    confidentiality: r[6],
    author_ids: r[7],
    author_structures: r[8],
    depositor_kind: r[9],
    depositor_id: r[10],
    deposited_at: new Date(r[11]),
    entry_uuid: r[12],
  }));
}

/** A row of FACTS as json_build_array writes it. */
type FactsTuple = [
  string,
  number,
  StoredStatus,
  boolean,
  string,
  string,
  string[],
  string[],
  string[],
  DocumentFactsRow['depositor_kind'],
  string,
  string,
  string,
];

/** Facts of the given documents (submission set / folder members). */
export async function findDocumentFacts(
  db: Db,
  patientId: string,
  ids: readonly string[],
): Promise<DocumentFactsRow[]> {
  if (ids.length === 0) {
    return [];
  }
  return db.unsafe<DocumentFactsRow[]>(
    `SELECT ${FACTS} FROM document WHERE patient_id = $1 AND id = ANY($2::uuid[])`,
    [patientId, ids as string[]],
    { prepare: true },
  );
}

/** What the registry's queries (ITI-18 beyond FindDocuments) need of a document: facts, ids and relations. */
export interface RegistryFactsRow extends DocumentFactsRow {
  unique_id: string;
  replaces_id: string | null;
  submission_set_id: string;
  format_code: string;
}

/** The authors of some of a record's documents (their neutral metadata's), by document id. */
export async function findDocumentAuthors(
  db: Db,
  patientId: string,
  ids: readonly string[],
): Promise<{ id: string; authors: DocumentMetadata['authors'] | null }[]> {
  return db.unsafe<{ id: string; authors: DocumentMetadata['authors'] | null }[]>(
    `SELECT id, metadata->'authors' AS authors FROM document WHERE patient_id = $1 AND id = ANY($2::uuid[])`,
    [patientId, ids as string[]],
    { prepare: true },
  );
}

/** The registry facts of a record's documents that are not deleted, newest first (at most `limit`). */
export async function findRegistryFacts(
  db: Db,
  patientId: string,
  limit: number,
): Promise<RegistryFactsRow[]> {
  return db.unsafe<RegistryFactsRow[]>(
    `SELECT ${FACTS}, unique_id, replaces_id, submission_set_id, format_code FROM document
    WHERE patient_id = $1 AND status <> 'deleted' ORDER BY deposited_at DESC, id DESC LIMIT $2`,
    [patientId, limit],
    { prepare: true },
  );
}

/**
 * The relations other than replacement (transforms, appends, signs) of a record's documents that are not deleted, as
 * their neutral metadata keeps them (`relatesTo`, the target by its logicalId): the registry's XFRM, APND and signs
 * associations. A replacement is the `replaces_id` column.
 */
export async function findRelations(
  db: Db,
  patientId: string,
): Promise<{ source_id: string; code: 'transforms' | 'appends' | 'signs'; target_id: string }[]> {
  return db.unsafe(
    `SELECT d.id AS source_id, r->>'code' AS code, r->>'targetId' AS target_id
    FROM document d CROSS JOIN LATERAL jsonb_array_elements(
      CASE WHEN jsonb_typeof(d.metadata->'relatesTo') = 'array' THEN d.metadata->'relatesTo' ELSE '[]'::jsonb END) r
    WHERE d.patient_id = $1 AND d.status <> 'deleted'
      AND r->>'code' IN ('transforms', 'appends', 'signs') AND r->>'targetId' IS NOT NULL`,
    [patientId],
    { prepare: true },
  );
}

/** The entryUUIDs of earlier metadata versions of a record's documents, each with its document's logicalId. */
export async function findPastEntries(
  db: Db,
  patientId: string,
): Promise<{ entry_uuid: string; document_id: string }[]> {
  return db<{ entry_uuid: string; document_id: string }[]>`SELECT entry_uuid, document_id
    FROM document_past_entry WHERE patient_id = ${patientId}`;
}

export async function countDocuments(db: Db, patientId: string): Promise<number> {
  const [row] = await db<
    { n: number }[]
  >`SELECT count(*)::int AS n FROM document WHERE patient_id = ${patientId}`;
  return row?.n ?? 0;
}
