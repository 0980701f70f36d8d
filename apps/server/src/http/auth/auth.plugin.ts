/**
 * Authentication for every route: an `onRequest` hook that turns `Authorization: Bearer <JWT>` — or, for the
 * portals, the httpOnly session cookie `opendmp_session` (session.ts) — into `request.actor`, the development
 * identity provider routes when `config.demo`, and the portal login routes (portal-login.routes.ts).
 *
 * A request with an Authorization header is a bearer request, whatever cookies it carries. A request
 * without one but with the session cookie acts with the session's token, verified exactly like a bearer
 * token (same verifier, same actor, same access rules and traces downstream), and must pass the CSRF rules
 * of session.ts when its method is unsafe.
 *
 * Public routes (no token needed, `request.actor` stays undefined):
 *   - `/health`, `/ready`, `/fhir/metadata`, and everything under `/auth/`;
 *   - any route declared with `config: { public: true }`.
 * Every other request — unknown URLs included — without a valid token is refused with 401
 * (codes in verifier.ts) and a `WWW-Authenticate: Bearer` header.
 *
 * The application builds it once (`createAuthentication`) and each surface that needs a caller adds its hook
 * (`requireActor`) in its own encapsulated scope (app.ts): the SOAP surface authenticates by VIHF instead, the auth
 * surface's routes are open. `registerAuth` does it all on one instance (small apps, the unit tests).
 */
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  onRequestAsyncHookHandler,
} from 'fastify';
import { createCaches, type Caches } from '../../caches.ts';
import type { Config } from '../../config.ts';
import type { Actor } from '../../domain/access/actor.ts';
import { DomainFailure } from '../../domain/errors.ts';
import fastifyCookie from '@fastify/cookie';
import { createDevKeys, registerDevIdp, type DevKeys } from './dev-idp.ts';
import { loadPortalAuthConfig, type PortalAuthConfig } from './portal-auth-config.ts';
import { registerPortalLoginRoutes } from './portal-login.routes.ts';
import {
  attachSession,
  clearSessionCookie,
  SESSION_COOKIE,
  sessionExpired,
  sessionIdOf,
} from './session.ts';
import { MemorySessionStore, type PortalSession, type SessionStore } from './session-store.ts';
import { createTokenVerifier, type TokenVerifier } from './verifier.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller; set by the auth hook on every non-public route. */
    actor?: Actor;
    /** The portal session the request acts through (cookie-authenticated requests only). */
    portalSession?: PortalSession;
  }
  interface FastifyContextConfig {
    /** `true` lets the route be called without a token (see auth.plugin.ts). */
    public?: boolean;
  }
}

/** Paths open without a token (exact match), besides the `/auth/` prefix. */
export const PUBLIC_PATHS: readonly string[] = ['/health', '/ready', '/fhir/metadata'];
export const PUBLIC_PREFIX = '/auth/';
/** Name of the httpOnly session cookie of the portals (see session.ts and {@link tokenFromRequest}). */
export const SESSION_COOKIE_NAME = SESSION_COOKIE;

export interface AuthOptions {
  readonly config: Config;
  /** Called when the dev IdP issues a token or a portal session opens (the login audit record). */
  readonly onLogin?: (actor: Actor, request: FastifyRequest) => Promise<void>;
  /**
   * Called on each authentication failure with its stable code: a token that does not verify (not a missing
   * one), a portal session gone, a portal login that fails. Must not throw nor wait (the trace is aggregated).
   */
  readonly onAuthFailure?: (reason: string, request: FastifyRequest) => void;
  /** Portal sessions and OIDC login; read from the environment when absent (portal-auth-config.ts). */
  readonly portal?: PortalAuthConfig;
  /** Session store; an in-memory one by default. */
  readonly sessions?: SessionStore;
  /** fetch used for the OIDC provider (tests). */
  readonly fetchImpl?: typeof fetch;
  /** Maps a verified actor to the one requests act as (the holder side under its record's current INS). */
  readonly resolveActor?: (actor: Actor) => Promise<Actor>;
  /** The application's caches (the verified tokens); caches of its own when absent (small apps, tests). */
  readonly caches?: Pick<Caches, 'verifiedTokens'>;
}

export interface AuthHandle {
  readonly verifier: TokenVerifier;
  /** The dev IdP keys; present only when `config.demo`. */
  readonly devKeys: DevKeys | undefined;
  readonly sessions: SessionStore;
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
 * The token a request acts with, or undefined: the `Authorization: Bearer` token when the header is present
 * (even if a session cookie is sent too), else the token of the portal session the auth hook attached from
 * the {@link SESSION_COOKIE_NAME} cookie (`request.portalSession`).
 */
export function tokenFromRequest(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) {
    return request.portalSession?.token;
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

/** Authentication built once per application and shared by the surfaces that need it (app.ts). */
export interface Authentication extends AuthHandle {
  /**
   * The `onRequest` hook of the surfaces whose callers hold a bearer token or a portal session (FHIR API, portal
   * API, admin): sets `request.actor`, or refuses with 401 (challenge, failure counted). Routes declared
   * `config: { public: true }` pass without a token.
   */
  readonly requireActor: onRequestAsyncHookHandler;
  /** Registers the dev IdP routes (when `config.demo`) and the portal login routes on `scope`. */
  registerRoutes(scope: FastifyInstance): void;
  /** Stops the session sweeper. */
  close(): void;
}

/** Builds authentication: the verifier, the dev IdP keys when `config.demo`, the portal sessions, the hook. */
export async function createAuthentication(opts: AuthOptions): Promise<Authentication> {
  const { config, onLogin, onAuthFailure } = opts;
  const devKeys = config.demo ? await createDevKeys(config) : undefined;
  const verifier = createTokenVerifier(config, devKeys, opts.caches ?? createCaches(config));
  const portal = opts.portal ?? loadPortalAuthConfig(config);
  const sessions =
    opts.sessions ??
    new MemorySessionStore({ idleSeconds: portal.idleSeconds, maxSeconds: portal.maxSeconds });
  const cookiePolicy = { secure: portal.secureCookies };

  const requireActor = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (isPublicRequest(request)) {
      return;
    }
    try {
      if (request.headers.authorization === undefined) {
        request.portalSession = attachSession(request, reply, sessions, cookiePolicy, Date.now());
      }
      try {
        request.actor = await verifier.verify(tokenFromRequest(request));
      } catch (error) {
        // A session whose token no longer verifies (expired, key rotated) is over.
        const id = request.portalSession ? sessionIdOf(request) : undefined;
        if (id !== undefined) {
          sessions.delete(id);
          clearSessionCookie(reply, cookiePolicy);
          throw sessionExpired();
        }
        throw error;
      }
      if (opts.resolveActor && request.actor) {
        request.actor = await opts.resolveActor(request.actor);
      }
    } catch (error) {
      if (error instanceof DomainFailure) {
        challenge(reply, error);
        if (
          error.error.kind === 'unauthenticated' &&
          error.error.code !== 'AUTH_TOKEN_MISSING' &&
          onAuthFailure
        ) {
          onAuthFailure(error.error.code, request);
        }
      }
      throw error;
    }
  };

  const sweeper = setInterval(() => sessions.sweep(Date.now()), 60_000);
  sweeper.unref();

  return {
    verifier,
    devKeys,
    sessions,
    requireActor,
    registerRoutes(scope) {
      if (devKeys) {
        registerDevIdp(scope, { keys: devKeys, ...(onLogin && { onLogin }) });
      }
      registerPortalLoginRoutes(scope, {
        config,
        portalConfig: portal,
        store: sessions,
        verifier,
        devKeys,
        ...(onLogin && { onLogin }),
        ...(onAuthFailure && { onAuthFailure }),
        ...(opts.fetchImpl && { fetchImpl: opts.fetchImpl }),
      });
    },
    close: () => clearInterval(sweeper),
  };
}

/**
 * What every surface relies on, on the root instance (shared on purpose): the cookie parser and the `actor` /
 * `portalSession` request decorations.
 */
export async function registerAuthDecorations(app: FastifyInstance): Promise<void> {
  if (!app.hasRequestDecorator('cookies')) {
    await app.register(fastifyCookie);
  }
  if (!app.hasRequestDecorator('actor')) {
    app.decorateRequest('actor', undefined);
  }
  if (!app.hasRequestDecorator('portalSession')) {
    app.decorateRequest('portalSession', undefined);
  }
}

/**
 * Authentication on one instance: decorations, the hook (covering every route of `app`, including routes
 * registered before it), the dev IdP and the portal login routes. The application splits these across its
 * surfaces (app.ts); this single-instance form serves small apps (the unit tests).
 */
export async function registerAuth(app: FastifyInstance, opts: AuthOptions): Promise<AuthHandle> {
  const auth = await createAuthentication(opts);
  await registerAuthDecorations(app);
  app.addHook('onRequest', auth.requireActor);
  auth.registerRoutes(app);
  app.addHook('onClose', async () => auth.close());
  const { verifier, devKeys, sessions } = auth;
  return { verifier, devKeys, sessions };
}
