-- A deposit whose writes all land on its record's worker commits there without a two-phase commit (issue 20,
-- finding 8; docs/adr/0035-deposit-without-copy-on-citus.md). On Citus, an `INSERT … SELECT` whose source is not a
-- distributed table (`jsonb_populate_recordset`, `unnest`) is run as a SELECT on the coordinator then a COPY into
-- the shards, and Citus turns two-phase commit on for every COPY, whatever the number of nodes it reaches: a deposit
-- on one worker ended with PREPARE TRANSACTION / COMMIT PREPARED there. A single-row `INSERT … VALUES` is routed to
-- its shard as a plain statement: a transaction of such statements on one worker commits with a plain COMMIT (Citus
-- still prepares when a second node is written: the uniqueId claim on the other worker).
--
-- On Citus only, store_submission (migration 0070) and append_record_audit (migration 0020) get bodies that insert
-- row by row: the contents, locators, list entries, outbox rows and traces, each by an `INSERT … VALUES`. Same rows,
-- same checks, same answers; the statements whose source was already one row (claims, SubmissionSets, Folders,
-- documents) as before. No forced generic plan (citus-rules.md rule 10, as migration 0071 left them). Plain
-- PostgreSQL and the embedded database keep the set-based bodies: nothing happens there.
--
-- A later migration that replaces either function must keep a Citus body like these (or replace this one too).
DO $do$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
    RETURN;
  END IF;

  EXECUTE $fn$
CREATE OR REPLACE FUNCTION append_record_audit(p_patient_id uuid, p_tails text[], p_tag text DEFAULT NULL,
    p_revisions bigint DEFAULT 0)
  RETURNS bigint LANGUAGE plpgsql SET search_path = public AS $body$
DECLARE
  v_first bigint;
  v_seq bigint;
  v_head bytea;
  v_prev bytea;
  v_tail text;
  a jsonb;
  v_detail jsonb;
BEGIN
  SELECT audit_seq, audit_head INTO v_seq, v_head
    FROM patient_record WHERE patient_id = p_patient_id FOR UPDATE;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  IF p_tag IS NOT NULL AND p_tag IS DISTINCT FROM record_access_tag(p_patient_id) THEN
    RETURN 0;
  END IF;
  v_first := v_seq + 1;
  -- One INSERT … VALUES per link (no COPY: see the migration's head). The link's fields as migration 0020 reads them.
  FOREACH v_tail IN ARRAY p_tails LOOP
    v_seq := v_seq + 1;
    v_prev := v_head;
    v_head := sha256(coalesce(v_head, '\x'::bytea)
      || convert_to('["' || p_patient_id::text || '","' || v_seq::text || '",' || v_tail, 'UTF8'));
    a := ('[' || v_tail)::jsonb;
    v_detail := COALESCE((SELECT jsonb_object_agg(d->>0, d->1) FROM jsonb_array_elements(a->15) d), '{}'::jsonb);
    INSERT INTO audit_event (patient_id, seq, id, recorded_at, action, outcome, reason_code, actor_kind,
        actor_id, actor_name, actor_profession, actor_specialty, actor_structure, access_mode, justification,
        entity_type, entity_id, detail, prev_hash, hash, canon)
      VALUES (p_patient_id, v_seq, (a->>0)::uuid, (a->>1)::timestamptz, a->>2, a->>3, a->>4, a->>5,
        a->>6, a->>7, a->>8, a->>9, a->>10, a->>11, a->>12, a->>13, a->>14, v_detail,
        v_prev, v_head, CASE WHEN length(a->>1) = 27 THEN 2 ELSE 1 END);
  END LOOP;
  UPDATE patient_record SET audit_seq = v_seq, audit_head = v_head,
      documents_revision = documents_revision + p_revisions
    WHERE patient_id = p_patient_id;
  RETURN v_seq;
END
$body$
$fn$;

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

  -- uniqueIds are unique in the whole DMP: a concurrent claim waits for the other transaction, then fails here.
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

  -- Row by row from here (no COPY: see the migration's head).
  FOR n IN 1 .. coalesce(jsonb_array_length(p->'contents'), 0) LOOP
    c := p->'contents'->(n - 1);
    INSERT INTO document_content (patient_id, content_id, key_version, nonce, tag, ciphertext)
      VALUES (p_patient_id, (c->>'content_id')::uuid, (c->>'key_version')::integer, decode(c->>'nonce', 'base64'),
        decode(c->>'tag', 'base64'), p_ciphertexts[n]);
  END LOOP;
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
