import type { FastifyInstance, FastifyReply } from 'fastify';
import { linkBase } from '../link-base.ts';
import { informationOutcome } from '../operation-outcome.ts';
import { FHIR_JSON } from '../error-handler.ts';
import type { DocumentDeps } from '../../services/documents/context.ts';
import type { PatchOutcome } from './document-patch.ts';
import { patchDocument, patchDocumentByIdentifier } from './document-patch.ts';
import { publishDocument } from './publish.ts';
import { depositedDocument, readDocument } from '../../services/documents/read.ts';
import type { Query } from './search-params.ts';
import { parseDocumentSearch } from './search-params.ts';
import { searchDocuments } from '../../services/documents/search.ts';
import { AnswerBuffers } from '../answer-buffers.ts';
import { searchsetParts } from './bundle.ts';
import { searchLinks } from './document-links.ts';
import { actorOf } from '../actor.ts';

/** ITI-105 publish, ITI-67 search, read, and PDSm metadata update (PATCH) of DocumentReference. */
export function registerDocumentReferenceRoutes(app: FastifyInstance, deps: DocumentDeps): void {
  const answers = new AnswerBuffers({ keepBytes: 16 * 1024 * 1024 });

  app.post('/fhir/DocumentReference', async (request, reply) => {
    const base = linkBase(request, deps.config);
    const result = await publishDocument(
      deps,
      actorOf(request),
      request.body,
      request.documentContents ?? undefined,
    );
    const stored = [...result.documents.values()][0];
    if (!stored) {
      throw new Error('publish stored no document');
    }
    const resource = depositedDocument(deps, result, stored.id, base);
    return reply
      .code(201)
      .header(
        'Location',
        `${base}/fhir/DocumentReference/${stored.id}/_history/${String(stored.versionId)}`,
      )
      .header('ETag', `W/"${String(stored.versionId)}"`)
      .type(FHIR_JSON)
      .send(resource);
  });

  app.get('/fhir/DocumentReference', async (request, reply) => {
    const base = linkBase(request, deps.config);
    const page = await searchDocuments(
      deps,
      actorOf(request),
      parseDocumentSearch(request.query as Query),
      base,
    );
    const links = searchLinks(base, request, '/fhir/DocumentReference', page.nextCursor);
    const { body, release } = answers.assemble(
      searchsetParts(links.self, page.entries, page.total, links.next),
    );
    reply.raw.once('close', release);
    return reply.type(FHIR_JSON).send(body);
  });

  app.get('/fhir/DocumentReference/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    const resource = await readDocument(deps, actorOf(request), id, linkBase(request, deps.config));
    const meta = resource['meta'] as { versionId?: string } | undefined;
    return reply
      .header('ETag', `W/"${meta?.versionId ?? '1'}"`)
      .type(FHIR_JSON)
      .send(resource);
  });

  const patched = (reply: FastifyReply, outcome: PatchOutcome) => {
    reply.header('ETag', `W/"${String(outcome.versionId)}"`).type(FHIR_JSON);
    if (!outcome.resource) {
      return reply.send(
        informationOutcome(
          'DOC_DELETED',
          'The document is deleted (entered-in-error): it will not be served again.',
        ),
      );
    }
    return reply.send(outcome.resource);
  };

  app.patch('/fhir/DocumentReference/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    const ifMatch = request.headers['if-match'];
    const outcome = await patchDocument(
      deps,
      actorOf(request),
      id,
      request.body,
      typeof ifMatch === 'string' ? ifMatch : undefined,
      linkBase(request, deps.config),
    );
    return patched(reply, outcome);
  });

  // Issue 17 rule 13: PDSm-for-DMP TD3.3 patches the document named by its business identifier (uniqueId).
  app.patch('/fhir/DocumentReference', async (request, reply) => {
    const ifMatch = request.headers['if-match'];
    const outcome = await patchDocumentByIdentifier(
      deps,
      actorOf(request),
      (request.query as Record<string, string | string[] | undefined>)['identifier'],
      request.body,
      typeof ifMatch === 'string' ? ifMatch : undefined,
      linkBase(request, deps.config),
    );
    return patched(reply, outcome);
  });
}
