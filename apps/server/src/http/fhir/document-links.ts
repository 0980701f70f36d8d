import type { FastifyRequest } from 'fastify';

/** The self link of a search (as received) and its next link (the same query with the next `_cursor`). */
export function searchLinks(
  base: string,
  request: FastifyRequest,
  resourcePath: string,
  nextCursor: string | undefined,
): { self: string; next?: string } {
  const params = new URL(request.url, 'http://localhost').searchParams;
  const self = `${base}${resourcePath}${params.size > 0 ? `?${params.toString()}` : ''}`;
  if (nextCursor === undefined) {
    return { self };
  }
  params.set('_cursor', nextCursor);
  return { self, next: `${base}${resourcePath}?${params.toString()}` };
}
