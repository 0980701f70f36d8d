/**
 * Rules a migration must follow to run on Citus too (docs/citus-rules.md), checked on the files themselves so that a
 * migration that breaks the Citus run fails here first, on any machine.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
/** Migration 0071 distributes the tables; the ones before it run on local tables, even on Citus. */
const FIRST_DISTRIBUTED = 71;

/** The `ADD COLUMN` clauses of a migration's text, comments removed, each up to the next clause or statement end. */
function addColumnClauses(sql: string): string[] {
  const text = sql.replace(/--[^\n]*/g, '');
  return [...text.matchAll(/ADD\s+COLUMN\b[^,;]*(?:\([^)]*\)[^,;]*)*/gi)].map((m) => m[0]);
}

/** An ADD COLUMN clause carrying a constraint without a name: Citus refuses it on a distributed or reference table. */
function unnamedConstraint(clause: string): boolean {
  return (
    /\b(CHECK|UNIQUE|REFERENCES|PRIMARY\s+KEY)\b/i.test(clause) && !/\bCONSTRAINT\b/i.test(clause)
  );
}

describe('migrations runnable on Citus', () => {
  it.each([
    ['ADD COLUMN sex text CHECK (sex IN (1, 2))', true],
    ['ADD COLUMN n int NOT NULL DEFAULT 1 CONSTRAINT t_n_check CHECK (n > 0)', false],
    ['ADD COLUMN a uuid REFERENCES b (id)', true],
    ['ADD COLUMN code text UNIQUE', true],
    ['ADD COLUMN note text', false],
  ])('%s: unnamed constraint %s', (clause, expected) => {
    expect(unnamedConstraint(clause)).toBe(expected);
  });

  it('finds the clauses of a statement, comments left out', () => {
    expect(
      addColumnClauses(
        'ALTER TABLE t\n  ADD COLUMN a text, -- CHECK in a comment\n  ADD COLUMN b int CHECK (b > 0);',
      ),
    ).toEqual(['ADD COLUMN a text', 'ADD COLUMN b int CHECK (b > 0)']);
  });

  it('adds no column with an unnamed constraint once the tables are distributed', () => {
    const offending = readdirSync(DIR)
      .filter((f) => /^\d{4}_.*\.sql$/.test(f) && Number(f.slice(0, 4)) >= FIRST_DISTRIBUTED)
      .flatMap((f) =>
        addColumnClauses(readFileSync(`${DIR}${f}`, 'utf8'))
          .filter(unnamedConstraint)
          .map((c) => `${f}: ${c.replace(/\s+/g, ' ')}`),
      );
    expect(offending).toEqual([]);
  });
});
