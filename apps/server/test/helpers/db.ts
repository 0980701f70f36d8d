import { inject } from 'vitest';
import { appLogin } from '../../src/db/app-login.ts';
import { connect } from '../../src/db/client.ts';
import type { Sql } from '../../src/db/client.ts';
import { withDatabase } from './global-setup.ts';

export interface TestDatabase {
  /** Connection logged in as the application role (opendmp_app), as the service runs (ADR 0013). */
  readonly sql: Sql;
  /** The URL of that login (the owner URL with the user replaced). */
  readonly appUrl: string;
  /** Owner/superuser connection, for assertions and tampering tests. */
  readonly owner: Sql;
  readonly url: string;
  readonly name: string;
  drop(): Promise<void>;
}

let counter = 0;

/** Creates `name` from `template` on one node, retrying while another clone holds the template. */
async function cloneOn(adminUrl: string, name: string, template: string): Promise<void> {
  const admin = connect(adminUrl, { max: 1 });
  try {
    // CREATE DATABASE … TEMPLATE needs the template to have no other session; retry briefly if one clones at once.
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.unsafe(`CREATE DATABASE ${name} TEMPLATE ${template}`);
        return;
      } catch (e) {
        if (attempt > 50) {
          throw e;
        }
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
      }
    }
  } finally {
    await admin.end();
  }
}

/**
 * Drops `name` on one node. On Citus, `DROP … WITH (FORCE)` alone failed now and then ("being accessed by other
 * users", seen in a CI run on the cluster): the maintenance daemon Citus keeps connected to every database with the
 * extension comes back between the termination and the drop, and a two-phase commit cut short by the end of a test
 * can leave a prepared transaction, which FORCE does not remove. So: keep new sessions out, roll back what is left
 * prepared there, and retry.
 */
async function dropOn(adminUrl: string, name: string): Promise<void> {
  const admin = connect(adminUrl, { max: 1 });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.unsafe(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS false`);
        await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        return;
      } catch (e) {
        if ((e as { code?: string }).code === '3D000') {
          return; // already gone
        }
        if (attempt >= 20) {
          throw e;
        }
        const prepared = await admin<
          { gid: string }[]
        >`SELECT gid FROM pg_prepared_xacts WHERE database = ${name}`;
        if (prepared.length > 0) {
          await admin.unsafe(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS true`);
          const db = connect(withDatabase(adminUrl, name), { max: 1 });
          try {
            for (const { gid } of prepared) {
              await db.unsafe(`ROLLBACK PREPARED '${gid.replaceAll("'", "''")}'`);
            }
          } finally {
            await db.end();
          }
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  } finally {
    await admin.end();
  }
}

/**
 * A fresh database cloned from the migrated template. On Citus, cloned on the coordinator and on every worker (the
 * template's shards and metadata, node by node: test/helpers/global-setup.ts).
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = inject('adminUrl');
  const templateDb = inject('templateDb');
  const workerUrls = inject('workerUrls');
  const name = `${templateDb}_${process.pid}_${counter++}_${Math.random().toString(36).slice(2, 7)}`;
  await Promise.all([adminUrl, ...workerUrls].map((u) => cloneOn(u, name, templateDb)));
  const url = withDatabase(adminUrl, name);
  // The login works on every test database: global-setup made sure of it once for the cluster (roles are global).
  const appUrl = appLogin(url).url;
  const sql = connect(appUrl, { max: 10 });
  const owner = connect(url, { max: 2 });
  return {
    sql,
    appUrl,
    owner,
    url,
    name,
    async drop() {
      await sql.end({ timeout: 5 });
      await owner.end({ timeout: 5 });
      await Promise.all([adminUrl, ...workerUrls].map((u) => dropOn(u, name)));
    },
  };
}
