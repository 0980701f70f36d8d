-- Read traces of several records in one statement: one transaction and one commit for the traces of every record
-- that has some waiting, instead of one per record (services/audit.ts, docs/benchmarks.md). A search or a retrieval
-- spread over many records, each read rarely, had a transaction of its own for its trace: on 2 cores its commit,
-- round trip and call cost more database CPU than the read itself. Each record is appended by append_record_audit,
-- with its own tag check: a record whose tag moved gets 0 in its place of the answer, a record that is gone -1,
-- and nothing is written for them; the others are appended. The caller passes the records in one order (by patient id), so two
-- batches lock records in the same order. Plain PostgreSQL only: on Citus each record's append stays delegated to
-- its worker alone (a batch would be a two-phase commit over the workers), and the service does not call this.
CREATE FUNCTION append_records_audit(p_patient_ids uuid[], p_counts integer[], p_tails text[], p_tags text[])
  RETURNS bigint[] LANGUAGE plpgsql SET search_path = public AS $$
DECLARE
  v_out bigint[] := '{}';
  v_at integer := 1;
BEGIN
  IF coalesce(array_length(p_patient_ids, 1), 0) <> coalesce(array_length(p_counts, 1), 0)
      OR coalesce(array_length(p_patient_ids, 1), 0) <> coalesce(array_length(p_tags, 1), 0) THEN
    RAISE EXCEPTION 'append_records_audit: % records, % counts, % tags', array_length(p_patient_ids, 1),
      array_length(p_counts, 1), array_length(p_tags, 1);
  END IF;
  FOR i IN 1 .. coalesce(array_length(p_patient_ids, 1), 0) LOOP
    v_out := v_out || coalesce(append_record_audit(p_patient_ids[i], p_tails[v_at : v_at + p_counts[i] - 1],
      p_tags[i]), -1);
    v_at := v_at + p_counts[i];
  END LOOP;
  RETURN v_out;
END
$$;
GRANT EXECUTE ON FUNCTION append_records_audit(uuid[], integer[], text[], text[]) TO opendmp_app;
