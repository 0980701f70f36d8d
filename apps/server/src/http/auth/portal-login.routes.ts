/**
 * Login, session and logout endpoints of the portals (all under /auth/portal/, public: each handles its own
 * checks). The portals then call the API itself (/fhir, /portal-api) with the session cookie.
 *
 *   GET  /auth/portal/config              {demo, oidc: {patient, pro}, idleSeconds}
 *   GET  /auth/portal/session             the live session ({authenticated:false} when none); gives the CSRF token
 *   GET  /auth/portal/demo-accounts       demo mode only: the accounts of the demo login page
 *   POST /auth/portal/dev-login           demo mode only: {"account":"patient:<INS>","portal":"patient"} — the
 *                                         server asks the development IdP for a token and opens a session
 *   GET  /auth/portal/oidc/login?portal=  OpenID Connect login (oidc-login.ts), 302 to the provider
 *   GET  /auth/portal/oidc/callback       provider's redirect back; opens a session, 302 to the portal
 *   POST /auth/portal/emergency           professional, CSRF: {"mode":"bris_de_glace","reason":"…","ins":"…"} or
 *                                         {"mode":"centre_15","ins":"…"} — a new session acting with a token in
 *                                         that mode for that one record (issue 17 rule 6)
 *   POST /auth/portal/emergency/end       CSRF: back to the normal-mode session
 *   POST /auth/portal/logout              CSRF: ends the session, clears the cookie
 *
 * Every login (demo, OIDC, emergency) is traced through `onLogin`, as the dev IdP's own route does.
 */
import { sexOfNir, type Sex } from '../../domain/identity/sex.ts';
import { validateIns } from '../../domain/identity/ins.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { decodeJwt } from 'jose';
import type { Config } from '../../config.ts';
import type { AccessMode, Actor } from '../../domain/access/actor.ts';
import { DomainFailure, domainError } from '../../domain/errors.ts';
import { demoAccounts, findDemoAccount } from './demo-accounts.ts';
import { actorFromDevBody, signDevToken, type DevKeys } from './dev-idp.ts';
import { createOidcLogin } from './oidc-login.ts';
import type { PortalAuthConfig } from './portal-auth-config.ts';
import {
  checkCsrf,
  clearSessionCookie,
  csrfFailure,
  isSameOriginRequest,
  OIDC_COOKIE,
  sessionIdOf,
  setSessionCookie,
  type CookiePolicy,
} from './session.ts';
import type { NewSession, PortalName, PortalSession, SessionStore } from './session-store.ts';
import type { TokenVerifier } from './verifier.ts';

export const PORTAL_AUTH_PREFIX = '/auth/portal';
export const OIDC_CALLBACK_PATH = `${PORTAL_AUTH_PREFIX}/oidc/callback`;
const MIN_JUSTIFICATION = 10;
const MAX_JUSTIFICATION = 1000;

export interface PortalLoginOptions {
  readonly config: Config;
  readonly portalConfig: PortalAuthConfig;
  readonly store: SessionStore;
  readonly verifier: TokenVerifier;
  readonly devKeys: DevKeys | undefined;
  readonly onLogin?: (actor: Actor, request: FastifyRequest) => Promise<void>;
  /** A login that failed, with its stable code (traced, aggregated: auth.plugin.ts). */
  readonly onAuthFailure?: (reason: string, request: FastifyRequest) => void;
  readonly fetchImpl?: typeof fetch;
}

/** What the portals learn about their session (never the token). */
export interface SessionView {
  readonly authenticated: true;
  readonly portal: PortalName;
  readonly source: 'dev' | 'oidc';
  readonly actor: Actor;
  /**
   * The signed-in person's sex when their own NIR says it (domain/identity/sex.ts S1: a patient's INS, a
   * representative's own identifier), so that the portal agrees its words ("représentante légale"); absent otherwise.
   */
  readonly sex?: Sex;
  readonly csrfToken: string;
  readonly idleSeconds: number;
  readonly expiresAt: string;
  /** True in an emergency-mode session that can return to normal mode. */
  readonly canEndEmergency: boolean;
}

function sexView(actor: Actor): { sex?: Sex } {
  const sex =
    actor.kind === 'patient'
      ? sexOfNir(actor.ins)
      : actor.kind === 'representative'
        ? sexOfNir(actor.id)
        : undefined;
  return sex !== undefined ? { sex } : {};
}

function isPortal(value: unknown): value is PortalName {
  return value === 'patient' || value === 'pro';
}

function invalid(code: string, message: string): DomainFailure {
  return new DomainFailure(domainError('invalid', code, message));
}

function tokenExpiry(token: string, fallback: number): number {
  try {
    const { exp } = decodeJwt(token);
    return typeof exp === 'number' ? exp * 1000 : fallback;
  } catch {
    return fallback;
  }
}

export function registerPortalLoginRoutes(app: FastifyInstance, opts: PortalLoginOptions): void {
  const { config, portalConfig, store, verifier, devKeys, onLogin, onAuthFailure } = opts;
  const policy: CookiePolicy = { secure: portalConfig.secureCookies };
  const oidc = createOidcLogin(portalConfig.oidc, opts.fetchImpl);
  const redirectUri = `${config.publicBaseUrl}${OIDC_CALLBACK_PATH}`;
  const pub = { config: { public: true } } as const;

  const view = (session: PortalSession): SessionView => ({
    authenticated: true,
    portal: session.portal,
    source: session.source,
    actor: session.actor,
    ...sexView(session.actor),
    csrfToken: session.csrfToken,
    idleSeconds: portalConfig.idleSeconds,
    expiresAt: new Date(session.expiresAt).toISOString(),
    canEndEmergency: session.normal !== undefined,
  });

  /** Opens a session for a verified token, replacing the browser's previous one. */
  async function open(
    request: FastifyRequest,
    reply: FastifyReply,
    input: Omit<NewSession, 'actor' | 'expiresAt'> & { actor?: Actor },
  ): Promise<PortalSession> {
    const actor = input.actor ?? (await verifier.verify(input.token));
    const now = Date.now();
    const previous = sessionIdOf(request);
    if (previous !== undefined) {
      store.delete(previous);
    }
    const { session, id } = store.create(
      {
        ...input,
        actor,
        expiresAt: tokenExpiry(input.token, now + portalConfig.maxSeconds * 1000),
      },
      now,
    );
    setSessionCookie(reply, policy, id);
    return session;
  }

  /** The live session of a state-changing request, CSRF checked. */
  function sessionForChange(request: FastifyRequest): PortalSession {
    const id = sessionIdOf(request);
    const session = id === undefined ? undefined : store.use(id, Date.now());
    if (!session) {
      throw new DomainFailure(
        domainError(
          'unauthenticated',
          'AUTH_SESSION_EXPIRED',
          'The session has ended; sign in again.',
        ),
      );
    }
    checkCsrf(request, session);
    return session;
  }

  app.get(`${PORTAL_AUTH_PREFIX}/config`, pub, async (_request, reply) => {
    return reply.header('cache-control', 'no-store').send({
      demo: config.demo && devKeys !== undefined,
      oidc: {
        patient: portalConfig.oidc.patient !== undefined,
        pro: portalConfig.oidc.pro !== undefined,
      },
      idleSeconds: portalConfig.idleSeconds,
    });
  });

  app.get(`${PORTAL_AUTH_PREFIX}/session`, pub, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const id = sessionIdOf(request);
    const session = id === undefined ? undefined : store.use(id, Date.now());
    if (!session) {
      if (id !== undefined) {
        clearSessionCookie(reply, policy);
      }
      return reply.send({ authenticated: false });
    }
    return reply.send(view(session));
  });

  app.get(`${PORTAL_AUTH_PREFIX}/demo-accounts`, pub, async (_request, reply) => {
    if (!config.demo || !devKeys) {
      return reply.callNotFound();
    }
    return reply.header('cache-control', 'no-store').send({
      accounts: demoAccounts().map(({ id, kind, name, description }) => ({
        id,
        kind,
        name,
        description,
      })),
    });
  });

  app.post(`${PORTAL_AUTH_PREFIX}/dev-login`, pub, async (request, reply) => {
    if (!config.demo || !devKeys) {
      return reply.callNotFound();
    }
    if (!isSameOriginRequest(request)) {
      throw csrfFailure();
    }
    const body = request.body as { account?: unknown; portal?: unknown } | null | undefined;
    const account =
      typeof body === 'object' && body !== null && typeof body.account === 'string'
        ? findDemoAccount(body.account)
        : undefined;
    if (!account || !isPortal(body?.portal)) {
      onAuthFailure?.('AUTH_DEMO_ACCOUNT_UNKNOWN', request);
      throw invalid(
        'AUTH_DEMO_ACCOUNT_UNKNOWN',
        'Choose one of the demo accounts and a portal (patient or pro).',
      );
    }
    const actor = actorFromDevBody(account.body);
    const token = await signDevToken(devKeys, actor);
    if (onLogin) {
      await onLogin(actor, request);
    }
    const session = await open(request, reply, { token, portal: body.portal, source: 'dev' });
    return reply.header('cache-control', 'no-store').send(view(session));
  });

  app.get(`${PORTAL_AUTH_PREFIX}/oidc/login`, pub, async (request, reply) => {
    const { portal } = request.query as { portal?: string };
    if (!isPortal(portal)) {
      throw invalid('AUTH_PORTAL_UNKNOWN', 'portal must be patient or pro.');
    }
    const { url, state } = await oidc.start(portal, redirectUri, Date.now());
    reply.setCookie(OIDC_COOKIE, state, {
      httpOnly: true,
      secure: policy.secure,
      sameSite: 'lax',
      path: `${PORTAL_AUTH_PREFIX}/oidc`,
      maxAge: 600,
    });
    return reply.header('cache-control', 'no-store').redirect(url, 302);
  });

  app.get(OIDC_CALLBACK_PATH, pub, async (request, reply) => {
    const query = request.query as Record<string, string | undefined>;
    const cookieState = request.cookies[OIDC_COOKIE];
    reply.clearCookie(OIDC_COOKIE, { path: `${PORTAL_AUTH_PREFIX}/oidc` });
    reply.header('cache-control', 'no-store');
    let portal: PortalName = 'patient';
    let target: string;
    try {
      const done = await oidc.finish(query, cookieState, redirectUri, Date.now());
      portal = done.portal;
      const actor = await verifier.verify(done.token);
      if (onLogin) {
        await onLogin(actor, request);
      }
      await open(request, reply, { token: done.token, actor, portal, source: 'oidc' });
      target = `/${portal}/`;
    } catch (error) {
      const code = error instanceof DomainFailure ? error.error.code : 'AUTH_OIDC_FAILED';
      request.log.warn({ code }, 'portal OIDC login failed');
      onAuthFailure?.(code, request);
      target = `/${portal}/?login_error=${encodeURIComponent(code)}`;
    }
    return reply.redirect(target, 302);
  });

  app.post(`${PORTAL_AUTH_PREFIX}/emergency`, pub, async (request, reply) => {
    const session = sessionForChange(request);
    const actor = session.actor;
    if (actor.kind !== 'professional' || actor.mode !== 'normal') {
      throw new DomainFailure(
        domainError(
          'forbidden',
          'AUTH_EMERGENCY_NOT_ALLOWED',
          'Only a professional in normal mode may switch to an emergency mode.',
        ),
      );
    }
    if (session.source !== 'dev' || !devKeys) {
      throw new DomainFailure(
        domainError(
          'unprocessable',
          'AUTH_EMERGENCY_VIA_IDP',
          'Emergency access is granted by your identity provider: sign in again through it in emergency mode.',
        ),
      );
    }
    const body = (request.body ?? {}) as { mode?: unknown; reason?: unknown; ins?: unknown };
    const mode = body.mode as AccessMode;
    if (mode !== 'bris_de_glace' && mode !== 'centre_15') {
      throw invalid('AUTH_EMERGENCY_MODE', 'mode must be bris_de_glace or centre_15.');
    }
    const reason = typeof body.reason === 'string' ? body.reason.trim() : '';
    if (
      mode === 'bris_de_glace' &&
      (reason.length < MIN_JUSTIFICATION || reason.length > MAX_JUSTIFICATION)
    ) {
      throw new DomainFailure(
        domainError(
          'invalid',
          'AUTH_JUSTIFICATION_REQUIRED',
          `Emergency access needs a written justification of ${MIN_JUSTIFICATION} to ${MAX_JUSTIFICATION} characters.`,
          ['reason'],
        ),
      );
    }
    if (mode === 'centre_15' && actor.regulator !== true) {
      throw new DomainFailure(
        domainError(
          'forbidden',
          'AUTH_EMERGENCY_NOT_ALLOWED',
          'Centre 15 mode is for SAMU regulator médecins.',
        ),
      );
    }
    // Issue 17 rule 6: the emergency session applies to the one record it is opened for.
    const ins = typeof body.ins === 'string' ? body.ins.trim() : '';
    if (!validateIns(ins).ok) {
      throw new DomainFailure(
        domainError(
          'invalid',
          'AUTH_EMERGENCY_RECORD_REQUIRED',
          'An emergency access applies to one record: give the INS of the patient ("ins").',
          ['ins'],
        ),
      );
    }
    const { reason: _previousReason, ...rest } = actor;
    const emergencyActor: Actor = {
      ...rest,
      mode,
      ...(mode === 'bris_de_glace' ? { reason } : {}),
      emergencyIns: ins,
    };
    const token = await signDevToken(devKeys, emergencyActor);
    if (onLogin) {
      await onLogin(emergencyActor, request);
    }
    const next = await open(request, reply, {
      token,
      portal: session.portal,
      source: 'dev',
      normal: { token: session.token, actor: session.actor, expiresAt: session.expiresAt },
    });
    return reply.header('cache-control', 'no-store').send(view(next));
  });

  app.post(`${PORTAL_AUTH_PREFIX}/emergency/end`, pub, async (request, reply) => {
    const session = sessionForChange(request);
    if (!session.normal) {
      throw invalid('AUTH_NOT_IN_EMERGENCY', 'This session is not in an emergency mode.');
    }
    const next = await open(request, reply, {
      token: session.normal.token,
      actor: session.normal.actor,
      portal: session.portal,
      source: session.source,
    });
    return reply.header('cache-control', 'no-store').send(view(next));
  });

  app.post(`${PORTAL_AUTH_PREFIX}/logout`, pub, async (request, reply) => {
    const id = sessionIdOf(request);
    const session = id === undefined ? undefined : store.peek(id, Date.now());
    if (session && id !== undefined) {
      checkCsrf(request, session);
      store.delete(id);
    }
    clearSessionCookie(reply, policy);
    return reply.header('cache-control', 'no-store').code(204).send();
  });
}
