/**
 * Quotas (issue 16, finding 6): token buckets (domain/quota/token-bucket.ts) keyed by who calls.
 *
 *   requests        every request of an authenticated actor (kind + national id; all modes of one person share
 *                   it), 1 token each → 429 QUOTA_EXCEEDED
 *   deposited bytes the request body bytes of an actor's writes (POST, PUT, PATCH): the declared Content-Length
 *                   is taken before the body is read; a chunked body is taken chunk by chunk as it arrives
 *                   → 429 QUOTA_DEPOSIT_EXCEEDED
 *   public requests requests to routes open without a token (dev tokens, portal logins, metadata, portal files)
 *                   by client address (`request.ip`, which honours X-Forwarded-For: trustProxy) → 429 QUOTA_EXCEEDED
 *   auth failures   failed authentications (a token that does not verify, a portal login that fails) by client
 *                   address; once its bucket is empty the address is refused before any token of it is checked
 *                   → 429 QUOTA_AUTH_FAILURES_EXCEEDED
 * `/health` and `/ready` are never limited (probes). A refusal carries `Retry-After` (whole seconds) and an
 * OperationOutcome (issue type `throttled`). Buckets live in bounded maps (`trackedKeys` each, least recently
 * used forgotten first: a forgotten bucket comes back full). They are per process: N instances behind a load
 * balancer let an actor through up to N times the quota (docs/operations.md).
 *
 * Built once per application (`createQuotas`, app.ts); each surface adds the hooks to its own scope, after its
 * authentication (the request quota needs `request.actor`), so that every surface draws on the same buckets. The
 * SOAP services add none: they authenticate by the VIHF inside the handler and charge the VIHF's actor there
 * (`charge`) — the same buckets as that professional's bearer requests — and nothing by client address (a hospital's
 * gateway sends all its software's calls from one address).
 */
import { Transform } from 'node:stream';
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  onRequestAsyncHookHandler,
  preParsingAsyncHookHandler,
} from 'fastify';
import type { QuotaConfig } from '../config.ts';
import { Lru } from '../crypto/lru.ts';
import { actorId, type Actor } from '../domain/access/actor.ts';
import { DomainFailure, domainError } from '../domain/errors.ts';
import { isQuotaOn, take, type Rate } from '../domain/quota/token-bucket.ts';
import { isPublicRequest } from './auth/auth.plugin.ts';
import { OIDC_CALLBACK_PATH, PORTAL_AUTH_PREFIX } from './auth/portal-login.routes.ts';

export const QUOTA_EXCEEDED = 'QUOTA_EXCEEDED';
export const QUOTA_DEPOSIT_EXCEEDED = 'QUOTA_DEPOSIT_EXCEEDED';
export const QUOTA_AUTH_FAILURES_EXCEEDED = 'QUOTA_AUTH_FAILURES_EXCEEDED';
/** Public routes where a login can fail (counted as authentication failures, so held off too). */
const LOGIN_ROUTES: ReadonlySet<string> = new Set([
  `${PORTAL_AUTH_PREFIX}/dev-login`,
  OIDC_CALLBACK_PATH,
]);
const UNLIMITED_ROUTES: ReadonlySet<string> = new Set(['/health', '/ready']);
const WRITES: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH']);

interface MutableBucket {
  tokens: number;
  at: number;
}

/** Buckets of one quota, by key, in a bounded map. */
export class QuotaBook {
  readonly #rate: Rate;
  readonly #buckets: Lru<string, MutableBucket>;

  constructor(rate: Rate, maxKeys: number) {
    this.#rate = rate;
    this.#buckets = new Lru(maxKeys);
  }

  get on(): boolean {
    return isQuotaOn(this.#rate);
  }

  /** Keys remembered. */
  get size(): number {
    return this.#buckets.size;
  }

  /** Takes `cost` from `key`'s bucket: undefined when taken, else the seconds to wait. */
  take(key: string, cost: number, now: number): number | undefined {
    const bucket = this.#buckets.get(key);
    const result = take(bucket, this.#rate, cost, now);
    if (bucket) {
      bucket.tokens = result.bucket.tokens;
      bucket.at = result.bucket.at;
    } else {
      this.#buckets.set(key, { tokens: result.bucket.tokens, at: result.bucket.at });
    }
    return result.ok ? undefined : result.retryAfterSeconds;
  }

  /** The seconds to wait before `key`'s bucket holds `cost`, or undefined when it does; takes nothing. */
  wait(key: string, cost: number, now: number): number | undefined {
    const result = take(this.#buckets.get(key), this.#rate, cost, now);
    return result.ok ? undefined : result.retryAfterSeconds;
  }
}

export function actorQuotaKey(actor: Actor): string {
  return `${actor.kind}:${actorId(actor)}`;
}

function refuse(reply: FastifyReply, retryAfterSeconds: number, code: string, what: string): never {
  reply.header('retry-after', String(retryAfterSeconds));
  throw new DomainFailure(
    domainError(
      'rate-limited',
      code,
      `Too many ${what}; retry after the delay given in Retry-After (seconds).`,
    ),
  );
}

/** The quotas of one application: their buckets, shared by every surface that installs their hooks. */
export interface Quotas {
  /**
   * The failed-authentication quota's hook. Add it before the auth hook: while an address's bucket is empty, its
   * requests — every one that authenticates, and the portal logins — are refused before their token is checked.
   */
  readonly authFailureHook: onRequestAsyncHookHandler | undefined;
  /** Takes one failure from the address's bucket (the auth hook's and the portal logins' onAuthFailure). */
  fail(address: string): void;
  /**
   * Adds the request and deposited-bytes hooks to `scope` (for the requests `only` accepts, all when absent); after
   * its auth hook (they need `request.actor`).
   */
  installRequestHooks(scope: FastifyInstance, only?: (request: FastifyRequest) => boolean): void;
  /**
   * Charges an actor authenticated inside a handler (the SOAP services: their VIHF is verified there, and their
   * requests are never counted by client address): one request, and `bodyBytes` deposited bytes for a write.
   * Throws the same rate-limited DomainFailure as the hooks, with Retry-After set on `reply`.
   */
  charge(actor: Actor, bodyBytes: number, reply: FastifyReply): void;
}

/** Request bodies of unknown length whose bytes are being counted, with the key they are charged to. */
const counted = new WeakMap<FastifyRequest, string>();

export function createQuotas(quotas: QuotaConfig, now: () => number = Date.now): Quotas {
  const failures = new QuotaBook(
    { perMinute: quotas.authFailuresPerMinute, burst: quotas.authFailuresPerMinute },
    quotas.trackedKeys,
  );
  const authFailureHook: onRequestAsyncHookHandler | undefined = failures.on
    ? async (request, reply) => {
        const route = request.routeOptions.url;
        if (
          (route !== undefined && UNLIMITED_ROUTES.has(route)) ||
          (isPublicRequest(request) && (route === undefined || !LOGIN_ROUTES.has(route)))
        ) {
          return;
        }
        const wait = failures.wait(`addr:${request.ip}`, 1, now());
        if (wait !== undefined) {
          refuse(
            reply,
            wait,
            QUOTA_AUTH_FAILURES_EXCEEDED,
            'failed authentications from this address',
          );
        }
      }
    : undefined;

  const requests = new QuotaBook(
    { perMinute: quotas.requestsPerMinute, burst: quotas.requestBurst },
    quotas.trackedKeys,
  );
  const deposits = new QuotaBook(
    { perMinute: quotas.depositBytesPerMinute, burst: quotas.depositBurstBytes },
    quotas.trackedKeys,
  );
  const publicRequests = new QuotaBook(
    { perMinute: quotas.publicRequestsPerMinute, burst: quotas.publicBurst },
    quotas.trackedKeys,
  );

  const onRequest: onRequestAsyncHookHandler = async (request, reply) => {
    const route = request.routeOptions.url;
    if (route !== undefined && UNLIMITED_ROUTES.has(route)) {
      return;
    }
    const at = now();
    const actor = request.actor;
    if (!actor) {
      const wait = publicRequests.take(`addr:${request.ip}`, 1, at);
      if (wait !== undefined) {
        refuse(reply, wait, QUOTA_EXCEEDED, 'requests from this address');
      }
      return;
    }
    const key = actorQuotaKey(actor);
    const wait = requests.take(key, 1, at);
    if (wait !== undefined) {
      refuse(reply, wait, QUOTA_EXCEEDED, 'requests');
    }
    if (!deposits.on || !WRITES.has(request.method)) {
      return;
    }
    const length = Number(request.headers['content-length']);
    if (Number.isSafeInteger(length) && length > 0) {
      const waitBytes = deposits.take(key, length, at);
      if (waitBytes !== undefined) {
        refuse(reply, waitBytes, QUOTA_DEPOSIT_EXCEEDED, 'bytes deposited');
      }
    } else if (request.headers['transfer-encoding'] !== undefined) {
      counted.set(request, key);
    }
  };

  const preParsing: preParsingAsyncHookHandler = async (request, reply, payload) => {
    const key = counted.get(request);
    if (key === undefined) {
      return payload;
    }
    counted.delete(request);
    // Each chunk is taken as it arrives: an upload past the quota stops there, before the rest is read.
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        const wait = deposits.take(key, chunk.length, now());
        if (wait === undefined) {
          callback(null, chunk);
          return;
        }
        try {
          refuse(reply, wait, QUOTA_DEPOSIT_EXCEEDED, 'bytes deposited');
        } catch (error) {
          callback(error as Error);
        }
      },
    });
    payload.on('error', (error) => counter.destroy(error));
    return payload.pipe(counter);
  };

  return {
    charge(actor, bodyBytes, reply) {
      const at = now();
      const key = actorQuotaKey(actor);
      const wait = requests.take(key, 1, at);
      if (wait !== undefined) {
        refuse(reply, wait, QUOTA_EXCEEDED, 'requests');
      }
      if (deposits.on && bodyBytes > 0) {
        const waitBytes = deposits.take(key, bodyBytes, at);
        if (waitBytes !== undefined) {
          refuse(reply, waitBytes, QUOTA_DEPOSIT_EXCEEDED, 'bytes deposited');
        }
      }
    },
    authFailureHook,
    fail: failures.on
      ? (address) => {
          failures.take(`addr:${address}`, 1, now());
        }
      : () => undefined,
    installRequestHooks(scope, only) {
      if (!requests.on && !deposits.on && !publicRequests.on) {
        return;
      }
      scope.addHook(
        'onRequest',
        only
          ? async (request, reply) => {
              if (only(request)) {
                await onRequest.call(scope, request, reply);
              }
            }
          : onRequest,
      );
      if (deposits.on) {
        // Only requests the onRequest hook marked are counted here.
        scope.addHook('preParsing', preParsing);
      }
    },
  };
}
