/**
 * Configuration of the portals' login and sessions, read from the environment (documented in
 * docs/portals.md). Kept beside the auth code rather than in config.ts because only the portal login uses it.
 *
 *   OPENDMP_SESSION_IDLE_SECONDS   idle timeout of a portal session (sliding), default 900 (15 min)
 *   OPENDMP_SESSION_MAX_SECONDS    hard cap on a session's life, default 43200 (12 h); the token's own
 *                                  expiry ends it earlier
 *   OPENDMP_COOKIE_SECURE          `1` / `0` forces the Secure flag; by default cookies are Secure except in
 *                                  demo mode when OPENDMP_PUBLIC_URL is http://localhost (or 127.0.0.1)
 *   OPENDMP_PORTAL_OIDC_PATIENT    OpenID Connect client of the patient portal, JSON:
 *   OPENDMP_PORTAL_OIDC_PRO        OpenID Connect client of the professional portal (Pro Santé Connect role)
 *        {"issuer":"https://idp.example/realms/x",      (discovery: <issuer>/.well-known/openid-configuration)
 *         "clientId":"opendmp-portal",
 *         "clientSecret":"…",                           (omit for a public client: PKCE alone)
 *         "scope":"openid profile",                     (default "openid")
 *         "tokenEndpointAuth":"client_secret_basic",    (or client_secret_post, none)
 *         "bearer":"access_token",                      (which token the session acts with: access_token
 *                                                        (default) or id_token)
 *         "acrValues":"eidas2"}                          (optional: acr_values asked of the provider, e.g. the
 *                                                        second factor patients need, issue 17 rule 12)
 *   The chosen token must be accepted by the API like any other: its issuer must be listed in
 *   OPENDMP_OIDC_ISSUERS with the audience the token carries.
 */
import type { Config } from '../../config.ts';
import type { PortalName } from './session-store.ts';

export type TokenEndpointAuth = 'client_secret_basic' | 'client_secret_post' | 'none';

export interface OidcClientConfig {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret?: string;
  readonly scope: string;
  readonly tokenEndpointAuth: TokenEndpointAuth;
  readonly bearer: 'access_token' | 'id_token';
  /** `acr_values` asked of the provider (issue 17 rule 12: the patients' second factor), when configured. */
  readonly acrValues?: string;
}

export interface PortalAuthConfig {
  readonly idleSeconds: number;
  readonly maxSeconds: number;
  readonly secureCookies: boolean;
  readonly oidc: Readonly<Partial<Record<PortalName, OidcClientConfig>>>;
}

function positive(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') {
    return fallback;
  }
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) {
    throw new Error(`${name} must be a positive integer`);
  }
  return n;
}

function oidcClient(raw: string | undefined, name: string): OidcClientConfig | undefined {
  if (raw === undefined || raw.trim() === '') {
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error(`${name} must be JSON: {"issuer","clientId","clientSecret"?,"scope"?}`);
  }
  const e = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<
    string,
    unknown
  >;
  const issuer = e['issuer'];
  const clientId = e['clientId'];
  if (typeof issuer !== 'string' || !/^https?:\/\//.test(issuer) || typeof clientId !== 'string') {
    throw new Error(`${name} needs an http(s) "issuer" and a "clientId"`);
  }
  const secret = e['clientSecret'];
  const auth =
    e['tokenEndpointAuth'] ?? (typeof secret === 'string' ? 'client_secret_basic' : 'none');
  if (auth !== 'client_secret_basic' && auth !== 'client_secret_post' && auth !== 'none') {
    throw new Error(
      `${name}: tokenEndpointAuth must be client_secret_basic, client_secret_post or none`,
    );
  }
  if (auth !== 'none' && typeof secret !== 'string') {
    throw new Error(`${name}: tokenEndpointAuth ${auth} needs a clientSecret`);
  }
  const bearer = e['bearer'] ?? 'access_token';
  if (bearer !== 'access_token' && bearer !== 'id_token') {
    throw new Error(`${name}: bearer must be access_token or id_token`);
  }
  const scope = typeof e['scope'] === 'string' ? e['scope'] : 'openid';
  const acrValues = e['acrValues'];
  if (acrValues !== undefined && (typeof acrValues !== 'string' || acrValues.trim() === '')) {
    throw new Error(`${name}: acrValues must be a non-empty string (space-separated acr values)`);
  }
  return {
    issuer: issuer.replace(/\/$/, ''),
    clientId,
    ...(typeof secret === 'string' ? { clientSecret: secret } : {}),
    scope: scope.split(/\s+/).includes('openid') ? scope : `openid ${scope}`,
    tokenEndpointAuth: auth,
    bearer,
    ...(typeof acrValues === 'string' ? { acrValues: acrValues.trim() } : {}),
  };
}

const LOCAL_HTTP = /^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/;

export function loadPortalAuthConfig(
  config: Pick<Config, 'demo' | 'publicBaseUrl'>,
  env: NodeJS.ProcessEnv = process.env,
): PortalAuthConfig {
  const forced = env['OPENDMP_COOKIE_SECURE'];
  const secureCookies =
    forced === '1' || forced === 'true'
      ? true
      : forced === '0' || forced === 'false'
        ? false
        : !(config.demo && LOCAL_HTTP.test(config.publicBaseUrl));
  const patient = oidcClient(env['OPENDMP_PORTAL_OIDC_PATIENT'], 'OPENDMP_PORTAL_OIDC_PATIENT');
  const pro = oidcClient(env['OPENDMP_PORTAL_OIDC_PRO'], 'OPENDMP_PORTAL_OIDC_PRO');
  return {
    idleSeconds: positive(env['OPENDMP_SESSION_IDLE_SECONDS'], 900, 'OPENDMP_SESSION_IDLE_SECONDS'),
    maxSeconds: positive(env['OPENDMP_SESSION_MAX_SECONDS'], 43_200, 'OPENDMP_SESSION_MAX_SECONDS'),
    secureCookies,
    oidc: { ...(patient ? { patient } : {}), ...(pro ? { pro } : {}) },
  };
}
