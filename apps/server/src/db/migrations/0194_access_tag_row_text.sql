-- record_access_tag (migrations 0017, 0071) from the rows' own text instead of their JSON (issue 20,
-- docs/benchmarks.md "Sixteenth session, spread reads"): the same digest of the same facts — every column of the record
-- row but the trace chain's head (audit_seq, audit_head: set to constants rather than removed, which JSON needed),
-- and the record's active consents, every column, in id order — at a tenth of the cost. to_jsonb of the row, its
-- key removals and the JSON text cost about 90 µs a record on this machine kind against 8 µs for the row's text;
-- the tag is computed once per record in every batch of read traces (0.96 a spread request) and in every fresh read
-- of a record's facts. A tag remembered before this migration no longer matches: the read is decided again on fresh
-- facts (StaleFacts), as after any change. The text must stay records.repository.ts ACCESS_TAG's exactly. On Citus
-- the function is distributed (migration 0071): Citus propagates the replacement to the workers.
CREATE OR REPLACE FUNCTION record_access_tag(p_patient_id uuid) RETURNS text
  LANGUAGE plpgsql STABLE SET search_path = public AS $$
DECLARE
  v_tag text;
BEGIN
  SELECT md5(json_populate_record(r, '{"audit_seq":0,"audit_head":null}')::text || '|' || COALESCE(
      (SELECT string_agg(c::text, ',' ORDER BY c.id) FROM consent c
        WHERE c.patient_id = p_patient_id AND c.status = 'active'), ''))
    INTO v_tag
    FROM patient_record r WHERE r.patient_id = p_patient_id;
  RETURN v_tag;
END
$$;
