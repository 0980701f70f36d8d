-- Issue 17 rule 11 (docs/adr/0016-record-merge.md): the operator merges two records of one person. The absorbed
-- record is closed and names its survivor (merged_into, merged_at); the survivor lists the records it absorbed
-- (merged_from, transitively), whose trace chains stay where they are and are read with its own for its holder's
-- access history. ins_index maps every INS of the absorbed record to the survivor (patient_id of ins_index is not a
-- distribution key: that table is distributed by ins).
ALTER TABLE patient_record
  ADD COLUMN merged_into uuid,
  ADD COLUMN merged_at timestamptz,
  ADD COLUMN merged_from uuid[] NOT NULL DEFAULT '{}',
  ADD CHECK ((merged_into IS NULL) = (merged_at IS NULL)),
  ADD CHECK (merged_into IS NULL OR status = 'closed');
