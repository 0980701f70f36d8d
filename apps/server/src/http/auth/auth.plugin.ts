/**
 * Authentication for every route: an `onRequest` hook that turns `Authorization: Bearer <JWT>` into
 * `request.actor`, and the development identity provider routes when `config.demo`.
 *
 * Public routes (no token needed, `request.actor` stays undefined):
 *   - `/health`, `/ready`, `/fhir/metadata`, and everything under `/auth/`;
 *   - any route declared with `config: { public: true }`.
 * Every other request — unknown URLs included — without a valid token is refused with 401
 * (codes in verifier.ts) and a `WWW-Authenticate: Bearer` header.
 *
 * Call `registerAuth` on the root instance: its hook then covers every route of the application,
 * including routes and plugins registered before it.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.ts';
import type { Actor } from '../../domain/access/actor.ts';
import { DomainFailure } from '../../domain/errors.ts';
import { createDevKeys, registerDevIdp, type DevKeys } from './dev-idp.ts';
import { createTokenVerifier, type TokenVerifier } from './verifier.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller; set by the auth hook on every non-public route. */
    actor?: Actor;
  }
  interface FastifyContextConfig {
    /** `true` lets the route be called without a token (see auth.plugin.ts). */
    public?: boolean;
  }
}

/** Paths open without a token (exact match), besides the `/auth/` prefix. */
export const PUBLIC_PATHS: readonly string[] = ['/health', '/ready', '/fhir/metadata'];
export const PUBLIC_PREFIX = '/auth/';
/**
 * Name of the httpOnly session cookie the portals will use. Reserved: not read yet — see
 * {@link tokenFromRequest}.
 */
export const SESSION_COOKIE_NAME = 'opendmp_session';

export interface AuthOptions {
  readonly config: Config;
  /** Called when the dev IdP issues a token (the lead wires the login audit record here). */
  readonly onLogin?: (actor: Actor, request: FastifyRequest) => Promise<void>;
}

export interface AuthHandle {
  readonly verifier: TokenVerifier;
  /** The dev IdP keys; present only when `config.demo`. */
  readonly devKeys: DevKeys | undefined;
}

export function isPublicRequest(request: FastifyRequest): boolean {
  if (request.routeOptions.config.public === true) {
    return true;
  }
  // The matched route's pattern when there is one (immune to encoding / dot-segment tricks in the
  // raw URL); the raw path only for unmatched URLs, which end in 404 either way.
  const queryAt = request.url.indexOf('?');
  const path =
    request.routeOptions.url ?? (queryAt === -1 ? request.url : request.url.slice(0, queryAt));
  return PUBLIC_PATHS.includes(path) || path.startsWith(PUBLIC_PREFIX);
}

/**
 * The bearer token of a request, or undefined.
 *
 * Extension point for the portals: when they come, read the httpOnly cookie
 * {@link SESSION_COOKIE_NAME} here as a fallback after the Authorization header (register
 * @fastify/cookie, and add a CSRF defence for cookie-authenticated unsafe methods). Nothing else in
 * the auth hook has to change.
 */
export function tokenFromRequest(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) {
    return undefined;
  }
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match?.[1];
}

function challenge(reply: FastifyReply, failure: DomainFailure): void {
  if (failure.error.kind !== 'unauthenticated') {
    return;
  }
  reply.header(
    'www-authenticate',
    failure.error.code === 'AUTH_TOKEN_MISSING'
      ? 'Bearer realm="opendmp"'
      : 'Bearer realm="opendmp", error="invalid_token"',
  );
}

/**
 * Register authentication on `app`: the dev IdP when `config.demo`, and the auth hook.
 * Returns the verifier (and the dev keys, for tests and tools).
 */
export async function registerAuth(app: FastifyInstance, opts: AuthOptions): Promise<AuthHandle> {
  const { config, onLogin } = opts;
  const devKeys = config.demo ? await createDevKeys(config) : undefined;
  const verifier = createTokenVerifier(config, devKeys);

  if (!app.hasRequestDecorator('actor')) {
    app.decorateRequest('actor', undefined);
  }

  app.addHook('onRequest', async (request, reply) => {
    if (isPublicRequest(request)) {
      return;
    }
    try {
      request.actor = await verifier.verify(tokenFromRequest(request));
    } catch (error) {
      if (error instanceof DomainFailure) {
        challenge(reply, error);
      }
      throw error;
    }
  });

  if (devKeys) {
    registerDevIdp(app, { keys: devKeys, ...(onLogin && { onLogin }) });
  }

  return { verifier, devKeys };
}
