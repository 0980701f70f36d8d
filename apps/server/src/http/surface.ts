/**
 * What the API surfaces share (app.ts builds it once): each surface — FHIR API, portal, auth, admin, SOAP — is its
 * own encapsulated Fastify plugin with its own authentication hook and error mapping, drawing on these.
 */
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import type { Actor } from '../domain/access/actor.ts';
import type { Deps } from '../services/deps.ts';
import type { Authentication } from './auth/auth.plugin.ts';
import type { Quotas } from './quota.plugin.ts';

export interface SurfaceContext {
  readonly deps: Deps;
  /** Bearer tokens and portal sessions (the FHIR API, portal and admin surfaces; the auth surface's routes). */
  readonly auth: Authentication;
  /** One set of buckets for every surface: an actor's requests count the same whichever door they take. */
  readonly quotas: Quotas;
  /** Maps a verified actor to the one the call acts as (issue 17 rule 11: the holder under the current INS). */
  readonly resolveActor: (actor: Actor) => Promise<Actor>;
  /** A failed authentication: traced (aggregated per address and minute) and counted by the quota. */
  readonly onAuthFailure: (reason: string, request: FastifyRequest) => void;
}

/**
 * The guard of a surface whose callers hold a bearer token or a portal session, in its own scope and in this
 * order: the failed-authentication quota (an address past it has no token checked), the auth hook (sets
 * `request.actor`; `config: { public: true }` routes pass), the request quotas (keyed by that actor).
 */
export function requireCaller(
  scope: FastifyInstance,
  ctx: SurfaceContext,
  only?: (request: FastifyRequest) => boolean,
): void {
  const failures = ctx.quotas.authFailureHook;
  if (failures) {
    scope.addHook('onRequest', gated(failures, only));
  }
  scope.addHook('onRequest', gated(ctx.auth.requireActor, only));
  ctx.quotas.installRequestHooks(scope, only);
}

/** `hook`, run only on the requests `only` accepts (all when absent). */
export function gated(
  hook: onRequestAsyncHookHandler,
  only?: (request: FastifyRequest) => boolean,
): onRequestAsyncHookHandler {
  if (!only) {
    return hook;
  }
  return async function (this: FastifyInstance, request, reply) {
    if (only(request)) {
      await hook.call(this, request, reply);
    }
  };
}
