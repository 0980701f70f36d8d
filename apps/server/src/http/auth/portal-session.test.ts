import { afterEach, describe, expect, it, vi } from 'vitest';
import fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import type { Config } from '../../config.ts';
import type { Actor } from '../../domain/access/actor.ts';
import { registerAuth, type AuthHandle } from './auth.plugin.ts';
import { installTestErrorHandler, testConfig } from './auth.test-support.ts';
import type { PortalAuthConfig } from './portal-auth-config.ts';
import { loadPortalAuthConfig } from './portal-auth-config.ts';

const apps: FastifyInstance[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

const PORTAL: PortalAuthConfig = {
  idleSeconds: 900,
  maxSeconds: 43_200,
  secureCookies: true,
  oidc: {},
};

async function build(
  config: Config = testConfig(),
  portal: PortalAuthConfig = PORTAL,
  logins: Actor[] = [],
): Promise<{ app: FastifyInstance; auth: AuthHandle }> {
  const app = fastify({ logger: false });
  apps.push(app);
  installTestErrorHandler(app);
  const auth = await registerAuth(app, {
    config,
    portal,
    onLogin: async (actor) => {
      logins.push(actor);
    },
  });
  app.get('/whoami', async (request) => ({ actor: request.actor ?? null }));
  app.post('/change', async (request) => ({ actor: request.actor?.kind ?? null }));
  await app.ready();
  return { app, auth };
}

function cookieOf(res: LightMyRequestResponse, name = 'opendmp_session'): string | undefined {
  const found = res.cookies.find((c) => c.name === name);
  return found?.value;
}

async function demoLogin(app: FastifyInstance, account: string, portal = 'patient') {
  const res = await app.inject({
    method: 'POST',
    url: '/auth/portal/dev-login',
    payload: { account, portal },
  });
  expect(res.statusCode).toBe(200);
  const id = cookieOf(res);
  expect(id).toBeDefined();
  return {
    res,
    cookie: `opendmp_session=${id ?? ''}`,
    csrf: (res.json() as { csrfToken: string }).csrfToken,
  };
}

describe('portal sessions (cookie path of the auth hook)', () => {
  it('opens a session from a demo account with an httpOnly, Secure, SameSite=Strict cookie and no token in the body', async () => {
    const logins: Actor[] = [];
    const { app } = await build(testConfig(), PORTAL, logins);
    const { res } = await demoLogin(app, 'patient:158037505610143');
    const cookie = res.cookies.find((c) => c.name === 'opendmp_session');
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/' });
    expect(res.body).not.toMatch(/eyJ/); // no JWT reaches the browser
    expect(res.json()).toMatchObject({
      authenticated: true,
      portal: 'patient',
      actor: { kind: 'patient', ins: '158037505610143' },
    });
    expect(logins).toHaveLength(1);
  });

  it('authenticates GET requests with the cookie alone', async () => {
    const { app } = await build();
    const { cookie } = await demoLogin(app, 'professional:899700366240', 'pro');
    const res = await app.inject({ method: 'GET', url: '/whoami', headers: { cookie } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      actor: { kind: 'professional', idNatPs: '899700366240', mode: 'normal' },
    });
  });

  it('refuses a cookie-authenticated unsafe request without the CSRF token, or with a wrong one, or from another origin', async () => {
    const { app } = await build();
    const { cookie, csrf } = await demoLogin(app, 'patient:158037505610143');
    const none = await app.inject({ method: 'POST', url: '/change', headers: { cookie } });
    expect(none.statusCode).toBe(403);
    expect(none.json()).toMatchObject({ code: 'AUTH_CSRF_INVALID' });
    const wrong = await app.inject({
      method: 'POST',
      url: '/change',
      headers: { cookie, 'x-csrf-token': 'nope' },
    });
    expect(wrong.statusCode).toBe(403);
    const crossSite = await app.inject({
      method: 'POST',
      url: '/change',
      headers: {
        cookie,
        'x-csrf-token': csrf,
        origin: 'https://evil.example',
        host: 'opendmp.test',
      },
    });
    expect(crossSite.statusCode).toBe(403);
    const ok = await app.inject({
      method: 'POST',
      url: '/change',
      headers: {
        cookie,
        'x-csrf-token': csrf,
        origin: 'http://opendmp.test',
        host: 'opendmp.test',
      },
    });
    expect(ok.statusCode).toBe(200);
  });

  it('leaves bearer clients alone: the Authorization header wins and needs no CSRF token', async () => {
    const { app } = await build();
    const token = (
      await app.inject({
        method: 'POST',
        url: '/auth/dev/token',
        payload: { kind: 'operator', id: 'op' },
      })
    ).json<{ access_token: string }>().access_token;
    const { cookie } = await demoLogin(app, 'patient:158037505610143');
    const res = await app.inject({
      method: 'POST',
      url: '/change',
      headers: { authorization: `Bearer ${token}`, cookie },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ actor: 'operator' });
  });

  it('ends the session at logout and refuses the old cookie afterwards', async () => {
    const { app, auth } = await build();
    const { cookie, csrf } = await demoLogin(app, 'patient:158037505610143');
    expect(auth.sessions.size).toBe(1);
    const refused = await app.inject({
      method: 'POST',
      url: '/auth/portal/logout',
      headers: { cookie },
    });
    expect(refused.statusCode).toBe(403);
    const out = await app.inject({
      method: 'POST',
      url: '/auth/portal/logout',
      headers: { cookie, 'x-csrf-token': csrf },
    });
    expect(out.statusCode).toBe(204);
    expect(out.cookies.find((c) => c.name === 'opendmp_session')?.value).toBe('');
    expect(auth.sessions.size).toBe(0);
    const after = await app.inject({ method: 'GET', url: '/whoami', headers: { cookie } });
    expect(after.statusCode).toBe(401);
    expect(after.json()).toMatchObject({ code: 'AUTH_SESSION_EXPIRED' });
  });

  it('expires an idle session (sliding) but keeps an active one alive', async () => {
    const { app } = await build(testConfig(), { ...PORTAL, idleSeconds: 60 });
    const { cookie } = await demoLogin(app, 'patient:158037505610143');
    const start = Date.now();
    const now = vi.spyOn(Date, 'now');
    now.mockReturnValue(start + 50_000);
    expect(
      (await app.inject({ method: 'GET', url: '/whoami', headers: { cookie } })).statusCode,
    ).toBe(200);
    now.mockReturnValue(start + 100_000); // 50 s after the last request: still alive
    expect(
      (await app.inject({ method: 'GET', url: '/whoami', headers: { cookie } })).statusCode,
    ).toBe(200);
    now.mockReturnValue(start + 161_000); // 61 s idle
    const res = await app.inject({ method: 'GET', url: '/whoami', headers: { cookie } });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: 'AUTH_SESSION_EXPIRED' });
  });

  it('reports the session without the token, and nothing once logged out', async () => {
    const { app } = await build();
    const anon = await app.inject({ method: 'GET', url: '/auth/portal/session' });
    expect(anon.json()).toEqual({ authenticated: false });
    const { cookie, csrf } = await demoLogin(app, 'representative:112087505611139');
    const res = await app.inject({
      method: 'GET',
      url: '/auth/portal/session',
      headers: { cookie },
    });
    expect(res.json()).toMatchObject({
      authenticated: true,
      csrfToken: csrf,
      actor: { kind: 'representative', ins: '112087505611139', name: 'Claire SIMON' },
    });
  });

  it('refuses unknown demo accounts and cross-site login posts', async () => {
    const { app } = await build();
    const unknown = await app.inject({
      method: 'POST',
      url: '/auth/portal/dev-login',
      payload: { account: 'patient:1', portal: 'patient' },
    });
    expect(unknown.statusCode).toBe(400);
    const cross = await app.inject({
      method: 'POST',
      url: '/auth/portal/dev-login',
      payload: { account: 'patient:158037505610143', portal: 'patient' },
      headers: { 'sec-fetch-site': 'cross-site' },
    });
    expect(cross.statusCode).toBe(403);
  });

  it('offers no demo login outside demo mode', async () => {
    const { app } = await build(testConfig({ demo: false }));
    const res = await app.inject({
      method: 'POST',
      url: '/auth/portal/dev-login',
      payload: { account: 'patient:158037505610143', portal: 'patient' },
    });
    expect(res.statusCode).toBe(404);
    expect(
      (await app.inject({ method: 'GET', url: '/auth/portal/demo-accounts' })).statusCode,
    ).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/auth/portal/config' })).json()).toMatchObject({
      demo: false,
    });
  });

  it('switches a professional to bris de glace with a justification in a new session, traced, and back', async () => {
    const logins: Actor[] = [];
    const { app, auth } = await build(testConfig(), PORTAL, logins);
    const { cookie, csrf } = await demoLogin(app, 'professional:810001000016', 'pro');
    const short = await app.inject({
      method: 'POST',
      url: '/auth/portal/emergency',
      headers: { cookie, 'x-csrf-token': csrf },
      payload: { mode: 'bris_de_glace', reason: 'urgent' },
    });
    expect(short.statusCode).toBe(400);
    expect(short.json()).toMatchObject({ code: 'AUTH_JUSTIFICATION_REQUIRED' });
    // Issue 17 rule 6: an emergency session is opened for one record, named by its INS.
    const unbound = await app.inject({
      method: 'POST',
      url: '/auth/portal/emergency',
      headers: { cookie, 'x-csrf-token': csrf },
      payload: { mode: 'bris_de_glace', reason: 'Patient inconscient aux urgences' },
    });
    expect(unbound.statusCode).toBe(400);
    expect(unbound.json()).toMatchObject({ code: 'AUTH_EMERGENCY_RECORD_REQUIRED' });
    const res = await app.inject({
      method: 'POST',
      url: '/auth/portal/emergency',
      headers: { cookie, 'x-csrf-token': csrf },
      payload: {
        mode: 'bris_de_glace',
        reason: 'Patient inconscient aux urgences',
        ins: '158037505610143',
      },
    });
    expect(res.statusCode).toBe(200);
    const next = `opendmp_session=${cookieOf(res) ?? ''}`;
    expect(next).not.toBe(cookie);
    expect(auth.sessions.size).toBe(1);
    const who = await app.inject({ method: 'GET', url: '/whoami', headers: { cookie: next } });
    expect(who.json()).toMatchObject({
      actor: {
        mode: 'bris_de_glace',
        reason: 'Patient inconscient aux urgences',
        emergencyIns: '158037505610143',
      },
    });
    expect(logins.at(-1)).toMatchObject({
      mode: 'bris_de_glace',
      reason: 'Patient inconscient aux urgences',
    });
    expect(
      (await app.inject({ method: 'GET', url: '/whoami', headers: { cookie } })).statusCode,
    ).toBe(401);
    const csrf2 = res.json<{ csrfToken: string }>().csrfToken;
    const back = await app.inject({
      method: 'POST',
      url: '/auth/portal/emergency/end',
      headers: { cookie: next, 'x-csrf-token': csrf2 },
    });
    expect(back.statusCode).toBe(200);
    const normal = `opendmp_session=${cookieOf(back) ?? ''}`;
    const who2 = await app.inject({ method: 'GET', url: '/whoami', headers: { cookie: normal } });
    expect(who2.json()).toMatchObject({ actor: { mode: 'normal' } });
    expect(who2.json().actor.reason).toBeUndefined();
  });

  it('refuses emergency mode to patients', async () => {
    const { app } = await build();
    const { cookie, csrf } = await demoLogin(app, 'patient:158037505610143');
    const res = await app.inject({
      method: 'POST',
      url: '/auth/portal/emergency',
      headers: { cookie, 'x-csrf-token': csrf },
      payload: { mode: 'bris_de_glace', reason: 'Patient inconscient aux urgences' },
    });
    expect(res.statusCode).toBe(403);
  });
});

describe('portal auth configuration', () => {
  it('marks cookies Secure except in demo mode on http://localhost', () => {
    expect(
      loadPortalAuthConfig({ demo: true, publicBaseUrl: 'http://localhost:8080' }, {})
        .secureCookies,
    ).toBe(false);
    expect(
      loadPortalAuthConfig({ demo: false, publicBaseUrl: 'http://localhost:8080' }, {})
        .secureCookies,
    ).toBe(true);
    expect(
      loadPortalAuthConfig({ demo: true, publicBaseUrl: 'https://dmp.example' }, {}).secureCookies,
    ).toBe(true);
  });

  it('reads an OIDC client and the session timeouts', () => {
    const c = loadPortalAuthConfig(
      { demo: false, publicBaseUrl: 'https://dmp.example' },
      {
        OPENDMP_SESSION_IDLE_SECONDS: '600',
        OPENDMP_PORTAL_OIDC_PRO: JSON.stringify({
          issuer: 'https://psc.example/',
          clientId: 'c',
          clientSecret: 's',
        }),
      },
    );
    expect(c.idleSeconds).toBe(600);
    expect(c.oidc.pro).toEqual({
      issuer: 'https://psc.example',
      clientId: 'c',
      clientSecret: 's',
      scope: 'openid',
      tokenEndpointAuth: 'client_secret_basic',
      bearer: 'access_token',
    });
    expect(() =>
      loadPortalAuthConfig(
        { demo: false, publicBaseUrl: 'https://x' },
        { OPENDMP_PORTAL_OIDC_PATIENT: '{"issuer":"x"}' },
      ),
    ).toThrow(/issuer/);
  });
});
