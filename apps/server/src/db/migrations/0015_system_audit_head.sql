-- The system chain's head, as each record's chain has one (patient_record.audit_seq / audit_head): without it,
-- removing the last events of the system chain went unnoticed by `opendmp audit verify` (C4 now covers it).
-- One row, locked by every append (it replaces the advisory lock), written in the append's transaction. A small
-- shared table (a Citus reference table); system events are rare (logins, look-ups of unknown INS, job runs).
CREATE TABLE system_audit_head (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  seq bigint NOT NULL,
  hash bytea
);
INSERT INTO system_audit_head (singleton, seq, hash)
  SELECT true, COALESCE(max(seq), 0), (SELECT hash FROM system_audit_event ORDER BY seq DESC LIMIT 1)
  FROM system_audit_event;
REVOKE ALL ON system_audit_head FROM opendmp_app;
GRANT SELECT, UPDATE ON system_audit_head TO opendmp_app;
