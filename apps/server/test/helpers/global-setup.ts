import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { connect } from '../../src/db/client.ts';
import { startEmbeddedDatabase } from '../../src/db/embedded.ts';
import type { EmbeddedDatabase } from '../../src/db/embedded.ts';
import { migrate } from '../../src/db/migrate.ts';
import { appLogin, ensureAppLogin } from '../../src/db/app-login.ts';

/**
 * Integration tests run on a real PostgreSQL: the one named by DATABASE_URL (CI: the machine's), else an embedded
 * PostgreSQL started here in a temporary folder. A migrated template database is built once per run; each test
 * file clones it (CREATE DATABASE … TEMPLATE), so files run in parallel without cleanup code.
 */
declare module 'vitest' {
  export interface ProvidedContext {
    adminUrl: string;
    templateDb: string;
  }
}

let embedded: EmbeddedDatabase | undefined;
let tmp: string | undefined;

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
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
  await admin.unsafe(`CREATE DATABASE ${templateDb}`);
  const tpl = connect(withDatabase(adminUrl, templateDb), { max: 1 });
  await migrate(tpl);
  // The service's login (opendmp_app LOGIN, with the password derived from the owner's): set once per run here,
  // as the service does at start, since test files connect as that login.
  await ensureAppLogin(admin, appLogin(adminUrl));
  await tpl.end();
  await admin.end();
  project.provide('adminUrl', adminUrl);
  project.provide('templateDb', templateDb);
  return async () => {
    const a = connect(adminUrl, { max: 1 });
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
    await embedded?.stop();
    if (tmp) {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  };
}
