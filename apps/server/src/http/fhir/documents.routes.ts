import type { FastifyInstance } from 'fastify';
import type { ContentStore } from '../../crypto/content-store.ts';
import type { Deps } from '../../services/deps.ts';
import { documentDeps } from '../../services/documents/context.ts';
import { registerBinaryRoutes } from './binary.routes.ts';
import { registerDocumentReferenceRoutes } from './document.routes.ts';
import { registerListRoutes } from './list.routes.ts';
import { registerTransactionRoutes } from './transaction.routes.ts';

/** Every document route (IHE MHD / PDSm): ITI-65, ITI-105, ITI-67, ITI-66, ITI-68 and the metadata PATCH. */
export function registerDocumentRoutes(
  app: FastifyInstance,
  deps: Deps,
  contents?: ContentStore,
): void {
  const docs = documentDeps(deps, contents);
  registerTransactionRoutes(app, docs);
  registerDocumentReferenceRoutes(app, docs);
  registerListRoutes(app, docs);
  registerBinaryRoutes(app, docs);
}
