import type { Db } from './client.ts';

const known = new WeakMap<object, boolean | Promise<boolean>>();

/**
 * Whether the database is a Citus coordinator (its database has the `citus` extension) rather than a single
 * PostgreSQL (plain or embedded). Asked once per connection pool; once answered, the answer itself (no promise, so
 * that a deposit's hot path awaits nothing); asked again after a failure (the database was unreachable), false
 * meanwhile.
 */
export function isCitus(db: Db): boolean | Promise<boolean> {
  const k = known.get(db);
  if (k !== undefined) {
    return k;
  }
  const asked = db<{ citus: boolean }[]>`
    SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') AS citus`.then(
    ([r]) => {
      const citus = r?.citus === true;
      known.set(db, citus);
      return citus;
    },
    () => {
      known.delete(db);
      return false;
    },
  );
  known.set(db, asked);
  return asked;
}

/**
 * Whether the database is a single PostgreSQL: a statement may then join tables by any column, where Citus routes to
 * one shard only what names the distribution column (a server id's locator and its record's rows are on different
 * shards as far as the planner knows, ADR 0031). False while the database cannot be asked.
 */
export async function singleNode(db: Db): Promise<boolean> {
  const citus = await isCitus(db);
  return !citus && known.get(db) === false;
}
