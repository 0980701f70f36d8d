-- Issue 18 point 2 (docs/adr/0020-neutral-truth.md, docs/registry-model.md): the record of truth of a document entry
-- is its typed columns and its neutral metadata (`metadata`, the DocumentMetadata JSON of domain/documents/model.ts);
-- the FHIR DocumentReference (`served`) becomes a cache rebuilt from it. `fhir_carried`: what a FHIR client sent that
-- the neutral model has no field for (its own extensions, context.related), kept for the FHIR encoding only;
-- `subject_patient_id`: the record a document was deposited in once a merge moved it (ADR 0016).
-- SQL cannot read the stored DocumentReference into the neutral model: the step registered for this migration
-- (src/migration-steps.ts → services/documents/truth-upgrade.ts) fills these columns for every row and rewrites
-- `served` from them, in the same transaction; migration 0081 then requires them and drops `resource`.
ALTER TABLE document
  ADD COLUMN metadata jsonb,
  ADD COLUMN fhir_carried jsonb,
  ADD COLUMN subject_patient_id uuid;
