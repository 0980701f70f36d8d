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

/**
 * `keys` of a table distributed by them on Citus (a look-up table), in groups of one shard each; one group on a single
 * PostgreSQL. A modification filtered on one group's keys reaches one shard and is routed alone; filtered on keys of
 * several shards it is a multi-shard modification, which Citus commits in two phases even when every shard is on one
 * node (TaskListRequires2PC): a merge or a purge that writes one worker would prepare it (test citus.two-phase).
 */
export async function keysByShard(
  db: Db,
  table: string,
  keys: readonly string[],
): Promise<string[][]> {
  if (keys.length === 0) {
    return [];
  }
  if (!(await isCitus(db))) {
    return [[...keys]];
  }
  const groups = await db<{ keys: string[] }[]>`
    SELECT array_agg(k ORDER BY k) AS keys FROM unnest(${[...keys]}::text[]) AS k
    GROUP BY get_shard_id_for_distribution_column(${table}::regclass, k) ORDER BY 1`;
  return groups.map((g) => g.keys);
}
