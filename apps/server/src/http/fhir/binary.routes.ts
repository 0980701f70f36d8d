import type { FastifyInstance } from 'fastify';
import { FHIR_JSON } from '../error-handler.ts';
import type { DocumentDeps } from '../../services/documents/context.ts';
import { retrieveContent } from '../../services/documents/read.ts';
import { actorOf } from '../actor.ts';

/**
 * ITI-68 Retrieve Document: attachment.url. The exact bytes with their Content-Type and the SHA-1 as ETag; with
 * `Accept: application/fhir+json` (and not the document's own type) a FHIR Binary resource instead.
 */
export function registerBinaryRoutes(app: FastifyInstance, deps: DocumentDeps): void {
  app.get('/fhir/Binary/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    const content = await retrieveContent(deps, actorOf(request), id);
    const accept = request.headers.accept ?? '';
    const etag = `"${content.sha1}"`;
    reply
      .header('ETag', etag)
      .header('Cache-Control', 'private, no-store')
      .header('X-Content-Type-Options', 'nosniff')
      // A deposited HTML/SVG opened straight in a browser must not run in our origin.
      .header('Content-Security-Policy', "default-src 'none'; sandbox");
    if (/application\/(fhir\+)?json/.test(accept) && !accept.includes(content.mimeType)) {
      return reply.type(FHIR_JSON).send({
        resourceType: 'Binary',
        id: content.contentId,
        contentType: content.mimeType,
        data: content.bytes.toString('base64'),
      });
    }
    if (request.headers['if-none-match'] === etag) {
      return reply.code(304).send();
    }
    return reply.header('Content-Type', content.mimeType).send(content.bytes);
  });
}
