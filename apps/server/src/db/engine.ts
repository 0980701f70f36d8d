import type { Db } from './client.ts';

const checks = new WeakMap<object, Promise<boolean>>();

/**
 * Whether the database is a single PostgreSQL (plain or embedded) rather than a Citus coordinator: a statement may
 * then join tables by any column, where Citus routes to one shard only what names the distribution column (a
 * server id's locator and its record's rows are on different shards as far as the planner knows, ADR 0031). Asked
 * once per connection pool; asked again after a failure (the database was unreachable), false meanwhile.
 */
export function singleNode(db: Db): Promise<boolean> {
  let known = checks.get(db);
  if (!known) {
    known = db<{ citus: boolean }[]>`
      SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') AS citus`.then(
      ([r]) => r?.citus === false,
      () => {
        checks.delete(db);
        return false;
      },
    );
    checks.set(db, known);
  }
  return known;
}
