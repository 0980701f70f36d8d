import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipelinedTransaction } from '../../src/db/client.ts';
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
