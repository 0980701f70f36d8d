import { afterEach, describe, expect, it, vi } from 'vitest';
import fastify, { type FastifyInstance } from 'fastify';
import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose';
import type { Config } from '../../config.ts';
import type { Actor } from '../../domain/access/actor.ts';
import { registerAuth, type AuthHandle } from './auth.plugin.ts';
import { signDevToken, type DevKeys } from './dev-idp.ts';
import { installTestErrorHandler, testConfig } from './auth.test-support.ts';
import { registerErrorHandling } from '../error-handler.ts';

const PRO_BODY = {
  kind: 'professional',
  idNatPs: '899700366240',
  profession: '10',
  specialty: 'SM26',
  structure: '1750300000',
  sector: 'SA07',
  mode: 'normal',
};

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

async function build(
  config: Config,
  onLogin?: (actor: Actor) => Promise<void>,
): Promise<{ app: FastifyInstance; auth: AuthHandle }> {
  const app = fastify({ logger: false });
  apps.push(app);
  installTestErrorHandler(app);
  const auth = await registerAuth(app, { config, ...(onLogin && { onLogin }) });
  app.get('/whoami', async (request) => ({ actor: request.actor ?? null }));
  app.get('/health', async () => ({ status: 'ok' }));
  app.get('/fhir/metadata', async () => ({ resourceType: 'CapabilityStatement' }));
  app.get('/open', { config: { public: true } }, async (request) => ({
    actor: request.actor ?? null,
  }));
  await app.ready();
  return { app, auth };
}

async function issue(app: FastifyInstance, body: unknown) {
  return app.inject({ method: 'POST', url: '/auth/dev/token', payload: body as object });
}

async function whoami(app: FastifyInstance, token?: string, header?: string) {
  const authorization = header ?? (token === undefined ? undefined : `Bearer ${token}`);
  return app.inject({
    method: 'GET',
    url: '/whoami',
    headers: authorization === undefined ? {} : { authorization },
  });
}

function devKeysOf(auth: AuthHandle): DevKeys {
  if (!auth.devKeys) {
    throw new Error('demo mode expected');
  }
  return auth.devKeys;
}

/** The record an emergency mode is declared for (a valid test NIR). */
const EMERGENCY_INS = '158037505610143';

describe('development identity provider (demo mode)', () => {
  const bodies: { name: string; body: Record<string, unknown>; actor: Actor }[] = [
    { name: 'professional', body: PRO_BODY, actor: PRO_BODY as Actor },
    {
      name: 'professional in bris_de_glace',
      body: {
        ...PRO_BODY,
        mode: 'bris_de_glace',
        reason: 'Patient inconscient',
        ins: EMERGENCY_INS,
      },
      actor: {
        ...PRO_BODY,
        mode: 'bris_de_glace',
        reason: 'Patient inconscient',
        emergencyIns: EMERGENCY_INS,
      } as Actor,
    },
    {
      name: 'SAMU regulator in centre_15',
      body: { ...PRO_BODY, mode: 'centre_15', regulator: true, ins: EMERGENCY_INS },
      actor: {
        ...PRO_BODY,
        mode: 'centre_15',
        regulator: true,
        emergencyIns: EMERGENCY_INS,
      } as Actor,
    },
    {
      name: 'patient',
      body: { kind: 'patient', ins: '255081416802538' },
      actor: { kind: 'patient', ins: '255081416802538' },
    },
    {
      name: 'representative',
      body: { kind: 'representative', ins: '215011416802543', name: 'Marie Durand' },
      actor: { kind: 'representative', ins: '215011416802543', name: 'Marie Durand' },
    },
    {
      name: 'operator',
      body: { kind: 'operator', id: 'cnam-ops-1' },
      actor: { kind: 'operator', id: 'cnam-ops-1' },
    },
  ];

  for (const { name, body, actor } of bodies) {
    it(`issues a token for a ${name} that authenticates as that actor`, async () => {
      const onLogin = vi.fn(async (_actor: Actor) => {});
      const { app, auth } = await build(testConfig(), onLogin);
      const res = await issue(app, body);
      expect(res.statusCode).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      const json = res.json<{ access_token: string; token_type: string; expires_in: number }>();
      expect(json.token_type).toBe('Bearer');
      expect(json.expires_in).toBe(3600);
      expect(Object.keys(json).sort()).toEqual(['access_token', 'expires_in', 'token_type']);

      const header = decodeProtectedHeader(json.access_token);
      expect(header.alg).toBe('ES256');
      expect(header.kid).toBe(devKeysOf(auth).kid);
      const claims = decodeJwt(json.access_token);
      expect(claims.iss).toBe('http://opendmp.test/auth/dev');
      expect(claims.aud).toBe('opendmp');
      expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(3600);
      expect(typeof claims.jti).toBe('string');

      const me = await whoami(app, json.access_token);
      expect(me.statusCode).toBe(200);
      expect(me.json()).toEqual({ actor });
      expect(onLogin).toHaveBeenCalledTimes(1);
      expect(onLogin.mock.calls[0]?.[0]).toEqual(actor);
    });
  }

  it('refuses an emergency mode that names no record, or a malformed one (issue 17 rule 6)', async () => {
    const onLogin = vi.fn(async () => {});
    const { app } = await build(testConfig(), onLogin);
    const open = await issue(app, {
      ...PRO_BODY,
      mode: 'bris_de_glace',
      reason: 'Patient inconscient',
    });
    expect(open.statusCode).toBe(400);
    expect(open.json().code).toBe('AUTH_EMERGENCY_RECORD_REQUIRED');
    const c15 = await issue(app, { ...PRO_BODY, mode: 'centre_15', regulator: true });
    expect(c15.json().code).toBe('AUTH_EMERGENCY_RECORD_REQUIRED');
    const bad = await issue(app, {
      ...PRO_BODY,
      mode: 'bris_de_glace',
      reason: 'Patient inconscient',
      ins: '158037505610144',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('AUTH_DEV_BODY_INVALID');
    expect(onLogin).not.toHaveBeenCalled();
  });

  it('refuses bris_de_glace without a reason with 400 AUTH_JUSTIFICATION_REQUIRED', async () => {
    const onLogin = vi.fn(async () => {});
    const { app } = await build(testConfig(), onLogin);
    for (const body of [
      { ...PRO_BODY, mode: 'bris_de_glace' },
      { ...PRO_BODY, mode: 'bris_de_glace', reason: '   ' },
    ]) {
      const res = await issue(app, body);
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('AUTH_JUSTIFICATION_REQUIRED');
    }
    expect(onLogin).not.toHaveBeenCalled();
  });

  const badBodies: { name: string; body: unknown }[] = [
    { name: 'an array', body: [PRO_BODY] },
    { name: 'no kind', body: { idNatPs: '899700366240', profession: '10' } },
    { name: 'an unknown kind', body: { kind: 'admin', id: 'x' } },
    { name: 'an unknown field', body: { ...PRO_BODY, reaon: 'typo' } },
    { name: 'a professional without idNatPs', body: { kind: 'professional', profession: '10' } },
    { name: 'a professional without profession', body: { kind: 'professional', idNatPs: '8' } },
    { name: 'an unknown mode', body: { ...PRO_BODY, mode: 'urgence' } },
    { name: 'a number for a string', body: { kind: 'patient', ins: 255081416802538 } },
    { name: 'a patient without ins', body: { kind: 'patient' } },
    { name: 'a representative without ins', body: { kind: 'representative', name: 'X' } },
    { name: 'a patient whose INS key is wrong', body: { kind: 'patient', ins: '255081416802539' } },
    { name: 'an operator without id', body: { kind: 'operator' } },
    { name: 'PSC claims', body: { SubjectNameID: '899700366240', SubjectRole: ['10'] } },
  ];
  for (const { name, body } of badBodies) {
    it(`refuses ${name} with 400 AUTH_DEV_BODY_INVALID`, async () => {
      const { app } = await build(testConfig());
      const res = await issue(app, body);
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('AUTH_DEV_BODY_INVALID');
    });
  }

  it('serves its public key as a JWKS', async () => {
    const { app, auth } = await build(testConfig());
    const res = await app.inject({ method: 'GET', url: '/auth/dev/jwks.json' });
    expect(res.statusCode).toBe(200);
    const jwks = res.json<{ keys: Record<string, unknown>[] }>();
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({
      kty: 'EC',
      crv: 'P-256',
      alg: 'ES256',
      kid: devKeysOf(auth).kid,
    });
    expect(jwks.keys[0]).not.toHaveProperty('d');
  });
});

describe('auth hook', () => {
  it('answers 401 AUTH_TOKEN_MISSING without a token, with a Bearer challenge', async () => {
    const { app } = await build(testConfig());
    const res = await whoami(app);
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('AUTH_TOKEN_MISSING');
    expect(res.headers['www-authenticate']).toBe('Bearer realm="opendmp"');
  });

  it('treats a non-Bearer Authorization header as missing', async () => {
    const { app } = await build(testConfig());
    for (const header of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer   ']) {
      const res = await whoami(app, undefined, header);
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('AUTH_TOKEN_MISSING');
    }
  });

  it('refuses a garbage token with 401 AUTH_TOKEN_INVALID', async () => {
    const { app } = await build(testConfig());
    for (const token of ['garbage', 'a.b.c', 'eyJhbGciOiJub25lIn0.e30.']) {
      const res = await whoami(app, token);
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('AUTH_TOKEN_INVALID');
      expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
      expect(res.body).not.toContain(token);
    }
  });

  it('refuses an expired token with 401 AUTH_TOKEN_EXPIRED, within a 30 s tolerance', async () => {
    const { app, auth } = await build(testConfig());
    const now = Math.floor(Date.now() / 1000);
    const actor: Actor = { kind: 'operator', id: 'ops' };
    const expired = await signDevToken(devKeysOf(auth), actor, now - 3600 - 120);
    const res = await whoami(app, expired);
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('AUTH_TOKEN_EXPIRED');

    const justExpired = await signDevToken(devKeysOf(auth), actor, now - 3600 - 10);
    expect((await whoami(app, justExpired)).statusCode).toBe(200);
  });

  it('refuses a token signed by another key with 401 AUTH_TOKEN_SIGNATURE', async () => {
    const { app, auth } = await build(testConfig());
    const keys = devKeysOf(auth);
    const other = await generateKeyPair('ES256');
    const forged = await signDevToken(
      { ...keys, privateKey: other.privateKey },
      {
        kind: 'operator',
        id: 'ops',
      },
    );
    const res = await whoami(app, forged);
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('AUTH_TOKEN_SIGNATURE');
  });

  it('refuses a token for another audience with 401 AUTH_TOKEN_AUDIENCE', async () => {
    const { app, auth } = await build(testConfig());
    const token = await signDevToken(
      { ...devKeysOf(auth), audience: 'someone-else' },
      {
        kind: 'operator',
        id: 'ops',
      },
    );
    const res = await whoami(app, token);
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('AUTH_TOKEN_AUDIENCE');
  });

  it('refuses a token from an unknown issuer with 401 AUTH_TOKEN_ISSUER_UNKNOWN', async () => {
    const { app, auth } = await build(testConfig());
    const token = await signDevToken(
      { ...devKeysOf(auth), issuer: 'https://evil.example' },
      {
        kind: 'operator',
        id: 'ops',
      },
    );
    const res = await whoami(app, token);
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('AUTH_TOKEN_ISSUER_UNKNOWN');
  });

  it('refuses an HMAC-signed token (algorithm not allowed)', async () => {
    const { app, auth } = await build(testConfig());
    const keys = devKeysOf(auth);
    const token = await new SignJWT({ kind: 'operator', id: 'ops' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(keys.issuer)
      .setAudience(keys.audience)
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('a-shared-secret-of-at-least-32-bytes!!'));
    const res = await whoami(app, token);
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('AUTH_TOKEN_INVALID');
  });

  it('refuses a validly signed token whose claims make no actor', async () => {
    const { app, auth } = await build(testConfig());
    const keys = devKeysOf(auth);
    const token = await new SignJWT({ kind: 'professional', idNatPs: '899700366240' })
      .setProtectedHeader({ alg: 'ES256', kid: keys.kid })
      .setIssuer(keys.issuer)
      .setAudience(keys.audience)
      .setExpirationTime('1h')
      .sign(keys.privateKey);
    const res = await whoami(app, token);
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('AUTH_TOKEN_INVALID');
  });

  it('lets public routes through without a token', async () => {
    const { app } = await build(testConfig());
    for (const url of [
      '/health',
      '/fhir/metadata',
      '/fhir/metadata?_format=json',
      '/auth/dev/jwks.json',
    ]) {
      expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(200);
    }
    const open = await app.inject({ method: 'GET', url: '/open' });
    expect(open.statusCode).toBe(200);
    expect(open.json()).toEqual({ actor: null });
  });

  it('protects unknown URLs outside /auth/', async () => {
    const { app } = await build(testConfig());
    expect((await app.inject({ method: 'GET', url: '/fhir/Nothing' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/auth/../whoami' })).statusCode).not.toBe(200);
  });
});

describe('with the application error handler', () => {
  it('answers an OperationOutcome carrying the code, and keeps the Bearer challenge', async () => {
    const app = fastify({ logger: false });
    apps.push(app);
    registerErrorHandling(app);
    await registerAuth(app, { config: testConfig() });
    app.get('/whoami', async (request) => ({ actor: request.actor ?? null }));
    await app.ready();
    const res = await whoami(app, 'garbage');
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="opendmp", error="invalid_token"');
    expect(res.json().resourceType).toBe('OperationOutcome');
    expect(res.body).toContain('AUTH_TOKEN_INVALID');

    const bad = await issue(app, { ...PRO_BODY, mode: 'bris_de_glace' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('AUTH_JUSTIFICATION_REQUIRED');
  });
});

describe('outside demo mode', () => {
  it('has no dev endpoints', async () => {
    const { app, auth } = await build(testConfig({ demo: false }));
    expect(auth.devKeys).toBeUndefined();
    expect((await issue(app, PRO_BODY)).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/auth/dev/jwks.json' })).statusCode).toBe(404);
  });

  it('refuses dev-issued tokens', async () => {
    const demo = await build(testConfig());
    const token = (await issue(demo.app, PRO_BODY)).json<{ access_token: string }>().access_token;
    expect((await whoami(demo.app, token)).statusCode).toBe(200);

    const prod = await build(testConfig({ demo: false }));
    const res = await whoami(prod.app, token);
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('AUTH_TOKEN_ISSUER_UNKNOWN');
  });
});
