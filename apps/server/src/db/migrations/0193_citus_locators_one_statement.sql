-- A deposit's locators in one statement on Citus (issue 20; docs/adr/0038-deposit-on-record-worker.md, amended).
--
-- Since migration 0186 store_submission runs on the coordinator and writes, besides the claims and the call of
-- store_submission_record, the deposit's locators in `resource_locator` (drawn into the record's shard, ADR 0031),
-- one `INSERT … VALUES` per locator (migration 0180: no COPY): each planned on the coordinator and sent to the
-- record's worker, one round trip each (three for one document: the DocumentReference, its Binary, the List).
--
-- Here, on Citus only, store_submission writes them with one multi-row `INSERT … VALUES (…), (…), …`, built with
-- format() (%L: each value quoted as a literal) and run by EXECUTE: Citus plans it with its constants, finds every
-- row in the record's shard and sends it there as one statement, one round trip. Not an `INSERT … SELECT` from the
-- JSON or unnest(): Citus runs those as a COPY, which always ends in a two-phase commit (migration 0180, ADR 0035).
-- A locator drawn elsewhere (an unlucky draw, ADR 0031) makes the statement two tasks, one per shard, as the
-- separate inserts were. Same rows, same order, same checks otherwise: migration 0186's body with that one change.
-- Plain PostgreSQL and the embedded database keep migration 0070's body (one set-based statement already).
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
  v_claim document_unique_id;
  v_u text;
  v_values text;
BEGIN
  -- uniqueIds are unique in the whole DMP: a concurrent claim waits for the other transaction, then fails here.
  -- First, before anything reads or writes the record's worker (migration 0186).
  FOR v_claim IN SELECT * FROM jsonb_populate_recordset(NULL::document_unique_id, p->'claims') LOOP
    v_u := NULL;
    INSERT INTO document_unique_id VALUES (v_claim.*) ON CONFLICT (unique_id) DO NOTHING RETURNING unique_id INTO v_u;
    IF v_u IS NULL THEN
      RAISE EXCEPTION USING ERRCODE = 'ODC01', MESSAGE = 'DOC_UNIQUE_ID_EXISTS', DETAIL = v_claim.document_id::text;
    END IF;
  END LOOP;
  -- The locators, on the record's shard (ADR 0031): one multi-row INSERT … VALUES, one round trip (no COPY).
  SELECT string_agg(format('(%L::uuid, %L::uuid, %L)', l.id, l.patient_id, l.kind), ', ' ORDER BY l.n)
    INTO v_values
    FROM jsonb_array_elements(p->'locators') WITH ORDINALITY AS e(j, n),
      LATERAL (SELECT (jsonb_populate_record(NULL::resource_locator, e.j)).*, e.n) AS l;
  IF v_values IS NOT NULL THEN
    EXECUTE 'INSERT INTO resource_locator (id, patient_id, kind) VALUES ' || v_values;
  END IF;
  -- FROM: a call in a plain expression would not be delegated.
  PERFORM * FROM store_submission_record(p_patient_id, p, p_ciphertexts, p_served);
END
$body$
$fn$;
END
$do$;
