import type {
  DocumentChange,
  DocumentFieldsChange,
  DocumentRow,
} from '../../db/documents.repository.ts';
import { registryEntry } from './registry-entry.ts';
import { fhirEntryText } from './resource.ts';

/**
 * The encodings cached beside each stored entry (ADR 0020, docs/registry-model.md). The record of truth is the
 * entry's typed columns and neutral metadata; each encoding is a pure function of it, stored per version in its own
 * column and written in the same statement as the truth it encodes:
 * - `served`: the FHIR DocumentReference (resource.ts `fhirEntryText`).
 * The SOAP API's ebRIM encoding goes here beside it: one more column, one more field of EntryEncodings, and every
 * writer of `served` writes it too — the deposit (store-submission.ts → store_submission), a metadata change
 * (change.ts → updateDocument), a content wrap (wrap-bare.ts → replaceDocumentContent).
 */
export interface EntryEncodings {
  readonly served: string;
}

/** The truth of a stored entry: its row without the encodings. */
export type EntryTruth = Omit<DocumentRow, keyof EntryEncodings>;

export function encodeEntry(truth: EntryTruth): EntryEncodings {
  return {
    served: fhirEntryText(registryEntry(truth), {
      carried: truth.fhir_carried,
      subjectPatientId: truth.subject_patient_id ?? truth.patient_id,
    }),
  };
}

/** The row as a change leaves it (its next version), encodings included. */
export function changedRow(row: DocumentRow, change: DocumentFieldsChange, at: Date): DocumentRow {
  const truth: EntryTruth = { ...row, ...change, version_id: row.version_id + 1, updated_at: at };
  return { ...truth, ...encodeEntry(truth) };
}

/** A metadata change with what updateDocument stores beside it (version check, encodings). */
export function documentChange(
  row: DocumentRow,
  change: DocumentFieldsChange,
  at: Date,
): DocumentChange {
  const { served } = changedRow(row, change, at);
  return { ...change, fromVersion: row.version_id, served };
}
