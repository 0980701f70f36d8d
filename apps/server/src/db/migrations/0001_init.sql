-- opendmp initial schema. Never edit once released: add a new migration.
-- Citus rules (docs/architecture.md): every patient table carries patient_id in every key; no triggers on patient
-- tables; no FK from reference tables to patient tables; queries filter on patient_id.

-- ---------------------------------------------------------------- reference tables (shared, small)
CREATE TABLE structure (
  id_nat_struct text PRIMARY KEY,
  name text NOT NULL,
  sector text,                      -- TRE_R02 SAxx
  kind text NOT NULL DEFAULT 'cabinet' CHECK (kind IN ('cabinet', 'etablissement', 'pharmacie', 'laboratoire', 'samu', 'autre'))
);

CREATE TABLE professional (
  id_nat_ps text PRIMARY KEY,
  family_name text NOT NULL,
  given_name text NOT NULL,
  profession text NOT NULL,         -- TRE_G15
  specialty text,                   -- TRE_R01 SMxx
  regulator boolean NOT NULL DEFAULT false
);

-- A professional's exercise in a structure; membership of a structure's care team.
CREATE TABLE professional_structure (
  id_nat_ps text NOT NULL REFERENCES professional (id_nat_ps),
  id_nat_struct text NOT NULL REFERENCES structure (id_nat_struct),
  care_team boolean NOT NULL DEFAULT false,
  PRIMARY KEY (id_nat_ps, id_nat_struct)
);

-- ---------------------------------------------------------------- identity lookups (keyed by INS)
-- INS → internal patient key; distributed by ins on Citus.
CREATE TABLE ins_index (
  ins text PRIMARY KEY,
  patient_id uuid NOT NULL
);

-- Registered oppositions to the creation of a record, by INS (no record exists for them).
CREATE TABLE opposition (
  ins text PRIMARY KEY,
  registered_at timestamptz NOT NULL,
  registered_by text NOT NULL
);

-- ---------------------------------------------------------------- patient tables (distributed by patient_id)
CREATE TABLE patient_record (
  patient_id uuid PRIMARY KEY,
  ins text NOT NULL,
  ins_oid text NOT NULL,
  birth_name text NOT NULL,
  given_names text[] NOT NULL,
  sex text NOT NULL CHECK (sex IN ('male', 'female', 'other', 'unknown')),
  birth_date date NOT NULL,
  birth_place text,
  status text NOT NULL CHECK (status IN ('active', 'closed')),
  created_at timestamptz NOT NULL,
  created_by text NOT NULL,
  closed_at timestamptz,
  closure_reason text CHECK (closure_reason IN ('holder-request', 'death', 'operator-decision')),
  closure_comment text,
  deletion_requested_at timestamptz,
  general_practitioner text,        -- IdNat_PS of the médecin traitant
  version integer NOT NULL DEFAULT 1,
  audit_seq bigint NOT NULL DEFAULT 0,
  audit_head bytea,
  CHECK ((status = 'closed') = (closed_at IS NOT NULL))
);

-- Legal representatives of a minor or protected adult.
CREATE TABLE legal_representative (
  patient_id uuid NOT NULL REFERENCES patient_record (patient_id) ON DELETE CASCADE,
  id uuid NOT NULL,
  name text NOT NULL,
  relation text,
  PRIMARY KEY (patient_id, id)
);

-- Minimal trace of a purged record: who held it, when, and when it was purged.
CREATE TABLE record_tombstone (
  patient_id uuid PRIMARY KEY,
  ins text NOT NULL,
  created_at timestamptz NOT NULL,
  closed_at timestamptz,
  purged_at timestamptz NOT NULL,
  purge_reason text NOT NULL CHECK (purge_reason IN ('retention-expired', 'deletion-requested'))
);

-- Append-only access history, one hash chain per record (see docs/adr/0005-audit.md).
CREATE TABLE audit_event (
  patient_id uuid NOT NULL,
  seq bigint NOT NULL,
  id uuid NOT NULL,
  recorded_at timestamptz NOT NULL,
  action text NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('success', 'denied', 'failure')),
  reason_code text,
  actor_kind text NOT NULL,
  actor_id text NOT NULL,
  actor_name text,
  actor_profession text,
  actor_specialty text,
  actor_structure text,
  access_mode text,
  justification text,
  entity_type text,
  entity_id text,
  detail jsonb NOT NULL DEFAULT '{}',
  prev_hash bytea,
  hash bytea NOT NULL,
  PRIMARY KEY (patient_id, seq)
);
CREATE INDEX audit_event_time ON audit_event (patient_id, recorded_at DESC);

-- Events attached to no record (logins, denials on unknown records, operator searches): one global chain.
CREATE TABLE system_audit_event (
  seq bigint PRIMARY KEY,
  id uuid NOT NULL,
  recorded_at timestamptz NOT NULL,
  action text NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('success', 'denied', 'failure')),
  reason_code text,
  actor_kind text NOT NULL,
  actor_id text NOT NULL,
  actor_name text,
  actor_profession text,
  actor_specialty text,
  actor_structure text,
  access_mode text,
  justification text,
  entity_type text,
  entity_id text,
  detail jsonb NOT NULL DEFAULT '{}',
  prev_hash bytea,
  hash bytea NOT NULL
);
CREATE INDEX system_audit_event_time ON system_audit_event (recorded_at DESC);
