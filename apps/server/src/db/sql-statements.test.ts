import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR } from './migrate.ts';
import { splitSqlStatements } from './sql-statements.ts';

describe('splitSqlStatements', () => {
  it.each([
    [
      'two statements',
      'CREATE INDEX a ON t (x);\nCREATE INDEX b ON t (y);\n',
      ['CREATE INDEX a ON t (x);', 'CREATE INDEX b ON t (y);'],
    ],
    ['no final semicolon', 'SELECT 1', ['SELECT 1']],
    [
      'comments only between',
      '-- a; b\nSELECT 1; /* c; d */ SELECT 2;',
      ['-- a; b\nSELECT 1;', '/* c; d */ SELECT 2;'],
    ],
    ['a comment alone at the end', 'SELECT 1;\n-- done;\n', ['SELECT 1;']],
    [
      'quotes',
      "SELECT 'a;b', 'it''s;', \"x;y\";SELECT 2;",
      ["SELECT 'a;b', 'it''s;', \"x;y\";", 'SELECT 2;'],
    ],
    [
      'a function body',
      'CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;\nSELECT f();',
      ['CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;', 'SELECT f();'],
    ],
    [
      'a tagged dollar quote with $$ inside',
      'DO $body$ BEGIN EXECUTE $$SELECT 1;$$; END $body$;SELECT 3;',
      ['DO $body$ BEGIN EXECUTE $$SELECT 1;$$; END $body$;', 'SELECT 3;'],
    ],
    ['a positional parameter is no quote', 'SELECT $1;SELECT 2;', ['SELECT $1;', 'SELECT 2;']],
    ['a nested block comment', '/* a /* b; */ c; */ SELECT 1;', ['/* a /* b; */ c; */ SELECT 1;']],
  ])('%s', (_name, text, expected) => {
    expect(splitSqlStatements(text)).toEqual(expected);
  });

  it('gives back every migration whole: joined, the statements are the file without what lies between them', () => {
    for (const file of fs.readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql'))) {
      const text = fs.readFileSync(path.join(MIGRATIONS_DIR, file), 'utf8');
      const statements = splitSqlStatements(text);
      expect(statements.length, file).toBeGreaterThan(0);
      let at = 0;
      for (const s of statements) {
        const found = text.indexOf(s, at);
        expect(found, `${file}: ${s.slice(0, 60)}`).toBeGreaterThanOrEqual(0);
        expect(
          text
            .slice(at, found)
            .replace(/--[^\n]*/g, '')
            .trim(),
          file,
        ).toBe('');
        at = found + s.length;
      }
    }
  });
});
