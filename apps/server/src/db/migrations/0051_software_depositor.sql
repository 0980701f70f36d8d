-- Issue 17 rule 12: a structure's software ("authentification indirecte", actor kind software) deposits documents
-- of its structure's professionals; its deposits are recorded with depositor_kind 'software' (depositor_id
-- '<IdNat_Struct>/<software id>', depositor_structure its structure).
DO $$
DECLARE c record;
BEGIN
  FOR c IN SELECT conname FROM pg_constraint
           WHERE conrelid = 'document'::regclass AND contype = 'c'
             AND pg_get_constraintdef(oid) LIKE '%depositor_kind%'
  LOOP
    EXECUTE format('ALTER TABLE document DROP CONSTRAINT %I', c.conname);
  END LOOP;
END $$;
ALTER TABLE document ADD CONSTRAINT document_depositor_kind_check
  CHECK (depositor_kind IN ('professional', 'patient', 'representative', 'operator', 'software'));
