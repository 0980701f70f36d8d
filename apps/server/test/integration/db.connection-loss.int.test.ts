import net from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connect, HotConnections, socketOf } from '../../src/db/client.ts';
import type { Sql } from '../../src/db/client.ts';
import type postgres from 'postgres';
import type { TestDatabase } from '../helpers/db.ts';
import { createTestDatabase } from '../helpers/db.ts';

/**
 * The guard of the postgres.js patch (patches/postgres+*.patch, docs/adr/0012-postgres-driver-patch.md): a backend
 * that dies under a reserved connection or a transaction must reject its queries with a connection error the
 * caller can catch, and leave a pool that works again. Unpatched, 3.4.9 and 3.4.10 throw
 * `TypeError: Cannot read properties of null (reading 'write')` from a timer (an uncaught exception: the process
 * dies), strand a queued `reserve()` forever, or put the dead connection back into the pool.
 */
// ECONNRESET: the socket reset before the termination notice was read (seen on Citus); the service treats it as a
// lost database too (http/database-unavailable.ts).
const CONNECTION_LOST = ['CONNECTION_CLOSED', 'CONNECTION_DESTROYED', '57P01', 'ECONNRESET'];

/** The outcome of a promise, or 'pending' if it did not settle within `ms` (a stranded query). */
async function settled(p: Promise<unknown>, ms = 5_000): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p.then(
        () => 'resolved',
        (e: unknown) => `rejected ${String((e as { code?: unknown }).code)}`,
      ),
      new Promise<string>((r) => (timer = setTimeout(() => r('pending'), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Lets the driver's timers (the deferred socket write) run. */
async function ticks(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setImmediate(r));
  }
  await new Promise((r) => setTimeout(r, 50));
}

function connectionLost(outcome: string): boolean {
  return CONNECTION_LOST.some((code) => outcome === `rejected ${code}`);
}

describe('the database driver when a backend is terminated', () => {
  let db: TestDatabase;
  const uncaught: unknown[] = [];
  const onUncaught = (e: unknown): void => {
    uncaught.push(e);
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onUncaught);
  });
  beforeEach(() => {
    uncaught.length = 0;
  });
  afterAll(async () => {
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUncaught);
    await db.drop();
  });

  async function terminate(pid: number): Promise<void> {
    await db.owner`SELECT pg_terminate_backend(${pid}::int)`;
    // Wait until the backend is gone, so that the client has its socket closed.
    for (let i = 0; i < 100; i++) {
      const [row] = await db.owner<
        { n: number }[]
      >`SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = ${pid}`;
      if (row?.n === 0) {
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    await ticks();
  }

  async function backendPid(
    sql: Sql | postgres.ReservedSql | postgres.TransactionSql,
  ): Promise<number> {
    const [row] = await sql<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
    return row!.pid;
  }

  it('rejects the queries of a reserved connection whose backend died, and the pool works on', async () => {
    const pool = connect(db.url, { max: 2 });
    try {
      const reserved = await pool.reserve();
      await terminate(await backendPid(reserved));
      const first = await settled(reserved`SELECT 1 AS one`);
      const second = await settled(reserved`SELECT 2 AS two`);
      await ticks();
      expect(uncaught).toEqual([]);
      expect(connectionLost(first), first).toBe(true);
      expect(connectionLost(second), second).toBe(true);
      // Releasing the dead reservation must not put its connection back as if it were open.
      reserved.release();
      for (let i = 0; i < 4; i++) {
        expect(await settled(pool`SELECT 1 AS one`)).toBe('resolved');
      }
      await ticks();
      expect(uncaught).toEqual([]);
    } finally {
      await pool.end({ timeout: 1 });
    }
  });

  it('rejects a transaction whose backend died, and the pool works on', async () => {
    const pool = connect(db.url, { max: 1 });
    try {
      const outcome = settled(
        pool.begin(async (tx) => {
          await terminate(await backendPid(tx));
          await tx`SELECT 1 AS one`;
          await tx`SELECT 2 AS two`;
        }),
      );
      expect(connectionLost(await outcome), await outcome).toBe(true);
      await ticks();
      expect(uncaught).toEqual([]);
      for (let i = 0; i < 3; i++) {
        expect(await settled(pool`SELECT 1 AS one`)).toBe('resolved');
      }
    } finally {
      await pool.end({ timeout: 1 });
    }
  });

  it('settles a reserve() queued behind a connection that is terminated', async () => {
    const pool = connect(db.url, { max: 1 });
    try {
      const pid = await backendPid(pool);
      const busy = settled(pool`SELECT pg_sleep(2)`);
      await new Promise((r) => setTimeout(r, 100));
      let reserved: postgres.ReservedSql | undefined;
      const queued = settled(pool.reserve().then((r) => (reserved = r)));
      await terminate(pid);
      expect(connectionLost(await busy), await busy).toBe(true);
      // Once the database is back (it is), the queued reservation gets a connection.
      expect(await queued).toBe('resolved');
      expect(await settled(reserved!`SELECT 1 AS one`)).toBe('resolved');
      reserved!.release();
      expect(await settled(pool`SELECT 1 AS one`)).toBe('resolved');
      expect(uncaught).toEqual([]);
    } finally {
      await pool.end({ timeout: 1 });
    }
  });

  it('lends the warm trace connections again after their backends died', async () => {
    const pool = connect(db.url, { max: 4 });
    const hot = new HotConnections(pool, 2);
    try {
      const pids = await Promise.all([
        hot.run((c) => backendPid(c)),
        hot.run((c) => backendPid(c)),
      ]);
      for (const pid of new Set(pids)) {
        await terminate(pid);
      }
      const during = await Promise.all(
        [1, 2, 3, 4].map((n) => settled(hot.run((c) => c`SELECT ${n}::int AS n`))),
      );
      for (const o of during) {
        expect(o === 'resolved' || connectionLost(o), o).toBe(true);
      }
      await ticks();
      for (let i = 0; i < 4; i++) {
        expect(await settled(hot.run((c) => c`SELECT 1 AS one`))).toBe('resolved');
      }
      expect(uncaught).toEqual([]);
    } finally {
      await hot.end();
      await pool.end({ timeout: 1 });
    }
  });

  it('rejects the first query of a connection lost while it fetches the array types, without an unhandled rejection', async () => {
    // A proxy in front of PostgreSQL that cuts the connection when the driver sends its array-types query (the
    // first thing a new connection does): the connection is lost during its setup, at a chosen moment.
    const { url: tcpUrl, socketPath } = socketOf(db.url);
    const target = new URL(tcpUrl);
    // Where PostgreSQL is, read before `target` is pointed at the proxy below.
    const serverPort = Number(target.port || 5432);
    const serverHost = target.hostname;
    const proxy = net.createServer((client) => {
      const server = socketPath ? net.connect(socketPath) : net.connect(serverPort, serverHost);
      client.on('data', (chunk: Buffer) => {
        if (chunk.includes('typarray')) {
          client.destroy();
          server.destroy();
          return;
        }
        server.write(chunk);
      });
      server.on('data', (chunk: Buffer) => client.write(chunk));
      client.on('error', () => server.destroy());
      server.on('error', () => client.destroy());
      client.on('close', () => server.destroy());
      server.on('close', () => client.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const address = proxy.address() as net.AddressInfo;
    target.hostname = '127.0.0.1';
    target.port = String(address.port);
    const pool = connect(target.toString(), { max: 1 });
    try {
      const outcome = await settled(pool`SELECT 1 AS one`);
      await ticks();
      expect(uncaught).toEqual([]);
      expect(connectionLost(outcome), outcome).toBe(true);
    } finally {
      await pool.end({ timeout: 1 });
      await new Promise((r) => proxy.close(r));
    }
  });
});
