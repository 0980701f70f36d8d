-- Issue 17 rule 8 (identity vigilance): the record keeps the patient's used name (nom d'usage) beside the birth
-- name, first names, sex and birth date, so that a professional's software can compare all the INS traits.
ALTER TABLE patient_record ADD COLUMN IF NOT EXISTS used_name text;
