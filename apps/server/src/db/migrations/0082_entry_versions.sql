-- Issue 18 point 3 (docs/adr/0021-metadata-versions.md): the DMP's registry gives each metadata version of a document a
-- new entryUUID (masking, visibility, archive), while its logicalId stays (ANS PDSM4DMP annexe_identifiants_xds_fhir:
-- entryUUID = DocumentReference.id, logicalId = DocumentReference.identifier). `document.id` is the logicalId (the
-- first version's entryUUID, as in IHE XDS metadata update), `entry_uuid` the current version's entryUUID and
-- `entry_version` the XDS `version` (1, then + 1 per metadata update). Every row so far is its first metadata version.
ALTER TABLE document
  ADD COLUMN entry_uuid uuid,
  ADD COLUMN entry_version integer NOT NULL DEFAULT 1 CONSTRAINT document_entry_version_check CHECK (entry_version > 0);
UPDATE document SET entry_uuid = id;
ALTER TABLE document ALTER COLUMN entry_uuid SET NOT NULL;
CREATE UNIQUE INDEX document_entry_uuid ON document (patient_id, entry_uuid);

-- The entryUUIDs of a document's earlier metadata versions: each still names the document (answered with its current
-- version). Written with each metadata update, in its transaction; each entryUUID also has its resource_locator row.
CREATE TABLE document_past_entry (
  patient_id uuid NOT NULL,
  entry_uuid uuid NOT NULL,
  document_id uuid NOT NULL,
  entry_version integer NOT NULL,
  superseded_at timestamptz NOT NULL,
  PRIMARY KEY (patient_id, entry_uuid)
);
SELECT opendmp_distribute('document_past_entry', 'patient');
