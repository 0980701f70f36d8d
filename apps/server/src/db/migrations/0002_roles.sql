-- The service runs its queries as opendmp_app (SET ROLE at connection). That role may read and write everything
-- the application needs but can never UPDATE, DELETE or TRUNCATE traces; only the purge function, owned by the
-- schema owner, removes the traces of a purged record (after its tombstone exists).
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'opendmp_app') THEN
    CREATE ROLE opendmp_app NOLOGIN;
  END IF;
  BEGIN
    EXECUTE format('GRANT opendmp_app TO %I', current_user);
  EXCEPTION WHEN others THEN
    NULL; -- superusers need no membership; otherwise the operator grants it
  END;
END
$$;

GRANT USAGE ON SCHEMA public TO opendmp_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO opendmp_app;
REVOKE ALL ON schema_migration FROM opendmp_app;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_event, system_audit_event FROM opendmp_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO opendmp_app;

CREATE FUNCTION purge_record_audit(p_patient_id uuid) RETURNS bigint
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
  n bigint;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM record_tombstone WHERE patient_id = p_patient_id) THEN
    RAISE EXCEPTION 'traces are purged only with their record (no tombstone for %)', p_patient_id;
  END IF;
  DELETE FROM audit_event WHERE patient_id = p_patient_id;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$$;
REVOKE ALL ON FUNCTION purge_record_audit(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION purge_record_audit(uuid) TO opendmp_app;
