import path from 'node:path';

/**
 * Configuration from the environment, validated once and frozen.
 * Variables named in the issues (PORT, DATA_DIR, DATABASE_URL, OPENDMP_DEMO) are a fixed interface.
 */
export interface OidcIssuerConfig {
  readonly issuer: string;
  readonly jwksUri: string;
  readonly audience: string;
}

export interface Config {
  readonly port: number;
  readonly host: string;
  /** Folder of the embedded PostgreSQL when DATABASE_URL is unset. */
  readonly dataDir: string;
  /** External PostgreSQL; when set nothing is embedded. */
  readonly databaseUrl: string | undefined;
  /** Demo data + development identity provider. */
  readonly demo: boolean;
  /** Public base URL used in links (attachment.url, paging). */
  readonly publicBaseUrl: string;
  /** Production identity providers (Pro Santé Connect role). */
  readonly oidcIssuers: readonly OidcIssuerConfig[];
  /** Audience the development identity provider puts in its tokens and expects back. */
  readonly devAudience: string;
  /** 32-byte master key (base64) wrapping per-record data keys; required outside demo mode. */
  readonly masterKey: string | undefined;
  /** Maximum size of one document, in bytes. */
  readonly maxDocumentBytes: number;
  readonly logLevel: string;
  /** Authorizations expire after this many days; 0 = never (the default, product.md §2). */
  readonly authorizationDays: number;
  /** Run the background jobs (purge, outbox, visibility) inside this process. */
  readonly jobs: boolean;
  /** Bytes of search entries kept by document version (services/documents/served-cache.ts); 0 = none. */
  readonly searchCacheBytes: number;
  /** Sealed (still encrypted) document contents remembered in memory (OPENDMP_CONTENT_CACHE_MB). */
  readonly contentCacheBytes: number;
}

function intFrom(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') {
    return fallback;
  }
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw new Error(`${name} must be a non-negative integer`);
  }
  return n;
}

function parseIssuers(raw: string | undefined): OidcIssuerConfig[] {
  if (!raw) {
    return [];
  }
  const parsed: unknown = JSON.parse(raw);
  if (!Array.isArray(parsed)) {
    throw new Error('OPENDMP_OIDC_ISSUERS must be a JSON array of {issuer, jwksUri, audience}');
  }
  return parsed.map((entry: unknown) => {
    const e = entry as Partial<OidcIssuerConfig>;
    if (
      typeof e.issuer !== 'string' ||
      typeof e.jwksUri !== 'string' ||
      typeof e.audience !== 'string'
    ) {
      throw new Error('each OPENDMP_OIDC_ISSUERS entry needs issuer, jwksUri and audience strings');
    }
    return { issuer: e.issuer, jwksUri: e.jwksUri, audience: e.audience };
  });
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = intFrom(env['PORT'], 8080, 'PORT');
  const demo = env['OPENDMP_DEMO'] === '1' || env['OPENDMP_DEMO'] === 'true';
  // The demo turns the development identity provider on (anyone reaching it can mint any token): it listens on
  // the loopback addresses (IPv4 and IPv6) unless HOST says otherwise. Production listens on every interface.
  const host = env['HOST'] || (demo ? 'localhost' : '0.0.0.0');
  const config: Config = {
    port,
    host,
    // Relative to where the command was typed (npm sets INIT_CWD; workspace scripts run in apps/server).
    dataDir: path.resolve(env['INIT_CWD'] ?? process.cwd(), env['DATA_DIR'] ?? './data'),
    databaseUrl: env['DATABASE_URL'] || undefined,
    demo,
    publicBaseUrl: (env['OPENDMP_PUBLIC_URL'] ?? `http://localhost:${port}`).replace(/\/$/, ''),
    oidcIssuers: parseIssuers(env['OPENDMP_OIDC_ISSUERS']),
    devAudience: env['OPENDMP_DEV_AUDIENCE'] ?? 'opendmp',
    masterKey: env['OPENDMP_MASTER_KEY'] || undefined,
    maxDocumentBytes: intFrom(
      env['OPENDMP_MAX_DOCUMENT_BYTES'],
      20 * 1024 * 1024,
      'OPENDMP_MAX_DOCUMENT_BYTES',
    ),
    logLevel: env['LOG_LEVEL'] ?? 'info',
    jobs: env['OPENDMP_JOBS'] !== '0',
    authorizationDays: intFrom(env['OPENDMP_AUTHORIZATION_DAYS'], 0, 'OPENDMP_AUTHORIZATION_DAYS'),
    searchCacheBytes:
      intFrom(env['OPENDMP_SEARCH_CACHE_MB'], 16, 'OPENDMP_SEARCH_CACHE_MB') * 1024 * 1024,
    contentCacheBytes:
      intFrom(env['OPENDMP_CONTENT_CACHE_MB'], 16, 'OPENDMP_CONTENT_CACHE_MB') * 1024 * 1024,
  };
  return Object.freeze(config);
}

/** True for the names and addresses of this machine's loopback interface (what only local programs can reach). */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}
