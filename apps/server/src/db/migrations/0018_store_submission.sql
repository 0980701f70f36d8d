-- The whole write of a deposit (ITI-65, ITI-105) in ONE statement, its own transaction (docs/adr/0011-one-statement-deposit.md).
-- Before, a deposit was BEGIN, ~14 statements sent in three pipelined phases, and COMMIT: four round trips and
-- their wake-ups on both sides. The service now validates, decides and builds every row first (TS), then sends
-- them here as one jsonb; any refusal raises, so nothing of the submission stays behind.
--
-- p: { now, key_version, new_key?, claims[], supersede[], contents[], locators[], submission_sets[], folders[],
--      documents[], list_entries[], audit_tails[], outbox[] }; rows carry their table's column names (every column),
--      bytea in hex ('\x…'). The two large pieces of each document travel beside it, in the documents' order, so
--      that the jsonb parser never reads them: the ciphertexts (p_ciphertexts; the contents' nonce and tag are
--      base64 in p) and the served texts (p_served).
-- Errors (SQLSTATE, MESSAGE, DETAIL):
--   ODC01 conflicts the client must hear: DOC_RECORD_CLOSED; DOC_UNIQUE_ID_EXISTS (DETAIL: the document id);
--         DOC_REPLACE_TARGET_NOT_CURRENT (DETAIL: the replaced id); DOC_LIST_UNIQUE_ID_EXISTS (DETAIL: the List id);
--   ODS01 what the service read before is outdated (the record's data key, a replaced version): it reads and
--         decides again.
-- Citus: not delegated to a worker (it writes the lookup tables document_unique_id and resource_locator, which are
-- distributed by their own key); every statement inside filters on p_patient_id or on a lookup key.
CREATE FUNCTION store_submission(p_patient_id uuid, p jsonb, p_ciphertexts bytea[], p_served text[])
  RETURNS void
  LANGUAGE plpgsql SET search_path = public SET plan_cache_mode = force_generic_plan AS $$
DECLARE
  v_status text;
  v_key integer;
  v_n bigint;
  v_id text;
  s record;
  f folder;
  d document;
  v_i integer := 0;
BEGIN
  -- The record, locked: it may have been closed since the decision; its trace chain is appended below anyway.
  SELECT status INTO v_status FROM patient_record WHERE patient_id = p_patient_id FOR UPDATE;
  IF v_status IS DISTINCT FROM 'active' THEN
    RAISE EXCEPTION USING ERRCODE = 'ODC01', MESSAGE = 'DOC_RECORD_CLOSED';
  END IF;

  -- The contents were sealed with the record's current data key (or with its first one, created here).
  IF p ? 'new_key' THEN
    INSERT INTO record_data_key SELECT * FROM jsonb_populate_record(NULL::record_data_key, p->'new_key')
      ON CONFLICT (patient_id, key_version) DO NOTHING;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    IF v_n = 0 THEN
      RAISE EXCEPTION USING ERRCODE = 'ODS01', MESSAGE = 'record data key created meanwhile';
    END IF;
  ELSE
    SELECT max(key_version) INTO v_key FROM record_data_key WHERE patient_id = p_patient_id;
    IF v_key IS DISTINCT FROM (p->>'key_version')::integer THEN
      RAISE EXCEPTION USING ERRCODE = 'ODS01', MESSAGE = 'record data key changed';
    END IF;
  END IF;

  -- uniqueIds are unique in the whole DMP: a concurrent claim waits for the other transaction, then fails here.
  INSERT INTO document_unique_id SELECT * FROM jsonb_populate_recordset(NULL::document_unique_id, p->'claims')
    ON CONFLICT (unique_id) DO NOTHING;
  GET DIAGNOSTICS v_n = ROW_COUNT;
  IF v_n < jsonb_array_length(p->'claims') THEN
    SELECT c.document_id::text INTO v_id
      FROM jsonb_populate_recordset(NULL::document_unique_id, p->'claims') c
      JOIN document_unique_id u ON u.unique_id = c.unique_id
      WHERE u.document_id <> c.document_id LIMIT 1;
    RAISE EXCEPTION USING ERRCODE = 'ODC01', MESSAGE = 'DOC_UNIQUE_ID_EXISTS', DETAIL = coalesce(v_id, '');
  END IF;

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

  INSERT INTO submission_set SELECT * FROM jsonb_populate_recordset(NULL::submission_set, p->'submission_sets')
    ON CONFLICT (patient_id, unique_id) DO NOTHING;
  GET DIAGNOSTICS v_n = ROW_COUNT;
  IF v_n < jsonb_array_length(p->'submission_sets') THEN
    RAISE EXCEPTION USING ERRCODE = 'ODC01', MESSAGE = 'DOC_LIST_UNIQUE_ID_EXISTS',
      DETAIL = p->'submission_sets'->0->>'id';
  END IF;
  FOR f IN SELECT * FROM jsonb_populate_recordset(NULL::folder, p->'folders') LOOP
    INSERT INTO folder VALUES (f.*) ON CONFLICT (patient_id, unique_id) DO NOTHING;
    IF NOT FOUND THEN
      RAISE EXCEPTION USING ERRCODE = 'ODC01', MESSAGE = 'DOC_LIST_UNIQUE_ID_EXISTS', DETAIL = f.id::text;
    END IF;
  END LOOP;

  FOR d IN SELECT * FROM jsonb_populate_recordset(NULL::document, p->'documents') LOOP
    v_i := v_i + 1;
    d.served := p_served[v_i];
    INSERT INTO document VALUES (d.*);
  END LOOP;
  INSERT INTO list_entry SELECT * FROM jsonb_populate_recordset(NULL::list_entry, p->'list_entries');
  -- Every new row and every superseded version is a new documents revision (migration 0016).
  UPDATE patient_record
    SET documents_revision = documents_revision + jsonb_array_length(p->'documents')
      + jsonb_array_length(p->'supersede')
    WHERE patient_id = p_patient_id;

  PERFORM append_record_audit(p_patient_id, ARRAY(SELECT jsonb_array_elements_text(p->'audit_tails')));
  INSERT INTO outbox SELECT * FROM jsonb_populate_recordset(NULL::outbox, p->'outbox')
    ON CONFLICT (patient_id, dedupe_key) DO NOTHING;
END
$$;
GRANT EXECUTE ON FUNCTION store_submission(uuid, jsonb, bytea[], text[]) TO opendmp_app;
