import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fastify, { type FastifyInstance } from 'fastify';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { registerAuth } from './auth.plugin.ts';
import { installTestErrorHandler, testConfig } from './auth.test-support.ts';

/**
 * A small but real OpenID Connect provider on a loopback port: discovery, authorization endpoint (answers at
 * once with a code), token endpoint checking the client secret and the PKCE verifier, JWKS.
 */
interface FakeIdp {
  readonly issuer: string;
  readonly app: FastifyInstance;
  nonceOverride?: string;
  /** The `amr` of the access token (default: a password and a one-time code). */
  amrOverride?: string[];
}

async function startIdp(): Promise<FakeIdp> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  const codes = new Map<
    string,
    { challenge: string; nonce: string; clientId: string; redirect: string }
  >();
  const app = fastify({ logger: false });
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_r, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    },
  );
  let issuer = '';
  const idp: FakeIdp & { issuer: string } = { issuer, app };
  const sign = (claims: Record<string, unknown>, aud: string, key: CryptoKey = privateKey) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(issuer)
      .setAudience(aud)
      .setSubject('patient-1')
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(key);

  app.get('/.well-known/openid-configuration', async () => ({
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    jwks_uri: `${issuer}/jwks`,
  }));
  app.get('/jwks', async () => ({ keys: [jwk] }));
  app.get('/authorize', async (request, reply) => {
    const q = request.query as Record<string, string>;
    if (q['response_type'] !== 'code' || q['code_challenge_method'] !== 'S256') {
      return reply.code(400).send('bad request');
    }
    const code = `code-${codes.size + 1}`;
    codes.set(code, {
      challenge: q['code_challenge'] ?? '',
      nonce: q['nonce'] ?? '',
      clientId: q['client_id'] ?? '',
      redirect: q['redirect_uri'] ?? '',
    });
    const back = new URL(q['redirect_uri'] ?? '');
    back.searchParams.set('code', code);
    back.searchParams.set('state', q['state'] ?? '');
    return reply.redirect(back.toString(), 302);
  });
  app.post('/token', async (request, reply) => {
    const form = request.body as Record<string, string>;
    const basic = Buffer.from(`portal:s3cret`).toString('base64');
    if (request.headers.authorization !== `Basic ${basic}`) {
      return reply.code(401).send({ error: 'invalid_client' });
    }
    const entry = codes.get(form['code'] ?? '');
    codes.delete(form['code'] ?? '');
    const challenge = createHash('sha256')
      .update(form['code_verifier'] ?? '')
      .digest('base64url');
    if (!entry || entry.challenge !== challenge || entry.redirect !== form['redirect_uri']) {
      return reply.code(400).send({ error: 'invalid_grant' });
    }
    return {
      token_type: 'Bearer',
      access_token: await sign(
        {
          kind: 'patient',
          ins: '158037505610143',
          name: 'Jean MARTIN',
          amr: idp.amrOverride ?? ['pwd', 'otp'],
        },
        'opendmp-api',
      ),
      id_token: await sign({ nonce: idp.nonceOverride ?? entry.nonce }, entry.clientId),
    };
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  issuer = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  idp.issuer = issuer;
  return idp;
}

let idp: FakeIdp;
let api: FastifyInstance;

beforeAll(async () => {
  idp = await startIdp();
  api = fastify({ logger: false });
  installTestErrorHandler(api);
  const config = testConfig({
    demo: false,
    publicBaseUrl: 'https://dmp.test',
    oidcIssuers: [
      {
        issuer: idp.issuer,
        jwksUri: `${idp.issuer}/jwks`,
        audience: 'opendmp-api',
        kinds: ['patient', 'representative'],
        secondFactorAcr: [],
        secondFactorAmr: ['otp'],
      },
    ],
  });
  await registerAuth(api, {
    config,
    portal: {
      idleSeconds: 900,
      maxSeconds: 3600,
      secureCookies: true,
      oidc: {
        patient: {
          issuer: idp.issuer,
          clientId: 'portal',
          clientSecret: 's3cret',
          scope: 'openid',
          tokenEndpointAuth: 'client_secret_basic',
          bearer: 'access_token',
          acrValues: 'eidas2',
        },
      },
    },
  });
  api.get('/whoami', async (request) => ({ actor: request.actor ?? null }));
  await api.ready();
});

afterAll(async () => {
  await api.close();
  await idp.app.close();
});

async function login(): Promise<{ callback: string; state: string }> {
  const start = await api.inject({ method: 'GET', url: '/auth/portal/oidc/login?portal=patient' });
  expect(start.statusCode).toBe(302);
  const binding = start.cookies.find((c) => c.name === 'opendmp_oidc');
  expect(binding).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
  const authorize = new URL(start.headers.location ?? '');
  expect(authorize.origin).toBe(idp.issuer);
  expect(authorize.searchParams.get('redirect_uri')).toBe(
    'https://dmp.test/auth/portal/oidc/callback',
  );
  // Issue 17 rule 12: the portal asks the provider for the authentication level it needs.
  expect(authorize.searchParams.get('acr_values')).toBe('eidas2');
  const answer = await fetch(authorize, { redirect: 'manual' });
  const callback = new URL(answer.headers.get('location') ?? '');
  return { callback: `${callback.pathname}${callback.search}`, state: binding?.value ?? '' };
}

describe('OpenID Connect login of the portals (authorization code + PKCE)', () => {
  it('signs a patient in through the provider and opens a cookie session acting with the access token', async () => {
    const { callback, state } = await login();
    const done = await api.inject({
      method: 'GET',
      url: callback,
      cookies: { opendmp_oidc: state },
    });
    expect(done.statusCode).toBe(302);
    expect(done.headers.location).toBe('/patient/');
    const session = done.cookies.find((c) => c.name === 'opendmp_session');
    expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict' });
    const who = await api.inject({
      method: 'GET',
      url: '/whoami',
      cookies: { opendmp_session: session?.value ?? '' },
    });
    expect(who.json()).toMatchObject({ actor: { kind: 'patient', ins: '158037505610143' } });
  });

  it('refuses a patient login without a second factor (issue 17 rule 12): no session, the reason shown', async () => {
    idp.amrOverride = ['pwd'];
    try {
      const { callback, state } = await login();
      const res = await api.inject({
        method: 'GET',
        url: callback,
        cookies: { opendmp_oidc: state },
      });
      expect(res.headers.location).toBe('/patient/?login_error=AUTH_SECOND_FACTOR_REQUIRED');
      expect(res.cookies.find((c) => c.name === 'opendmp_session')).toBeUndefined();
    } finally {
      delete idp.amrOverride;
    }
  });

  it('refuses a callback from another browser (state cookie missing) and a replayed state', async () => {
    const { callback, state } = await login();
    const other = await api.inject({ method: 'GET', url: callback });
    expect(other.headers.location).toBe('/patient/?login_error=AUTH_OIDC_STATE');
    const replay = await api.inject({
      method: 'GET',
      url: callback,
      cookies: { opendmp_oidc: state },
    });
    expect(replay.headers.location).toBe('/patient/?login_error=AUTH_OIDC_STATE');
  });

  it('refuses an ID token whose nonce is not the one sent', async () => {
    idp.nonceOverride = 'another';
    try {
      const { callback, state } = await login();
      const res = await api.inject({
        method: 'GET',
        url: callback,
        cookies: { opendmp_oidc: state },
      });
      expect(res.headers.location).toBe('/patient/?login_error=AUTH_OIDC_ID_TOKEN');
      expect(res.cookies.find((c) => c.name === 'opendmp_session')).toBeUndefined();
    } finally {
      delete idp.nonceOverride;
    }
  });

  it('says when a portal has no provider configured', async () => {
    const res = await api.inject({ method: 'GET', url: '/auth/portal/oidc/login?portal=pro' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'AUTH_OIDC_NOT_CONFIGURED' });
  });
});
