-- Issue 20, finding 4 (citus-rules.md rule 12): on Citus, the row count of `INSERT … SELECT … ON CONFLICT DO
-- NOTHING` on a distributed table is the number of rows selected, not inserted. store_submission relied on that
-- count for the record's first data key, the uniqueId claims and the SubmissionSet uniqueIds: the same uniqueId
-- deposited on another record was accepted, a duplicate answered 500 instead of 409, and two first deposits on one
-- record at once could seal a document with a data key never stored. Each of those rows is now inserted alone and
-- counted by what RETURNING gave back, which is right on both engines. Body otherwise as in migration 0019.
CREATE OR REPLACE FUNCTION store_submission(p_patient_id uuid, p jsonb, p_ciphertexts bytea[], p_served text[])
  RETURNS void
  LANGUAGE plpgsql SET search_path = public SET plan_cache_mode = force_generic_plan AS $$
DECLARE
  v_status text;
  v_key integer;
  s record;
  f folder;
  d document;
  v_new_key record_data_key;
  v_claim document_unique_id;
  v_set submission_set;
  v_u text;
  v_i integer := 0;
BEGIN
  -- The record, locked: it may have been closed since the decision; its trace chain is appended below anyway.
  SELECT status INTO v_status FROM patient_record WHERE patient_id = p_patient_id FOR UPDATE;
  IF v_status IS DISTINCT FROM 'active' THEN
    RAISE EXCEPTION USING ERRCODE = 'ODC01', MESSAGE = 'DOC_RECORD_CLOSED';
  END IF;

  -- The contents were sealed with the record's current data key (or with its first one, created here).
  IF p ? 'new_key' THEN
    v_new_key := jsonb_populate_record(NULL::record_data_key, p->'new_key');
    INSERT INTO record_data_key VALUES (v_new_key.*) ON CONFLICT (patient_id, key_version) DO NOTHING
      RETURNING key_version INTO v_key;
    IF v_key IS NULL THEN
      RAISE EXCEPTION USING ERRCODE = 'ODS01', MESSAGE = 'record data key created meanwhile';
    END IF;
  ELSE
    SELECT max(key_version) INTO v_key FROM record_data_key WHERE patient_id = p_patient_id;
    IF v_key IS DISTINCT FROM (p->>'key_version')::integer THEN
      RAISE EXCEPTION USING ERRCODE = 'ODS01', MESSAGE = 'record data key changed';
    END IF;
  END IF;

  -- uniqueIds are unique in the whole DMP: a concurrent claim waits for the other transaction, then fails here.
  -- One claim at a time, each counted by what it returned (on Citus the row count of an INSERT … SELECT … ON
  -- CONFLICT DO NOTHING is the number of rows selected: citus-rules.md rule 12).
  FOR v_claim IN SELECT * FROM jsonb_populate_recordset(NULL::document_unique_id, p->'claims') LOOP
    v_u := NULL;
    INSERT INTO document_unique_id VALUES (v_claim.*) ON CONFLICT (unique_id) DO NOTHING RETURNING unique_id INTO v_u;
    IF v_u IS NULL THEN
      RAISE EXCEPTION USING ERRCODE = 'ODC01', MESSAGE = 'DOC_UNIQUE_ID_EXISTS', DETAIL = v_claim.document_id::text;
    END IF;
  END LOOP;

  -- Replaced versions become superseded: only from the version the decision was made on.
  FOR s IN SELECT * FROM jsonb_to_recordset(p->'supersede') AS x(id uuid, from_version integer, served text) LOOP
    UPDATE document SET status = 'superseded', served = s.served, version_id = version_id + 1,
        updated_at = (p->>'now')::timestamptz
      WHERE patient_id = p_patient_id AND id = s.id AND version_id = s.from_version AND status = 'current';
    IF NOT FOUND THEN
      IF EXISTS (SELECT 1 FROM document WHERE patient_id = p_patient_id AND id = s.id AND status = 'current') THEN
        RAISE EXCEPTION USING ERRCODE = 'ODS01', MESSAGE = 'replaced document changed';
      END IF;
      RAISE EXCEPTION USING ERRCODE = 'ODC01', MESSAGE = 'DOC_REPLACE_TARGET_NOT_CURRENT', DETAIL = s.id::text;
    END IF;
  END LOOP;

  INSERT INTO document_content (patient_id, content_id, key_version, nonce, tag, ciphertext)
    SELECT p_patient_id, (c->>'content_id')::uuid, (c->>'key_version')::integer, decode(c->>'nonce', 'base64'),
        decode(c->>'tag', 'base64'), p_ciphertexts[n]
      FROM jsonb_array_elements(p->'contents') WITH ORDINALITY AS x(c, n);
  INSERT INTO resource_locator SELECT * FROM jsonb_populate_recordset(NULL::resource_locator, p->'locators');

  FOR v_set IN SELECT * FROM jsonb_populate_recordset(NULL::submission_set, p->'submission_sets') LOOP
    v_u := NULL;
    INSERT INTO submission_set VALUES (v_set.*) ON CONFLICT (patient_id, unique_id) DO NOTHING
      RETURNING unique_id INTO v_u;
    IF v_u IS NULL THEN
      RAISE EXCEPTION USING ERRCODE = 'ODC01', MESSAGE = 'DOC_LIST_UNIQUE_ID_EXISTS', DETAIL = v_set.id::text;
    END IF;
  END LOOP;
  FOR f IN SELECT * FROM jsonb_populate_recordset(NULL::folder, p->'folders') LOOP
    v_u := NULL;
    INSERT INTO folder VALUES (f.*) ON CONFLICT (patient_id, unique_id) DO NOTHING RETURNING unique_id INTO v_u;
    IF v_u IS NULL THEN
      RAISE EXCEPTION USING ERRCODE = 'ODC01', MESSAGE = 'DOC_LIST_UNIQUE_ID_EXISTS', DETAIL = f.id::text;
    END IF;
  END LOOP;

  FOR d IN SELECT * FROM jsonb_populate_recordset(NULL::document, p->'documents') LOOP
    v_i := v_i + 1;
    d.served := p_served[v_i];
    INSERT INTO document VALUES (d.*);
  END LOOP;
  INSERT INTO list_entry SELECT * FROM jsonb_populate_recordset(NULL::list_entry, p->'list_entries');
  -- The traces, and the record row once: its chain head, and a documents revision for every new row and every
  -- superseded version (migration 0016).
  PERFORM append_record_audit(p_patient_id, ARRAY(SELECT jsonb_array_elements_text(p->'audit_tails')), NULL,
    jsonb_array_length(p->'documents') + jsonb_array_length(p->'supersede'));
  INSERT INTO outbox SELECT * FROM jsonb_populate_recordset(NULL::outbox, p->'outbox')
    ON CONFLICT (patient_id, dedupe_key) DO NOTHING;
END
$$;
