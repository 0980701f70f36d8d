import { describe, expect, it } from 'vitest';
import { socketOf } from './client.ts';

describe('socketOf: libpq-style socket directories in DATABASE_URL', () => {
  const cases: { url: string; expected: { url: string; socketPath?: string } }[] = [
    {
      url: 'postgres://app@127.0.0.1:5432/opendmp',
      expected: { url: 'postgres://app@127.0.0.1:5432/opendmp' },
    },
    {
      url: 'postgres://app@localhost/opendmp?host=/var/run/postgresql',
      expected: {
        url: 'postgres://app@localhost/opendmp',
        socketPath: '/var/run/postgresql/.s.PGSQL.5432',
      },
    },
    {
      url: 'postgres://app@localhost:5433/opendmp?host=/tmp&sslmode=disable',
      expected: {
        url: 'postgres://app@localhost:5433/opendmp?sslmode=disable',
        socketPath: '/tmp/.s.PGSQL.5433',
      },
    },
    {
      url: 'postgres:///opendmp?host=/var/run/postgresql',
      expected: {
        url: 'postgres://localhost/opendmp',
        socketPath: '/var/run/postgresql/.s.PGSQL.5432',
      },
    },
    // A host that is not a directory stays a connection parameter of the URL.
    {
      url: 'postgres://app@db/opendmp?host=db2',
      expected: { url: 'postgres://app@db/opendmp?host=db2' },
    },
  ];
  for (const { url, expected } of cases) {
    it(url, () => {
      expect(socketOf(url)).toEqual(expected);
    });
  }
});
