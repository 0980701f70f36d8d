/**
 * OpenID Connect login for the portals: authorization-code flow with PKCE (S256), state and nonce.
 * A deliberately small relying party; the flow it implements:
 *
 *  O1. discovery: `<issuer>/.well-known/openid-configuration`, whose `issuer` must equal the configured one;
 *      cached one hour.
 *  O2. start: random state (32 bytes), nonce (32 bytes) and code verifier (32 bytes, challenge =
 *      BASE64URL(SHA-256(verifier))); the pending login is kept server-side for 10 minutes, keyed by state,
 *      and bound to the browser by the `opendmp_oidc` cookie holding the same state.
 *  O3. callback: `state` must match the cookie and a pending login (used once); an `error` parameter from
 *      the provider ends the login; the code is exchanged at the token endpoint with the verifier and the
 *      client authentication configured (client_secret_basic, client_secret_post or none).
 *  O4. the ID token is verified (signature by the provider's JWKS, issuer, audience = client id, expiry,
 *      nonce); the session then acts with the access token (or the ID token, when configured), which the API
 *      verifies like any bearer token — so the portal user gets exactly the API's rights.
 *
 * Errors are DomainFailures with codes AUTH_OIDC_NOT_CONFIGURED, AUTH_OIDC_STATE, AUTH_OIDC_PROVIDER_ERROR,
 * AUTH_OIDC_DISCOVERY, AUTH_OIDC_TOKEN, AUTH_OIDC_ID_TOKEN.
 */
import { createHash } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { DomainFailure, domainError } from '../../domain/errors.ts';
import type { OidcClientConfig } from './portal-auth-config.ts';
import { randomToken, type PortalName } from './session-store.ts';

export interface ProviderMetadata {
  readonly issuer: string;
  readonly authorization_endpoint: string;
  readonly token_endpoint: string;
  readonly jwks_uri: string;
  readonly end_session_endpoint?: string;
}

interface PendingLogin {
  readonly portal: PortalName;
  readonly verifier: string;
  readonly nonce: string;
  readonly createdAt: number;
}

const PENDING_TTL_MS = 10 * 60 * 1000;
const DISCOVERY_TTL_MS = 60 * 60 * 1000;
const FETCH_TIMEOUT_MS = 10_000;

function fail(
  code: string,
  message: string,
  kind: 'unauthenticated' | 'invalid' | 'unavailable' = 'unauthenticated',
): DomainFailure {
  return new DomainFailure(domainError(kind, code, message));
}

export function pkceChallenge(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

export interface OidcLogin {
  /** URL to send the browser to, and the state to put in the binding cookie. */
  start(
    portal: PortalName,
    redirectUri: string,
    now: number,
  ): Promise<{ url: string; state: string }>;
  /** Completes a login; returns the token the session acts with and the portal it was started from. */
  finish(
    query: Record<string, string | undefined>,
    cookieState: string | undefined,
    redirectUri: string,
    now: number,
  ): Promise<{ portal: PortalName; token: string }>;
}

export function createOidcLogin(
  clients: Readonly<Partial<Record<PortalName, OidcClientConfig>>>,
  fetchImpl: typeof fetch = fetch,
): OidcLogin {
  const pending = new Map<string, PendingLogin>();
  const discovered = new Map<
    string,
    { at: number; meta: ProviderMetadata; jwks: JWTVerifyGetKey }
  >();

  async function getJson(
    url: string,
    init?: RequestInit,
  ): Promise<{ status: number; body: unknown }> {
    const response = await fetchImpl(url, {
      ...init,
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: response.status, body };
  }

  async function discover(
    client: OidcClientConfig,
    now: number,
  ): Promise<{ meta: ProviderMetadata; jwks: JWTVerifyGetKey }> {
    const cached = discovered.get(client.issuer);
    if (cached && now - cached.at < DISCOVERY_TTL_MS) {
      return cached;
    }
    let result: { status: number; body: unknown };
    try {
      result = await getJson(`${client.issuer}/.well-known/openid-configuration`);
    } catch {
      throw fail('AUTH_OIDC_DISCOVERY', 'The identity provider cannot be reached.', 'unavailable');
    }
    const meta = result.body as Partial<ProviderMetadata> | undefined;
    if (
      result.status !== 200 ||
      !meta ||
      typeof meta.authorization_endpoint !== 'string' ||
      typeof meta.token_endpoint !== 'string' ||
      typeof meta.jwks_uri !== 'string' ||
      typeof meta.issuer !== 'string' ||
      meta.issuer.replace(/\/$/, '') !== client.issuer
    ) {
      throw fail(
        'AUTH_OIDC_DISCOVERY',
        'The identity provider’s configuration is unusable.',
        'unavailable',
      );
    }
    const entry = {
      at: now,
      meta: meta as ProviderMetadata,
      jwks: createRemoteJWKSet(new URL(meta.jwks_uri)),
    };
    discovered.set(client.issuer, entry);
    return entry;
  }

  function clientFor(portal: PortalName): OidcClientConfig {
    const client = clients[portal];
    if (!client) {
      throw fail(
        'AUTH_OIDC_NOT_CONFIGURED',
        'No identity provider is configured for this portal.',
        'invalid',
      );
    }
    return client;
  }

  function prune(now: number): void {
    for (const [state, p] of pending) {
      if (now - p.createdAt > PENDING_TTL_MS) {
        pending.delete(state);
      }
    }
  }

  return {
    async start(portal, redirectUri, now) {
      const client = clientFor(portal);
      const { meta } = await discover(client, now);
      prune(now);
      const state = randomToken(32);
      const login: PendingLogin = {
        portal,
        verifier: randomToken(32),
        nonce: randomToken(32),
        createdAt: now,
      };
      pending.set(state, login);
      const url = new URL(meta.authorization_endpoint);
      url.searchParams.set('response_type', 'code');
      url.searchParams.set('client_id', client.clientId);
      url.searchParams.set('redirect_uri', redirectUri);
      url.searchParams.set('scope', client.scope);
      url.searchParams.set('state', state);
      url.searchParams.set('nonce', login.nonce);
      url.searchParams.set('code_challenge', pkceChallenge(login.verifier));
      url.searchParams.set('code_challenge_method', 'S256');
      if (client.acrValues !== undefined) {
        // Issue 17 rule 12: ask for the authentication level the API will require (patients: a second factor).
        url.searchParams.set('acr_values', client.acrValues);
      }
      return { url: url.toString(), state };
    },

    async finish(query, cookieState, redirectUri, now) {
      const state = query['state'];
      const login = state === undefined ? undefined : pending.get(state);
      if (state !== undefined) {
        pending.delete(state); // one attempt per state, whatever its outcome
      }
      if (
        state === undefined ||
        login === undefined ||
        cookieState !== state ||
        now - login.createdAt > PENDING_TTL_MS
      ) {
        throw fail('AUTH_OIDC_STATE', 'This login link is not valid any more; start again.');
      }
      if (query['error'] !== undefined) {
        throw fail('AUTH_OIDC_PROVIDER_ERROR', 'The identity provider refused the login.');
      }
      const code = query['code'];
      if (code === undefined || code === '') {
        throw fail('AUTH_OIDC_TOKEN', 'The identity provider sent no authorization code.');
      }
      const client = clientFor(login.portal);
      const { meta, jwks } = await discover(client, now);
      const form = new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
        code_verifier: login.verifier,
        client_id: client.clientId,
      });
      const headers: Record<string, string> = {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      };
      if (client.tokenEndpointAuth === 'client_secret_basic' && client.clientSecret !== undefined) {
        const user = encodeURIComponent(client.clientId);
        const pass = encodeURIComponent(client.clientSecret);
        headers['authorization'] = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
      } else if (
        client.tokenEndpointAuth === 'client_secret_post' &&
        client.clientSecret !== undefined
      ) {
        form.set('client_secret', client.clientSecret);
      }
      let result: { status: number; body: unknown };
      try {
        result = await getJson(meta.token_endpoint, {
          method: 'POST',
          headers,
          body: form.toString(),
        });
      } catch {
        throw fail('AUTH_OIDC_TOKEN', 'The identity provider cannot be reached.', 'unavailable');
      }
      const tokens = result.body as { access_token?: unknown; id_token?: unknown } | undefined;
      if (result.status !== 200 || !tokens || typeof tokens.id_token !== 'string') {
        throw fail('AUTH_OIDC_TOKEN', 'The identity provider did not issue tokens.');
      }
      try {
        const { payload } = await jwtVerify(tokens.id_token, jwks, {
          issuer: meta.issuer,
          audience: client.clientId,
          requiredClaims: ['exp', 'iat', 'sub'],
          clockTolerance: 30,
        });
        if (payload['nonce'] !== login.nonce) {
          throw new Error('nonce');
        }
      } catch {
        throw fail('AUTH_OIDC_ID_TOKEN', 'The identity provider’s ID token could not be verified.');
      }
      const token = client.bearer === 'id_token' ? tokens.id_token : tokens.access_token;
      if (typeof token !== 'string' || token === '') {
        throw fail('AUTH_OIDC_TOKEN', 'The identity provider issued no access token.');
      }
      return { portal: login.portal, token };
    },
  };
}
