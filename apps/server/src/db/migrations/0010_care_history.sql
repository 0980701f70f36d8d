-- Care history (issue 7): reimbursement lines fed by the Assurance Maladie, and the per-record state of the
-- generated CNAM-HR document. Citus rules (shared/docs/citus-rules.md): patient tables keyed by patient_id first,
-- no triggers, queries filter on patient_id. Never edit once released: add a new migration.

-- One reimbursement line. line_key = SHA-256 of the normalised line (docs/care-history.md "Idempotency"): importing
-- the same line twice inserts it once. Codes are bare (the system follows from code_kind).
CREATE TABLE care_line (
  patient_id uuid NOT NULL REFERENCES patient_record (patient_id) ON DELETE CASCADE,
  line_key bytea NOT NULL CHECK (octet_length(line_key) = 32),
  care_date date NOT NULL,
  code_kind text NOT NULL CHECK (code_kind IN ('CCAM', 'NGAP', 'BIO', 'CIP13')),
  code text NOT NULL,
  label text NOT NULL,
  quantity numeric(9, 2) NOT NULL CHECK (quantity > 0),
  executant_id text,
  executant_profession text,
  prescriber_id text,
  structure_id text,
  amount_cents bigint NOT NULL CHECK (amount_cents >= 0),
  imported_at timestamptz NOT NULL,
  PRIMARY KEY (patient_id, line_key)
);
-- Reading one patient's history by date (newest first) with keyset paging.
CREATE INDEX care_line_by_date ON care_line (patient_id, care_date DESC, line_key);

-- Per record: whether lines arrived since the CNAM-HR document was last generated, and that document.
CREATE TABLE care_history_state (
  patient_id uuid PRIMARY KEY REFERENCES patient_record (patient_id) ON DELETE CASCADE,
  pending boolean NOT NULL DEFAULT false,
  lines_changed_at timestamptz,
  document_id uuid,
  document_unique_id text,
  document_version integer NOT NULL DEFAULT 0,
  generated_at timestamptz
);
-- The regeneration pass lists records with pending lines (a simple filter, then record by record).
CREATE INDEX care_history_state_pending ON care_history_state (patient_id) WHERE pending;
