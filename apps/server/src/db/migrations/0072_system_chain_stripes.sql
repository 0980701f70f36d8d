-- The system chain in 32 stripes (issue 20, finding 8; docs/adr/0026-system-chain-stripes.md).
--
-- Events attached to no record (logins, look-ups that found no record, job runs) were one chain whose single head
-- row every append locked; on Citus that row was a reference table, written on every node by every login. Each
-- actor's system events now go to one of 32 independent chains (domain/audit/system-stripe.ts: FNV-1a of the actor
-- id, modulo 32), each with its own head row. Stripe 0 continues the former chain as it was (same seq, same hashes,
-- scope `system`); the other stripes start empty and hash their links with the scope `system/<stripe>`.
-- On Citus both tables are distributed by stripe and co-located: an append is three statements on one shard.

CREATE TEMP TABLE system_audit_event_before ON COMMIT DROP AS SELECT * FROM system_audit_event;
CREATE TEMP TABLE system_audit_head_before ON COMMIT DROP AS SELECT seq, hash FROM system_audit_head;
DROP TABLE system_audit_event;
DROP TABLE system_audit_head;

CREATE TABLE system_audit_event (
  stripe smallint NOT NULL CHECK (stripe >= 0 AND stripe < 32),
  seq bigint NOT NULL,
  id uuid NOT NULL,
  recorded_at timestamptz NOT NULL,
  action text NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('success', 'denied', 'failure')),
  reason_code text,
  actor_kind text NOT NULL,
  actor_id text NOT NULL,
  actor_name text,
  actor_profession text,
  actor_specialty text,
  actor_structure text,
  access_mode text,
  justification text,
  entity_type text,
  entity_id text,
  detail jsonb NOT NULL DEFAULT '{}',
  prev_hash bytea,
  hash bytea NOT NULL,
  canon smallint NOT NULL DEFAULT 1,
  PRIMARY KEY (stripe, seq)
);
CREATE INDEX system_audit_event_time ON system_audit_event (recorded_at DESC);
CREATE INDEX system_audit_event_by_id ON system_audit_event (id);
CREATE INDEX system_audit_event_by_actor ON system_audit_event (actor_id, recorded_at DESC);

-- One head per stripe, written in the append's transaction (as migration 0015's single row was).
CREATE TABLE system_audit_head (
  stripe smallint PRIMARY KEY CHECK (stripe >= 0 AND stripe < 32),
  seq bigint NOT NULL,
  hash bytea
);

REVOKE UPDATE, DELETE, TRUNCATE ON system_audit_event FROM opendmp_app;
GRANT SELECT, INSERT ON system_audit_event TO opendmp_app;
REVOKE ALL ON system_audit_head FROM opendmp_app;
GRANT SELECT, UPDATE ON system_audit_head TO opendmp_app;

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
    SET LOCAL citus.multi_shard_modify_mode TO 'sequential';
    PERFORM opendmp_distribute('system_audit_head', 'lookup', 'stripe');
    PERFORM create_distributed_table('system_audit_event', 'stripe', colocate_with => 'system_audit_head');
  END IF;
END
$$;

INSERT INTO system_audit_head (stripe, seq, hash)
  SELECT g, 0, NULL FROM generate_series(0, 31) g WHERE g > 0
  UNION ALL
  SELECT 0, COALESCE((SELECT seq FROM system_audit_head_before), 0), (SELECT hash FROM system_audit_head_before);
INSERT INTO system_audit_event (stripe, seq, id, recorded_at, action, outcome, reason_code, actor_kind, actor_id,
    actor_name, actor_profession, actor_specialty, actor_structure, access_mode, justification, entity_type,
    entity_id, detail, prev_hash, hash, canon)
  SELECT 0, seq, id, recorded_at, action, outcome, reason_code, actor_kind, actor_id, actor_name, actor_profession,
      actor_specialty, actor_structure, access_mode, justification, entity_type, entity_id, detail, prev_hash, hash,
      canon
    FROM system_audit_event_before;
