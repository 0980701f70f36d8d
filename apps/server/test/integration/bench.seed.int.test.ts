/**
 * `npm run bench` writes its million background documents straight in SQL (bench/seed.ts), so a migration that adds
 * a required column breaks it without any other test noticing: after migration 0082 (a document's entryUUID, NOT
 * NULL) the bench failed at seeding on main, and the session that made the change could not measure before/after.
 * Seeds a few records on the current schema and checks what the bench relies on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installFillerFunctions, seedBackground } from '../../bench/seed.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';

describe('the benchmark seed', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('fits the current schema: every row a deposit writes, each document findable by its id and entryUUID', async () => {
    await installFillerFunctions(db.owner);
    await seedBackground(db.owner, 3, 30);
    const [counts] = await db.owner<{ records: number; documents: number; contents: number }[]>`
      SELECT (SELECT count(*)::int FROM patient_record) AS records,
        (SELECT count(*)::int FROM document) AS documents,
        (SELECT count(*)::int FROM document_content) AS contents`;
    expect(counts).toEqual({ records: 3, documents: 30, contents: 30 });
    const [orphans] = await db.owner<{ n: number }[]>`
      SELECT count(*)::int AS n FROM document d
      WHERE NOT EXISTS (SELECT 1 FROM document_content c
        WHERE c.patient_id = d.patient_id AND c.content_id = d.content_id)
        OR d.entry_uuid IS NULL`;
    expect(orphans?.n).toBe(0);
  });
});
