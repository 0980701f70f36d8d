import type { DocumentMetadata, DocumentRelation } from '../../domain/documents/model.ts';
import { completeDraft } from '../../domain/documents/model.ts';
import { readDocumentReferenceDraft } from './from-document-reference.ts';
import { UUID_SOURCE } from '../../domain/identity/uuid.ts';
import type { DocumentRow } from '../../db/documents.repository.ts';
import type { ReferenceData } from '../../reference/value-sets.ts';
import type { FormerListRow, FormerRow } from '../../services/documents/truth-upgrade.ts';
import type { ListMetadata } from '../../domain/documents/list-model.ts';
import { nonEmptyString } from '../../domain/json.ts';
import { carriedOf } from './document-resource.ts';
import { listComments } from './list-reading.ts';
import { listCarried } from './list-resource.ts';

/**
 * The FHIR adapter's reading of the former truth for the step of migration 0080 (ADR 0020,
 * services/documents/truth-upgrade.ts): a document stored before it kept its truth as the FHIR DocumentReference
 * (`resource`), read once into the neutral truth — the metadata as the registry answered it before (the
 * DocumentReference read back, the server's size and SHA-1, relations by registry id), what a FHIR client sent beside
 * it, the record named by its subject. A row that does not read back stops the migration with its id.
 *
 * The metadata was checked at its deposit: it is read back leniently (a rule added since, e.g. an IdNat_PS for every
 * Practitioner author, does not apply to what is stored); what the model requires must be there.
 */
type Json = Record<string, unknown>;

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

/**
 * The FHIR adapter's reading of a List stored before migration 0150 (ADR 0029): its former truth was the FHIR List
 * as stored at deposit (`resource`: the client's List with server references, or the one the server made), its
 * typed columns the neutral fields the registry searched on. The neutral metadata is read from both (the columns
 * where they hold the field: uniqueId, sourceId, contentTypeCode, authors, a Folder's codes and status), and what the
 * List has beyond it is carried for the FHIR encoding, so that the List served is the one served before.
 */
export function formerListTruth(row: FormerListRow): {
  metadata: ListMetadata;
  fhir_carried: Json | null;
} {
  const resource = row.resource;
  const reference = obj(resource['subject'])?.['reference'];
  const subject = PATIENT_REFERENCE.exec(typeof reference === 'string' ? reference : '')?.[1];
  const title = nonEmptyString(resource['title']);
  const comments = listComments(resource);
  const date = nonEmptyString(resource['date']);
  const common = {
    uniqueId: row.unique_id,
    patientId: subject ?? row.patient_id,
    ...(title !== undefined && { title }),
    ...(comments !== undefined && { comments }),
  };
  const metadata: ListMetadata =
    row.kind === 'submissionSet'
      ? {
          kind: 'submissionSet',
          ...common,
          status: 'current',
          ...(row.source_id !== null && { sourceId: row.source_id }),
          ...(row.designation_code !== null && { contentTypeCode: row.designation_code }),
          authorIdNatPs: row.author_ids,
          codeList: [],
          time: date ?? row.submitted_at.toISOString(),
        }
      : {
          kind: 'folder',
          ...common,
          status: row.status,
          authorIdNatPs: [],
          codeList: row.codes,
          time: date ?? row.updated_at.toISOString(),
        };
  return { metadata, fhir_carried: listCarried(metadata, resource) };
}
