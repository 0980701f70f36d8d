import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HotConnections } from '../../src/db/client.ts';
import type { TestDatabase } from '../helpers/db.ts';
import { createTestDatabase } from '../helpers/db.ts';

/**
 * HotConnections (the read traces' connections): statements one after another run on the same backend, more at once
 * than it holds go through the pool without waiting, and a failed statement's connection is not lent again.
 */
describe('HotConnections', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  const backend = async (
    c: Parameters<Parameters<HotConnections['run']>[0]>[0],
  ): Promise<number> => {
    const [row] = await c<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
    return row?.pid ?? 0;
  };

  it('runs statements one after another on one backend, where the pool takes its connections in turn', async () => {
    // The pool has several connections open, as under load.
    await Promise.all([0, 1, 2, 3].map(() => db.sql`SELECT pg_sleep(0.05)`));
    const hot = new HotConnections(db.sql, 2);
    const viaHot = new Set<number>();
    const viaPool = new Set<number>();
    for (let i = 0; i < 12; i++) {
      // Another caller keeps a pool connection busy at the same time, as the rest of the service does.
      const [pid] = await Promise.all([hot.run(backend), db.sql`SELECT pg_sleep(0.001)`]);
      viaHot.add(pid);
      viaPool.add(await backend(db.sql));
    }
    expect(viaHot.size).toBe(1);
    expect(viaPool.size).toBeGreaterThan(1);
  });

  it('sends statements beyond its connections to the pool instead of making them wait', async () => {
    const hot = new HotConnections(db.sql, 1);
    const started = Date.now();
    const pids = await Promise.all(
      [0, 1, 2].map(() =>
        hot.run(async (c) => {
          const pid = await backend(c);
          await c`SELECT pg_sleep(0.3)`;
          return pid;
        }),
      ),
    );
    expect(new Set(pids).size).toBe(3);
    // Three statements of 0.3 s at once: far less than the 0.9 s they would take one after another.
    expect(Date.now() - started).toBeLessThan(850);
  });

  it('gives a connection whose statement failed back to the pool and lends another one', async () => {
    const hot = new HotConnections(db.sql, 1);
    const first = await hot.run(backend);
    await expect(
      hot.run(async (c) => {
        await c`SELECT pg_terminate_backend(pg_backend_pid())`;
      }),
    ).rejects.toThrow();
    const next = await hot.run(backend);
    expect(next).not.toBe(first);
    expect(await hot.run(backend)).toBe(next);
  });
});
