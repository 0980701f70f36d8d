-- Authorizations, blocks and objections, all expressed to clients as FHIR Consent (docs/api.md).
--  kind = authorization        : a professional (actor_kind professional) or a structure's care team
--                                 (actor_kind structure) may consult the record (declared by the professional's
--                                 software when the patient consents).
--  kind = block                : the patient forbids a professional any access (deny Consent for that actor).
--  kind = emergency-objection  : the patient objects to an emergency mode (purpose bris_de_glace / centre_15).
--  kind = care-team-objection  : the patient objects to access by a structure's care team.
CREATE TABLE consent (
  patient_id uuid NOT NULL REFERENCES patient_record (patient_id),
  id uuid NOT NULL,
  kind text NOT NULL CHECK (kind IN ('authorization', 'block', 'emergency-objection', 'care-team-objection')),
  actor_kind text CHECK (actor_kind IN ('professional', 'structure')),
  actor_id text,
  purpose text CHECK (purpose IN ('bris_de_glace', 'centre_15')),
  status text NOT NULL CHECK (status IN ('active', 'inactive')),
  created_at timestamptz NOT NULL,
  created_by_kind text NOT NULL,
  created_by text NOT NULL,
  expires_at timestamptz,
  ended_at timestamptz,
  ended_by text,
  PRIMARY KEY (patient_id, id),
  CHECK ((kind = 'emergency-objection') = (purpose IS NOT NULL)),
  CHECK ((kind = 'emergency-objection') = (actor_id IS NULL))
);
CREATE UNIQUE INDEX consent_one_active
  ON consent (patient_id, kind, coalesce(actor_kind, ''), coalesce(actor_id, ''), coalesce(purpose, ''))
  WHERE status = 'active';
-- Consent/{id} addressed without its patient (read, delete): a lookup index (a fan-out query under Citus).
CREATE INDEX consent_by_id ON consent (id);

GRANT SELECT, INSERT, UPDATE, DELETE ON consent TO opendmp_app;
