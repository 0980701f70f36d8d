/**
 * The real opendmp server for the browser tests: a fresh database cloned from the migrated template, the demo
 * data set loaded through the services, the background jobs running (the outbox delivers notifications), and
 * the HTTP server listening on a free loopback port — the browser talks to it like to `npm run demo`.
 */
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { loadDemoDocuments } from '../../src/demo/documents.ts';
import { loadDemoData } from '../../src/demo/load.ts';
import { portalsBuilt } from '../../src/http/portal/portal.plugin.ts';
import { startJobs } from '../../src/jobs/scheduler.ts';
import type { Deps } from '../../src/services/deps.ts';
import { systemClock, uuid } from '../../src/services/deps.ts';
import { createNotifier } from '../../src/services/notifications/notify.ts';
import type { TestDatabase } from '../helpers/db.ts';
import { createTestDatabase } from '../helpers/db.ts';

export interface PortalServer {
  readonly baseUrl: string;
  readonly app: FastifyInstance;
  readonly deps: Deps;
  readonly db: TestDatabase;
  close(): Promise<void>;
}

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

/** Builds the portals if they are missing or stale (a no-op when `npm test` already did). */
export function ensurePortalsBuilt(): void {
  execFileSync(process.execPath, [path.join(repo, 'apps/portal/scripts/ensure-built.ts')], {
    cwd: repo,
    stdio: 'inherit',
  });
  if (!portalsBuilt()) {
    throw new Error('the portals could not be built (apps/portal/dist is missing)');
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startPortalServer(): Promise<PortalServer> {
  ensurePortalsBuilt();
  const db = await createTestDatabase();
  const port = await freePort();
  const config = {
    ...loadConfig({
      OPENDMP_DEMO: '1',
      PORT: String(port),
      OPENDMP_PUBLIC_URL: `http://localhost:${port}`,
    }),
    host: '127.0.0.1',
    jobs: true,
  };
  const deps: Deps = {
    sql: db.sql,
    config,
    clock: systemClock,
    ids: uuid,
    log: pino({ level: 'silent' }),
    notify: createNotifier({ clock: systemClock, ids: uuid }),
  };
  await loadDemoData(deps);
  await loadDemoDocuments(deps);
  const app = await buildApp(deps);
  await app.listen({ port, host: '127.0.0.1' });
  const jobs = startJobs(deps);
  return {
    baseUrl: `http://localhost:${port}`,
    app,
    deps,
    db,
    async close() {
      await jobs.stop();
      await app.close();
      await db.drop();
    },
  };
}
