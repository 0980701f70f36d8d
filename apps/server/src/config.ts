import path from 'node:path';

/**
 * Configuration from the environment, validated once and frozen.
 * Variables named in the issues (PORT, DATA_DIR, DATABASE_URL, OPENDMP_DEMO) are a fixed interface.
 */
export interface OidcIssuerConfig {
  readonly issuer: string;
  readonly jwksUri: string;
  readonly audience: string;
  /**
   * The actor kinds this issuer may assert (issue 17 rule 12): Pro Santé Connect `["professional"]`, the patients'
   * provider `["patient","representative"]`, the operator's `["operator"]`, a structures' provider `["software"]`.
   * Required: an entry without it is refused at start. A token of another kind is refused (AUTH_TOKEN_KIND).
   */
  readonly kinds: readonly IssuerActorKind[];
  /**
   * Second factor required of patient and representative tokens: the token's `acr` is one of `secondFactorAcr`, or
   * one of its `amr` values is in `secondFactorAmr`. When neither is given, `secondFactorAmr` is `["mfa"]`
   * (RFC 8176 multiple-factor authentication).
   */
  readonly secondFactorAcr: readonly string[];
  readonly secondFactorAmr: readonly string[];
}

/** What an issuer may assert: the Actor kinds (domain/access/actor.ts). */
export const ISSUER_ACTOR_KINDS = [
  'professional',
  'patient',
  'representative',
  'operator',
  'software',
] as const;
export type IssuerActorKind = (typeof ISSUER_ACTOR_KINDS)[number];
export const DEFAULT_SECOND_FACTOR_AMR: readonly string[] = ['mfa'];

export interface Config {
  readonly port: number;
  readonly host: string;
  /** Folder of the embedded PostgreSQL when DATABASE_URL is unset. */
  readonly dataDir: string;
  /** External PostgreSQL; when set nothing is embedded. */
  readonly databaseUrl: string | undefined;
  /** Demo data + development identity provider. */
  readonly demo: boolean;
  /**
   * The test (1.2.250.1.213.1.4.10) and demo (…4.11) INS systems are accepted (issue 17 rule 11):
   * OPENDMP_TEST_INS=1/0; by default only in demo mode. A production service refuses them (ID_INS_TEST_SYSTEM).
   */
  readonly testInsSystems: boolean;
  /** Public base URL used in links (attachment.url, paging). */
  readonly publicBaseUrl: string;
  /**
   * OPENDMP_PUBLIC_URL was given (required in production): every link uses it. Without it (demo, tests), a client
   * that reached the service on this port under a loopback name (localhost, 127.0.0.1, [::1]) gets links under
   * that name (http/link-base.ts); any other Host header gets publicBaseUrl.
   */
  readonly publicBaseUrlSet: boolean;
  /** Production identity providers (Pro Santé Connect role). */
  readonly oidcIssuers: readonly OidcIssuerConfig[];
  /** Audience the development identity provider puts in its tokens and expects back. */
  readonly devAudience: string;
  /** 32-byte master key (base64) wrapping per-record data keys; required outside demo mode. */
  readonly masterKey: string | undefined;
  /** Maximum size of one document, in bytes. */
  readonly maxDocumentBytes: number;
  /**
   * Bytes of large request bodies (documents) being received and decoded at once, process-wide
   * (OPENDMP_DOCUMENT_MEMORY_MB; unset or 0: two bodies at the size limit); beyond it, 503 HTTP_BUSY.
   */
  readonly documentBudgetBytes: number;
  readonly logLevel: string;
  /** Authorizations expire after this many days; 0 = never (the default, product.md §2). */
  readonly authorizationDays: number;
  /** Run the background jobs (purge, outbox, visibility) inside this process. */
  readonly jobs: boolean;
  /** Bytes of search entries kept by document version (services/documents/served-cache.ts); 0 = none. */
  readonly searchCacheBytes: number;
  /** Sealed (still encrypted) document contents remembered in memory (OPENDMP_CONTENT_CACHE_MB). */
  readonly contentCacheBytes: number;
  /** OPENDMP_CACHES=off: every in-memory cache (src/caches.ts) holds nothing; every read goes to the database. */
  readonly caches: boolean;
  /** Connection timeouts (docs/operations.md "Timeouts and quotas"). */
  readonly timeouts: TimeoutConfig;
  /** Per-actor and per-address quotas (docs/operations.md "Timeouts and quotas"). */
  readonly quotas: QuotaConfig;
  /** Tokens whose lifetime (exp − iat, or exp − now without iat) exceeds this are refused. */
  readonly maxTokenLifetimeSeconds: number;
  /**
   * Software registered by the operator as deposit-only ("LPS d'alimentation", issue 19): the LPS_ID values of
   * OPENDMP_VIHF_DEPOSIT_ONLY_SOFTWARE (comma-separated). A VIHF naming one acts as its structure's software with
   * the deposit profile (issue 17 rule 12): it deposits and manages its structure's documents and consults nothing.
   */
  readonly vihfDepositOnlySoftware?: readonly string[];
  /**
   * ITI-41 refuses a submission without the submission set's XAdES signature (an IHE DSG signature document,
   * ADR 0030): OPENDMP_XDS_REQUIRE_SUBMISSION_SIGNATURE=1 (or true). Off by default: a signature given is verified
   * either way.
   */
  readonly xdsRequireSubmissionSignature?: boolean;
  /**
   * ITI-41 refuses a submission set signed with RSA-SHA1 or with SHA-1 digests (XDS_SIGNATURE_PROFILE), and every
   * SOAP service a VIHF signed so (VIHF_SIGNATURE_PROFILE): OPENDMP_XDS_REFUSE_SHA1_SIGNATURES=1 (or true). Off by
   * default: the DMP's clients sign with SHA-1 (ADR 0034).
   */
  readonly xdsRefuseSha1Signatures?: boolean;
}

/** HTTP server timeouts, in milliseconds (0 turns the idle and request ones off; keep-alive 0 is Fastify's 72 s). */
export interface TimeoutConfig {
  /** Until the request line and headers are complete (OPENDMP_HEADERS_TIMEOUT_MS). */
  readonly headersMs: number;
  /** Until the whole request, body included, is received (OPENDMP_REQUEST_TIMEOUT_MS). */
  readonly requestMs: number;
  /** A socket on which nothing moves for this long is closed, whatever the phase (OPENDMP_IDLE_TIMEOUT_MS). */
  readonly idleMs: number;
  /** A kept-alive socket waiting for its next request (OPENDMP_KEEP_ALIVE_TIMEOUT_MS). */
  readonly keepAliveMs: number;
  /** Open sockets at most; beyond, new connections are closed at once (OPENDMP_MAX_CONNECTIONS). */
  readonly maxConnections: number;
}

/** Token buckets: `perMinute` refills the bucket of `burst`; a rate of 0 turns that quota off. */
export interface QuotaConfig {
  /** Requests of one authenticated actor (OPENDMP_QUOTA_REQUESTS_PER_MINUTE / _REQUEST_BURST). */
  readonly requestsPerMinute: number;
  readonly requestBurst: number;
  /** Request body bytes one actor sends on writes (OPENDMP_QUOTA_DEPOSIT_MB_PER_MINUTE / _DEPOSIT_BURST_MB). */
  readonly depositBytesPerMinute: number;
  readonly depositBurstBytes: number;
  /** Requests to public routes (tokens, logins, metadata, portal files) by one client address. */
  readonly publicRequestsPerMinute: number;
  readonly publicBurst: number;
  /**
   * Failed authentications (a token that does not verify, a portal login that fails) by one client address a
   * minute, also its burst (OPENDMP_QUOTA_AUTH_FAILURES_PER_MINUTE).
   */
  readonly authFailuresPerMinute: number;
  /** Buckets remembered at most (least recently used forgotten first; OPENDMP_QUOTA_TRACKED_KEYS). */
  readonly trackedKeys: number;
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

/** `on` (the default when unset) or `off`. */
function onOff(value: string | undefined, name: string): boolean {
  if (value === undefined || value === '' || value === 'on') {
    return true;
  }
  if (value === 'off') {
    return false;
  }
  throw new Error(`${name} must be on or off`);
}

function stringArray(value: unknown, what: string): string[] | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v.trim() !== '')) {
    throw new Error(`${what} must be an array of non-empty strings`);
  }
  return value as string[];
}

function parseIssuers(raw: string | undefined): OidcIssuerConfig[] {
  if (!raw) {
    return [];
  }
  const parsed: unknown = JSON.parse(raw);
  if (!Array.isArray(parsed)) {
    throw new Error(
      'OPENDMP_OIDC_ISSUERS must be a JSON array of {issuer, jwksUri, audience, kinds}',
    );
  }
  return parsed.map((entry: unknown) => {
    const e = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
    const { issuer, jwksUri, audience } = e;
    if (typeof issuer !== 'string' || typeof jwksUri !== 'string' || typeof audience !== 'string') {
      throw new Error('each OPENDMP_OIDC_ISSUERS entry needs issuer, jwksUri and audience strings');
    }
    // Issue 17 rule 12: an issuer asserts only the kinds it is trusted for. An entry written before "kinds"
    // existed would let one issuer assert any kind (an operator token from the professionals' provider): it is
    // refused rather than guessed.
    const kinds = stringArray(e['kinds'], `OPENDMP_OIDC_ISSUERS entry ${issuer}: "kinds"`);
    if (kinds === undefined || kinds.length === 0) {
      throw new Error(
        `OPENDMP_OIDC_ISSUERS entry ${issuer} must say which actor kinds it may assert: "kinds": [${ISSUER_ACTOR_KINDS.map((k) => `"${k}"`).join(', ')}] (e.g. ["professional"] for Pro Santé Connect)`,
      );
    }
    for (const kind of kinds) {
      if (!(ISSUER_ACTOR_KINDS as readonly string[]).includes(kind)) {
        throw new Error(
          `OPENDMP_OIDC_ISSUERS entry ${issuer}: unknown kind "${kind}" (one of ${ISSUER_ACTOR_KINDS.join(', ')})`,
        );
      }
    }
    const acr = stringArray(
      e['secondFactorAcr'],
      `OPENDMP_OIDC_ISSUERS entry ${issuer}: "secondFactorAcr"`,
    );
    const amr = stringArray(
      e['secondFactorAmr'],
      `OPENDMP_OIDC_ISSUERS entry ${issuer}: "secondFactorAmr"`,
    );
    const none = (acr ?? []).length === 0 && (amr ?? []).length === 0;
    return {
      issuer,
      jwksUri,
      audience,
      kinds: [...new Set(kinds)] as IssuerActorKind[],
      secondFactorAcr: acr ?? [],
      secondFactorAmr: none ? DEFAULT_SECOND_FACTOR_AMR : (amr ?? []),
    };
  });
}

function loadTimeouts(env: NodeJS.ProcessEnv): TimeoutConfig {
  const ms = (name: string, fallback: number): number => intFrom(env[name], fallback, name);
  const timeouts: TimeoutConfig = {
    headersMs: ms('OPENDMP_HEADERS_TIMEOUT_MS', 15_000),
    // A 20 MB document is ~28 MB of JSON once in base64: 5 minutes lets it through at ~0.75 Mbit/s.
    requestMs: ms('OPENDMP_REQUEST_TIMEOUT_MS', 300_000),
    idleMs: ms('OPENDMP_IDLE_TIMEOUT_MS', 60_000),
    keepAliveMs: ms('OPENDMP_KEEP_ALIVE_TIMEOUT_MS', 10_000),
    maxConnections: ms('OPENDMP_MAX_CONNECTIONS', 2_000),
  };
  if (
    timeouts.requestMs > 0 &&
    (timeouts.headersMs === 0 || timeouts.headersMs > timeouts.requestMs)
  ) {
    throw new Error(
      'OPENDMP_HEADERS_TIMEOUT_MS must be set and at most OPENDMP_REQUEST_TIMEOUT_MS',
    );
  }
  return Object.freeze(timeouts);
}

function loadQuotas(env: NodeJS.ProcessEnv): QuotaConfig {
  const n = (name: string, fallback: number): number => intFrom(env[name], fallback, name);
  const mb = 1024 * 1024;
  const quotas: QuotaConfig = {
    requestsPerMinute: n('OPENDMP_QUOTA_REQUESTS_PER_MINUTE', 1_200),
    requestBurst: n('OPENDMP_QUOTA_REQUEST_BURST', 300),
    depositBytesPerMinute: n('OPENDMP_QUOTA_DEPOSIT_MB_PER_MINUTE', 60) * mb,
    depositBurstBytes: n('OPENDMP_QUOTA_DEPOSIT_BURST_MB', 200) * mb,
    publicRequestsPerMinute: n('OPENDMP_QUOTA_PUBLIC_REQUESTS_PER_MINUTE', 600),
    publicBurst: n('OPENDMP_QUOTA_PUBLIC_BURST', 200),
    authFailuresPerMinute: n('OPENDMP_QUOTA_AUTH_FAILURES_PER_MINUTE', 60),
    trackedKeys: Math.max(1, n('OPENDMP_QUOTA_TRACKED_KEYS', 20_000)),
  };
  return Object.freeze(quotas);
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
    testInsSystems:
      env['OPENDMP_TEST_INS'] === undefined || env['OPENDMP_TEST_INS'] === ''
        ? demo
        : env['OPENDMP_TEST_INS'] === '1' || env['OPENDMP_TEST_INS'] === 'true',
    publicBaseUrl: (env['OPENDMP_PUBLIC_URL'] || `http://localhost:${port}`).replace(/\/$/, ''),
    publicBaseUrlSet: Boolean(env['OPENDMP_PUBLIC_URL']),
    oidcIssuers: parseIssuers(env['OPENDMP_OIDC_ISSUERS']),
    devAudience: env['OPENDMP_DEV_AUDIENCE'] ?? 'opendmp',
    masterKey: env['OPENDMP_MASTER_KEY'] || undefined,
    maxDocumentBytes: intFrom(
      env['OPENDMP_MAX_DOCUMENT_BYTES'],
      20 * 1024 * 1024,
      'OPENDMP_MAX_DOCUMENT_BYTES',
    ),
    documentBudgetBytes:
      intFrom(env['OPENDMP_DOCUMENT_MEMORY_MB'], 0, 'OPENDMP_DOCUMENT_MEMORY_MB') * 1024 * 1024,
    logLevel: env['LOG_LEVEL'] ?? 'info',
    jobs: env['OPENDMP_JOBS'] !== '0',
    authorizationDays: intFrom(env['OPENDMP_AUTHORIZATION_DAYS'], 0, 'OPENDMP_AUTHORIZATION_DAYS'),
    searchCacheBytes:
      intFrom(env['OPENDMP_SEARCH_CACHE_MB'], 16, 'OPENDMP_SEARCH_CACHE_MB') * 1024 * 1024,
    contentCacheBytes:
      intFrom(env['OPENDMP_CONTENT_CACHE_MB'], 16, 'OPENDMP_CONTENT_CACHE_MB') * 1024 * 1024,
    caches: onOff(env['OPENDMP_CACHES'], 'OPENDMP_CACHES'),
    timeouts: loadTimeouts(env),
    quotas: loadQuotas(env),
    maxTokenLifetimeSeconds: intFrom(
      env['OPENDMP_MAX_TOKEN_LIFETIME_SECONDS'],
      12 * 3600,
      'OPENDMP_MAX_TOKEN_LIFETIME_SECONDS',
    ),
    vihfDepositOnlySoftware: (env['OPENDMP_VIHF_DEPOSIT_ONLY_SOFTWARE'] ?? '')
      .split(',')
      .map((id) => id.trim())
      .filter((id) => id !== ''),
    xdsRequireSubmissionSignature:
      env['OPENDMP_XDS_REQUIRE_SUBMISSION_SIGNATURE'] === '1' ||
      env['OPENDMP_XDS_REQUIRE_SUBMISSION_SIGNATURE'] === 'true',
    xdsRefuseSha1Signatures:
      env['OPENDMP_XDS_REFUSE_SHA1_SIGNATURES'] === '1' ||
      env['OPENDMP_XDS_REFUSE_SHA1_SIGNATURES'] === 'true',
  };
  return Object.freeze(config);
}

/** True for the names and addresses of this machine's loopback interface (what only local programs can reach). */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}
