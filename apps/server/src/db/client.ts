import postgres from 'postgres';

/** A connection or a transaction; repository functions take it first. */
export type Sql = postgres.Sql;
export type Tx = postgres.TransactionSql;
/** What repository functions take: the pool or a transaction. */
export type Db = Sql | Tx;

/**
 * `role`: run every query as that role (SET ROLE at connection), e.g. opendmp_app, which cannot alter traces.
 * The URL may name a Unix-domain socket directory as libpq does (`postgres://user@localhost/db?host=/var/run/postgresql`):
 * on one machine a socket saves the TCP loopback work of every round trip.
 */
export function connect(url: string, options: { max?: number; role?: string } = {}): Sql {
  const { url: tcpUrl, socketPath } = socketOf(url);
  return postgres(tcpUrl, {
    max: options.max ?? 20,
    onnotice: () => undefined,
    transform: { undefined: null },
    ...(socketPath ? { path: socketPath } : {}),
    connection: { application_name: 'opendmp', ...(options.role ? { role: options.role } : {}) },
  });
}

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
 * A few connections reserved from a pool and lent most recently used first, for a hot path of single statements
 * (the read traces): the pool hands its idle connections out in turn, so each statement woke a different, cold
 * PostgreSQL backend; reusing the last one keeps its process and caches warm (measured: docs/benchmarks.md).
 * When all are busy the statement goes to the pool as before, so a caller never waits for one of them (only, as
 * before, for the pool when it is exhausted). A connection whose statement failed goes back to the pool (it may be
 * broken) and a fresh one is reserved later.
 */
export class HotConnections {
  readonly #sql: Sql;
  readonly #max: number;
  readonly #idle: postgres.ReservedSql[] = [];
  #reserved = 0;

  constructor(sql: Sql, max: number) {
    this.#sql = sql;
    this.#max = max;
  }

  async run<T>(fn: (db: Sql) => Promise<T>): Promise<T> {
    let c = this.#idle.pop();
    if (!c && this.#reserved < this.#max) {
      this.#reserved++;
      try {
        c = await this.#sql.reserve();
      } catch {
        this.#reserved--;
      }
    }
    if (!c) {
      return fn(this.#sql);
    }
    let result: T;
    try {
      result = await fn(c);
    } catch (e) {
      c.release();
      this.#reserved--;
      throw e;
    }
    this.#idle.push(c);
    return result;
  }
}
