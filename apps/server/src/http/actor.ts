import type { FastifyRequest } from 'fastify';
import type { Actor } from '../domain/access/actor.ts';
import { DomainFailure, domainError } from '../domain/errors.ts';

/** The caller the surface's authentication hook set on the request (every API surface), or 401. */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) {
    throw new DomainFailure(
      domainError('unauthenticated', 'AUTH_TOKEN_MISSING', 'A bearer token is required.'),
    );
  }
  return request.actor;
}
