/**
 * The operator's API surface, under `/admin` (today the VIHF certificates, http/xds/vihf-certificates.routes.ts):
 * its own encapsulated plugin with the bearer guard (surface.ts; the routes then require an operator) and
 * OperationOutcome errors.
 */
import type { FastifyPluginAsync } from 'fastify';
import { operationOutcomeError } from '../error-handler.ts';
import { requireCaller, type SurfaceContext } from '../surface.ts';
import { registerVihfCertificateRoutes } from '../xds/vihf-certificates.routes.ts';

export const adminApi: FastifyPluginAsync<SurfaceContext> = async (scope, ctx) => {
  requireCaller(scope, ctx);
  scope.setErrorHandler(operationOutcomeError);
  registerVihfCertificateRoutes(scope, ctx.deps);
};
