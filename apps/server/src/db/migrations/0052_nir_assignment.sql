-- Issue 17 rule 11: a record created under an NIA (INS-NIA, 1.2.250.1.213.1.4.9) receives its NIR later and stays
-- one record. The NIR becomes the record's INS (ins, ins_oid); the NIA is kept here and in ins_index, so that both
-- identifiers resolve to the record; documents, consents, notifications and traces stay where they are (they hang
-- on patient_id).
ALTER TABLE patient_record
  ADD COLUMN former_ins text,
  ADD COLUMN former_ins_oid text,
  ADD COLUMN nir_assigned_at timestamptz;
