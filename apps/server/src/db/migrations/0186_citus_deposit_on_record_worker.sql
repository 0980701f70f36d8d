-- A deposit's record rows are written on the record's worker (issue 20; docs/adr/0038-deposit-on-record-worker.md).
--
-- On Citus, store_submission ran on the coordinator: each of its statements (the record's lock, the data key, the
-- contents, claim, locators, SubmissionSet, document, list entry, trace, outbox: about fifteen for one document) was
-- planned there as a distributed statement, deparsed with its values and sent to the record's worker, one round trip
-- each. Measured on the 3-node cluster of this machine (loaded): 7.6-9.2 ms of the coordinator's CPU per ITI-105
-- deposit.
--
-- Delegating the whole of store_submission to the record's worker (create_distributed_function, the call alone)
-- was tried: the coordinator's share fell to 2.3 ms, but a claim hashing to the other worker is then written from
-- the record's worker, and Citus does not keep the connections a backend serving another node opens: one new
-- connection (a backend started on the claim's worker) per such deposit, about 10 ms of CPU there, for half the
-- deposits with two workers and nearly all at the country's scale. Not kept.
--
-- Here, on Citus only:
-- 1. store_submission_record: what store_submission wrote on the record's shards (migration 0181's body without the
--    claims and the locators: every statement keyed by p_patient_id), a distributed function co-located with
--    patient_record and force-delegated, so that called inside a transaction it runs on the record's worker, over
--    the connection the coordinator's transaction holds there, its statements executed locally. A forced delegation
--    lets the function touch only rows whose key is its argument, as Citus sees it: each row is inserted with
--    p_patient_id named (an `INSERT … VALUES (row.*)` is refused there), its columns listed: a column added later to
--    one of these tables must be added here too (or this function replaced by the migration that adds it).
-- 2. store_submission, the entry point the service calls (its own transaction, as before), runs on the coordinator:
--    the uniqueId claims (row by row, each routed to its shard, refused as before), then the locators (drawn into the
--    record's shard, ADR 0031: routed to the record's worker), then the call above. The first write reaches the
--    claim's worker; the record's worker is then written through a connection opened after it, so Citus prepares
--    both when they differ (ADR 0035's rule), and commits the record's worker alone plainly when the claim is there.
--    Same rows, same checks and refusals; their order only: a duplicate uniqueId is found before the record's state
--    and data key are checked (both rolled back alike; the decision checked the record before).
-- 3. opendmp_decode_base64(text[]), on every engine: the ciphertexts of a deposit of several documents decoded by an
--    immutable function rather than a subquery, so that on Citus the call's arguments fold into constants, which the
--    forced delegation needs. On plain PostgreSQL the same decoding as before.
-- Plain PostgreSQL and the embedded database keep migration 0070's body.
CREATE OR REPLACE FUNCTION opendmp_decode_base64(p text[]) RETURNS bytea[]
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(decode(c, 'base64') ORDER BY n), '{}') FROM unnest(p) WITH ORDINALITY AS u(c, n)
$$;

DO $do$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
    RETURN;
  END IF;

  EXECUTE $fn$
CREATE FUNCTION store_submission_record(p_patient_id uuid, p jsonb, p_ciphertexts bytea[], p_served text[])
  RETURNS void
  LANGUAGE plpgsql SET search_path = public AS $body$
DECLARE
  v_status text;
  v_key integer;
  s record;
  f folder;
  d document;
  v_new_key record_data_key;
  v_set submission_set;
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
    INSERT INTO record_data_key (patient_id, key_version, master_key_id, wrapped_key, created_at)
      VALUES (p_patient_id, v_new_key.key_version, v_new_key.master_key_id, v_new_key.wrapped_key,
        v_new_key.created_at) ON CONFLICT (patient_id, key_version) DO NOTHING
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

  -- The contents.
  FOR n IN 1 .. coalesce(jsonb_array_length(p->'contents'), 0) LOOP
    c := p->'contents'->(n - 1);
    INSERT INTO document_content (patient_id, content_id, key_version, nonce, tag, ciphertext)
      VALUES (p_patient_id, (c->>'content_id')::uuid, (c->>'key_version')::integer, decode(c->>'nonce', 'base64'),
        decode(c->>'tag', 'base64'), p_ciphertexts[n]);
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
  FOR v_set IN SELECT * FROM jsonb_populate_recordset(NULL::submission_set, p->'submission_sets') LOOP
    v_u := NULL;
    INSERT INTO submission_set (patient_id, id, unique_id, source_id, designation_code, author_ids,
        depositor_kind, depositor_id, submitted_at, metadata, fhir_carried, served)
      VALUES (p_patient_id, v_set.id, v_set.unique_id, v_set.source_id, v_set.designation_code,
        v_set.author_ids, v_set.depositor_kind, v_set.depositor_id, v_set.submitted_at, v_set.metadata,
        v_set.fhir_carried, v_set.served) ON CONFLICT (patient_id, unique_id) DO NOTHING
      RETURNING unique_id INTO v_u;
    IF v_u IS NULL THEN
      RAISE EXCEPTION USING ERRCODE = 'ODC01', MESSAGE = 'DOC_LIST_UNIQUE_ID_EXISTS', DETAIL = v_set.id::text;
    END IF;
  END LOOP;
  FOR f IN SELECT * FROM jsonb_populate_recordset(NULL::folder, p->'folders') LOOP
    v_u := NULL;
    INSERT INTO folder (patient_id, id, unique_id, codes, title, status, version_id, created_at, updated_at,
        metadata, fhir_carried, served)
      VALUES (p_patient_id, f.id, f.unique_id, f.codes, f.title, f.status, f.version_id, f.created_at,
        f.updated_at, f.metadata, f.fhir_carried, f.served)
        ON CONFLICT (patient_id, unique_id) DO NOTHING RETURNING unique_id INTO v_u;
    IF v_u IS NULL THEN
      RAISE EXCEPTION USING ERRCODE = 'ODC01', MESSAGE = 'DOC_LIST_UNIQUE_ID_EXISTS', DETAIL = f.id::text;
    END IF;
  END LOOP;

  FOR d IN SELECT * FROM jsonb_populate_recordset(NULL::document, p->'documents') LOOP
    v_i := v_i + 1;
    d.served := p_served[v_i];
    INSERT INTO document (patient_id, id, version_id, unique_id, lineage_id, replaces_id, status, archived,
        type_code, class_code, format_code, facility_code, setting_code, confidentiality, event_codes, related_ids,
        author_ids, author_structures, depositor_kind, depositor_id, depositor_structure, submission_set_id, doc_date,
        creation_time, service_start, service_stop, deposited_at, updated_at, content_id, mime_type, size, sha1,
        served, metadata, fhir_carried, subject_patient_id, entry_uuid, entry_version)
      VALUES (p_patient_id, d.id, d.version_id, d.unique_id, d.lineage_id, d.replaces_id, d.status, d.archived,
        d.type_code, d.class_code, d.format_code, d.facility_code, d.setting_code, d.confidentiality,
        d.event_codes, d.related_ids, d.author_ids, d.author_structures, d.depositor_kind, d.depositor_id,
        d.depositor_structure, d.submission_set_id, d.doc_date, d.creation_time, d.service_start,
        d.service_stop, d.deposited_at, d.updated_at, d.content_id, d.mime_type, d.size, d.sha1, d.served,
        d.metadata, d.fhir_carried, d.subject_patient_id, d.entry_uuid, d.entry_version);
  END LOOP;
  FOR v_entry IN SELECT * FROM jsonb_populate_recordset(NULL::list_entry, p->'list_entries') LOOP
    INSERT INTO list_entry (patient_id, list_id, document_id, position)
      VALUES (p_patient_id, v_entry.list_id, v_entry.document_id, v_entry.position);
  END LOOP;
  -- The traces, and the record row once: its chain head, and a documents revision for every new row and every
  -- superseded version (migration 0016).
  PERFORM append_record_audit(p_patient_id, ARRAY(SELECT jsonb_array_elements_text(p->'audit_tails')), NULL,
    jsonb_array_length(p->'documents') + jsonb_array_length(p->'supersede'));
  FOR v_outbox IN SELECT * FROM jsonb_populate_recordset(NULL::outbox, p->'outbox') LOOP
    INSERT INTO outbox (patient_id, id, event_type, recipient_kind, recipient_id, channel, priority, payload,
        dedupe_key, status, attempts, next_attempt_at, last_error, created_at, delivered_at)
      VALUES (p_patient_id, v_outbox.id, v_outbox.event_type, v_outbox.recipient_kind, v_outbox.recipient_id,
        v_outbox.channel, v_outbox.priority, v_outbox.payload, v_outbox.dedupe_key, v_outbox.status,
        v_outbox.attempts, v_outbox.next_attempt_at, v_outbox.last_error, v_outbox.created_at,
        v_outbox.delivered_at) ON CONFLICT (patient_id, dedupe_key) DO NOTHING;
  END LOOP;
END
$body$
$fn$;

  EXECUTE $fn$
CREATE OR REPLACE FUNCTION store_submission(p_patient_id uuid, p jsonb, p_ciphertexts bytea[], p_served text[])
  RETURNS void
  LANGUAGE plpgsql SET search_path = public AS $body$
DECLARE
  v_claim document_unique_id;
  v_locator resource_locator;
  v_u text;
BEGIN
  -- uniqueIds are unique in the whole DMP: a concurrent claim waits for the other transaction, then fails here.
  -- First, before anything reads or writes the record's worker (see the migration's head).
  FOR v_claim IN SELECT * FROM jsonb_populate_recordset(NULL::document_unique_id, p->'claims') LOOP
    v_u := NULL;
    INSERT INTO document_unique_id VALUES (v_claim.*) ON CONFLICT (unique_id) DO NOTHING RETURNING unique_id INTO v_u;
    IF v_u IS NULL THEN
      RAISE EXCEPTION USING ERRCODE = 'ODC01', MESSAGE = 'DOC_UNIQUE_ID_EXISTS', DETAIL = v_claim.document_id::text;
    END IF;
  END LOOP;
  -- Row by row (no COPY: migration 0180); on the record's shard (ADR 0031).
  FOR v_locator IN SELECT * FROM jsonb_populate_recordset(NULL::resource_locator, p->'locators') LOOP
    INSERT INTO resource_locator VALUES (v_locator.*);
  END LOOP;
  -- FROM: a call in a plain expression would not be delegated.
  PERFORM * FROM store_submission_record(p_patient_id, p, p_ciphertexts, p_served);
END
$body$
$fn$;

  REVOKE ALL ON FUNCTION store_submission_record(uuid, jsonb, bytea[], text[]) FROM PUBLIC;
  GRANT EXECUTE ON FUNCTION store_submission_record(uuid, jsonb, bytea[], text[]) TO opendmp_app;
  PERFORM create_distributed_function('store_submission_record(uuid, jsonb, bytea[], text[])', 'p_patient_id',
    colocate_with => 'patient_record', force_delegation => true);
END
$do$;
