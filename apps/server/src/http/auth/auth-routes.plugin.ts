/**
 * The auth surface, under `/auth`: the development identity provider (`POST /auth/dev/token`, its JWKS) and the
 * development VIHF (`POST /auth/dev/vihf`) when `config.demo` — fixed interfaces, product.md §3 —, and the portals'
 * sign-in routes (`/auth/portal/*`, portal-login.routes.ts). Its own encapsulated plugin: no bearer hook (every
 * route is open; a portal route that needs its session checks it itself), the failed-authentication quota on the
 * logins and the per-address request quota, OperationOutcome errors.
 */
import type { FastifyPluginAsync } from 'fastify';
import { operationOutcomeError } from '../error-handler.ts';
import type { SurfaceContext } from '../surface.ts';
import { registerDevVihf } from './dev-vihf.ts';

export const authRoutes: FastifyPluginAsync<SurfaceContext> = async (scope, ctx) => {
  if (ctx.quotas.authFailureHook) {
    scope.addHook('onRequest', ctx.quotas.authFailureHook);
  }
  ctx.quotas.installRequestHooks(scope);
  scope.setErrorHandler(operationOutcomeError);
  ctx.auth.registerRoutes(scope);
  if (ctx.deps.config.demo) {
    registerDevVihf(scope, ctx.deps);
  }
};
