import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AccessMatrix } from '../domain/access/matrix.ts';
import { parseAccessMatrix } from '../domain/access/matrix.ts';

/**
 * The access matrix in force: the file named by OPENDMP_ACCESS_MATRIX, else the shipped default
 * (reference/access-matrix/default.json). Read once; an invalid file stops the start with its issues.
 */
export const DEFAULT_MATRIX_PATH = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../reference/access-matrix/default.json',
);

let cached: { path: string; matrix: AccessMatrix } | undefined;

export function loadAccessMatrix(
  file: string = process.env['OPENDMP_ACCESS_MATRIX'] ?? DEFAULT_MATRIX_PATH,
): AccessMatrix {
  if (cached?.path === file) {
    return cached.matrix;
  }
  const parsed = parseAccessMatrix(JSON.parse(fs.readFileSync(file, 'utf8')) as unknown);
  if (!parsed.ok) {
    throw new Error(
      `access matrix ${file} is invalid: ${parsed.error.map((i) => `${i.code} ${i.message}`).join('; ')}`,
    );
  }
  cached = { path: file, matrix: parsed.value };
  return parsed.value;
}
