import type {
  DocumentChange,
  DocumentFieldsChange,
  DocumentRow,
  FhirCarried,
} from '../../db/documents.repository.ts';
import type { FolderRow, SubmissionSetRow } from '../../db/submissions.repository.ts';
import type { ListMetadata } from '../../domain/documents/list-model.ts';

/**
 * The encodings cached beside each stored entry (ADR 0020, docs/registry-model.md). The record of truth is the
 * entry's typed columns and neutral metadata; each encoding is a pure function of it, stored per version in its own
 * column and written in the same statement as the truth it encodes:
 * - `served`: the FHIR DocumentReference (http/fhir/document-resource.ts `fhirEntryText`).
 * SubmissionSets and Folders the same way (ADR 0029): their truth is their neutral metadata (`ListTruth`), their
 * `served` the FHIR List encoded from it (http/fhir/list-resource.ts), written by the deposit beside the truth.
 * The core does not know how an entry is encoded: the adapter that owns an encoding hands it in through the
 * dependencies (`deps.encodings`, {@link RegistryEncodings}; the FHIR adapter's is http/fhir/document-resource.ts
 * `fhirEncodings`, wired by the composition roots: main.ts, the CLI, the test and bench helpers). The SOAP API's
 * ebRIM encoding goes here beside it: one more column, one more field of EntryEncodings, and every writer of
 * `served` writes it too — the deposit (store-submission.ts → store_submission), a metadata change (change.ts →
 * updateDocument), a content wrap (wrap-bare.ts → replaceDocumentContent).
 */
export interface EntryEncodings {
  readonly served: string;
}

/** The truth of a stored entry: its row without the encodings. */
export type EntryTruth = Omit<DocumentRow, keyof EntryEncodings>;

type Json = Record<string, unknown>;

/**
 * The truth of a stored SubmissionSet or Folder (ADR 0029): its neutral metadata, its entryUUID, version and time,
 * and what the interface it came through sent that the model has no field for (`carried`, opaque to the core).
 */
export interface ListTruth {
  readonly id: string;
  readonly versionId: number;
  readonly lastUpdated: Date;
  readonly metadata: ListMetadata;
  readonly carried: Readonly<Json> | null;
}

/** The truth of a stored List row (a SubmissionSet has one version; a Folder's time is its last update). */
export function listTruth(
  row: SubmissionSetRow | FolderRow,
  kind: 'submissionSet' | 'folder',
): ListTruth {
  return {
    id: row.id,
    versionId: kind === 'folder' ? (row as FolderRow).version_id : 1,
    lastUpdated:
      kind === 'folder' ? (row as FolderRow).updated_at : (row as SubmissionSetRow).submitted_at,
    metadata: row.metadata,
    carried: row.fhir_carried,
  };
}

/** The encodings of stored entries, as their adapters define them (handed in as `deps.encodings`). */
export interface RegistryEncodings {
  /** Every encoding cached beside an entry, from its truth (pure). */
  readonly entry: (truth: EntryTruth) => EntryEncodings;
  /** The cached `served` text as a reader gets it, for the public base URL it is read through. */
  readonly servedText: (served: string, publicBaseUrl: string) => string;
  /** One entry of a page of search results as its interface answers it, from the cached `served` text. */
  readonly searchEntry: (
    row: Pick<DocumentRow, 'entry_uuid' | 'served'>,
    publicBaseUrl: string,
  ) => string;
  /**
   * What the interface an entry came through sent that the neutral model has no field for, kept for that
   * interface's encoding (column `fhir_carried`), from the entry as sent (opaque to the core).
   */
  readonly carried: (asSent: Readonly<Record<string, unknown>> | undefined) => FhirCarried | null;
  /**
   * What a List's interface sent that its neutral metadata has no field for, kept for that interface's encoding
   * (column `fhir_carried`; null: nothing), from the List as sent (opaque to the core) and the truth read from it.
   */
  readonly listCarried: (
    metadata: ListMetadata,
    asSent: Readonly<Record<string, unknown>> | undefined,
  ) => Json | null;
  /** The encoding cached beside a List (`served`): the List with all its members (document ids), from its truth. */
  readonly list: (truth: ListTruth, members: readonly string[]) => string;
  /** A List as served to a reader, from its cached encoding and the members that reader may see. */
  readonly servedList: (served: string, members: readonly string[]) => Json;
  /**
   * Whether what a List's interface sent beside its truth (`carried`) holds this identifier, as that interface names
   * it (an ITI-66 `identifier` the truth does not answer: a FHIR client's own identifier, ADR 0033).
   */
  readonly listCarriesIdentifier: (
    carried: Readonly<Json> | null,
    identifier: { readonly system?: string; readonly value: string },
  ) => boolean;
}

export function encodeEntry(encodings: RegistryEncodings, truth: EntryTruth): EntryEncodings {
  return encodings.entry(truth);
}

/** The row as a change leaves it (its next version), encodings included. */
export function changedRow(
  encodings: RegistryEncodings,
  row: DocumentRow,
  change: DocumentFieldsChange,
  at: Date,
): DocumentRow {
  const truth: EntryTruth = { ...row, ...change, version_id: row.version_id + 1, updated_at: at };
  return { ...truth, ...encodeEntry(encodings, truth) };
}

/** A metadata change with what updateDocument stores beside it (version check, encodings). */
export function documentChange(
  encodings: RegistryEncodings,
  row: DocumentRow,
  change: DocumentFieldsChange,
  at: Date,
): DocumentChange {
  const { served } = changedRow(encodings, row, change, at);
  return { ...change, fromVersion: row.version_id, served };
}
