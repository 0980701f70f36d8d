/**
 * Test support for the auth tests (not a test file itself): a Config builder and a minimal error
 * handler standing in for http/error-handler.ts (DomainFailure kind → status, body {code, message}).
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '../../config.ts';
import { DomainFailure, type ErrorKind } from '../../domain/errors.ts';

const STATUS: Partial<Record<ErrorKind, number>> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  'not-found': 404,
  unavailable: 503,
};

export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    port: 0,
    host: '127.0.0.1',
    dataDir: '/nonexistent',
    databaseUrl: undefined,
    demo: true,
    testInsSystems: true,
    publicBaseUrl: 'http://opendmp.test',
    publicBaseUrlSet: true,
    oidcIssuers: [],
    devAudience: 'opendmp',
    masterKey: undefined,
    maxDocumentBytes: 1024,
    documentBudgetBytes: 0,
    logLevel: 'silent',
    jobs: false,
    authorizationDays: 0,
    searchCacheBytes: 16 * 1024 * 1024, // as in production: the tests exercise the cache
    contentCacheBytes: 16 * 1024 * 1024,
    caches: true,
    timeouts: loadConfig({}).timeouts,
    quotas: loadConfig({}).quotas,
    maxTokenLifetimeSeconds: loadConfig({}).maxTokenLifetimeSeconds,
    ...overrides,
  };
}

export function installTestErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | DomainFailure, _request, reply) => {
    if (error instanceof DomainFailure) {
      return reply
        .status(STATUS[error.error.kind] ?? 500)
        .send({ code: error.error.code, message: error.error.message });
    }
    return reply.status(error.statusCode ?? 500).send({ code: error.code, message: error.message });
  });
}
