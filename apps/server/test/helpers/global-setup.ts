import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { connect } from '../../src/db/client.ts';
import type { Sql } from '../../src/db/client.ts';
import { startEmbeddedDatabase } from '../../src/db/embedded.ts';
import type { EmbeddedDatabase } from '../../src/db/embedded.ts';
import { migrate } from '../../src/db/migrate.ts';
import { MIGRATION_STEPS } from '../../src/migration-steps.ts';
import { appLogin, ensureAppLogin } from '../../src/db/app-login.ts';

/**
 * Integration tests run on a real PostgreSQL: the one named by DATABASE_URL (CI: the machine's, or a Citus
 * coordinator), else an embedded PostgreSQL started here in a temporary folder. A migrated template database is
 * built once per run; each test file clones it (CREATE DATABASE … TEMPLATE), so files run in parallel without
 * cleanup code.
 *
 * On Citus (the database of DATABASE_URL has the `citus` extension and registered workers), a database is one
 * database of the same name on every node. The template is created on each node, given the extension, its workers
 * registered, and migrated once through the coordinator (which distributes the tables: migration 0071); each test
 * file's database is then cloned from the template on every node at once: the shards and the Citus metadata of the
 * clones are those of the template, node by node, so the clones form a cluster database of their own.
 */
declare module 'vitest' {
  export interface ProvidedContext {
    adminUrl: string;
    templateDb: string;
    /** Admin URLs of the Citus workers (empty on plain PostgreSQL). */
    workerUrls: string[];
  }
}

let embedded: EmbeddedDatabase | undefined;
let tmp: string | undefined;

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

function withHost(url: string, host: string, port: number): string {
  const u = new URL(url);
  u.hostname = host;
  u.port = String(port);
  return u.toString();
}

/** The workers registered in the admin database of a Citus coordinator; [] when it is plain PostgreSQL. */
export async function citusWorkers(admin: Sql, adminUrl: string): Promise<string[]> {
  const [ext] = await admin`SELECT 1 AS one FROM pg_extension WHERE extname = 'citus'`;
  if (!ext) {
    return [];
  }
  const nodes = await admin<{ nodename: string; nodeport: number }[]>`
    SELECT nodename, nodeport FROM pg_dist_node WHERE groupid <> 0 AND isactive ORDER BY nodeport`;
  if (nodes.length === 0) {
    throw new Error('DATABASE_URL names a Citus database without workers (citus_add_node)');
  }
  return nodes.map((n) => withHost(adminUrl, n.nodename, n.nodeport));
}

/** Runs `statement` on the coordinator and the workers (the same admin role on each). */
export async function onEveryNode(
  adminUrl: string,
  workerUrls: readonly string[],
  statement: string,
): Promise<void> {
  await Promise.all(
    [adminUrl, ...workerUrls].map(async (url) => {
      const a = connect(url, { max: 1 });
      try {
        await a.unsafe(statement);
      } finally {
        await a.end();
      }
    }),
  );
}

/**
 * Closes every session of `db` on the node of `url` and keeps new ones out, so that it can serve as a template:
 * Citus keeps a maintenance daemon connected to each database that has the extension.
 */
async function freezeTemplate(url: string, db: string): Promise<void> {
  const a = connect(url, { max: 1 });
  try {
    await a.unsafe(`ALTER DATABASE ${db} WITH ALLOW_CONNECTIONS false`);
    await a`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${db} AND pid <> pg_backend_pid()`;
  } finally {
    await a.end();
  }
}

/** A database on the coordinator and every worker, with the extension and the workers registered (the bench uses it too). */
export async function createCitusDatabase(
  adminUrl: string,
  workerUrls: readonly string[],
  db: string,
): Promise<void> {
  await onEveryNode(adminUrl, workerUrls, `CREATE DATABASE ${db}`);
  await onEveryNode(
    withDatabase(adminUrl, db),
    workerUrls.map((w) => withDatabase(w, db)),
    'CREATE EXTENSION citus',
  );
  const c = connect(withDatabase(adminUrl, db), { max: 1 });
  try {
    const u = new URL(adminUrl);
    await c`SELECT citus_set_coordinator_host(${u.hostname}, ${Number(u.port || 5432)})`;
    for (const w of workerUrls) {
      const wu = new URL(w);
      await c`SELECT citus_add_node(${wu.hostname}, ${Number(wu.port || 5432)})`;
    }
  } finally {
    await c.end();
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let adminUrl = process.env['DATABASE_URL'];
  if (!adminUrl) {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'opendmp-test-'));
    fs.chmodSync(tmp, 0o777);
    embedded = await startEmbeddedDatabase(tmp, { database: 'postgres', persistent: false });
    adminUrl = embedded.url;
  }
  const templateDb = `opendmp_tpl_${process.pid}_${Date.now().toString(36)}`;
  const admin = connect(adminUrl, { max: 1 });
  const workerUrls = await citusWorkers(admin, adminUrl);
  if (workerUrls.length > 0) {
    await createCitusDatabase(adminUrl, workerUrls, templateDb);
  } else {
    await admin.unsafe(`CREATE DATABASE ${templateDb}`);
  }
  const tpl = connect(withDatabase(adminUrl, templateDb), { max: 1 });
  await migrate(tpl, MIGRATION_STEPS);
  // The service's login (opendmp_app LOGIN, with the password derived from the owner's): set once per run here,
  // as the service does at start, since test files connect as that login.
  await ensureAppLogin(admin, appLogin(adminUrl));
  await tpl.end();
  await admin.end();
  if (workerUrls.length > 0) {
    for (const url of [adminUrl, ...workerUrls]) {
      await freezeTemplate(url, templateDb);
    }
  }
  project.provide('adminUrl', adminUrl);
  project.provide('templateDb', templateDb);
  project.provide('workerUrls', workerUrls);
  return async () => {
    await Promise.all(
      [adminUrl, ...workerUrls].map(async (url) => {
        const a = connect(url, { max: 1 });
        try {
          const dbs = await a<
            { datname: string }[]
          >`SELECT datname FROM pg_database WHERE datname LIKE ${`${templateDb}%`}`;
          for (const db of dbs) {
            await a.unsafe(`DROP DATABASE IF EXISTS ${db.datname} WITH (FORCE)`);
          }
        } finally {
          await a.end();
        }
      }),
    );
    await embedded?.stop();
    if (tmp) {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  };
}
