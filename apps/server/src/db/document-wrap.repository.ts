import type { DocumentMetadata } from '../domain/documents/model.ts';
import type { Db } from './client.ts';
import type { ContentRow } from './document-content.repository.ts';

/**
 * The documents stored bare (not a CDA) and the statement that puts a CDA N1 in their place (issue 17 rule 9,
 * services/documents/wrap-bare.ts, ADR 0014). SQL only.
 */
export interface BareDocumentRef {
  readonly patient_id: string;
  readonly id: string;
}

/** The predicate of the partial index document_bare (migration 0050), repeated so that the planner uses it. */
const BARE = `lower(btrim(split_part(mime_type, ';', 1))) NOT IN ('text/xml', 'application/xml', 'application/hl7-v3+xml')
    AND format_code NOT IN ('urn:ihe:iti:dsg:detached:2014', 'http://www.w3.org/2000/09/xmldsig#',
                            '1.2.840.10008.5.1.4.1.1.88.59')`;

/** Up to `limit` bare documents after (patient_id, id) `after`, in that order (a read of the partial index). */
export async function findBareDocuments(
  db: Db,
  limit: number,
  after?: BareDocumentRef,
): Promise<BareDocumentRef[]> {
  return db.unsafe<BareDocumentRef[]>(
    `SELECT patient_id, id FROM document WHERE ${BARE}
      AND (patient_id, id) > ($1::uuid, $2::uuid) ORDER BY patient_id, id LIMIT $3`,
    [
      after?.patient_id ?? '00000000-0000-0000-0000-000000000000',
      after?.id ?? '00000000-0000-0000-0000-000000000000',
      limit,
    ],
  );
}

export interface ContentReplacement {
  /** The version the caller locked and read. */
  readonly fromVersion: number;
  readonly formerContentId: string;
  readonly contentId: string;
  readonly sealed: ContentRow;
  readonly mimeType: string;
  readonly size: number;
  readonly sha1: Buffer;
  readonly metadata: DocumentMetadata;
  /** The FHIR encoding of the new version. */
  readonly served: string;
}

/**
 * One statement: the new content and its Binary locator in, the document row pointed at it as its next version,
 * the former content and locator out (no other row refers to them), the record's documents revision moved.
 * Returns the new version, or undefined when the row moved meanwhile.
 */
export async function replaceDocumentContent(
  db: Db,
  patientId: string,
  id: string,
  r: ContentReplacement,
  at: Date,
): Promise<number | undefined> {
  const [row] = await db<{ version_id: number }[]>`WITH
    content AS (INSERT INTO document_content (patient_id, content_id, key_version, nonce, tag, ciphertext)
      VALUES (${patientId}, ${r.contentId}, ${r.sealed.key_version}, ${r.sealed.nonce}, ${r.sealed.tag},
              ${r.sealed.ciphertext})),
    locator AS (INSERT INTO resource_locator (id, patient_id, kind) VALUES (${r.contentId}, ${patientId}, 'Binary')),
    revision AS (UPDATE patient_record SET documents_revision = documents_revision + 1
      WHERE patient_id = ${patientId}),
    updated AS (UPDATE document SET
        content_id = ${r.contentId}, mime_type = ${r.mimeType}, size = ${r.size}, sha1 = ${r.sha1},
        metadata = ${db.json(r.metadata as never)}, served = ${r.served},
        version_id = version_id + 1, updated_at = ${at}
      WHERE patient_id = ${patientId} AND id = ${id} AND version_id = ${r.fromVersion}
        AND content_id = ${r.formerContentId}
      RETURNING version_id)
    SELECT version_id FROM updated`;
  if (!row) {
    return undefined;
  }
  // The former content, once the row no longer refers to it (a separate statement: the CTE's update is not yet
  // visible to a sibling DELETE's foreign key check).
  await db`DELETE FROM resource_locator WHERE id = ${r.formerContentId} AND patient_id = ${patientId}`;
  await db`DELETE FROM document_content WHERE patient_id = ${patientId} AND content_id = ${r.formerContentId}
    AND NOT EXISTS (SELECT 1 FROM document WHERE patient_id = ${patientId} AND content_id = ${r.formerContentId})`;
  return row.version_id;
}
