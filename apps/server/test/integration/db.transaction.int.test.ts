import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HotConnections, pipelinedTransaction } from '../../src/db/client.ts';
import type { TestDatabase } from '../helpers/db.ts';
import { createTestDatabase } from '../helpers/db.ts';

/**
 * pipelinedTransaction (the deposit's transaction): BEGIN sent with the first statements, all or nothing, and a
 * COMMIT that PostgreSQL turns into a ROLLBACK is reported as a failure, never as success.
 */
describe('pipelinedTransaction', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.owner`CREATE TABLE tx_probe (k text PRIMARY KEY)`;
    await db.owner`GRANT SELECT, INSERT ON tx_probe TO opendmp_app`;
  });
  afterAll(async () => {
    await db.drop();
  });

  const count = async (prefix: string): Promise<number> => {
    const [row] = await db.owner<{ n: number }[]>`
      SELECT count(*)::int AS n FROM tx_probe WHERE k LIKE ${`${prefix}%`}`;
    return row?.n ?? 0;
  };

  it('commits statements sent together', async () => {
    const result = await pipelinedTransaction(db.sql, async (tx) => {
      await Promise.all([
        tx`INSERT INTO tx_probe VALUES ('a1')`,
        tx`INSERT INTO tx_probe VALUES ('a2')`,
      ]);
      return 'done';
    });
    expect(result).toBe('done');
    expect(await count('a')).toBe(2);
  });

  it('rolls back everything when the work throws after its statements ran', async () => {
    await expect(
      pipelinedTransaction(db.sql, async (tx) => {
        await tx`INSERT INTO tx_probe VALUES ('b1')`;
        throw new Error('refused by a rule');
      }),
    ).rejects.toThrow('refused by a rule');
    expect(await count('b')).toBe(0);
  });

  it('rolls back when a statement fails, with that statement’s error', async () => {
    await expect(
      pipelinedTransaction(db.sql, async (tx) => {
        await Promise.all([
          tx`INSERT INTO tx_probe VALUES ('c1')`,
          tx`INSERT INTO tx_probe VALUES ('a1')`, // duplicate key
          tx`INSERT INTO tx_probe VALUES ('c2')`,
        ]);
      }),
    ).rejects.toMatchObject({ code: '23505' });
    expect(await count('c')).toBe(0);
  });

  it('does not report success when a failed statement was swallowed', async () => {
    await expect(
      pipelinedTransaction(db.sql, async (tx) => {
        await tx`INSERT INTO tx_probe VALUES ('d1')`;
        await tx`INSERT INTO tx_probe VALUES ('a1')`.catch(() => undefined);
      }),
    ).rejects.toThrow(/ROLLBACK/);
    expect(await count('d')).toBe(0);
  });

  it('gives its connection back to the pool every time', async () => {
    // More transactions than the pool has connections (10), failing or not.
    for (let i = 0; i < 25; i++) {
      await pipelinedTransaction(db.sql, async (tx) => {
        await tx`INSERT INTO tx_probe VALUES (${`e${String(i)}`})`;
        if (i % 2 === 1) {
          throw new Error('odd');
        }
      }).catch(() => undefined);
    }
    expect(await count('e')).toBe(13);
  });
});

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
