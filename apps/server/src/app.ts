import { getHeapStatistics } from 'node:v8';
import Fastify, { LogController } from 'fastify';
import type { FastifyInstance } from 'fastify';
import type { Actor } from './domain/access/actor.ts';
import { registerAuth } from './http/auth/auth.plugin.ts';
import { frameworkErrorHandler, registerErrorHandling } from './http/error-handler.ts';
import { heapNeeded, maxBodyBytes, registerInputGate } from './http/input-gate.ts';
import { timeoutOptions } from './http/connection-limits.ts';
import { registerAuthFailureQuota, registerQuotas } from './http/quota.plugin.ts';
import { registerNoStore } from './http/cache-control.ts';
import { registerMissTracing } from './http/miss-trace.ts';
import { registerMetadataRoutes } from './http/fhir/metadata.routes.ts';
import { registerPatientRoutes } from './http/fhir/patient.routes.ts';
import { registerConsentRoutes } from './http/fhir/consent.routes.ts';
import { registerRepresentativeRoutes } from './http/fhir/representative.routes.ts';
import { registerCareHistoryRoutes } from './http/care-history.routes.ts';
import { registerProfileRoutes } from './http/fhir/profile.routes.ts';
import { registerAuditEventRoutes } from './http/fhir/audit-event.routes.ts';
import { registerCommunicationRoutes } from './http/fhir/communication.routes.ts';
import { registerDocumentRoutes } from './http/fhir/documents.routes.ts';
import { registerPortals } from './http/portal/portal.plugin.ts';
import { registerXdsRoutes } from './http/xds/xds.plugin.ts';
import { registerVihfCertificateRoutes } from './http/xds/vihf-certificates.routes.ts';
import { registerDevVihf } from './http/auth/dev-vihf.ts';
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

  // Failed authentications: traced on the system chain, aggregated per client address and minute.
  const authFailures = createAuthFailureLog(deps);
  app.addHook('onClose', async () => authFailures.stop());
  // Counted per client address too; before the auth hook, so that an address past its quota has no token checked.
  const authFailureQuota = registerAuthFailureQuota(app, config.quotas);
  await registerAuth(app, {
    config,
    // Issue 17 rule 11: a token under an absorbed or former INS acts as the holder side of its record.
    resolveActor: (actor: Actor) => currentHolder(deps, actor),
    onLogin: async (actor: Actor) => {
      await deps.sql.begin(async (tx) => {
        await audit(tx, deps, actor, null, { action: 'auth.login', outcome: 'success' });
      });
    },
    onAuthFailure: (reason, request) => {
      authFailures.log.record(reason, request.ip);
      authFailureQuota.fail(request.ip);
    },
  });

  // After the auth hook: the quotas are keyed by the authenticated actor (or the client address when public).
  registerQuotas(app, config.quotas);

  registerMetadataRoutes(app, config);
  registerPatientRoutes(app, deps);
  registerConsentRoutes(app, deps);
  registerRepresentativeRoutes(app, deps);
  registerCareHistoryRoutes(app, deps);
  registerProfileRoutes(app, deps);
  registerAuditEventRoutes(app, deps);
  registerCommunicationRoutes(app, deps);
  registerDocumentRoutes(app, deps);
  registerXdsRoutes(app, deps, {
    resolveActor: (actor: Actor) => currentHolder(deps, actor),
    onAuthFailure: (reason, request) => {
      authFailures.log.record(reason, request.ip);
      authFailureQuota.fail(request.ip);
    },
  });
  registerVihfCertificateRoutes(app, deps);
  if (config.demo) {
    registerDevVihf(app, deps);
  }
  await registerPortals(app, deps);
  return app;
}
