-- Issue 18 point 2 (ADR 0029): every SubmissionSet and Folder row holds its neutral truth and its FHIR encoding
-- (filled by the step of migration 0150); the FHIR JSON that was the truth (`resource`, migration 0003) goes.
ALTER TABLE submission_set
  ALTER COLUMN metadata SET NOT NULL,
  ALTER COLUMN served SET NOT NULL,
  DROP COLUMN resource;
ALTER TABLE folder
  ALTER COLUMN metadata SET NOT NULL,
  ALTER COLUMN served SET NOT NULL,
  DROP COLUMN resource;
