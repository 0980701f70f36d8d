/**
 * Issue 16, finding 8: PostgreSQL error texts echo the values of the statement, and the error handler logged
 * `error.message` and the stack. A value sent in a request that provokes a database error must never reach the
 * logs; the SQLSTATE and the error class do.
 */
import { Writable } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { registerErrorHandling } from '../../src/http/error-handler.ts';
import { AdjustableClock, uuid } from '../../src/services/deps.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { OPERATOR } from '../helpers/app.ts';
import { createCaches } from '../../src/caches.ts';
import { fhirEncodings } from '../../src/http/fhir/document-resource.ts';

function capture(): { logger: pino.Logger; text: () => string } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'));
      callback();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), text: () => lines.join('') };
}

describe('database errors in the logs', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('logs the SQLSTATE and class of a database error, never the value that provoked it', async () => {
    const log = capture();
    // As the application: no per-request log lines of Fastify's own (they would carry the URL).
    const app = Fastify({
      loggerInstance: log.logger,
      disableRequestLogging: true,
    }) as unknown as FastifyInstance;
    registerErrorHandling(app);
    app.get('/echo', async (request) => {
      const { value } = request.query as { value: string };
      // A statement that fails on the value, as a cast of an id or a unique key would.
      return db.sql`SELECT ${value}::uuid AS id`;
    });
    const marker = 'MARKER-1850275123456-secret-diagnosis';
    try {
      const res = await app.inject({ method: 'GET', url: `/echo?value=${marker}` });
      expect(res.statusCode).toBe(500);
      expect(res.json()).toMatchObject({ resourceType: 'OperationOutcome' });
      expect(res.body).not.toContain(marker);
      const logged = log.text();
      expect(logged).toContain('internal error');
      expect(logged).toContain('"code":"22P02"');
      expect(logged).toContain('"type":"PostgresError"');
      expect(logged).not.toContain(marker);
      expect(logged).not.toContain('1850275123456');
    } finally {
      await app.close();
    }
  });

  it('keeps request values out of the logs of the whole application', async () => {
    const log = capture();
    const config = { ...loadConfig({ OPENDMP_DEMO: '1' }), jobs: false };
    const clock = new AdjustableClock();
    const app = await buildApp({
      sql: db.sql,
      config,
      clock,
      ids: uuid,
      log: log.logger,
      caches: createCaches(config),
      encodings: fhirEncodings,
    });
    try {
      const token = (
        await app.inject({ method: 'POST', url: '/auth/dev/token', payload: OPERATOR })
      ).json<{ access_token: string }>().access_token;
      // Hex and dashes, 36 characters, not a UUID: values that have reached SQL casts.
      const marker = 'abcdef0123456789-abcdef0123456789-ab';
      for (const url of [
        `/fhir/Patient/${marker}`,
        `/fhir/DocumentReference/${marker}`,
        `/fhir/Patient/${marker}/$close`,
        `/fhir/AuditEvent?entity=${marker}`,
      ]) {
        const res = await app.inject({
          method: url.endsWith('$close') ? 'POST' : 'GET',
          url,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' },
          ...(url.endsWith('$close')
            ? { payload: { resourceType: 'Parameters', parameter: [] } }
            : {}),
        });
        expect(res.statusCode, url).toBeLessThan(600);
      }
      expect(log.text()).not.toContain(marker);
    } finally {
      await app.close();
    }
  });
});
