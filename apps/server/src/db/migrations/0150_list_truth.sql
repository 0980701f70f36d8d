-- Issue 18 point 2 for SubmissionSets and Folders (docs/adr/0029-neutral-lists.md, docs/registry-model.md): the record
-- of truth of a List is its neutral metadata (`metadata`, the ListMetadata JSON of domain/documents/list-model.ts, with
-- the typed columns copied from it); the FHIR List (`served`, with all its members) becomes a cache encoded from it.
-- `fhir_carried`: what a FHIR client sent that the neutral model has no field for, kept for the FHIR encoding only.
-- SQL cannot read the stored List (`resource`, migration 0003) into the neutral model: the step registered for this
-- migration (src/migration-steps.ts → services/documents/truth-upgrade.ts) fills these columns for every row, in the
-- same transaction; migration 0151 then requires them and drops `resource`.
ALTER TABLE submission_set
  ADD COLUMN metadata jsonb,
  ADD COLUMN fhir_carried jsonb,
  ADD COLUMN served text;
ALTER TABLE folder
  ADD COLUMN metadata jsonb,
  ADD COLUMN fhir_carried jsonb,
  ADD COLUMN served text;
