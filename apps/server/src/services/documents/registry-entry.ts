import type { DocumentMetadata } from '../../domain/documents/model.ts';
import { fromDocumentReference } from '../../domain/documents/from-document-reference.ts';
import { UUID_SOURCE } from '../../domain/identity/uuid.ts';
import type { DocumentRow, StoredStatus } from '../../db/documents.repository.ts';
import type { ReferenceData } from '../../reference/value-sets.ts';
import { servedResource } from './resource.ts';

/**
 * One document of the registry as the neutral use cases answer it (find, read: services/documents/search.ts
 * `findDocuments`, read.ts `getDocument`): its metadata (domain/documents/model.ts) and what the registry adds to
 * it. Each interface encodes it its own way (FHIR DocumentReference, ebRIM ExtrinsicObject).
 *
 * The metadata is read back from the stored FHIR encoding until the stored truth is neutral (issue 18 point 2):
 * the one place of the core that reads FHIR (an exception of the boundary rule, eslint.config.js).
 */
export interface RegistryEntry {
  /** The registry id (XDS entryUUID, FHIR DocumentReference id). */
  readonly id: string;
  readonly patientId: string;
  /** Metadata version, from 1. */
  readonly versionId: number;
  /** XDS availabilityStatus: current = Approved, superseded = Deprecated; deleted is never served. */
  readonly status: StoredStatus;
  readonly archived: boolean;
  /** Id of the lineage's first version (every replacement keeps it). */
  readonly lineageId: string;
  /** The document this one replaced (RPLC), if any. */
  readonly replacesId: string | null;
  readonly submissionSetId: string;
  /** Where the bytes are (retrieval by content id). */
  readonly contentId: string;
  readonly depositedAt: Date;
  readonly updatedAt: Date;
  readonly depositor: {
    readonly kind: DocumentRow['depositor_kind'];
    readonly id: string;
    readonly structure: string | null;
  };
  /** The checked metadata, with the server's size and SHA-1; relatesTo with registry ids (`targetId`). */
  readonly metadata: DocumentMetadata;
}

const DOCUMENT_REFERENCE = new RegExp(`^(?:.*/)?DocumentReference/(${UUID_SOURCE})$`);

export function registryEntry(row: DocumentRow, reference: ReferenceData): RegistryEntry {
  const served = servedResource(row, '');
  // The stored subject is the record's reference with the INS beside it (to-document-reference.ts W4).
  const identifier = (served['subject'] as { identifier?: { system?: string; value?: string } })
    .identifier;
  const ins =
    identifier?.system !== undefined && identifier.value !== undefined
      ? { oid: identifier.system.replace(/^urn:oid:/, ''), value: identifier.value }
      : undefined;
  const read = fromDocumentReference(served, reference, {
    requireCurrent: false,
    resolvePatientReference: () => ins,
  });
  if (!read.ok) {
    throw new Error(
      `stored document ${row.id} does not read back: ${read.error.map((i) => i.code).join(', ')}`,
    );
  }
  const metadata: DocumentMetadata = {
    ...read.value,
    size: row.size,
    hash: row.sha1.toString('hex'),
    relatesTo: read.value.relatesTo.map((r) => {
      const targetId = DOCUMENT_REFERENCE.exec(r.target ?? '')?.[1];
      const { target: _fhir, ...rest } = r;
      return targetId ? { ...rest, targetId } : rest;
    }),
  };
  return {
    id: row.id,
    patientId: row.patient_id,
    versionId: row.version_id,
    status: row.status,
    archived: row.archived,
    lineageId: row.lineage_id,
    replacesId: row.replaces_id,
    submissionSetId: row.submission_set_id,
    contentId: row.content_id,
    depositedAt: row.deposited_at,
    updatedAt: row.updated_at,
    depositor: {
      kind: row.depositor_kind,
      id: row.depositor_id,
      structure: row.depositor_structure,
    },
    metadata,
  };
}
