-- Notifications (issue 5): transactional outbox, delivery ledger (the in-portal inbox), channel preferences,
-- markers of the invisible-document job; look-up indexes for the access history (AuditEvent).
-- Citus rules (shared/docs/citus-rules.md): patient tables keyed by patient_id first, no triggers, no FK to
-- reference tables from them. Never edit once released: add a new migration.

-- E-mail address of a professional, for notifications to the médecin traitant (reference table).
ALTER TABLE professional ADD COLUMN email text;

-- ---------------------------------------------------------------- patient tables (distributed by patient_id)
-- Channel preferences of the holder and of the legal representatives of a record. Absent row = defaults
-- (in-portal inbox only). The address is contact data, never copied into the outbox.
CREATE TABLE notification_preference (
  patient_id uuid NOT NULL,
  recipient_kind text NOT NULL CHECK (recipient_kind IN ('patient', 'representative')),
  channels text[] NOT NULL DEFAULT '{inbox}' CHECK (channels <@ ARRAY['inbox', 'email']::text[]),
  email text CHECK (email IS NULL OR length(email) <= 254),
  muted text[] NOT NULL DEFAULT '{}',
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (patient_id, recipient_kind)
);

-- One row per (event, recipient, channel), written in the transaction of the event. The payload carries
-- identifiers only (document id, consent id, IdNat_PS, access mode), never clinical content.
CREATE TABLE outbox (
  patient_id uuid NOT NULL,
  id uuid NOT NULL,
  event_type text NOT NULL,
  recipient_kind text NOT NULL CHECK (recipient_kind IN ('patient', 'representative', 'medecin-traitant')),
  recipient_id text NOT NULL,            -- INS (patient, representative) or IdNat_PS (médecin traitant)
  channel text NOT NULL CHECK (channel IN ('inbox', 'email')),
  priority text NOT NULL DEFAULT 'routine' CHECK (priority IN ('routine', 'urgent')),
  payload jsonb NOT NULL DEFAULT '{}',
  dedupe_key text NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed', 'cancelled')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  last_error text,
  created_at timestamptz NOT NULL,
  delivered_at timestamptz,
  PRIMARY KEY (patient_id, id),
  UNIQUE (patient_id, dedupe_key)
);
-- The worker's scan of due rows (a simple filter; each row is then locked with its patient_id).
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';

-- Delivery ledger: one row per delivered notification (its id is the outbox id, so a redelivery inserts
-- nothing). Rows of channel `inbox` are the in-portal inbox (FHIR Communication); rows of channel `email` record
-- the Message-ID that was sent.
CREATE TABLE inbox (
  patient_id uuid NOT NULL,
  notification_id uuid NOT NULL,
  event_type text NOT NULL,
  recipient_kind text NOT NULL,
  recipient_id text NOT NULL,
  channel text NOT NULL,
  priority text NOT NULL,
  payload jsonb NOT NULL DEFAULT '{}',
  message_id text,
  created_at timestamptz NOT NULL,
  delivered_at timestamptz NOT NULL,
  read_at timestamptz,
  PRIMARY KEY (patient_id, notification_id)
);
CREATE INDEX inbox_recipient ON inbox (patient_id, recipient_kind, delivered_at DESC, notification_id DESC);
-- A médecin traitant's notifications across records, and Communication/{id} without its patient: look-ups
-- that fan out under Citus (rare, per-user operations).
CREATE INDEX inbox_professional ON inbox (recipient_id, delivered_at DESC, notification_id DESC)
  WHERE recipient_kind = 'medecin-traitant';
CREATE INDEX inbox_by_id ON inbox (notification_id);

-- What the invisible-document job already did for a document (two-week notice, visibility after one month).
CREATE TABLE document_visibility_notice (
  patient_id uuid NOT NULL,
  document_id uuid NOT NULL,
  kind text NOT NULL CHECK (kind IN ('pending-notice', 'visible')),
  at timestamptz NOT NULL,
  PRIMARY KEY (patient_id, document_id, kind)
);
-- The job's scan: current documents still labelled INVISIBLE_PATIENT (few), by deposit time.
CREATE INDEX document_invisible_patient ON document (deposited_at, patient_id, id)
  WHERE status = 'current' AND 'INVISIBLE_PATIENT' = ANY (confidentiality);

-- ---------------------------------------------------------------- access history look-ups
-- AuditEvent/{id} and the operator's search by agent across records (fan-out under Citus, operator only).
CREATE INDEX audit_event_by_id ON audit_event (id);
CREATE INDEX audit_event_by_actor ON audit_event (actor_id, recorded_at DESC);
CREATE INDEX system_audit_event_by_id ON system_audit_event (id);
CREATE INDEX system_audit_event_by_actor ON system_audit_event (actor_id, recorded_at DESC);

GRANT SELECT, INSERT, UPDATE, DELETE ON notification_preference, outbox, inbox, document_visibility_notice
  TO opendmp_app;
