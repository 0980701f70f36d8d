/**
 * The SOAP API surface (the DMP's web services, xds.plugin.ts): its own encapsulated plugin. No bearer hook — a
 * SOAP call authenticates by its VIHF inside the service (S4 in xds.plugin.ts), its failures counted as the bearer
 * tokens' are — and the per-address request quota; errors are SOAP faults (xds.plugin.ts's own error handler).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { SurfaceContext } from '../surface.ts';
import { registerXdsRoutes } from './xds.plugin.ts';

export const soapApi: FastifyPluginAsync<SurfaceContext> = async (scope, ctx) => {
  ctx.quotas.installRequestHooks(scope);
  registerXdsRoutes(scope, ctx.deps, {
    resolveActor: ctx.resolveActor,
    onAuthFailure: ctx.onAuthFailure,
  });
};
