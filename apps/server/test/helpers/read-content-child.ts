/**
 * Reads one stored content through the repository and prints as JSON its length, SHA-256 (hex) and how much the
 * process's resident memory peaked above what it was just before the read (VmHWM, reset through
 * /proc/self/clear_refs; Linux). Run by documents.content-read-memory.int.test.ts. Arguments: database URL, patient
 * id, content id, and `retrieval` to read it as a retrieval does on a single PostgreSQL (with its locator and facts,
 * documents.repository findRetrieval) instead of the content alone.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { connect } from '../../src/db/client.ts';
import { findContent } from '../../src/db/document-content.repository.ts';
import { findRetrieval } from '../../src/db/documents.repository.ts';

const [url, patientId, contentId, how] = process.argv.slice(2) as [string, string, string, string?];
const status = (field: string): number =>
  Number(
    new RegExp(`${field}:\\s+(\\d+)`).exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0,
  ) * 1024;
const sql = connect(url, { max: 1 });
try {
  await sql`SELECT 1`; // connected, types fetched
  fs.writeFileSync('/proc/self/clear_refs', '5');
  const before = status('VmRSS');
  const row =
    how === 'retrieval'
      ? (await findRetrieval(sql, contentId))?.content
      : await findContent(sql, patientId, contentId);
  const peak = status('VmHWM') - before;
  const bytes = row?.ciphertext ?? Buffer.alloc(0);
  process.stdout.write(
    JSON.stringify({
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      peakAboveBefore: peak,
    }),
  );
} finally {
  await sql.end({ timeout: 5 });
}
