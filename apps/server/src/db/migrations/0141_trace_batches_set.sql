-- Read traces of several records appended by a fixed number of statements whatever the number of records
-- (services/audit.ts, docs/benchmarks.md "Twelfth session"). Migration 0140 called append_record_audit once per
-- record: four statements each (its lock, its tag, its insert, its head update), so a batch of 16 records with one
-- trace each ran 64 statements. Here: one statement locks every record of the batch (in patient-id order, the
-- order every batch takes), one computes the tags of those that were decided on remembered facts, the chains are
-- extended in memory, one INSERT writes every trace and one UPDATE every head. Same answer as before, record by
-- record, in the order given: the new last seq, 0 for a record whose tag moved (nothing written for it), -1 for a
-- record that is gone. The same record twice in one call continues its own chain. Plain PostgreSQL only, as before
-- (on Citus each record's append stays delegated to its worker alone).
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
  SELECT array_agg(CASE WHEN EXISTS (SELECT 1 FROM unnest(p_patient_ids, p_tags) AS g(id, tag)
                                      WHERE g.id = l.id AND g.tag IS NOT NULL)
                        THEN record_access_tag(l.id) END ORDER BY l.o)
    INTO v_tags
    FROM unnest(v_ids) WITH ORDINALITY AS l(id, o);
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
