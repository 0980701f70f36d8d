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
ALTER TABLE audit_event ADD COLUMN canon smallint NOT NULL DEFAULT 1;
ALTER TABLE audit_event ALTER COLUMN canon SET DEFAULT 2;
ALTER TABLE system_audit_event ADD COLUMN canon smallint NOT NULL DEFAULT 1;
ALTER TABLE system_audit_event ALTER COLUMN canon SET DEFAULT 2;
