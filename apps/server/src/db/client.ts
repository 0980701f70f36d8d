import postgres from 'postgres';

/** A connection or a transaction; repository functions take it first. */
export type Sql = postgres.Sql;
export type Tx = postgres.TransactionSql;
/** What repository functions take: the pool or a transaction. */
export type Db = Sql | Tx;

/** `role`: run every query as that role (SET ROLE at connection), e.g. opendmp_app, which cannot alter traces. */
export function connect(url: string, options: { max?: number; role?: string } = {}): Sql {
  return postgres(url, {
    max: options.max ?? 20,
    onnotice: () => undefined,
    transform: { undefined: null },
    connection: { application_name: 'opendmp', ...(options.role ? { role: options.role } : {}) },
  });
}

/** Runs fn in one transaction: commit on return, rollback on throw. */
export async function withTransaction<T>(sql: Sql, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return (await sql.begin(fn)) as T;
}
