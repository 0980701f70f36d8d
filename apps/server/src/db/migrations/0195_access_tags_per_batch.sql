-- The tags of a batch of read traces in one query (issue 20, docs/benchmarks.md "Sixteenth session, spread reads"):
-- append_records_audit (migration 0141) and append_records_audit_once (0182) called record_access_tag once per
-- record of the batch, each call a PL/pgSQL function entry, a search_path switch and an SPI execution (about 40 µs
-- on this machine kind once migration 0194 made the digest itself cheap); record_access_tags computes the same
-- digests, text for text, for every record given in one statement. Plain PostgreSQL only, as the batches are (on
-- Citus each record's append is delegated to its worker and calls record_access_tag there).
CREATE FUNCTION record_access_tags(p_patient_ids uuid[])
  RETURNS TABLE (patient_id uuid, tag text) LANGUAGE plpgsql STABLE SET search_path = public AS $$
BEGIN
  -- The text of record_access_tag (migration 0194), record by record.
  RETURN QUERY
  SELECT r.patient_id, md5(json_populate_record(r, '{"audit_seq":0,"audit_head":null}')::text || '|' || COALESCE(
      (SELECT string_agg(c::text, ',' ORDER BY c.id) FROM consent c
        WHERE c.patient_id = r.patient_id AND c.status = 'active'), ''))
    FROM patient_record r WHERE r.patient_id = ANY (p_patient_ids);
END
$$;
GRANT EXECUTE ON FUNCTION record_access_tags(uuid[]) TO opendmp_app;

-- Migration 0141's append_records_audit with the batch's tags from record_access_tags; nothing else changed.
CREATE OR REPLACE FUNCTION append_records_audit(p_patient_ids uuid[], p_counts integer[], p_tails text[],
    p_tags text[])
  RETURNS bigint[] LANGUAGE plpgsql SET search_path = public AS $$
DECLARE
  v_n integer := coalesce(array_length(p_patient_ids, 1), 0);
  v_out bigint[] := '{}';
  -- The records found, locked, with their chain state and their tag (NULL where no caller needs it).
  v_ids uuid[];
  v_seqs bigint[];
  v_heads bytea[];
  v_tags text[];
  v_moved boolean[];
  -- The traces to insert.
  v_ins_ids uuid[] := '{}';
  v_ins_seqs bigint[] := '{}';
  v_ins_tails text[] := '{}';
  v_ins_prevs bytea[] := '{}';
  v_ins_hashes bytea[] := '{}';
  v_at integer := 1;
  v_k integer;
  v_seq bigint;
  v_head bytea;
BEGIN
  IF v_n <> coalesce(array_length(p_counts, 1), 0) OR v_n <> coalesce(array_length(p_tags, 1), 0) THEN
    RAISE EXCEPTION 'append_records_audit: % records, % counts, % tags', array_length(p_patient_ids, 1),
      array_length(p_counts, 1), array_length(p_tags, 1);
  END IF;
  IF v_n = 0 THEN
    RETURN v_out;
  END IF;
  SELECT array_agg(l.patient_id ORDER BY l.patient_id), array_agg(l.audit_seq ORDER BY l.patient_id),
      array_agg(l.audit_head ORDER BY l.patient_id)
    INTO v_ids, v_seqs, v_heads
    FROM (SELECT r.patient_id, r.audit_seq, r.audit_head FROM patient_record r
           WHERE r.patient_id = ANY (p_patient_ids) ORDER BY r.patient_id FOR UPDATE) l;
  v_ids := coalesce(v_ids, '{}');
  -- Tags after the locks (as append_record_audit does): a change to the record or its consents waits for this
  -- transaction, or this one sees it.
  SELECT array_agg(t.tag ORDER BY l.o)
    INTO v_tags
    FROM unnest(v_ids) WITH ORDINALITY AS l(id, o)
      LEFT JOIN record_access_tags(ARRAY(SELECT g.id FROM unnest(p_patient_ids, p_tags) AS g(id, tag)
                                          WHERE g.tag IS NOT NULL)) t ON t.patient_id = l.id;
  v_moved := array_fill(false, ARRAY[greatest(array_length(v_ids, 1), 1)]);
  FOR i IN 1 .. v_n LOOP
    v_k := array_position(v_ids, p_patient_ids[i]);
    IF v_k IS NULL THEN
      v_out := v_out || (-1)::bigint;
    ELSIF p_tags[i] IS NOT NULL AND p_tags[i] IS DISTINCT FROM v_tags[v_k] THEN
      v_out := v_out || 0::bigint;
    ELSE
      v_seq := v_seqs[v_k];
      v_head := v_heads[v_k];
      FOR j IN v_at .. v_at + p_counts[i] - 1 LOOP
        v_seq := v_seq + 1;
        v_ins_ids := v_ins_ids || p_patient_ids[i];
        v_ins_seqs := v_ins_seqs || v_seq;
        v_ins_tails := v_ins_tails || p_tails[j];
        v_ins_prevs := v_ins_prevs || v_head;
        v_head := sha256(coalesce(v_head, '\x'::bytea)
          || convert_to('["' || p_patient_ids[i]::text || '","' || v_seq::text || '",' || p_tails[j], 'UTF8'));
        v_ins_hashes := v_ins_hashes || v_head;
      END LOOP;
      v_seqs[v_k] := v_seq;
      v_heads[v_k] := v_head;
      v_moved[v_k] := true;
      v_out := v_out || v_seq;
    END IF;
    v_at := v_at + p_counts[i];
  END LOOP;
  IF coalesce(array_length(v_ins_ids, 1), 0) > 0 THEN
    INSERT INTO audit_event (patient_id, seq, id, recorded_at, action, outcome, reason_code, actor_kind,
        actor_id, actor_name, actor_profession, actor_specialty, actor_structure, access_mode, justification,
        entity_type, entity_id, detail, prev_hash, hash, canon)
      SELECT e.patient_id, e.seq, (a->>0)::uuid, (a->>1)::timestamptz, a->>2, a->>3, a->>4, a->>5,
          a->>6, a->>7, a->>8, a->>9, a->>10, a->>11, a->>12, a->>13, a->>14,
          COALESCE((SELECT jsonb_object_agg(d->>0, d->1) FROM jsonb_array_elements(a->15) d), '{}'::jsonb),
          e.prev, e.hash, CASE WHEN length(a->>1) = 27 THEN 2 ELSE 1 END
        -- OFFSET 0 keeps the subquery: each tail parsed once (migration 0017).
        FROM unnest(v_ins_ids, v_ins_seqs, v_ins_tails, v_ins_prevs, v_ins_hashes)
               AS e(patient_id, seq, tail, prev, hash),
          LATERAL (SELECT ('[' || e.tail)::jsonb AS a OFFSET 0) x;
    UPDATE patient_record r SET audit_seq = u.seq, audit_head = u.head
      FROM unnest(v_ids, v_seqs, v_heads, v_moved) AS u(patient_id, seq, head, moved)
      WHERE u.moved AND r.patient_id = u.patient_id;
  END IF;
  RETURN v_out;
END
$$;

-- Migration 0182's append_records_audit_once with the batch's tags from record_access_tags; nothing else changed.
CREATE OR REPLACE FUNCTION append_records_audit_once(p_patient_ids uuid[], p_counts integer[], p_tails text[], p_tags text[],
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
  v_tag_ids uuid[];
  v_tag_values text[];
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
  SELECT coalesce(array_agg(t.patient_id), '{}'), coalesce(array_agg(t.tag), '{}') INTO v_tag_ids, v_tag_values
    FROM record_access_tags(ARRAY(SELECT g.id FROM unnest(p_patient_ids, p_tags) AS g(id, tag)
                                   WHERE g.tag IS NOT NULL)) t;
  FOR i IN 1 .. v_n LOOP
    -- Written: a record found whose tag (if any) is unchanged; a record gone, decided on no tag (its traces go to
    -- the system chain, the caller's).
    v_ok := v_ok || CASE
      WHEN array_position(v_ids, p_patient_ids[i]) IS NULL THEN p_tags[i] IS NULL
      ELSE p_tags[i] IS NULL OR p_tags[i] = v_tag_values[array_position(v_tag_ids, p_patient_ids[i])] END;
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
