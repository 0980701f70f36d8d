/**
 * Development identity provider (product.md §3, a fixed interface). Registered only when `config.demo`.
 *
 *   POST /auth/dev/token      JSON body, one of:
 *     {"kind":"professional","idNatPs":"899700366240","profession":"10","specialty":"SM26",
 *      "structure":"1750300000","sector":"SA07","mode":"normal"}
 *        mode: normal | bris_de_glace (then "reason" is required) | centre_15; an emergency mode applies
 *        to one record, named by "ins" (required with it); optional "name", and "regulator": true for a
 *        SAMU regulator médecin;
 *     {"kind":"patient","ins":"<NIR>"}
 *        "secret": true for a professional caring for a minor in connexion secrète (issue 17 rule 2);
 *     {"kind":"representative","ins":"<NIR of the minor>","id":"<their own identifier>","name":"…"}
 *        "id" is what the record's registration names (issue 17 rule 1): without it, or without a live
 *        registration naming it, the token is accepted but grants nothing (the record answers as missing);
 *     {"kind":"operator","id":"…"}
 *     {"kind":"software","id":"dpi-chu","structure":"1750300000","profile":"deposit"}
 *        a structure's software (issue 17 rule 12, "authentification indirecte"): profile deposit
 *        ("alimentation") or consultation; it deposits and manages its structure's documents, consults nothing
 *   → 200 {"access_token":"<ES256 JWT>","token_type":"Bearer","expires_in":3600}
 *   → 400 AUTH_DEV_BODY_INVALID (not a JSON object, unknown field, missing / wrongly typed claim,
 *         bad INS), AUTH_JUSTIFICATION_REQUIRED (bris_de_glace without a reason) or
 *         AUTH_EMERGENCY_RECORD_REQUIRED (an emergency mode without the "ins" of its record).
 *
 *   GET /auth/dev/jwks.json   the public key, as a JWKS.
 *
 * Tokens: iss `${publicBaseUrl}/auth/dev`, aud `config.devAudience`, iat, exp = iat + 1 h (less when
 * OPENDMP_MAX_TOKEN_LIFETIME_SECONDS is shorter), a random jti,
 * sub `<kind>:<id>` and the opendmp claims of domain/access/claims.ts. The key pair is generated at
 * start and lives only in memory: a restart invalidates every dev token.
 */
import { validateIns } from '../../domain/identity/ins.ts';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import type { Config } from '../../config.ts';
import { actorId, type Actor } from '../../domain/access/actor.ts';
import { actorFromClaims, claimsFromActor, OPENDMP_CLAIMS } from '../../domain/access/claims.ts';
import { DomainFailure, domainError } from '../../domain/errors.ts';

export const DEV_TOKEN_PATH = '/auth/dev/token';
export const DEV_JWKS_PATH = '/auth/dev/jwks.json';
export const DEV_TOKEN_TTL_SECONDS = 3600;
export const DEV_ALGORITHM = 'ES256';

export interface DevKeys {
  /** `${publicBaseUrl}/auth/dev` */
  readonly issuer: string;
  readonly audience: string;
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  /** Public JWKS served at {@link DEV_JWKS_PATH}. */
  readonly jwks: { readonly keys: readonly JWK[] };
  /** Lifetime of the tokens: {@link DEV_TOKEN_TTL_SECONDS}, or less when the service accepts less. */
  readonly ttlSeconds: number;
}

export interface DevTokenResponse {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  readonly expires_in: number;
}

export function devIssuer(config: Pick<Config, 'publicBaseUrl'>): string {
  return `${config.publicBaseUrl}/auth/dev`;
}

/** Generate the dev IdP's ES256 key pair (once per process). */
export async function createDevKeys(
  config: Pick<Config, 'publicBaseUrl' | 'devAudience'> &
    Partial<Pick<Config, 'maxTokenLifetimeSeconds'>>,
): Promise<DevKeys> {
  const { privateKey, publicKey } = await generateKeyPair(DEV_ALGORITHM);
  const kid = randomUUID();
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: DEV_ALGORITHM, use: 'sig' };
  return {
    issuer: devIssuer(config),
    audience: config.devAudience,
    kid,
    privateKey,
    publicKey,
    jwks: { keys: [jwk] },
    ttlSeconds: Math.min(
      DEV_TOKEN_TTL_SECONDS,
      config.maxTokenLifetimeSeconds ?? DEV_TOKEN_TTL_SECONDS,
    ),
  };
}

/** Sign a dev token for an actor. `nowSeconds` is there for tests (e.g. an already expired token). */
export async function signDevToken(
  keys: DevKeys,
  actor: Actor,
  nowSeconds: number = Math.floor(Date.now() / 1000),
): Promise<string> {
  return new SignJWT(claimsFromActor(actor))
    .setProtectedHeader({ alg: DEV_ALGORITHM, kid: keys.kid, typ: 'JWT' })
    .setIssuer(keys.issuer)
    .setAudience(keys.audience)
    .setSubject(`${actor.kind}:${actorId(actor)}`)
    .setIssuedAt(nowSeconds)
    .setExpirationTime(nowSeconds + keys.ttlSeconds)
    .setJti(randomUUID())
    .sign(keys.privateKey);
}

function bodyInvalid(message: string, location?: readonly string[]): DomainFailure {
  return new DomainFailure(domainError('invalid', 'AUTH_DEV_BODY_INVALID', message, location));
}

/**
 * Validate a dev token request body into an actor; throws DomainFailure (400) on a bad body.
 * Check digits of idNatPs are not checked here.
 */
export function actorFromDevBody(body: unknown): Actor {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw bodyInvalid('The body must be a JSON object');
  }
  const claims = body as Record<string, unknown>;
  const unknownField = Object.keys(claims).find(
    (key) => !(OPENDMP_CLAIMS as readonly string[]).includes(key),
  );
  if (unknownField !== undefined) {
    throw bodyInvalid(`Unknown field "${unknownField}"`, [unknownField]);
  }
  if (claims['kind'] === undefined) {
    throw bodyInvalid('Field "kind" is required', ['kind']);
  }
  const result = actorFromClaims(claims);
  if (!result.ok) {
    const { code, message, location } = result.error;
    if (code === 'AUTH_JUSTIFICATION_REQUIRED' || code === 'AUTH_EMERGENCY_RECORD_REQUIRED') {
      throw new DomainFailure(domainError('invalid', code, message, location));
    }
    throw bodyInvalid(message, location);
  }
  const actor = result.value;
  const ins =
    actor.kind === 'patient' || actor.kind === 'representative'
      ? actor.ins
      : actor.kind === 'professional'
        ? actor.emergencyIns
        : undefined;
  if (ins !== undefined) {
    // The INS form and key are checked; which OID (INS-NIR, test, demo) is not known from the body.
    const checked = validateIns(ins);
    if (!checked.ok) {
      throw bodyInvalid(`ins: ${checked.error.message}`, ['ins']);
    }
  }
  return actor;
}

export interface DevIdpOptions {
  readonly keys: DevKeys;
  /** Called once a token is issued, before answering (audit of logins). */
  readonly onLogin?: (actor: Actor, request: FastifyRequest) => Promise<void>;
}

/** Register the dev IdP routes on `app`. Call only when `config.demo`. */
export function registerDevIdp(app: FastifyInstance, opts: DevIdpOptions): void {
  const { keys, onLogin } = opts;

  app.post(DEV_TOKEN_PATH, { config: { public: true } }, async (request, reply) => {
    const actor = actorFromDevBody(request.body);
    const accessToken = await signDevToken(keys, actor);
    if (onLogin) {
      await onLogin(actor, request);
    }
    const response: DevTokenResponse = {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: keys.ttlSeconds,
    };
    return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(response);
  });

  app.get(DEV_JWKS_PATH, { config: { public: true } }, async (_request, reply) => {
    return reply
      .header('content-type', 'application/jwk-set+json')
      .header('cache-control', 'public, max-age=300')
      .send(JSON.stringify(keys.jwks));
  });
}
