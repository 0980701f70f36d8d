import { getHeapStatistics } from 'node:v8';
import Fastify, { LogController } from 'fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor } from './domain/access/actor.ts';
import { createAuthentication, registerAuthDecorations } from './http/auth/auth.plugin.ts';
import { frameworkErrorHandler, registerErrorHandling } from './http/error-handler.ts';
import { heapNeeded, maxBodyBytes, registerInputGate } from './http/input-gate.ts';
import { timeoutOptions } from './http/connection-limits.ts';
import { createQuotas } from './http/quota.plugin.ts';
import { registerNoStore } from './http/cache-control.ts';
import { registerMissTracing } from './http/miss-trace.ts';
import { requireCaller, type SurfaceContext } from './http/surface.ts';
import { fhirApi } from './http/fhir/fhir.plugin.ts';
import { portalSurface } from './http/portal/portal.plugin.ts';
import { authRoutes } from './http/auth/auth-routes.plugin.ts';
import { adminApi } from './http/admin/admin.plugin.ts';
import { soapApi } from './http/xds/soap-api.plugin.ts';
import { audit } from './services/audit.ts';
import { currentHolder } from './services/record-merge.ts';
import { createAuthFailureLog } from './services/auth-failures.ts';
import type { Deps } from './services/deps.ts';

/**
 * Builds the HTTP application without listening (tests use `inject`). Routes only translate: they parse,
 * call one service, and map the result; errors are mapped in http/error-handler.ts.
 */
export async function buildApp(deps: Deps): Promise<FastifyInstance> {
  const { config } = deps;
  const bodyLimit = maxBodyBytes(config.maxDocumentBytes);
  const app: FastifyInstance = Fastify({
    loggerInstance: deps.log,
    // Base64 inflates documents by 4/3; each document is checked against the limit once decoded.
    bodyLimit,
    // Router errors (bad URL encoding, over-long parameters) answer OperationOutcomes too.
    frameworkErrors: frameworkErrorHandler,
    trustProxy: true,
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    ...timeoutOptions(config.timeouts),
  }) as unknown as FastifyInstance;
  if (config.timeouts.maxConnections > 0) {
    app.server.maxConnections = config.timeouts.maxConnections;
  }

  // JSON bodies, query values and path parameters pass the input gate; large bodies hold document memory.
  const documentBudgetBytes = config.documentBudgetBytes || 2 * bodyLimit;
  registerInputGate(app, { bodyLimit, documentBudgetBytes });
  const heapLimit = getHeapStatistics().heap_size_limit;
  if (heapLimit < heapNeeded(documentBudgetBytes)) {
    deps.log.warn(
      {
        heapLimitMb: Math.round(heapLimit / 2 ** 20),
        neededMb: Math.round(heapNeeded(documentBudgetBytes) / 2 ** 20),
      },
      'the heap limit is below what the document memory budget needs: raise --max-old-space-size or lower OPENDMP_DOCUMENT_MEMORY_MB',
    );
  }

  // One log line per request, without query string or body (they may carry identifiers or health data).
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unknown',
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
        actor: request.actor?.kind,
      },
      'request',
    );
  });

  registerErrorHandling(app);
  registerMissTracing(app, deps);
  registerNoStore(app);

  app.get('/health', { config: { public: true } }, async () => ({ status: 'ok' }));
  app.get('/ready', { config: { public: true } }, async (_request, reply) => {
    try {
      await deps.sql`SELECT 1`;
      return { status: 'ready' };
    } catch {
      return reply.code(503).send({ status: 'unavailable' });
    }
  });

  // Failed authentications: traced on the system chain, aggregated per client address and minute; counted per
  // client address too (an address past its quota has no token checked).
  const authFailures = createAuthFailureLog(deps);
  app.addHook('onClose', async () => authFailures.stop());
  const quotas = createQuotas(config.quotas);
  const onAuthFailure = (reason: string, request: FastifyRequest): void => {
    authFailures.log.record(reason, request.ip);
    quotas.fail(request.ip);
  };
  // Issue 17 rule 11: a token (or a VIHF) under an absorbed or former INS acts as the holder side of its record.
  const resolveActor = (actor: Actor): Promise<Actor> => currentHolder(deps, actor);
  const auth = await createAuthentication({
    config,
    caches: deps.caches,
    resolveActor,
    onLogin: async (actor: Actor) => {
      await deps.sql.begin(async (tx) => {
        await audit(tx, deps, actor, null, { action: 'auth.login', outcome: 'success' });
      });
    },
    onAuthFailure,
  });
  app.addHook('onClose', async () => auth.close());
  await registerAuthDecorations(app);

  // A URL no surface serves is guarded as the API is (outside /auth/: 401 without a token; then the quotas) before
  // its 404 (http/error-handler.ts): anonymous callers are not told which endpoints exist. These requests only:
  // every surface has its own guard.
  const surfaces: SurfaceContext = { deps, auth, quotas, resolveActor, onAuthFailure };
  requireCaller(app, surfaces, (request) => request.is404);

  // Each API surface is its own encapsulated plugin: its authentication hook and its error mapping apply to its
  // routes only (http/surface.ts).
  await app.register(fhirApi, surfaces);
  await app.register(portalSurface, surfaces);
  await app.register(authRoutes, surfaces);
  await app.register(adminApi, surfaces);
  await app.register(soapApi, surfaces);
  return app;
}
