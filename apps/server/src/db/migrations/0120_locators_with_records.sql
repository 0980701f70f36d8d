-- A deposit of one record writes one worker (issue 20, finding 8; docs/adr/0031-deposit-on-one-worker.md). On Citus,
-- the server-id look-ups (`resource_locator`, `profile_locator`, distributed by `id`, uuid, 32 shards) join the
-- co-location group of `patient_record` (distributed by `patient_id`, uuid, 32 shards): the same hash ranges on the
-- same nodes, and shard moves move them together. Metadata only: no row moves, the distribution column stays `id`.
-- The service then draws the server ids of a deposit so that they hash into the record's shard
-- (db/record-ids.repository.ts): the locator row of a new id lives on the record's shard, beside the record's rows.
-- Nothing on plain PostgreSQL and the embedded database.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
    RETURN;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_dist_partition p JOIN pg_dist_partition r ON r.colocationid = p.colocationid
      WHERE p.logicalrelid = 'resource_locator'::regclass AND r.logicalrelid = 'patient_record'::regclass) THEN
    RETURN;
  END IF;
  PERFORM update_distributed_table_colocation('resource_locator', colocate_with => 'patient_record');
  PERFORM update_distributed_table_colocation('profile_locator', colocate_with => 'patient_record');
END
$$;
