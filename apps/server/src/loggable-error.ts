/**
 * What the logs may say about an unexpected error. PostgreSQL error texts echo the values of the statement
 * (`invalid input syntax for type uuid: "<the value sent>"`, `Key (ins)=(…) already exists` in `detail`), which
 * may be identifiers or health data sent by a client: for a database error only its class, SQLSTATE and the
 * server routine are logged — never its message, detail, hint, where or stack (whose first line is the message).
 */
interface DatabaseErrorShape {
  readonly name: string;
  readonly code?: unknown;
  readonly routine?: unknown;
  readonly severity_local?: unknown;
  readonly severity?: unknown;
}

const SQLSTATE = /^[0-9A-Z]{5}$/;

/** The PostgreSQL error behind `error` (itself or its `cause`), if any. */
export function databaseErrorOf(error: unknown): DatabaseErrorShape | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; depth++) {
    const shape = e as Error & DatabaseErrorShape;
    if (
      shape.name === 'PostgresError' ||
      (typeof shape.code === 'string' && SQLSTATE.test(shape.code) && 'severity' in shape)
    ) {
      return shape;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export function loggableError(error: unknown): Record<string, unknown> {
  const database = databaseErrorOf(error);
  if (database) {
    return {
      type: database.name,
      code: typeof database.code === 'string' ? database.code : undefined,
      routine: typeof database.routine === 'string' ? database.routine : undefined,
    };
  }
  if (error instanceof Error) {
    return { type: error.name, message: error.message, stack: error.stack };
  }
  return { type: typeof error };
}
