-- Issue 18 point 2 (ADR 0020): every document row holds its neutral truth and its FHIR encoding (filled by the step
-- of migration 0080); the FHIR JSON that was the truth (`resource`, migration 0003) goes.
ALTER TABLE document
  ALTER COLUMN metadata SET NOT NULL,
  ALTER COLUMN served SET NOT NULL,
  DROP COLUMN resource;
