-- Issue 21 point 5: a professional records in the medical profile a vaccination they gave (an Immunization
-- authored by them, author_kind 'professional', author_id their IdNat_PS). Citus: ALTER TABLE on a distributed
-- table is propagated to its shards; no new table, nothing to distribute.
ALTER TABLE profile_entry DROP CONSTRAINT profile_entry_author_kind_check;
ALTER TABLE profile_entry ADD CONSTRAINT profile_entry_author_kind_check
  CHECK (author_kind IN ('patient', 'representative', 'professional'));
