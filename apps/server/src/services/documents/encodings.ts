import type {
  DocumentChange,
  DocumentFieldsChange,
  DocumentRow,
  FhirCarried,
} from '../../db/documents.repository.ts';
import type {
  FolderSubmission,
  SubmissionSetSubmission,
} from '../../domain/documents/submission.ts';

/**
 * The encodings cached beside each stored entry (ADR 0020, docs/registry-model.md). The record of truth is the
 * entry's typed columns and neutral metadata; each encoding is a pure function of it, stored per version in its own
 * column and written in the same statement as the truth it encodes:
 * - `served`: the FHIR DocumentReference (http/fhir/document-resource.ts `fhirEntryText`).
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

/** What the server gives a stored SubmissionSet or Folder. */
export interface ListIds {
  readonly patientId: string;
  readonly uniqueId: string;
  /** Document ids of the members. */
  readonly members: readonly string[];
  readonly date: string;
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
   * The stored form of a SubmissionSet (absent: the one the server makes) and of a Folder. Lists are still stored
   * as their FHIR encoding (column `resource`), built from the submission and what was sent (issue 18 point 2).
   */
  readonly submissionSet: (sent: SubmissionSetSubmission | undefined, ids: ListIds) => Json;
  readonly folder: (sent: FolderSubmission, ids: ListIds) => Json;
  /** A stored List as served, with the members the reader may see (`DocumentReference/<id>`). */
  readonly servedList: (
    stored: Json,
    id: string,
    versionId: number,
    lastUpdated: Date,
    members: readonly string[],
  ) => Json;
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
