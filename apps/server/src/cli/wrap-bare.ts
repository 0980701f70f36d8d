import pino from 'pino';
import { loadMasterKey } from '../crypto/master-key.ts';
import { DataDirLockedError } from '../db/embedded.ts';
import { documentDeps } from '../services/documents/context.ts';
import { wrapBareDocuments } from '../services/documents/wrap-bare.ts';
import { openDatabase } from './import-remboursements.ts';

/**
 * `opendmp documents wrap-bare` (issue 17 rule 9, ADR 0014): wraps the documents stored bare in a CDA N1 now, as the
 * service does at each start — before an upgrade's first start, or to retry the documents left `skipped`. The
 * database as for the other commands (DATABASE_URL, else the embedded one in DATA_DIR when no service uses it),
 * migrated; the master key as the service's (OPENDMP_MASTER_KEY…).
 * Exit codes: 0 nothing left bare; 1 documents left (unwrappable ones are listed on stderr by id); 2 usage or
 * operational error.
 */
const USAGE = 'usage: opendmp documents wrap-bare\n';

export async function run(args: readonly string[]): Promise<number> {
  if (args.length > 0) {
    const help = args[0] === '-h' || args[0] === '--help';
    (help ? process.stdout : process.stderr).write(USAGE);
    return help ? 0 : 2;
  }
  let opened: Awaited<ReturnType<typeof openDatabase>>;
  try {
    opened = await openDatabase();
  } catch (e) {
    process.stderr.write(
      `opendmp documents wrap-bare: ${
        e instanceof DataDirLockedError
          ? `${e.message}\nThe service is running on that folder: it wraps them at start; or pass its DATABASE_URL.`
          : `cannot open the database: ${e instanceof Error ? e.message : String(e)}`
      }\n`,
    );
    return 2;
  }
  try {
    loadMasterKey(opened.deps.config);
    // Warnings (a document left, by id) on stderr; nothing of any content.
    const log = pino({ level: 'warn' }, pino.destination(2));
    const summary = await wrapBareDocuments(documentDeps({ ...opened.deps, log }));
    process.stdout.write(
      `Wrapped ${String(summary.wrapped)} document(s) in a CDA N1; ${String(summary.unwrappable)} cannot be ` +
        `wrapped (their file is not PDF, JPEG, text, RTF nor TIFF); ${String(summary.skipped)} left for another run.\n`,
    );
    return summary.unwrappable + summary.skipped > 0 ? 1 : 0;
  } catch (e) {
    process.stderr.write(
      `opendmp documents wrap-bare: ${e instanceof Error ? e.message : String(e)}\n`,
    );
    return 2;
  } finally {
    await opened.close();
  }
}
