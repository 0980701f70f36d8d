/**
 * No answer of the API is kept by a browser or a proxy (issue 16, finding 8): every answer under `/fhir`,
 * `/portal-api` and `/auth` — errors and refusals included — carries `Cache-Control: no-store`, unless its route
 * chose its own policy for data about no one (the dev IdP's public keys, the portals' value sets).
 * The portals' pages are sent no-store by portal.plugin.ts; their hashed assets stay cacheable.
 */
import type { FastifyInstance } from 'fastify';

const API_PREFIXES = ['/fhir', '/portal-api', '/auth'] as const;

/** True when `url` (path and query) is an API address whose answers must not be stored. */
export function isApiUrl(url: string): boolean {
  return API_PREFIXES.some((prefix) => {
    if (!url.startsWith(prefix)) {
      return false;
    }
    const next = url.charCodeAt(prefix.length);
    // End of the URL, '/' or '?': `/fhirx` is not under `/fhir`.
    return Number.isNaN(next) || next === 47 || next === 63;
  });
}

export function registerNoStore(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    if (!reply.hasHeader('cache-control') && isApiUrl(request.url)) {
      reply.header('cache-control', 'no-store');
    }
    return payload;
  });
}
