-- Documents (issue 3): metadata, encrypted contents, per-record data keys, submission sets and folders.
-- Citus rules (shared/docs/citus-rules.md): every patient table is keyed by patient_id first; no triggers;
-- uniqueness across patients only through lookup tables keyed by the unique value. Never edit once released.

-- ---------------------------------------------------------------- lookups (distributed by their own key)
-- A producer's uniqueId (DocumentReference.masterIdentifier) is unique in the whole DMP, not only per record.
CREATE TABLE document_unique_id (
  unique_id text PRIMARY KEY,
  patient_id uuid NOT NULL,
  document_id uuid NOT NULL
);
CREATE INDEX document_unique_id_patient ON document_unique_id (patient_id);

-- ---------------------------------------------------------------- patient tables (distributed by patient_id)
-- One data key per record (and per key version): 32 random bytes wrapped by the master key with AES-256-GCM
-- (wrapped = nonce 12 ‖ tag 16 ‖ ciphertext 32). master_key_id names the master key that wrapped it.
CREATE TABLE record_data_key (
  patient_id uuid NOT NULL,
  key_version integer NOT NULL CHECK (key_version > 0),
  master_key_id text NOT NULL,
  wrapped_key bytea NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (patient_id, key_version)
);

-- Document bytes, encrypted with the record's data key (AES-256-GCM; AAD binds patient_id, content_id, key version).
CREATE TABLE document_content (
  patient_id uuid NOT NULL,
  content_id uuid NOT NULL,
  key_version integer NOT NULL,
  nonce bytea NOT NULL,
  tag bytea NOT NULL,
  ciphertext bytea NOT NULL,
  PRIMARY KEY (patient_id, content_id),
  FOREIGN KEY (patient_id, key_version) REFERENCES record_data_key (patient_id, key_version)
);
ALTER TABLE document_content ALTER COLUMN ciphertext SET STORAGE EXTERNAL; -- already random: do not try to compress

-- Submission sets (ITI-65 SubmissionSet List; one is created by the server for an ITI-105 publication).
CREATE TABLE submission_set (
  patient_id uuid NOT NULL,
  id uuid NOT NULL,
  unique_id text NOT NULL,
  source_id text,
  designation_code text,             -- ihe-designationType (contentTypeCode)
  author_ids text[] NOT NULL DEFAULT '{}',
  depositor_kind text NOT NULL,
  depositor_id text NOT NULL,
  submitted_at timestamptz NOT NULL,
  resource jsonb NOT NULL,
  PRIMARY KEY (patient_id, id),
  UNIQUE (patient_id, unique_id)
);
CREATE INDEX submission_set_newest ON submission_set (patient_id, submitted_at DESC, id DESC);

-- Folders (ITI-65 Folder List).
CREATE TABLE folder (
  patient_id uuid NOT NULL,
  id uuid NOT NULL,
  unique_id text NOT NULL,
  codes text[] NOT NULL DEFAULT '{}',
  title text,
  status text NOT NULL CHECK (status IN ('current', 'retired')),
  version_id integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  resource jsonb NOT NULL,
  PRIMARY KEY (patient_id, id),
  UNIQUE (patient_id, unique_id)
);
CREATE INDEX folder_newest ON folder (patient_id, updated_at DESC, id DESC);

-- Document metadata: one row per document (a replacement is a new row; lineage_id links the versions).
-- Codes are bare codes (the system is implied by the value set: type LOINC/TRE_A05, class TRE_A03, …);
-- confidentiality holds N/R/V and the TRE_A07 visibility flags. resource is the DocumentReference as served,
-- without the fields the server recomputes on each read (id, meta, status, isArchived, attachment.url).
CREATE TABLE document (
  patient_id uuid NOT NULL,
  id uuid NOT NULL,
  version_id integer NOT NULL DEFAULT 1,
  unique_id text NOT NULL,
  lineage_id uuid NOT NULL,
  replaces_id uuid,
  status text NOT NULL CHECK (status IN ('current', 'superseded', 'deleted')),
  archived boolean NOT NULL DEFAULT false,
  type_code text NOT NULL,
  class_code text NOT NULL,
  format_code text NOT NULL,
  facility_code text NOT NULL,
  setting_code text NOT NULL,
  confidentiality text[] NOT NULL,
  event_codes text[] NOT NULL DEFAULT '{}',
  related_ids text[] NOT NULL DEFAULT '{}',
  author_ids text[] NOT NULL DEFAULT '{}',
  author_structures text[] NOT NULL DEFAULT '{}',
  depositor_kind text NOT NULL CHECK (depositor_kind IN ('professional', 'patient', 'representative', 'operator')),
  depositor_id text NOT NULL,
  depositor_structure text,
  submission_set_id uuid NOT NULL,
  doc_date timestamptz,
  creation_time timestamptz,
  service_start timestamptz,
  service_stop timestamptz,
  deposited_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  content_id uuid NOT NULL,
  mime_type text NOT NULL,
  size bigint NOT NULL CHECK (size >= 0),
  sha1 bytea NOT NULL,
  resource jsonb NOT NULL,
  PRIMARY KEY (patient_id, id),
  UNIQUE (patient_id, unique_id),
  FOREIGN KEY (patient_id, content_id) REFERENCES document_content (patient_id, content_id),
  FOREIGN KEY (patient_id, submission_set_id) REFERENCES submission_set (patient_id, id)
);
-- ITI-67: one patient's documents newest first (an index range scan whatever the size of the base);
-- deleted documents are never served, so they are left out of the index.
CREATE INDEX document_newest ON document (patient_id, deposited_at DESC, id DESC) WHERE status <> 'deleted';
CREATE INDEX document_lineage ON document (patient_id, lineage_id);
CREATE INDEX document_content_ref ON document (patient_id, content_id);

-- Membership of documents in submission sets and folders (List.entry).
CREATE TABLE list_entry (
  patient_id uuid NOT NULL,
  list_id uuid NOT NULL,
  document_id uuid NOT NULL,
  position integer NOT NULL,
  PRIMARY KEY (patient_id, list_id, document_id)
);
CREATE INDEX list_entry_document ON list_entry (patient_id, document_id);
