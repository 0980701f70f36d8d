import postgres from 'postgres';

/** A connection or a transaction; repository functions take it first. */
export type Sql = postgres.Sql;
export type Tx = postgres.TransactionSql;
/** What repository functions take: the pool or a transaction. */
export type Db = Sql | Tx;

/**
 * `role`: run every query as that role (SET ROLE at connection). Not for the service's own pools: a SET ROLE can be
 * undone by any SQL on the connection (RESET ROLE), so the service logs in as opendmp_app instead (db/app-login.ts).
 * The URL may name a Unix-domain socket directory as libpq does (`postgres://user@localhost/db?host=/var/run/postgresql`):
 * on one machine a socket saves the TCP loopback work of every round trip.
 */
export function connect(
  url: string,
  options: {
    max?: number;
    role?: string;
    settings?: Readonly<Record<string, string>>;
    /** The server's notices (tests: citus.log_remote_commands); ignored by default. */
    onnotice?: (notice: postgres.Notice) => void;
  } = {},
): Sql {
  const { url: tcpUrl, socketPath } = socketOf(url);
  const sql = postgres(tcpUrl, {
    max: options.max ?? 20,
    // After a lost connection the driver waits before connecting again, longer after each failure (its default
    // grows to 20 s): capped at 2 s (with jitter), so that once PostgreSQL is back the service recovers within
    // seconds, and a query waiting for a connection meanwhile fails (503) instead of hanging. A connection attempt
    // that gets no answer (network partition) fails after 10 s rather than 30.
    backoff: (attempt) => Math.min(0.05 * 2 ** attempt, 2) * (0.5 + Math.random() / 2),
    connect_timeout: 10,
    onnotice: options.onnotice ?? (() => undefined),
    transform: { undefined: null },
    ...(socketPath ? { path: socketPath } : {}),
    // `settings`: server settings given at connection (tests: citus.multi_task_query_log_level).
    connection: {
      application_name: 'opendmp',
      ...options.settings,
      ...(options.role ? { role: options.role } : {}),
    },
  });
  const origin: Origin = { url, role: options.role, hot: [] };
  origins.set(sql, origin);
  // Ending the pool ends the warm connections opened beside it (HotConnections).
  const end = sql.end.bind(sql);
  sql.end = async (o) => {
    await Promise.all([end(o), ...origin.hot.map((h) => h.end(o))]);
  };
  return sql;
}

interface Origin {
  readonly url: string;
  readonly role: string | undefined;
  readonly hot: HotConnections[];
}

/** What each pool made by connect() was made of, so that its warm connections reach the same database and role. */
const origins = new WeakMap<Sql, Origin>();

/** Splits a libpq-style `host=/dir` query parameter off the URL into the socket path postgres.js takes. */
export function socketOf(url: string): { url: string; socketPath?: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url };
  }
  const host = parsed.searchParams.get('host');
  if (!host?.startsWith('/')) {
    return { url };
  }
  parsed.searchParams.delete('host');
  const port = parsed.port || '5432';
  if (!parsed.hostname) {
    parsed.hostname = 'localhost';
  }
  return { url: parsed.toString(), socketPath: `${host}/.s.PGSQL.${port}` };
}

/** Runs fn in one transaction: commit on return, rollback on throw. */
export async function withTransaction<T>(sql: Sql, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return (await sql.begin(fn)) as T;
}

/**
 * A few warm connections lent most recently used first, for a hot path of single statements (the read traces): the
 * pool hands its idle connections out in turn, so each statement woke a different, cold PostgreSQL backend; reusing
 * the last one keeps its process and caches warm (measured: docs/benchmarks.md, ADR 0010).
 * Each warm connection is a pool of its own with one connection (`max: 1`, same database and role as `sql`), opened
 * when first needed: when its backend goes away (PostgreSQL restarted, backend terminated), its statement fails with
 * a connection error and the driver reconnects it on the next one, as for any pooled connection. Nothing is reserved
 * from `sql` (reserved connections are where the driver mishandled a lost backend: docs/adr/0012-postgres-driver-patch.md).
 * When all are busy the statement goes to `sql`, so a caller never waits for one of them (only, as before, for the
 * pool when it is exhausted). Ending `sql` ends them. A pool not made by connect() has none: `sql` is used.
 */
export class HotConnections {
  readonly #sql: Sql;
  readonly #max: number;
  readonly #origin: Origin | undefined;
  readonly #idle: Sql[] = [];
  readonly #all: Sql[] = [];
  #ended = false;

  constructor(sql: Sql, max: number) {
    this.#sql = sql;
    this.#origin = origins.get(sql);
    this.#max = this.#origin ? max : 0;
    this.#origin?.hot.push(this);
  }

  async run<T>(fn: (db: Sql) => Promise<T>): Promise<T> {
    let c = this.#idle.pop();
    if (!c && this.#all.length < this.#max && !this.#ended && this.#origin) {
      c = connect(this.#origin.url, {
        max: 1,
        ...(this.#origin.role ? { role: this.#origin.role } : {}),
      });
      this.#all.push(c);
    }
    if (!c) {
      return fn(this.#sql);
    }
    try {
      return await fn(c);
    } finally {
      if (!this.#ended) {
        this.#idle.push(c);
      }
    }
  }

  async end(options?: { timeout?: number }): Promise<void> {
    this.#ended = true;
    this.#idle.length = 0;
    await Promise.all(this.#all.map((c) => c.end(options)));
  }
}
