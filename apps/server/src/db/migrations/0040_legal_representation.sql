-- Issue 17 rule 1: legal representation is a fact of the record, registered by the operator, with the
-- representative's own identity, a start and an end (domain/access/representation.ts). Until now a row of
-- legal_representative only named someone for notifications, and any representative token was believed.
--
-- identifier        the representative's own identifier, the one their token carries as `id` (their INS, or their
--                   subject at the patients' identity provider); identifier_system says which (FHIR
--                   Identifier.system, e.g. urn:oid:1.2.250.1.213.1.4.8 for an INS-NIR).
-- starts_at         from when it holds (inclusive).
-- ends_at           the registered end (exclusive), if any; the minor's 18th birthday ends it in any case.
-- ended_at/_by      when and by whom the operator ended it early (kept: the holder sees past representations).
-- registered_at/_by who registered it, when.
--
-- Existing rows: they name a person but no identity a token could carry, so they match no token (a
-- representative is granted nothing through them) until the operator registers the representative's identity
-- (POST RelatedPerson, or `opendmp representative add`). Their start is the record's creation, and they
-- are attributed to the record's creator. The demo loader completes the demo minors' rows itself.
ALTER TABLE legal_representative
  ADD COLUMN identifier_system text,
  ADD COLUMN identifier text,
  ADD COLUMN starts_at timestamptz,
  ADD COLUMN ends_at timestamptz,
  ADD COLUMN registered_at timestamptz,
  ADD COLUMN registered_by text,
  ADD COLUMN ended_at timestamptz,
  ADD COLUMN ended_by text;

UPDATE legal_representative l
  SET starts_at = r.created_at, registered_at = r.created_at, registered_by = r.created_by
  FROM patient_record r
  WHERE r.patient_id = l.patient_id;

ALTER TABLE legal_representative
  ALTER COLUMN starts_at SET NOT NULL,
  ALTER COLUMN registered_at SET NOT NULL,
  ALTER COLUMN registered_by SET NOT NULL,
  ADD CONSTRAINT legal_representative_period CHECK (ends_at IS NULL OR ends_at > starts_at);

-- One registration in force per representative and record (an ended one may be registered again).
CREATE UNIQUE INDEX legal_representative_identifier
  ON legal_representative (patient_id, identifier)
  WHERE identifier IS NOT NULL AND ended_at IS NULL;
