/**
 * Bearer token verification: token → Actor, or a DomainFailure (401, or 503 when an issuer's JWKS is
 * unreachable). Accepts:
 *   - tokens of the development identity provider (dev-idp.ts), only when `config.demo`, ES256 only;
 *   - tokens of each configured OpenID Connect issuer (`config.oidcIssuers`: Pro Santé Connect, the patients'
 *     provider, the operator's…), whose keys are fetched from `jwksUri` (cached and refreshed on unknown `kid`
 *     by jose); each asserts only the actor kinds of its entry, and patients and representatives only with a
 *     second factor (issue 17 rule 12).
 * Checks: signature, `iss` (selects the key set), `aud`, `exp` (required) and `nbf` with a 30 s clock
 * tolerance, and the algorithm allow-list (RS256, ES256, PS256). Claims are then mapped by
 * domain/access/claims.ts.
 *
 * Error codes (all kind 'unauthenticated' → 401 unless said otherwise):
 *   AUTH_TOKEN_MISSING         no token
 *   AUTH_TOKEN_INVALID         not a JWT, no `exp`/`iss`, algorithm not allowed, not yet valid,
 *                              or claims that make no usable actor
 *   AUTH_TOKEN_EXPIRED         `exp` passed
 *   AUTH_TOKEN_LIFETIME        the token lives longer than `config.maxTokenLifetimeSeconds`
 *                              (exp − iat, or exp − now when `iat` is missing or in the future)
 *   AUTH_TOKEN_AUDIENCE        `aud` is not ours
 *   AUTH_TOKEN_ISSUER_UNKNOWN  `iss` is not a configured issuer (dev tokens outside demo mode included)
 *   AUTH_TOKEN_SIGNATURE       bad signature, or no key of the issuer matches
 *   AUTH_TOKEN_KIND            the issuer may not assert this kind of actor (its entry's `kinds`, issue 17
 *                              rule 12: an operator or patient token from Pro Santé Connect…)
 *   AUTH_SECOND_FACTOR_REQUIRED a patient or representative token without a second factor: its `acr` is not
 *                              one of the issuer's `secondFactorAcr` and none of its `amr` values is in
 *                              `secondFactorAmr` (issue 17 rule 12; dev tokens are exempt, demo only)
 *   AUTH_JWKS_UNAVAILABLE      (503, kind 'unavailable') the issuer's JWKS could not be fetched
 *
 * The token itself is never logged nor copied into an error message.
 */
import {
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors as joseErrors,
  jwtVerify,
  type CryptoKey,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import type { Config, OidcIssuerConfig } from '../../config.ts';
import { Caches } from '../../caches.ts';
import type { Actor } from '../../domain/access/actor.ts';
import { actorFromClaims } from '../../domain/access/claims.ts';
import { DomainFailure, domainError } from '../../domain/errors.ts';
import { DEV_ALGORITHM, type DevKeys } from './dev-idp.ts';

export const ALLOWED_ALGORITHMS = ['RS256', 'ES256', 'PS256'] as const;
export const CLOCK_TOLERANCE_SECONDS = 30;
/** The longest token lifetime accepted when the configuration does not say (12 hours). */
export const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 12 * 3600;

/**
 * How long a token lives, in seconds: from its issue (`iat`) to its expiry, or from now when `iat` is missing
 * or in the future (a future `iat` must not make a far expiry look short).
 */
export function tokenLifetimeSeconds(
  claims: { readonly exp?: number; readonly iat?: number },
  nowSeconds: number,
): number {
  if (typeof claims.exp !== 'number') {
    return Number.POSITIVE_INFINITY;
  }
  const from = typeof claims.iat === 'number' ? Math.min(claims.iat, nowSeconds) : nowSeconds;
  return claims.exp - from;
}

export interface TokenVerifier {
  /** Verify a bearer token (undefined or '' → AUTH_TOKEN_MISSING). Never resolves without an actor. */
  verify(token: string | undefined): Promise<Actor>;
}

function unauthenticated(code: string, message: string): DomainFailure {
  return new DomainFailure(domainError('unauthenticated', code, message));
}

/** Raised by the key resolver when the JWKS itself could not be obtained. */
class JwksUnavailable extends Error {
  constructor(cause: unknown) {
    super('JWKS unavailable', { cause });
    this.name = 'JwksUnavailable';
  }
}

/** Wrap a remote JWKS so that fetch failures are told apart from "no matching key". */
function guardedRemoteJwks(jwksUri: string): JWTVerifyGetKey {
  const remote = createRemoteJWKSet(new URL(jwksUri));
  return async (header, token) => {
    try {
      return await remote(header, token);
    } catch (error) {
      if (
        error instanceof joseErrors.JWKSNoMatchingKey ||
        error instanceof joseErrors.JWKSMultipleMatchingKeys ||
        error instanceof joseErrors.JOSENotSupported ||
        error instanceof joseErrors.JWKInvalid
      ) {
        throw error;
      }
      throw new JwksUnavailable(error);
    }
  };
}

function mapVerifyError(error: unknown): DomainFailure {
  if (error instanceof DomainFailure) {
    return error;
  }
  if (error instanceof JwksUnavailable) {
    return new DomainFailure(
      domainError(
        'unavailable',
        'AUTH_JWKS_UNAVAILABLE',
        "The token issuer's keys are unavailable",
      ),
    );
  }
  if (error instanceof joseErrors.JWTExpired) {
    return unauthenticated('AUTH_TOKEN_EXPIRED', 'The token has expired');
  }
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case 'aud':
        return unauthenticated('AUTH_TOKEN_AUDIENCE', 'The token is not meant for this service');
      case 'iss':
        return unauthenticated('AUTH_TOKEN_ISSUER_UNKNOWN', 'The token issuer is not accepted');
      case 'nbf':
        return unauthenticated('AUTH_TOKEN_INVALID', 'The token is not valid yet');
      default:
        return unauthenticated('AUTH_TOKEN_INVALID', `The token claim "${error.claim}" is invalid`);
    }
  }
  if (
    error instanceof joseErrors.JWSSignatureVerificationFailed ||
    error instanceof joseErrors.JWKSNoMatchingKey ||
    error instanceof joseErrors.JWKSMultipleMatchingKeys
  ) {
    return unauthenticated('AUTH_TOKEN_SIGNATURE', 'The token signature cannot be verified');
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed) {
    return unauthenticated('AUTH_TOKEN_INVALID', 'The token signature algorithm is not accepted');
  }
  return unauthenticated('AUTH_TOKEN_INVALID', 'The token is malformed');
}

interface TrustedIssuer {
  readonly issuer: string;
  readonly audience: string;
  readonly algorithms: readonly string[];
  readonly key: CryptoKey | JWTVerifyGetKey;
  /** The actor kinds it may assert; undefined: any (the development identity provider, demo only). */
  readonly kinds?: readonly string[];
  /** What proves a second factor for patients and representatives; undefined: not checked (dev IdP). */
  readonly secondFactor?: { readonly acr: readonly string[]; readonly amr: readonly string[] };
}

function oidcIssuer(entry: OidcIssuerConfig): TrustedIssuer {
  return {
    issuer: entry.issuer,
    audience: entry.audience,
    algorithms: ALLOWED_ALGORITHMS,
    key: guardedRemoteJwks(entry.jwksUri),
    kinds: entry.kinds,
    secondFactor: { acr: entry.secondFactorAcr, amr: entry.secondFactorAmr },
  };
}

/**
 * Issue 17 rule 12: whether the token proves a second factor — its `acr` is one of `acr`, or one of its `amr`
 * values is in `amr`.
 */
export function hasSecondFactor(
  claims: JWTPayload,
  accepted: { readonly acr: readonly string[]; readonly amr: readonly string[] },
): boolean {
  if (typeof claims['acr'] === 'string' && accepted.acr.includes(claims['acr'])) {
    return true;
  }
  const amr: unknown = claims['amr'];
  return Array.isArray(amr) && amr.some((v) => typeof v === 'string' && accepted.amr.includes(v));
}

/** The issuer-bound checks of a mapped actor (issue 17 rule 12), or the refusal. */
function issuerRefusal(
  trusted: TrustedIssuer,
  actor: Actor,
  claims: JWTPayload,
): DomainFailure | undefined {
  if (trusted.kinds !== undefined && !trusted.kinds.includes(actor.kind)) {
    return unauthenticated(
      'AUTH_TOKEN_KIND',
      `This token issuer may not authenticate a ${actor.kind}`,
    );
  }
  if (
    trusted.secondFactor !== undefined &&
    (actor.kind === 'patient' || actor.kind === 'representative') &&
    !hasSecondFactor(claims, trusted.secondFactor)
  ) {
    return unauthenticated(
      'AUTH_SECOND_FACTOR_REQUIRED',
      'A patient or representative login needs a second authentication factor',
    );
  }
  return undefined;
}

/**
 * Build the verifier. `devKeys` are honoured only when `config.demo`; outside demo mode a dev-issued
 * token is refused as coming from an unknown issuer.
 */
export function createTokenVerifier(
  config: Pick<Config, 'demo' | 'oidcIssuers'> & Partial<Pick<Config, 'maxTokenLifetimeSeconds'>>,
  devKeys?: DevKeys,
  caches: Pick<Caches, 'verifiedTokens'> = new Caches({
    on: true,
    searchEntryBytes: 0,
    sealedContentBytes: 0,
  }),
): TokenVerifier {
  const maxLifetime = config.maxTokenLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS;
  const issuers = new Map<string, TrustedIssuer>();
  for (const entry of config.oidcIssuers) {
    if (!issuers.has(entry.issuer)) {
      issuers.set(entry.issuer, oidcIssuer(entry));
    }
  }
  if (config.demo && devKeys) {
    issuers.set(devKeys.issuer, {
      issuer: devKeys.issuer,
      audience: devKeys.audience,
      algorithms: [DEV_ALGORITHM],
      key: devKeys.publicKey,
    });
  }

  // Tokens already verified, until they expire (caches.verifiedTokens): the same token on every request of a
  // session costs one signature check, not one per request (ES256/RS256 verification is a large share of a cheap
  // request's CPU). A hit is honoured only inside the token's own exp/nbf window (same tolerance as the full check).
  const verified = caches.verifiedTokens;

  return {
    async verify(token) {
      if (token === undefined || token.trim() === '') {
        throw unauthenticated('AUTH_TOKEN_MISSING', 'A bearer token is required');
      }
      const hit = verified.get(token);
      if (hit) {
        const now = Date.now() / 1000;
        if (
          now <= hit.exp + CLOCK_TOLERANCE_SECONDS &&
          (hit.nbf === undefined || now >= hit.nbf - CLOCK_TOLERANCE_SECONDS)
        ) {
          return hit.actor;
        }
        verified.delete(token);
      }
      let unverified: JWTPayload;
      let alg: string | undefined;
      try {
        alg = decodeProtectedHeader(token).alg;
        unverified = decodeJwt(token);
      } catch {
        throw unauthenticated('AUTH_TOKEN_INVALID', 'The token is malformed');
      }
      if (alg === undefined || !(ALLOWED_ALGORITHMS as readonly string[]).includes(alg)) {
        throw unauthenticated(
          'AUTH_TOKEN_INVALID',
          'The token signature algorithm is not accepted',
        );
      }
      if (typeof unverified.iss !== 'string') {
        throw unauthenticated('AUTH_TOKEN_INVALID', 'The token has no issuer');
      }
      const trusted = issuers.get(unverified.iss);
      if (!trusted) {
        throw unauthenticated('AUTH_TOKEN_ISSUER_UNKNOWN', 'The token issuer is not accepted');
      }

      let payload: JWTPayload;
      try {
        const options = {
          issuer: trusted.issuer,
          audience: trusted.audience,
          algorithms: [...trusted.algorithms],
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
          requiredClaims: ['exp'],
        };
        const verified =
          typeof trusted.key === 'function'
            ? await jwtVerify(token, trusted.key, options)
            : await jwtVerify(token, trusted.key, options);
        payload = verified.payload;
      } catch (error) {
        throw mapVerifyError(error);
      }

      if (
        tokenLifetimeSeconds(payload, Date.now() / 1000) >
        maxLifetime + CLOCK_TOLERANCE_SECONDS
      ) {
        throw unauthenticated(
          'AUTH_TOKEN_LIFETIME',
          'The token lives longer than this service accepts; ask for a shorter-lived token',
        );
      }
      const actor = actorFromClaims(payload);
      if (!actor.ok) {
        throw unauthenticated(
          'AUTH_TOKEN_INVALID',
          `The token claims are unusable: ${actor.error.message}`,
        );
      }
      const refusal = issuerRefusal(trusted, actor.value, payload);
      if (refusal) {
        throw refusal;
      }
      if (typeof payload.exp === 'number') {
        verified.set(token, { actor: actor.value, exp: payload.exp, nbf: payload.nbf });
      }
      return actor.value;
    },
  };
}
