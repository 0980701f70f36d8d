import type { MigrationStep } from './db/migrate.ts';
import { loadReferenceData } from './reference/value-sets.ts';
import { upgradeDocumentTruth, upgradeListTruth } from './services/documents/truth-upgrade.ts';
import { formerListTruth, formerTruth } from './http/fhir/former-truth.ts';
import { fhirEncodings } from './http/fhir/document-resource.ts';

/**
 * The migrations SQL cannot express, run in TypeScript right after their file in the migrations' transaction
 * (db/migrate.ts). Every caller of `migrate` passes this list.
 */
export const MIGRATION_STEPS: Readonly<Record<string, MigrationStep>> = {
  // The neutral truth of stored documents, read from their former FHIR truth (ADR 0020).
  '0080_document_truth.sql': async (tx) => {
    const reference = loadReferenceData();
    await upgradeDocumentTruth(tx, (row) => formerTruth(row, reference), fhirEncodings);
  },
  // The neutral truth of stored SubmissionSets and Folders, read from their former FHIR truth (ADR 0029).
  '0150_list_truth.sql': async (tx) => {
    await upgradeListTruth(tx, formerListTruth, fhirEncodings);
  },
};
