import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import fastify from 'fastify';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import type { OidcIssuerConfig } from '../../config.ts';
import { DomainFailure } from '../../domain/errors.ts';
import { registerAuth } from './auth.plugin.ts';
import { CLOCK_TOLERANCE_SECONDS, createTokenVerifier, tokenLifetimeSeconds } from './verifier.ts';
import { installTestErrorHandler, testConfig } from './auth.test-support.ts';

/** A local OpenID Connect issuer: key pairs, and a JWKS served over HTTP on 127.0.0.1:0. */
interface LocalIssuer {
  readonly issuer: string;
  readonly jwksUri: string;
  readonly keys: Record<'RS256' | 'ES256' | 'PS256', { kid: string; privateKey: CryptoKey }>;
  readonly server: Server;
  jwksHits: number;
}

const ISSUER = 'https://psc.test/auth/realms/esante-wallet';
const AUDIENCE = 'opendmp-api';

let local: LocalIssuer;

beforeAll(async () => {
  const keys = {} as LocalIssuer['keys'];
  const publicJwks: JWK[] = [];
  for (const alg of ['RS256', 'ES256', 'PS256'] as const) {
    const pair = await generateKeyPair(alg);
    const kid = `key-${alg}`;
    keys[alg] = { kid, privateKey: pair.privateKey };
    publicJwks.push({ ...(await exportJWK(pair.publicKey)), kid, alg, use: 'sig' });
  }
  const server = createServer((req, res) => {
    if (req.url === '/jwks') {
      local.jwksHits += 1;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: publicJwks }));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  local = { issuer: ISSUER, jwksUri: `http://127.0.0.1:${port}/jwks`, keys, server, jwksHits: 0 };
});

afterAll(async () => {
  await new Promise<void>((resolve) => local.server.close(() => resolve()));
});

function issuers(overrides: Partial<OidcIssuerConfig> = {}): OidcIssuerConfig[] {
  return [
    {
      issuer: local.issuer,
      jwksUri: local.jwksUri,
      audience: AUDIENCE,
      kinds: ['professional', 'operator'],
      secondFactorAcr: [],
      secondFactorAmr: ['mfa'],
      ...overrides,
    },
  ];
}

const PSC_CLAIMS = {
  SubjectNameID: '899700427885',
  preferred_username: '899700427885',
  SubjectRole: ['10^1.2.250.1.213.1.1.5.5'],
  Secteur_Activite: 'SA07^1.2.250.1.71.4.2.4',
  SubjectOrganizationID: 'R102671',
  given_name: 'KIT',
  family_name: 'DOC0042788',
  Mode_Acces_Raison: '',
  Acces_Regulation_Medicale: 'FAUX',
};

async function sign(
  claims: Record<string, unknown>,
  opts: {
    alg?: 'RS256' | 'ES256' | 'PS256';
    issuer?: string;
    audience?: string;
    exp?: number | string;
    nbf?: number;
    iat?: number | 'none';
    kid?: string;
    key?: CryptoKey;
  } = {},
): Promise<string> {
  const alg = opts.alg ?? 'RS256';
  const key = local.keys[alg];
  let jwt = new SignJWT(claims)
    .setProtectedHeader({ alg, kid: opts.kid ?? key.kid, typ: 'JWT' })
    .setIssuer(opts.issuer ?? local.issuer)
    .setAudience(opts.audience ?? AUDIENCE)
    .setSubject('f:550dc1c8:899700427885');
  if (opts.iat !== 'none') {
    jwt = jwt.setIssuedAt(opts.iat);
  }
  if (opts.exp !== 'none') {
    jwt = jwt.setExpirationTime(opts.exp ?? '5m');
  }
  if (opts.nbf !== undefined) {
    jwt = jwt.setNotBefore(opts.nbf);
  }
  return jwt.sign(opts.key ?? key.privateKey);
}

async function failureCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DomainFailure) {
      return `${error.error.kind}:${error.error.code}`;
    }
    throw error;
  }
  throw new Error('expected a failure');
}

describe('production verifier (OIDC issuer through its JWKS)', () => {
  const verifier = () => createTokenVerifier(testConfig({ demo: false, oidcIssuers: issuers() }));

  for (const alg of ['RS256', 'ES256', 'PS256'] as const) {
    it(`accepts a Pro Santé Connect token signed with ${alg}`, async () => {
      const actor = await verifier().verify(await sign(PSC_CLAIMS, { alg }));
      expect(actor).toEqual({
        kind: 'professional',
        idNatPs: '899700427885',
        profession: '10',
        structure: 'R102671',
        sector: 'SA07',
        mode: 'normal',
        name: 'KIT DOC0042788',
      });
    });
  }

  it('accepts a token in the opendmp claim vocabulary', async () => {
    const actor = await verifier().verify(await sign({ kind: 'operator', id: 'cnam-batch' }));
    expect(actor).toEqual({ kind: 'operator', id: 'cnam-batch' });
  });

  it('fetches the JWKS once and caches it', async () => {
    const v = verifier();
    const before = local.jwksHits;
    await v.verify(await sign(PSC_CLAIMS));
    await v.verify(await sign(PSC_CLAIMS, { alg: 'ES256' }));
    expect(local.jwksHits - before).toBe(1);
  });

  const refusals: { name: string; token: () => Promise<string>; code: string }[] = [
    { name: 'an empty token', token: async () => '', code: 'unauthenticated:AUTH_TOKEN_MISSING' },
    { name: 'garbage', token: async () => 'not-a-jwt', code: 'unauthenticated:AUTH_TOKEN_INVALID' },
    {
      name: 'an unknown issuer',
      token: () => sign(PSC_CLAIMS, { issuer: 'https://other.test' }),
      code: 'unauthenticated:AUTH_TOKEN_ISSUER_UNKNOWN',
    },
    {
      name: 'a wrong audience',
      token: () => sign(PSC_CLAIMS, { audience: 'another-service' }),
      code: 'unauthenticated:AUTH_TOKEN_AUDIENCE',
    },
    {
      name: 'an expired token',
      token: () => sign(PSC_CLAIMS, { exp: Math.floor(Date.now() / 1000) - 60 }),
      code: 'unauthenticated:AUTH_TOKEN_EXPIRED',
    },
    {
      name: 'a token without exp',
      token: () => sign(PSC_CLAIMS, { exp: 'none' }),
      code: 'unauthenticated:AUTH_TOKEN_INVALID',
    },
    {
      name: 'a token not valid yet',
      token: () => sign(PSC_CLAIMS, { nbf: Math.floor(Date.now() / 1000) + 300 }),
      code: 'unauthenticated:AUTH_TOKEN_INVALID',
    },
    {
      name: 'a token signed by another key under a known kid',
      token: async () =>
        sign(PSC_CLAIMS, { key: (await generateKeyPair('RS256')).privateKey, kid: 'key-RS256' }),
      code: 'unauthenticated:AUTH_TOKEN_SIGNATURE',
    },
    {
      name: 'a token signed by an unknown kid',
      token: async () =>
        sign(PSC_CLAIMS, { key: (await generateKeyPair('RS256')).privateKey, kid: 'rogue' }),
      code: 'unauthenticated:AUTH_TOKEN_SIGNATURE',
    },
    {
      name: 'a token without a profession',
      token: () => sign({ SubjectNameID: '899700427885' }),
      code: 'unauthenticated:AUTH_TOKEN_INVALID',
    },
  ];
  for (const { name, token, code } of refusals) {
    it(`refuses ${name}`, async () => {
      expect(await failureCode(verifier().verify(await token()))).toBe(code);
    });
  }

  it('remembers a verified token only until it expires', async () => {
    const v = verifier();
    const exp = Math.floor(Date.now() / 1000) + 60;
    const token = await sign(PSC_CLAIMS, { exp });
    const first = await v.verify(token);
    expect(await v.verify(token)).toEqual(first);
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime((exp + CLOCK_TOLERANCE_SECONDS + 1) * 1000);
      expect(await failureCode(v.verify(token))).toBe('unauthenticated:AUTH_TOKEN_EXPIRED');
    } finally {
      vi.useRealTimers();
    }
  });

  it('answers 503 AUTH_JWKS_UNAVAILABLE when the JWKS cannot be fetched', async () => {
    const broken = createTokenVerifier(
      testConfig({ demo: false, oidcIssuers: issuers({ jwksUri: `${local.jwksUri}-missing` }) }),
    );
    expect(await failureCode(broken.verify(await sign(PSC_CLAIMS)))).toBe(
      'unavailable:AUTH_JWKS_UNAVAILABLE',
    );
  });

  it('works end to end through registerAuth', async () => {
    const app = fastify({ logger: false });
    installTestErrorHandler(app);
    await registerAuth(app, { config: testConfig({ demo: false, oidcIssuers: issuers() }) });
    app.get('/whoami', async (request) => ({ actor: request.actor ?? null }));
    await app.ready();
    try {
      const ok = await app.inject({
        method: 'GET',
        url: '/whoami',
        headers: { authorization: `Bearer ${await sign(PSC_CLAIMS, { alg: 'ES256' })}` },
      });
      expect(ok.statusCode).toBe(200);
      expect(ok.json().actor).toMatchObject({ kind: 'professional', idNatPs: '899700427885' });

      const unknown = await app.inject({
        method: 'GET',
        url: '/whoami',
        headers: {
          authorization: `Bearer ${await sign(PSC_CLAIMS, { issuer: 'https://x.test' })}`,
        },
      });
      expect(unknown.statusCode).toBe(401);
      expect(unknown.json().code).toBe('AUTH_TOKEN_ISSUER_UNKNOWN');
    } finally {
      await app.close();
    }
  });
});

describe('dev keys', () => {
  it('are ignored when demo is off', async () => {
    const { createDevKeys, signDevToken } = await import('./dev-idp.ts');
    const config = testConfig({ demo: false });
    const keys = await createDevKeys(config);
    const token = await signDevToken(keys, { kind: 'operator', id: 'ops' });
    expect(await failureCode(createTokenVerifier(config, keys).verify(token))).toBe(
      'unauthenticated:AUTH_TOKEN_ISSUER_UNKNOWN',
    );
    expect(await createTokenVerifier({ ...config, demo: true }, keys).verify(token)).toEqual({
      kind: 'operator',
      id: 'ops',
    });
  });
});

describe('token lifetime (issue 16, finding 8)', () => {
  const now = () => Math.floor(Date.now() / 1000);
  const HOUR = 3600;
  const YEAR = 365 * 24 * HOUR;
  const verifier = (maxTokenLifetimeSeconds?: number) =>
    createTokenVerifier(
      testConfig({
        demo: false,
        oidcIssuers: issuers(),
        ...(maxTokenLifetimeSeconds !== undefined ? { maxTokenLifetimeSeconds } : {}),
      }),
    );

  it.each([
    ['exp − iat', { iat: 1_000, exp: 4_600 }, 2_000, 3_600],
    ['exp − now without iat', { exp: 4_600 }, 2_000, 2_600],
    ['exp − now when iat is in the future', { iat: 10_000, exp: 13_600 }, 2_000, 11_600],
    ['no exp: unbounded', { iat: 1_000 }, 2_000, Number.POSITIVE_INFINITY],
  ] as const)('lifetime is %s', (_name, claims, at, lifetime) => {
    expect(tokenLifetimeSeconds(claims, at)).toBe(lifetime);
  });

  it('refuses a token issued for 100 years', async () => {
    const token = await sign(PSC_CLAIMS, { exp: now() + 100 * YEAR });
    expect(await failureCode(verifier().verify(token))).toBe('unauthenticated:AUTH_TOKEN_LIFETIME');
  });

  it('refuses a 100-year token without iat, and one whose iat is in the future', async () => {
    const noIat = await sign(PSC_CLAIMS, { iat: 'none', exp: now() + 100 * YEAR });
    expect(await failureCode(verifier().verify(noIat))).toBe('unauthenticated:AUTH_TOKEN_LIFETIME');
    const future = await sign(PSC_CLAIMS, {
      iat: now() + 100 * YEAR - HOUR,
      exp: now() + 100 * YEAR,
    });
    expect(await failureCode(verifier().verify(future))).toBe(
      'unauthenticated:AUTH_TOKEN_LIFETIME',
    );
  });

  it('accepts up to the configured maximum (12 hours by default), not beyond', async () => {
    const twelve = await sign(PSC_CLAIMS, { exp: now() + 12 * HOUR });
    expect((await verifier().verify(twelve)).kind).toBe('professional');
    const thirteen = await sign(PSC_CLAIMS, { exp: now() + 13 * HOUR });
    expect(await failureCode(verifier().verify(thirteen))).toBe(
      'unauthenticated:AUTH_TOKEN_LIFETIME',
    );
    const hour = await sign(PSC_CLAIMS, { exp: now() + HOUR });
    expect(await failureCode(verifier(600).verify(hour))).toBe(
      'unauthenticated:AUTH_TOKEN_LIFETIME',
    );
  });

  it('issues dev tokens within the maximum', async () => {
    const { createDevKeys, signDevToken } = await import('./dev-idp.ts');
    const config = testConfig({ demo: true, maxTokenLifetimeSeconds: 600 });
    const keys = await createDevKeys(config);
    const token = await signDevToken(keys, { kind: 'operator', id: 'ops' });
    const { iat, exp } = JSON.parse(
      Buffer.from(token.split('.')[1] ?? '', 'base64url').toString(),
    ) as {
      iat: number;
      exp: number;
    };
    expect(exp - iat).toBe(600);
    expect(await createTokenVerifier(config, keys).verify(token)).toEqual({
      kind: 'operator',
      id: 'ops',
    });
  });
});
