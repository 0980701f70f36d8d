/**
 * The cookie side of portal sessions (session-store.ts holds the sessions).
 *
 * Cookies:
 *   opendmp_session  the opaque session id; httpOnly, SameSite=Strict, Path=/, Secure (except demo on
 *                    http://localhost); no Max-Age (dies with the browser; the server enforces expiry).
 *   opendmp_oidc     during an OpenID Connect login only: binds the callback to the browser that started it
 *                    (httpOnly, SameSite=Lax because the IdP's redirect back is a cross-site navigation).
 *
 * Rules for a request that carries no Authorization header but a session cookie:
 *  C1. the session must be live (session-store.ts S2), else 401 AUTH_SESSION_EXPIRED and the cookie is cleared;
 *  C2. unsafe methods (anything but GET, HEAD, OPTIONS) must carry `X-CSRF-Token` equal to the session's token,
 *      and, when the browser sends `Origin` / `Sec-Fetch-Site`, come from this origin — else 403
 *      AUTH_CSRF_INVALID. Bearer-token clients never meet these rules: the Authorization header wins.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainFailure, domainError } from '../../domain/errors.ts';
import type { PortalSession, SessionStore } from './session-store.ts';

export const SESSION_COOKIE = 'opendmp_session';
export const OIDC_COOKIE = 'opendmp_oidc';
export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function isUnsafeMethod(method: string): boolean {
  return !SAFE_METHODS.has(method.toUpperCase());
}

export interface CookiePolicy {
  readonly secure: boolean;
}

export function setSessionCookie(reply: FastifyReply, policy: CookiePolicy, id: string): void {
  reply.setCookie(SESSION_COOKIE, id, {
    httpOnly: true,
    secure: policy.secure,
    sameSite: 'strict',
    path: '/',
  });
}

export function clearSessionCookie(reply: FastifyReply, policy: CookiePolicy): void {
  reply.clearCookie(SESSION_COOKIE, {
    httpOnly: true,
    secure: policy.secure,
    sameSite: 'strict',
    path: '/',
  });
}

export function sessionIdOf(request: FastifyRequest): string | undefined {
  const value = request.cookies[SESSION_COOKIE];
  return typeof value === 'string' && value !== '' && value.length <= 128 ? value : undefined;
}

function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * False when a browser tells us the request comes from another site: `Sec-Fetch-Site` other than
 * same-origin / none, or an `Origin` whose host is not the request's Host. Requests without these headers
 * (non-browser clients) pass: cross-site forgery needs a browser, and browsers send them.
 */
export function isSameOriginRequest(request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') {
    return false;
  }
  const origin = request.headers.origin;
  if (typeof origin === 'string' && origin !== '') {
    try {
      return new URL(origin).host === request.headers.host;
    } catch {
      return false;
    }
  }
  return true;
}

export function csrfFailure(): DomainFailure {
  return new DomainFailure(
    domainError(
      'forbidden',
      'AUTH_CSRF_INVALID',
      'This request needs the session’s X-CSRF-Token header and must come from this site.',
    ),
  );
}

export function sessionExpired(): DomainFailure {
  return new DomainFailure(
    domainError(
      'unauthenticated',
      'AUTH_SESSION_EXPIRED',
      'The session has ended (logout, inactivity or expiry); sign in again.',
    ),
  );
}

/** C2: throws unless the unsafe request proves it comes from our own page. */
export function checkCsrf(request: FastifyRequest, session: PortalSession): void {
  const header = request.headers[CSRF_HEADER];
  const sent = Array.isArray(header) ? header[0] : header;
  if (typeof sent !== 'string' || !sameString(sent, session.csrfToken)) {
    throw csrfFailure();
  }
  if (!isSameOriginRequest(request)) {
    throw csrfFailure();
  }
}

/**
 * C1 + C2 for a request without an Authorization header: returns the live session (touched), undefined when
 * there is no session cookie at all; throws when the cookie names a dead session or CSRF fails.
 */
export function attachSession(
  request: FastifyRequest,
  reply: FastifyReply,
  store: SessionStore,
  policy: CookiePolicy,
  now: number,
): PortalSession | undefined {
  const id = sessionIdOf(request);
  if (id === undefined) {
    return undefined;
  }
  const session = store.use(id, now);
  if (!session) {
    clearSessionCookie(reply, policy);
    throw sessionExpired();
  }
  if (isUnsafeMethod(request.method)) {
    checkCsrf(request, session);
  }
  return session;
}
