import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import type { Config } from '../../src/config.ts';
import { AdjustableClock, uuid } from '../../src/services/deps.ts';
import { createNotifier } from '../../src/services/notifications/notify.ts';
import type { Deps } from '../../src/services/deps.ts';
import type { TestDatabase } from './db.ts';
import { createTestDatabase } from './db.ts';
import { createCaches } from '../../src/caches.ts';
import { fhirEncodings } from '../../src/http/fhir/document-resource.ts';

export interface TestApp {
  readonly app: FastifyInstance;
  readonly deps: Deps;
  readonly db: TestDatabase;
  readonly clock: AdjustableClock;
  /** A development token for the given body (product.md §3). */
  token(body: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

/** The application on a fresh database, in demo configuration (dev identity provider on), without listening. */
export async function buildTestApp(overrides: Partial<Config> = {}): Promise<TestApp> {
  const db = await createTestDatabase();
  const config: Config = {
    // OPENDMP_CACHES=off in the environment turns every cache off (the second integration run of .ci/run).
    ...loadConfig({
      OPENDMP_DEMO: '1',
      PORT: '8080',
      OPENDMP_CACHES: process.env['OPENDMP_CACHES'],
    }),
    jobs: false,
    ...overrides,
  };
  const clock = new AdjustableClock();
  const deps: Deps = {
    sql: db.sql,
    config,
    clock,
    ids: uuid,
    log: pino({ level: process.env['TEST_LOG_LEVEL'] ?? 'silent' }),
    notify: createNotifier({ clock, ids: uuid }),
    caches: createCaches(config),
    encodings: fhirEncodings,
  };
  const app = await buildApp(deps);
  await app.ready();
  return {
    app,
    deps,
    db,
    clock,
    async token(body) {
      const res = await app.inject({ method: 'POST', url: '/auth/dev/token', payload: body });
      if (res.statusCode !== 200) {
        throw new Error(`dev token refused: ${res.statusCode} ${res.body}`);
      }
      return (res.json() as { access_token: string }).access_token;
    },
    async close() {
      await app.close();
      await db.drop();
    },
  };
}

export const OPERATOR = { kind: 'operator', id: 'op-test' };
export const GP = {
  kind: 'professional',
  idNatPs: '899700366240',
  profession: '10',
  specialty: 'SM26',
  structure: '1750300000',
  sector: 'SA07',
  mode: 'normal',
};
