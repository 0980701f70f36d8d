import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { FHIR_JSON } from '../error-handler.ts';
import type { DocumentDeps } from '../../services/documents/context.ts';
import type { ProvideEntry } from './provide-bundle.ts';
import type { DepositResult } from '../../services/documents/deposit.ts';
import { provideBundle } from './publish.ts';
import { actorOf } from '../actor.ts';

/** ITI-65 Provide Document Bundle: POST /fhir with a transaction Bundle; answers a transaction-response Bundle. */
function responseEntry(
  entry: ProvideEntry,
  result: DepositResult,
  lastModified: string,
): Record<string, unknown> {
  const created = (location: string, version?: number) => ({
    response: {
      status: '201 Created',
      location,
      ...(version !== undefined ? { etag: `W/"${String(version)}"` } : {}),
      lastModified,
    },
  });
  switch (entry.kind) {
    case 'document': {
      const doc = result.documents.get(entry.key);
      return created(`DocumentReference/${doc?.id ?? ''}/_history/1`, 1);
    }
    case 'binary':
      return created(`Binary/${result.documents.get(entry.documentKey)?.contentId ?? ''}`);
    case 'submission-set':
      return created(`List/${result.submissionSetId}/_history/1`, 1);
    case 'folder':
      return created(`List/${result.folderIds[entry.index] ?? ''}/_history/1`, 1);
    case 'supersede': {
      const version = result.superseded.get(entry.targetId) ?? 1;
      return {
        response: {
          status: '200 OK',
          location: `DocumentReference/${entry.targetId}/_history/${String(version)}`,
          etag: `W/"${String(version)}"`,
          lastModified,
        },
      };
    }
  }
}

export function registerTransactionRoutes(app: FastifyInstance, deps: DocumentDeps): void {
  // FHIR clients post the transaction to the base URL, with or without its trailing slash.
  app.post('/fhir', handler);
  app.post('/fhir/', handler);

  async function handler(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const { request: provided, result } = await provideBundle(
      deps,
      actorOf(request),
      request.body,
      request.documentContents ?? undefined,
    );
    const lastModified = deps.clock.now().toISOString();
    return reply.type(FHIR_JSON).send({
      resourceType: 'Bundle',
      type: 'transaction-response',
      entry: provided.entries.map((e) => responseEntry(e, result, lastModified)),
    });
  }
}
