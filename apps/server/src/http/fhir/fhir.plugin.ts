/**
 * The FHIR API surface (IHE MHD / PDSm and the project's FHIR resources), every route under `/fhir`: one
 * encapsulated Fastify plugin with its own guard (bearer token or portal session, then quotas; surface.ts) and its
 * own error mapping (OperationOutcome, http/error-handler.ts). `/fhir/metadata` is open.
 */
import type { FastifyPluginAsync } from 'fastify';
import { operationOutcomeError } from '../error-handler.ts';
import { registerCareHistoryRoutes } from './care-history.routes.ts';
import { requireCaller, type SurfaceContext } from '../surface.ts';
import { registerAuditEventRoutes } from './audit-event.routes.ts';
import { registerCommunicationRoutes } from './communication.routes.ts';
import { registerConsentRoutes } from './consent.routes.ts';
import { registerDocumentRoutes } from './documents.routes.ts';
import { registerMetadataRoutes } from './metadata.routes.ts';
import { registerPatientRoutes } from './patient.routes.ts';
import { registerProfileRoutes } from './profile.routes.ts';
import { registerRepresentativeRoutes } from './representative.routes.ts';

export const fhirApi: FastifyPluginAsync<SurfaceContext> = async (scope, ctx) => {
  const { deps } = ctx;
  requireCaller(scope, ctx);
  scope.setErrorHandler(operationOutcomeError);
  registerMetadataRoutes(scope, deps.config);
  registerPatientRoutes(scope, deps);
  registerConsentRoutes(scope, deps);
  registerRepresentativeRoutes(scope, deps);
  registerCareHistoryRoutes(scope, deps);
  registerProfileRoutes(scope, deps);
  registerAuditEventRoutes(scope, deps);
  registerCommunicationRoutes(scope, deps);
  registerDocumentRoutes(scope, deps);
};
