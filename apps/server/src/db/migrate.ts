import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db, Sql } from './client.ts';
import { splitSqlStatements } from './sql-statements.ts';

/**
 * Applies the SQL migrations of db/migrations in name order, in one transaction, under an advisory lock (several
 * instances may start at once). A released migration is never edited: its checksum is recorded and a changed file
 * stops the start. A migration SQL cannot express runs a step in TypeScript right after its file, in the same
 * transaction (`steps`, by file name: src/migration-steps.ts lists them; every caller passes that list). On Citus,
 * each statement of a file is sent alone (db/sql-statements.ts): Citus forwards a DDL command on a distributed table to
 * the workers as the text it received, which must be one statement.
 */
export type MigrationStep = (tx: Db) => Promise<void>;
export const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');
const LOCK_KEY = 727_366_001;

export async function migrate(
  sql: Sql,
  steps: Readonly<Record<string, MigrationStep>>,
  dir: string = MIGRATIONS_DIR,
): Promise<string[]> {
  const files = fs
    .readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort();
  const applied: string[] = [];
  await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${LOCK_KEY})`;
    await tx`CREATE TABLE IF NOT EXISTS schema_migration (
      name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`;
    const rows = await tx<
      { name: string; checksum: string }[]
    >`SELECT name, checksum FROM schema_migration`;
    const done = new Map(rows.map((r) => [r.name, r.checksum]));
    const [ext] = await tx<{ citus: boolean }[]>`
      SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') AS citus`;
    for (const file of files) {
      const text = fs.readFileSync(path.join(dir, file), 'utf8');
      const checksum = createHash('sha256').update(text).digest('hex');
      const previous = done.get(file);
      if (previous !== undefined) {
        if (previous !== checksum) {
          throw new Error(
            `migration ${file} was edited after it was applied; add a new migration instead`,
          );
        }
        continue;
      }
      if (ext?.citus) {
        for (const statement of splitSqlStatements(text)) {
          await tx.unsafe(statement);
        }
      } else {
        await tx.unsafe(text);
      }
      await steps[file]?.(tx);
      await tx`INSERT INTO schema_migration (name, checksum) VALUES (${file}, ${checksum})`;
      applied.push(file);
    }
  });
  return applied;
}
