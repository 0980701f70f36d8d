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

/** A fresh database cloned from the migrated template. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = inject('adminUrl');
  const templateDb = inject('templateDb');
  const name = `${templateDb}_${process.pid}_${counter++}_${Math.random().toString(36).slice(2, 7)}`;
  const admin = connect(adminUrl, { max: 1 });
  // CREATE DATABASE … TEMPLATE needs the template to have no other session; retry briefly if one clones at once.
  for (let attempt = 0; ; attempt++) {
    try {
      await admin.unsafe(`CREATE DATABASE ${name} TEMPLATE ${templateDb}`);
      break;
    } catch (e) {
      if (attempt > 50) {
        throw e;
      }
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
    }
  }
  await admin.end();
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
      const a = connect(adminUrl, { max: 1 });
      await a.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}
