import type { FastifyInstance, FastifyRequest, RouteHandlerMethod } from 'fastify';
import { DomainFailure } from '../domain/errors.ts';
import { loggableError } from '../loggable-error.ts';
import { trace } from '../services/audit.ts';
import type { Deps } from '../services/deps.ts';
import type { RequestTraces } from '../services/request-traces.ts';
import { countingTraces } from '../services/request-traces.ts';

const TRACES = Symbol('opendmp.requestTraces');

/**
 * Errors other than "not found" that also answer a miss: a deposit's relation to a document the record does not
 * hold (a masked or refused target answers the same, after its denial is traced).
 */
const MISS_CODES: ReadonlySet<string> = new Set(['DOC_RELATED_TARGET_UNKNOWN']);

interface WithTraces {
  [TRACES]?: RequestTraces;
}

/**
 * Issue 16, item 8 (timing): an authenticated request that ends in "not found" without having written any trace —
 * a record, a Consent, an AuditEvent, a notification… that nothing has at that id, or a deposit's relation to a
 * document the record does not hold — is traced on the system chain
 * (`request.not-found`, outcome `denied`, the error's code, the route and the id asked) before its 404 leaves.
 * A refusal answered as a miss has always traced its denial on the record's chain, so the two answers now cost one
 * durable write each and their time no longer tells them apart; and ids tried in vain are visible to the operator.
 * Register on the root instance, before any route (the onRoute hook sees only routes added after it).
 */
export function registerMissTracing(app: FastifyInstance, deps: Deps): void {
  app.addHook('onRoute', (route) => {
    const handler = route.handler as RouteHandlerMethod;
    route.handler = function (this: FastifyInstance, request, reply) {
      const traces: RequestTraces = { written: 0 };
      (request as FastifyRequest & WithTraces)[TRACES] = traces;
      return countingTraces(traces, () => handler.call(this, request, reply));
    };
  });
  app.addHook('onError', async (request, _reply, error) => {
    const traces = (request as FastifyRequest & WithTraces)[TRACES];
    const actor = request.actor;
    if (
      !traces ||
      traces.written > 0 ||
      !actor ||
      !(error instanceof DomainFailure) ||
      (error.error.kind !== 'not-found' && !MISS_CODES.has(error.error.code))
    ) {
      return;
    }
    const params = (request.params ?? {}) as Record<string, unknown>;
    const id = typeof params['id'] === 'string' ? params['id'] : undefined;
    const route = request.routeOptions.url ?? '';
    // The resource type the route addresses (/fhir/Patient/:id/$close → Patient; /portal-api/… → portal).
    const type = /^\/fhir\/([A-Za-z]+)/.exec(route)?.[1] ?? route.split('/')[1] ?? '';
    try {
      await trace(deps, actor, null, {
        action: 'request.not-found',
        outcome: 'denied',
        reasonCode: error.error.code,
        entityType: type.slice(0, 64),
        ...(id !== undefined ? { entityId: id.slice(0, 64) } : {}),
        detail: { route: `${request.method} ${route}`.slice(0, 200) },
      });
    } catch (e) {
      // The answer stays the 404 it was; a database that is down answers the next request 503.
      request.log.warn({ err: loggableError(e) }, 'a miss could not be traced');
    }
  });
}
