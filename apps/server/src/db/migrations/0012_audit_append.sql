-- Appending to a record's trace chain in one statement (one round trip, its own transaction when run alone):
-- lock the record row that holds the chain head, insert the events with their hashes, move the head.
-- The hash is the one domain/audit/audit-record.ts defines and `opendmp audit verify` recomputes:
--   hash = SHA-256(prev_hash || canonical payload), canonical payload = JSON array
--   ["<patient_id>","<seq>", …the event's fields…]. The caller sends each event with `tail`, the JSON text of
--   that array after its first two elements (`,` excluded); seq is only known here, under the lock.
-- Plain PL/pgSQL run with the caller's rights (opendmp_app may insert traces, never alter them); the patient id
-- comes first, so Citus can route the call to the record's node (create_distributed_function).
CREATE FUNCTION append_record_audit(p_patient_id uuid, p_events jsonb) RETURNS bigint
  LANGUAGE plpgsql SET search_path = public AS $$
DECLARE
  v_seq bigint;
  v_head bytea;
  v_hash bytea;
  e jsonb;
BEGIN
  SELECT audit_seq, audit_head INTO v_seq, v_head
    FROM patient_record WHERE patient_id = p_patient_id FOR UPDATE;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  FOR e IN SELECT value FROM jsonb_array_elements(p_events) LOOP
    v_seq := v_seq + 1;
    v_hash := sha256(coalesce(v_head, '\x'::bytea)
      || convert_to('["' || p_patient_id::text || '","' || v_seq::text || '",' || (e->>'tail'), 'UTF8'));
    INSERT INTO audit_event (patient_id, seq, id, recorded_at, action, outcome, reason_code, actor_kind,
        actor_id, actor_name, actor_profession, actor_specialty, actor_structure, access_mode, justification,
        entity_type, entity_id, detail, prev_hash, hash)
      VALUES (p_patient_id, v_seq, (e->>'id')::uuid, (e->>'recorded_at')::timestamptz, e->>'action',
        e->>'outcome', e->>'reason_code', e->>'actor_kind', e->>'actor_id', e->>'actor_name',
        e->>'actor_profession', e->>'actor_specialty', e->>'actor_structure', e->>'access_mode',
        e->>'justification', e->>'entity_type', e->>'entity_id', e->'detail', v_head, v_hash);
    v_head := v_hash;
  END LOOP;
  UPDATE patient_record SET audit_seq = v_seq, audit_head = v_head WHERE patient_id = p_patient_id;
  RETURN v_seq;
END
$$;
GRANT EXECUTE ON FUNCTION append_record_audit(uuid, jsonb) TO opendmp_app;
