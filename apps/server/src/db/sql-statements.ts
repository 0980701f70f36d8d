/**
 * Splits a migration file into its top-level statements (on `;` outside quotes, dollar quotes and comments). Pure.
 *
 * Used on Citus only (db/migrate.ts): Citus forwards the text of a DDL command on a distributed table (CREATE INDEX…)
 * to the workers as the whole string it received, which for a file of several statements is refused there
 * (`cannot insert multiple commands into a prepared statement`). Each statement is therefore sent alone on Citus.
 */
export function splitSqlStatements(text: string): string[] {
  const statements: string[] = [];
  let start = 0;
  let i = 0;
  const n = text.length;
  const push = (end: number): void => {
    const s = text.slice(start, end).trim();
    if (s.replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, '').trim() !== '') {
      statements.push(s);
    }
  };
  while (i < n) {
    const c = text[i];
    const next = text[i + 1];
    if (c === '-' && next === '-') {
      const eol = text.indexOf('\n', i);
      i = eol === -1 ? n : eol + 1;
    } else if (c === '/' && next === '*') {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (text[i] === '/' && text[i + 1] === '*') {
          depth++;
          i += 2;
        } else if (text[i] === '*' && text[i + 1] === '/') {
          depth--;
          i += 2;
        } else {
          i++;
        }
      }
    } else if (c === "'" || c === '"') {
      // A doubled quote inside is an escaped quote: the loop closes and reopens.
      const close = text.indexOf(c, i + 1);
      i = close === -1 ? n : close + 1;
    } else if (c === '$') {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(text.slice(i));
      if (tag && !/[A-Za-z0-9_]/.test(text[i - 1] ?? '')) {
        const close = text.indexOf(tag[0], i + tag[0].length);
        i = close === -1 ? n : close + tag[0].length;
      } else {
        i++;
      }
    } else if (c === ';') {
      push(i + 1);
      i++;
      start = i;
    } else {
      i++;
    }
  }
  push(n);
  return statements;
}
