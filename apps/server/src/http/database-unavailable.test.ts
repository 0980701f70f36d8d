import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailable } from './database-unavailable.ts';

function withProps(message: string, props: Record<string, unknown>): Error {
  return Object.assign(new Error(message), props);
}

function postgresError(code: string): Error {
  const e = withProps('from the server', { code });
  e.name = 'PostgresError';
  return e;
}

describe('isDatabaseUnavailable', () => {
  it.each([
    ['the socket closed under a query', withProps('', { code: 'CONNECTION_CLOSED' })],
    ['the pool is ending', withProps('', { code: 'CONNECTION_ENDED' })],
    ['the pool was destroyed', withProps('', { code: 'CONNECTION_DESTROYED' })],
    ['connecting timed out', withProps('', { code: 'CONNECT_TIMEOUT' })],
    ['nothing listens', withProps('', { code: 'ECONNREFUSED', syscall: 'connect' })],
    ['the Unix socket file is gone', withProps('', { code: 'ENOENT', syscall: 'connect' })],
    ['the server reset the connection', withProps('', { code: 'ECONNRESET', syscall: 'read' })],
    ['a connection exception (class 08)', postgresError('08006')],
    ['an administrator shutdown', postgresError('57P01')],
    ['a crash shutdown', postgresError('57P02')],
    ['the server is starting up', postgresError('57P03')],
    ['too many connections', postgresError('53300')],
    ['a cause that is one of those', new Error('wrapped', { cause: postgresError('57P01') })],
  ])('is true when %s', (_what, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['a unique violation', postgresError('23505')],
    ['a statement timeout', postgresError('57014')],
    ['a missing file that is not a socket', withProps('', { code: 'ENOENT', syscall: 'open' })],
    ['a plain error', new Error('boom')],
    ['a string', 'CONNECTION_CLOSED'],
    ['undefined', undefined],
  ])('is false for %s', (_what, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});
