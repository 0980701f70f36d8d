/**
 * Errors that mean "the database cannot be reached now", not "this request is wrong": the service answers them
 * 503 with Retry-After (error-handler.ts), and the pool reconnects by itself once PostgreSQL is back.
 *
 * - the driver's own connection errors (postgres.js `code`): CONNECTION_CLOSED (the socket closed under a query),
 *   CONNECTION_ENDED / CONNECTION_DESTROYED (the pool is ending), CONNECT_TIMEOUT;
 * - socket errors while connecting or talking to the server (Node.js `code` with a `syscall`): ECONNREFUSED (nothing
 *   listens: PostgreSQL down or restarting), ENOENT (the Unix socket file is gone), ECONNRESET, EPIPE, ETIMEDOUT;
 * - PostgreSQL's own (SQLSTATE): class 08 (connection exception), 57P01 admin shutdown, 57P02 crash shutdown,
 *   57P03 cannot connect now (starting up or shutting down), 53300 too many connections.
 */
const DRIVER_CODES = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
]);
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ENOENT', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);
const SOCKET_CALLS = new Set(['connect', 'read', 'write']);
const SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);

/** Seconds a client is told to wait before retrying while the database is unavailable. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

export function isDatabaseUnavailable(error: unknown): boolean {
  // A cause chain of a few links at most (an error rethrown with `cause`).
  let e: unknown = error;
  for (let depth = 0; depth < 4 && typeof e === 'object' && e !== null; depth++) {
    const { code, syscall, name, cause } = e as {
      code?: unknown;
      syscall?: unknown;
      name?: unknown;
      cause?: unknown;
    };
    if (typeof code === 'string') {
      if (DRIVER_CODES.has(code)) {
        return true;
      }
      if (typeof syscall === 'string' && SOCKET_CALLS.has(syscall) && SOCKET_CODES.has(code)) {
        return true;
      }
      if (name === 'PostgresError' && (code.startsWith('08') || SQLSTATES.has(code))) {
        return true;
      }
    }
    e = cause;
  }
  return false;
}
