-- A consent read by its id alone (GET/DELETE /fhir/Consent/{id}) finds its record through resource_locator, as a
-- document does (issue 20, finding 8; docs/adr/0027-by-id-lookups.md): on Citus, `consent WHERE id = …` went to every
-- shard (32 index probes); the locator is one shard, then the consent is read on its record's shard. The locator row
-- is written with the consent (the service, db/consent.repository.ts), moved by a merge and removed by the purge with
-- the record's other locators.
ALTER TABLE resource_locator DROP CONSTRAINT resource_locator_kind_check;
ALTER TABLE resource_locator ADD CONSTRAINT resource_locator_kind_check
  CHECK (kind IN ('DocumentReference', 'Binary', 'List', 'Consent'));
INSERT INTO resource_locator (id, patient_id, kind)
  SELECT id, patient_id, 'Consent' FROM consent
  ON CONFLICT (id) DO NOTHING;
