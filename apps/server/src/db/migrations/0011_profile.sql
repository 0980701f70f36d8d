-- Medical profile (issue 7): the patient's own FHIR resources — pathologies (Condition), allergies
-- (AllergyIntolerance), treatments (MedicationStatement), vaccinations (Immunization), measures and advance
-- directives (Observation), trusted person (RelatedPerson). Citus rules: keyed by patient_id first, no triggers,
-- lookups by id through a table distributed by id. Never edit once released: add a new migration.

CREATE TABLE profile_entry (
  patient_id uuid NOT NULL REFERENCES patient_record (patient_id) ON DELETE CASCADE,
  id uuid NOT NULL,
  resource_type text NOT NULL CHECK (resource_type IN ('Condition', 'AllergyIntolerance', 'MedicationStatement',
    'Immunization', 'Observation', 'RelatedPerson')),
  section text NOT NULL CHECK (section IN ('pathologies', 'allergies', 'traitements', 'vaccinations', 'mesures',
    'directives', 'personne-confiance')),
  version_id integer NOT NULL DEFAULT 1 CHECK (version_id > 0),
  deleted boolean NOT NULL DEFAULT false,
  code_system text,
  code text,
  effective date,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  author_kind text NOT NULL CHECK (author_kind IN ('patient', 'representative')),
  author_id text NOT NULL,
  resource jsonb NOT NULL,
  PRIMARY KEY (patient_id, id)
);
-- Search of one patient's entries of a type, newest first; deleted entries are never served.
CREATE INDEX profile_entry_by_type ON profile_entry (patient_id, resource_type, updated_at DESC, id) WHERE NOT deleted;

-- Routes `<Type>/<id>` to its record (reads by id then filter on patient_id). Distributed by id under Citus.
CREATE TABLE profile_locator (
  id uuid PRIMARY KEY,
  patient_id uuid NOT NULL,
  resource_type text NOT NULL
);
CREATE INDEX profile_locator_patient ON profile_locator (patient_id);

-- The last "profil médical" document (DOCPAT08) exported and deposited for a record: the next export replaces it.
CREATE TABLE profile_export (
  patient_id uuid PRIMARY KEY REFERENCES patient_record (patient_id) ON DELETE CASCADE,
  document_id uuid NOT NULL,
  unique_id text NOT NULL,
  version integer NOT NULL,
  exported_at timestamptz NOT NULL
);
