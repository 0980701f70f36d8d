-- A counter of changes to a record's documents, moved by every INSERT and UPDATE of its `document` rows in the
-- same statement (documents.repository.ts). A search remembers the access facts it read under the revision it saw
-- (services/documents/search.ts): a new or changed document is a new revision, so nothing remembered is reused
-- after a change. Rows change only through those two statements (and the purge, which removes the record).
ALTER TABLE patient_record ADD COLUMN documents_revision bigint NOT NULL DEFAULT 0;
