-- record_access_tag (migration 0194) in two single-table statements (issue 20, docs/benchmarks.md "Sixteenth session,
-- spread reads, memory and the cluster"): on Citus the function runs on the record's worker, inside the delegated
-- append_record_audit, where each statement on a distributed table is planned by Citus before its shard runs it. The
-- statement with the consents as a subquery took the router planner's full path (0.60 ms a call on a worker, its
-- shard query 0.12–0.26 ms); a single-table statement filtered on the distribution column takes its fast path. The
-- digest is the same, text for text (records.repository.ts ACCESS_TAG, record_access_tags of migration 0195): the
-- row's text with the chain head set to constants, '|', the active consents' texts in id order. A STABLE function
-- reads both with the snapshot of the statement that calls it, as the one statement did.
CREATE OR REPLACE FUNCTION record_access_tag(p_patient_id uuid) RETURNS text
  LANGUAGE plpgsql STABLE SET search_path = public AS $$
DECLARE
  v_row text;
  v_consents text;
BEGIN
  SELECT json_populate_record(r, '{"audit_seq":0,"audit_head":null}')::text INTO v_row
    FROM patient_record r WHERE r.patient_id = p_patient_id;
  IF v_row IS NULL THEN
    RETURN NULL;
  END IF;
  SELECT string_agg(c::text, ',' ORDER BY c.id) INTO v_consents
    FROM consent c WHERE c.patient_id = p_patient_id AND c.status = 'active';
  RETURN md5(v_row || '|' || COALESCE(v_consents, ''));
END
$$;
