import type { DocumentMetadata, DocumentRelation } from '../../domain/documents/model.ts';
import { completeDraft } from '../../domain/documents/model.ts';
import { readDocumentReferenceDraft } from '../../domain/documents/from-document-reference.ts';
import { UUID_SOURCE } from '../../domain/identity/uuid.ts';
import type { Db } from '../../db/client.ts';
import type { DocumentRow } from '../../db/documents.repository.ts';
import type { ReferenceData } from '../../reference/value-sets.ts';
import { encodeEntry } from './encodings.ts';
import { carriedOf, fhirEncodings } from '../../http/fhir/document-resource.ts';

/**
 * The step of migration 0080 (ADR 0020): each document stored before it kept its truth as FHIR JSON (`resource`, the
 * DocumentReference as stored at deposit and changed since). Read once into the neutral truth — the metadata as the
 * registry answered it before (the DocumentReference read back, the server's size and SHA-1, relations by registry
 * id), what a FHIR client sent beside it, the record named by its subject — and its FHIR encoding rewritten from that
 * truth, in the migrations' transaction. The only reader of the former FHIR truth; a row that does not read back
 * stops the migration with its id (no document is served from a truth the service cannot read).
 *
 * The metadata was checked at its deposit: it is read back leniently (a rule added since, e.g. an IdNat_PS for every
 * Practitioner author, does not apply to what is stored); what the model requires must be there.
 */
type Json = Record<string, unknown>;
type FormerRow = Omit<
  DocumentRow,
  'metadata' | 'fhir_carried' | 'subject_patient_id' | 'served'
> & {
  resource: Json;
};

const BATCH = 500;
const DOCUMENT_REFERENCE = new RegExp(`^(?:.*/)?DocumentReference/(${UUID_SOURCE})$`);
const PATIENT_REFERENCE = new RegExp(`^Patient/(${UUID_SOURCE})$`);

function obj(v: unknown): Json | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
}

export function formerTruth(
  row: FormerRow,
  referenceData: ReferenceData,
): Pick<DocumentRow, 'metadata' | 'fhir_carried' | 'subject_patient_id'> {
  const resource = row.resource;
  const subject = obj(resource['subject']);
  const identifier = obj(subject?.['identifier']);
  const system = identifier?.['system'];
  const value = identifier?.['value'];
  const ins =
    typeof system === 'string' && typeof value === 'string'
      ? { oid: system.replace(/^urn:oid:/, ''), value }
      : undefined;
  const { draft } = readDocumentReferenceDraft(
    { ...resource, resourceType: 'DocumentReference', id: row.id },
    referenceData,
    { requireCurrent: false, resolvePatientReference: () => ins },
  );
  const complete = completeDraft(draft);
  if (!complete.ok) {
    throw new Error(
      `migration 0080: stored document ${row.id} does not read back (${complete.error.map((i) => i.code).join(', ')})`,
    );
  }
  const { contentUrl: _url, archived: _archived, relatesTo, ...read } = complete.value;
  const metadata: DocumentMetadata = {
    ...read,
    size: row.size,
    hash: row.sha1.toString('hex'),
    relatesTo: relatesTo.flatMap((r): DocumentRelation[] => {
      const targetId = DOCUMENT_REFERENCE.exec(r.target ?? '')?.[1];
      return targetId ? [{ code: r.code, targetId }] : [];
    }),
  };
  const reference = subject?.['reference'];
  const named = PATIENT_REFERENCE.exec(typeof reference === 'string' ? reference : '')?.[1];
  return {
    metadata,
    fhir_carried: carriedOf(resource),
    subject_patient_id: named !== undefined && named !== row.patient_id ? named : null,
  };
}

/** Fills the truth and rewrites the FHIR encoding of every row migration 0080 left without it. */
export async function upgradeDocumentTruth(tx: Db, reference: ReferenceData): Promise<number> {
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
        ...formerTruth(row, reference),
      };
      const { served } = encodeEntry(fhirEncodings, truth);
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
