import type { FastifyInstance } from 'fastify';
import { linkBase } from '../link-base.ts';
import { FHIR_JSON } from '../error-handler.ts';
import type { DocumentDeps } from '../../services/documents/context.ts';
import { readList, searchLists } from '../../services/documents/lists.ts';
import type { Query } from './search-params.ts';
import { parseListSearch } from './search-params.ts';
import { searchset } from './bundle.ts';
import { searchLinks } from './document-links.ts';
import { actorOf } from '../actor.ts';

/** ITI-66 Find Document Lists and List read. */
export function registerListRoutes(app: FastifyInstance, deps: DocumentDeps): void {
  app.get('/fhir/List', async (request, reply) => {
    const base = linkBase(request, deps.config);
    const page = await searchLists(deps, actorOf(request), parseListSearch(request.query as Query));
    const links = searchLinks(base, request, '/fhir/List', page.nextCursor);
    return reply.type(FHIR_JSON).send(
      searchset(
        base,
        links.self,
        page.resources.map((resource) => ({ resource })),
        page.total,
        links.next,
      ),
    );
  });

  app.get('/fhir/List/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    return reply.type(FHIR_JSON).send(await readList(deps, actorOf(request), id));
  });
}
