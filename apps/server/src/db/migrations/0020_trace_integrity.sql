-- Trustworthy traces (issue 16, finding 7; docs/adr/0013-trace-integrity.md).
--
-- 1. The service logs in as opendmp_app itself (no longer as the owner then SET ROLE): RESET ROLE gains nothing.
--    Its password, when the server asks for one, is set by the service at start (db/app-login.ts), not here.
DO $$
BEGIN
  EXECUTE 'ALTER ROLE opendmp_app LOGIN';
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'opendmp_app could not be made a LOGIN role: ask the database administrator (ALTER ROLE opendmp_app LOGIN)';
END
$$;

-- 2. Tombstones are written only by the purge function below, which checks the record's own state.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON record_tombstone FROM opendmp_app;
REVOKE TRUNCATE ON ALL TABLES IN SCHEMA public FROM opendmp_app;

DROP FUNCTION purge_record_audit(uuid);

-- Purges a record's traces and writes its tombstone, in the caller's transaction, only when the record itself says
-- it is due, by the purge job's rule (domain/records/lifecycle.ts purgeDue, RETENTION_YEARS = 10): closed, and its
-- deletion requested (at or before p_now) or its retention of 10 years after closure elapsed. p_now is the service's
-- clock (the demo's time travel and the tests move it); a live record's traces can never be purged. Returns the
-- reason written in the tombstone. The caller then deletes the record's other rows and the record.
CREATE FUNCTION purge_record_audit(p_patient_id uuid, p_now timestamptz) RETURNS text
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
  r patient_record;
  v_reason text;
BEGIN
  SELECT * INTO r FROM patient_record WHERE patient_id = p_patient_id FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'ODP01', MESSAGE = 'no such record to purge';
  END IF;
  IF r.status <> 'closed' OR r.closed_at IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'ODP01', MESSAGE = 'the record is not closed: its traces stay';
  END IF;
  IF r.deletion_requested_at IS NOT NULL AND r.deletion_requested_at <= p_now THEN
    v_reason := 'deletion-requested';
  ELSIF (r.closed_at AT TIME ZONE 'UTC' + interval '10 years') AT TIME ZONE 'UTC' <= p_now THEN
    v_reason := 'retention-expired';
  ELSE
    RAISE EXCEPTION USING ERRCODE = 'ODP01', MESSAGE = 'the record''s retention has not elapsed: its traces stay';
  END IF;
  INSERT INTO record_tombstone (patient_id, ins, created_at, closed_at, purged_at, purge_reason)
    VALUES (r.patient_id, r.ins, r.created_at, r.closed_at, p_now, v_reason);
  DELETE FROM audit_event WHERE patient_id = p_patient_id;
  RETURN v_reason;
END
$$;
REVOKE ALL ON FUNCTION purge_record_audit(uuid, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION purge_record_audit(uuid, timestamptz) TO opendmp_app;

-- 3. Canonical form version of each link (domain/audit/audit-record.ts): 1 = recorded_at hashed to the millisecond
--    (every link written before this migration, left as it is), 2 = to the microsecond, as stored (every new link).
--    No existing row is rehashed; a link cannot be moved from 2 to 1 without its hash failing (the texts differ).
--    The default stays 1, what code written before this migration hashes; the current code names the form it hashed.
ALTER TABLE audit_event ADD COLUMN canon smallint NOT NULL DEFAULT 1;
ALTER TABLE system_audit_event ADD COLUMN canon smallint NOT NULL DEFAULT 1;

-- The form of each new link is the one its tail was hashed in, read from the tail's time (27 characters, six
-- fractional digits: form 2; 24, milliseconds: form 1), so that an instance still running the previous code during a rolling upgrade (millisecond tails) writes
-- links that verify as form 1. Body otherwise as in migration 0019.
CREATE OR REPLACE FUNCTION append_record_audit(p_patient_id uuid, p_tails text[], p_tag text DEFAULT NULL,
    p_revisions bigint DEFAULT 0)
  RETURNS bigint LANGUAGE plpgsql SET search_path = public SET plan_cache_mode = force_generic_plan AS $$
DECLARE
  v_first bigint;
  v_seq bigint;
  v_head bytea;
  v_prevs bytea[] := '{}';
  v_hashes bytea[] := '{}';
  v_tail text;
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
  FOREACH v_tail IN ARRAY p_tails LOOP
    v_seq := v_seq + 1;
    v_prevs := v_prevs || v_head;
    v_head := sha256(coalesce(v_head, '\x'::bytea)
      || convert_to('["' || p_patient_id::text || '","' || v_seq::text || '",' || v_tail, 'UTF8'));
    v_hashes := v_hashes || v_head;
  END LOOP;
  INSERT INTO audit_event (patient_id, seq, id, recorded_at, action, outcome, reason_code, actor_kind,
      actor_id, actor_name, actor_profession, actor_specialty, actor_structure, access_mode, justification,
      entity_type, entity_id, detail, prev_hash, hash, canon)
    SELECT p_patient_id, v_first + e.n - 1, (a->>0)::uuid, (a->>1)::timestamptz, a->>2, a->>3, a->>4, a->>5,
        a->>6, a->>7, a->>8, a->>9, a->>10, a->>11, a->>12, a->>13, a->>14,
        COALESCE((SELECT jsonb_object_agg(d->>0, d->1) FROM jsonb_array_elements(a->15) d), '{}'::jsonb),
        v_prevs[e.n], v_hashes[e.n], CASE WHEN length(a->>1) = 27 THEN 2 ELSE 1 END
      -- OFFSET 0 keeps the subquery: flattened, each a->>… would parse the tail again (measured: 2× slower).
      FROM unnest(p_tails) WITH ORDINALITY AS e(tail, n), LATERAL (SELECT ('[' || e.tail)::jsonb AS a OFFSET 0) x;
  UPDATE patient_record SET audit_seq = v_seq, audit_head = v_head,
      documents_revision = documents_revision + p_revisions
    WHERE patient_id = p_patient_id;
  RETURN v_seq;
END
$$;
