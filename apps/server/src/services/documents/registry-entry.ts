import type { DocumentMetadata } from '../../domain/documents/model.ts';
import type { DocumentRow, StoredStatus } from '../../db/documents.repository.ts';

/**
 * One document of the registry as the neutral use cases answer it (find, read: services/documents/search.ts
 * `findDocuments`, read.ts `getDocument`): its metadata (domain/documents/model.ts) and what the registry adds to
 * it. Each interface encodes it its own way (FHIR DocumentReference, ebRIM ExtrinsicObject).
 *
 * It is the stored truth itself (ADR 0020, docs/registry-model.md): the typed columns of `document` and its
 * `metadata` (the DocumentMetadata JSON); nothing is read back from an encoding.
 */
export interface RegistryEntry {
  /**
   * The document's registry id: its XDS logicalId (lid), constant across its metadata versions — the first version's
   * entryUUID (ADR 0021). Relations, lineage, list members and traces name documents by it.
   */
  readonly id: string;
  /**
   * The current metadata version's XDS entryUUID (FHIR DocumentReference.id): a new one with each metadata update
   * (masking, visibility, archive); `id` at the first version. Every earlier one still names the document.
   */
  readonly entryUuid: string;
  /** XDS `version` of the metadata: 1, then + 1 per metadata update. */
  readonly entryVersion: number;
  readonly patientId: string;
  /** Version of the stored entry, from 1: moves with every write of the row (FHIR meta.versionId, ETag). */
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
  /**
   * The checked metadata, with the server's size and SHA-1; relatesTo holds the registry's relations (`code` and
   * `targetId`, the related document's registry id); no contentUrl, no archived (the entry's own `archived`).
   */
  readonly metadata: DocumentMetadata;
}

export function registryEntry(row: Omit<DocumentRow, 'served'>): RegistryEntry {
  return {
    id: row.id,
    entryUuid: row.entry_uuid,
    entryVersion: row.entry_version,
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
    metadata: row.metadata,
  };
}
