-- A VIHF's single use written in the statement that appends the request's read trace (issue 19, ADR 0037). An
-- ITI-18 query recorded its assertion's single use in a statement and a commit of its own before it ran
-- (xds/vihf-store.ts useAssertion), then its trace in the group-committed read traces (services/audit.ts): two
-- commits where a FHIR search makes one. Here the trace carries the use: the record is locked and its tag checked,
-- then the uses are inserted, and only the traces whose use was new (or that carry none) are appended — a replay's
-- trace is not written, the request is refused as before. Plain PostgreSQL only: on Citus vihf_assertion_used stays
-- on the coordinator and the single use a statement of its own (ADR 0037: joining it to the record's worker would
-- make every read a two-phase commit).
--
-- used_by: the request that wrote the use (a random id of the request, NULL for a use written alone). A request may
-- write several traces (one per record it read), or write one again after its facts moved (StaleFacts) or its
-- transaction rolled back: the use is then "already this request's", not a replay. A use written alone (NULL) is
-- never anyone's again.
ALTER TABLE vihf_assertion_used ADD COLUMN used_by uuid;

-- The uses of several requests: the first of a key in the order given takes it, unless it is already held by
-- another request (or the certificate it was verified with was revoked or removed meanwhile). The answer: the keys
-- held by the request given with them (key and used_by), the others are refused.
CREATE FUNCTION use_assertions(p_keys text[], p_expires timestamptz[], p_certs uuid[], p_by uuid[])
  RETURNS TABLE (held_key text, held_by uuid) LANGUAGE plpgsql SET search_path = public AS $$
BEGIN
  RETURN QUERY
  INSERT INTO vihf_assertion_used AS u (assertion_key, expires_at, used_by)
  SELECT DISTINCT ON (x.k) x.k, x.e, x.b
    FROM unnest(p_keys, p_expires, p_certs, p_by) WITH ORDINALITY AS x(k, e, c, b, o)
   WHERE x.k IS NOT NULL AND EXISTS (SELECT 1 FROM vihf_certificate v WHERE v.id = x.c AND v.revoked_at IS NULL)
   -- The request that holds a key already goes first (a replay of it in the same batch cannot take its place).
   ORDER BY x.k, EXISTS (SELECT 1 FROM vihf_assertion_used w WHERE w.assertion_key = x.k AND w.used_by = x.b) DESC,
     x.o
  ON CONFLICT ON CONSTRAINT vihf_assertion_used_pkey DO UPDATE SET used_by = EXCLUDED.used_by
    WHERE u.used_by = EXCLUDED.used_by
  RETURNING u.assertion_key, u.used_by;
END
$$;
GRANT EXECUTE ON FUNCTION use_assertions(text[], timestamptz[], uuid[], uuid[]) TO opendmp_app;

-- append_records_audit (migration 0141) with the traces' single uses, aligned with p_tails (NULL where a trace
-- carries none). Per record, as append_records_audit answers: its new last seq, 0 when its tag moved, -1 when it is
-- gone; nothing is used for a record whose tag moved or that is gone with a tag (the caller decides again and
-- traces again). `refused`: the positions (from 1, in p_tails) of the traces whose use was refused — not appended.
CREATE FUNCTION append_records_audit_once(p_patient_ids uuid[], p_counts integer[], p_tails text[], p_tags text[],
    p_keys text[], p_expires timestamptz[], p_certs uuid[], p_by uuid[], OUT seqs bigint[], OUT refused integer[])
  LANGUAGE plpgsql SET search_path = public AS $$
DECLARE
  v_n integer := coalesce(array_length(p_patient_ids, 1), 0);
  v_t integer := coalesce(array_length(p_tails, 1), 0);
  v_ids uuid[];
  v_ok boolean[] := '{}';
  v_open boolean[] := '{}';
  v_held text[];
  v_tails text[] := '{}';
  v_counts integer[] := '{}';
  v_at integer := 1;
  v_kept integer;
BEGIN
  refused := '{}';
  IF v_n <> coalesce(array_length(p_counts, 1), 0) OR v_n <> coalesce(array_length(p_tags, 1), 0)
      OR v_t <> coalesce(array_length(p_keys, 1), 0) OR v_t <> coalesce(array_length(p_expires, 1), 0)
      OR v_t <> coalesce(array_length(p_certs, 1), 0) OR v_t <> coalesce(array_length(p_by, 1), 0) THEN
    RAISE EXCEPTION 'append_records_audit_once: arrays of different lengths';
  END IF;
  -- The records locked in patient-id order (the order every batch takes), then their tags: a change to the record
  -- or its consents waits for this transaction, or this one sees it (as append_records_audit).
  SELECT array_agg(l.patient_id ORDER BY l.patient_id) INTO v_ids
    FROM (SELECT r.patient_id FROM patient_record r WHERE r.patient_id = ANY (p_patient_ids)
           ORDER BY r.patient_id FOR UPDATE) l;
  v_ids := coalesce(v_ids, '{}');
  FOR i IN 1 .. v_n LOOP
    -- Written: a record found whose tag (if any) is unchanged; a record gone, decided on no tag (its traces go to
    -- the system chain, the caller's).
    v_ok := v_ok || CASE
      WHEN array_position(v_ids, p_patient_ids[i]) IS NULL THEN p_tags[i] IS NULL
      ELSE p_tags[i] IS NULL OR p_tags[i] = record_access_tag(p_patient_ids[i]) END;
    FOR j IN v_at .. v_at + p_counts[i] - 1 LOOP
      v_open := v_open || v_ok[i];
    END LOOP;
    v_at := v_at + p_counts[i];
  END LOOP;
  SELECT array_agg(h.held_key || ' ' || h.held_by::text) INTO v_held
    FROM use_assertions(
      (SELECT array_agg(CASE WHEN o THEN k END ORDER BY n) FROM unnest(p_keys, v_open) WITH ORDINALITY AS x(k, o, n)),
      p_expires, p_certs, p_by) h;
  v_held := coalesce(v_held, '{}');
  v_at := 1;
  FOR i IN 1 .. v_n LOOP
    v_kept := 0;
    FOR j IN v_at .. v_at + p_counts[i] - 1 LOOP
      IF v_ok[i] THEN
        IF p_keys[j] IS NULL OR (p_keys[j] || ' ' || p_by[j]::text) = ANY (v_held) THEN
          v_tails := v_tails || p_tails[j];
          v_kept := v_kept + 1;
        ELSE
          refused := refused || j;
        END IF;
      END IF;
    END LOOP;
    v_counts := v_counts || v_kept;
    v_at := v_at + p_counts[i];
  END LOOP;
  -- The tags were checked above under the locks: the append checks none.
  seqs := append_records_audit(p_patient_ids, v_counts, v_tails, array_fill(NULL::text, ARRAY[v_n]));
  FOR i IN 1 .. v_n LOOP
    IF NOT v_ok[i] THEN
      seqs[i] := CASE WHEN array_position(v_ids, p_patient_ids[i]) IS NULL THEN -1 ELSE 0 END;
    END IF;
  END LOOP;
END
$$;
GRANT EXECUTE ON FUNCTION append_records_audit_once(uuid[], integer[], text[], text[], text[], timestamptz[], uuid[],
  uuid[]) TO opendmp_app;
