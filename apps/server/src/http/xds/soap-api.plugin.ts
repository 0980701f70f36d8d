/**
 * The SOAP API surface (the DMP's web services, xds.plugin.ts): its own encapsulated plugin. No bearer hook — a
 * SOAP call authenticates by its VIHF inside the service (S4 in xds.plugin.ts), its failures counted as the bearer
 * tokens' are — and no per-address quota: a hospital's gateway sends all its software's calls from one address. Once
 * the VIHF is verified, its actor (the professional it names) is charged on the same request and deposited-bytes
 * buckets as that professional's bearer requests (S5); errors are SOAP faults (xds.plugin.ts's own error handler).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { SurfaceContext } from '../surface.ts';
import { registerXdsRoutes } from './xds.plugin.ts';

export const soapApi: FastifyPluginAsync<SurfaceContext> = async (scope, ctx) => {
  registerXdsRoutes(scope, ctx.deps, {
    resolveActor: ctx.resolveActor,
    onAuthFailure: ctx.onAuthFailure,
    charge: (actor, bodyBytes, reply) => {
      ctx.quotas.charge(actor, bodyBytes, reply);
    },
  });
};
