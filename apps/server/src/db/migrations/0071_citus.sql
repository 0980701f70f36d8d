-- Citus (issue 20, docs/scaling.md, docs/adr/0017-citus.md): the distribution is part of the migrations and runs
-- only when the database has the `citus` extension (DATABASE_URL naming a coordinator whose database has it and
-- its workers registered). On plain PostgreSQL and the embedded database, only the first part (functions whose
-- result is unchanged) applies.

-- 1. record_access_tag with its consents filtered on the parameter (citus-rules.md rule 13: a subquery correlated on
--    r.patient_id goes to every shard). Same text as migration 0017's for every record.
CREATE OR REPLACE FUNCTION record_access_tag(p_patient_id uuid) RETURNS text
  LANGUAGE plpgsql STABLE SET search_path = public AS $$
DECLARE
  v_tag text;
BEGIN
  SELECT md5((to_jsonb(r) - 'audit_seq' - 'audit_head')::text || '|' || COALESCE(
      (SELECT jsonb_agg(to_jsonb(c) ORDER BY c.id) FROM consent c
        WHERE c.patient_id = p_patient_id AND c.status = 'active'), '[]'::jsonb)::text)
    INTO v_tag
    FROM patient_record r WHERE r.patient_id = p_patient_id;
  RETURN v_tag;
END
$$;

-- 2. A helper for later migrations: distributes a table when Citus is there, does nothing otherwise.
--    kind 'patient': distributed by patient_id, co-located with patient_record; 'reference': copied to every node;
--    'lookup': distributed by `key`, in its own co-location group of that key's type ('none' first, then joined).
CREATE OR REPLACE FUNCTION opendmp_distribute(p_table regclass, p_kind text, p_key text DEFAULT NULL)
  RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
    RETURN;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = p_table) THEN
    RETURN;
  END IF;
  CASE p_kind
    WHEN 'patient' THEN
      IF p_table = 'patient_record'::regclass THEN
        PERFORM create_distributed_table(p_table, 'patient_id', colocate_with => 'none', shard_count => 32);
      ELSE
        PERFORM create_distributed_table(p_table, 'patient_id', colocate_with => 'patient_record');
      END IF;
    WHEN 'reference' THEN
      PERFORM create_reference_table(p_table);
    WHEN 'lookup' THEN
      PERFORM create_distributed_table(p_table, p_key, colocate_with => 'none', shard_count => 32);
    ELSE
      RAISE EXCEPTION 'opendmp_distribute: unknown kind %', p_kind;
  END CASE;
END
$$;

-- 3. The distribution (only with Citus).
DO $$
DECLARE
  t text;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
    RETURN;
  END IF;
  -- One connection per worker for the rest of the migrations' transaction: DDL after parallel work on the same
  -- tables would otherwise be refused, and the migrations are small.
  SET LOCAL citus.multi_shard_modify_mode TO 'sequential';

  -- Shared tables: the directory and the system chain (one row per system event, rare). The directory's foreign
  -- keys are set aside meanwhile: a reference table referenced by a plain table would turn the plain table and
  -- everything linked to it into coordinator-only ("citus local") tables, which patient tables cannot join.
  ALTER TABLE professional_structure DROP CONSTRAINT professional_structure_id_nat_ps_fkey;
  ALTER TABLE professional_structure DROP CONSTRAINT professional_structure_id_nat_struct_fkey;
  FOREACH t IN ARRAY ARRAY['structure', 'professional', 'professional_structure', 'system_audit_event',
      'system_audit_head'] LOOP
    PERFORM opendmp_distribute(t::regclass, 'reference');
  END LOOP;
  ALTER TABLE professional_structure
    ADD CONSTRAINT professional_structure_id_nat_ps_fkey FOREIGN KEY (id_nat_ps) REFERENCES professional (id_nat_ps);
  ALTER TABLE professional_structure ADD CONSTRAINT professional_structure_id_nat_struct_fkey
    FOREIGN KEY (id_nat_struct) REFERENCES structure (id_nat_struct);

  -- Patient tables, by patient_id, co-located with the record (referenced tables before those that refer to them).
  FOREACH t IN ARRAY ARRAY['patient_record', 'legal_representative', 'record_tombstone', 'audit_event',
      'record_data_key', 'document_content', 'submission_set', 'folder', 'document', 'list_entry', 'consent',
      'notification_preference', 'outbox', 'inbox', 'document_visibility_notice', 'care_line',
      'care_history_state', 'profile_entry', 'profile_export'] LOOP
    PERFORM opendmp_distribute(t::regclass, 'patient');
  END LOOP;

  -- Look-ups, by their own key: INS (and oppositions by INS), a producer's uniqueId, server ids.
  PERFORM opendmp_distribute('ins_index', 'lookup', 'ins');
  PERFORM create_distributed_table('opposition', 'ins', colocate_with => 'ins_index');
  PERFORM create_distributed_table('document_unique_id', 'unique_id', colocate_with => 'ins_index');
  PERFORM opendmp_distribute('resource_locator', 'lookup', 'id');
  PERFORM create_distributed_table('profile_locator', 'id', colocate_with => 'resource_locator');

  -- Functions. Citus plans each statement of a function forced to generic plans without its parameters' values
  -- and cannot route them (rule 10): custom plans on Citus (plain PostgreSQL keeps the generic ones, measured).
  ALTER FUNCTION append_record_audit(uuid, text[], text, bigint) RESET plan_cache_mode;
  ALTER FUNCTION store_submission(uuid, jsonb, bytea[], text[]) RESET plan_cache_mode;

  -- A trace appended alone (a read's confirmed trace, a denial) is delegated to the record's worker: one round trip
  -- from the coordinator, then local statements there. record_access_tag is called by it.
  PERFORM create_distributed_function('record_access_tag(uuid)', 'p_patient_id', colocate_with => 'patient_record');
  PERFORM create_distributed_function('append_record_audit(uuid, text[], text, bigint)', 'p_patient_id',
    colocate_with => 'patient_record');
  -- The purge runs as the owner (SECURITY DEFINER) in a transaction in which opendmp_app already wrote the record's
  -- shards: delegated even inside that transaction, it runs on the worker connection that wrote them (rule 14).
  PERFORM create_distributed_function('purge_record_audit(uuid, timestamptz)', 'p_patient_id',
    colocate_with => 'patient_record', force_delegation => true);
END
$$;
