-- A deposit writing two workers is a two-phase commit again on Citus (issue 20, finding 8; ADR 0035). Migration 0180's
-- Citus body of store_submission wrote the uniqueId claims first, right after reading and locking the record. Citus
-- 13.2 turns two-phase commit on when a transaction that already wrote one node writes through a connection it opens
-- to another (adaptive_executor.c, Activate2PCIfModifyingTransactionExpandsToNewNode), not when it writes through a
-- connection it opened earlier for a read. So a claim on the other worker written first, then the record's rows
-- written through the connection the record's lock had opened, committed with a plain COMMIT on each worker: not
-- atomic across the two (checked on the 3-node cluster with a two-table function; seen in citus.deposit-one-worker:
-- an ITI-65 whose first claim was on the other worker prepared nowhere). Migration 0180's COPYs had hidden it (a
-- COPY always turns two-phase commit on). Here the record's worker is written first (the contents), then the claims:
-- a claim on another worker opens its connection after that write, and the transaction prepares on both. Same rows,
-- checks and answers; the order of the refusals only (a duplicate uniqueId is found after the contents are written,
-- in the same transaction, rolled back alike). Only on Citus; plain PostgreSQL keeps migration 0070's body.
DO $do$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
    RETURN;
  END IF;

  EXECUTE $fn$
CREATE OR REPLACE FUNCTION store_submission(p_patient_id uuid, p jsonb, p_ciphertexts bytea[], p_served text[])
  RETURNS void
  LANGUAGE plpgsql SET search_path = public AS $body$
DECLARE
  v_status text;
  v_key integer;
  s record;
  f folder;
  d document;
  v_new_key record_data_key;
  v_claim document_unique_id;
  v_set submission_set;
  v_locator resource_locator;
  v_entry list_entry;
  v_outbox outbox;
  c jsonb;
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

  -- The contents first: the first write of the transaction goes to the record's worker (see the migration's head).
  FOR n IN 1 .. coalesce(jsonb_array_length(p->'contents'), 0) LOOP
    c := p->'contents'->(n - 1);
    INSERT INTO document_content (patient_id, content_id, key_version, nonce, tag, ciphertext)
      VALUES (p_patient_id, (c->>'content_id')::uuid, (c->>'key_version')::integer, decode(c->>'nonce', 'base64'),
        decode(c->>'tag', 'base64'), p_ciphertexts[n]);
  END LOOP;
  -- uniqueIds are unique in the whole DMP: a concurrent claim waits for the other transaction, then fails here.
  -- After a write on the record's worker: a claim on another worker opens a new connection, and Citus makes the
  -- transaction a two-phase commit.
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

  -- Row by row (no COPY: migration 0180).
  FOR v_locator IN SELECT * FROM jsonb_populate_recordset(NULL::resource_locator, p->'locators') LOOP
    INSERT INTO resource_locator VALUES (v_locator.*);
  END LOOP;

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
  FOR v_entry IN SELECT * FROM jsonb_populate_recordset(NULL::list_entry, p->'list_entries') LOOP
    INSERT INTO list_entry VALUES (v_entry.*);
  END LOOP;
  -- The traces, and the record row once: its chain head, and a documents revision for every new row and every
  -- superseded version (migration 0016).
  PERFORM append_record_audit(p_patient_id, ARRAY(SELECT jsonb_array_elements_text(p->'audit_tails')), NULL,
    jsonb_array_length(p->'documents') + jsonb_array_length(p->'supersede'));
  FOR v_outbox IN SELECT * FROM jsonb_populate_recordset(NULL::outbox, p->'outbox') LOOP
    INSERT INTO outbox VALUES (v_outbox.*) ON CONFLICT (patient_id, dedupe_key) DO NOTHING;
  END LOOP;
END
$body$
$fn$;
END
$do$;
