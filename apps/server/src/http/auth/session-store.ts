/**
 * Server-side sessions of the portals. The browser holds only an opaque, random session id in an httpOnly
 * cookie (session.ts); the bearer token the session acts with stays here and never reaches JavaScript.
 *
 * Rules:
 *  S1. A session id is 32 random bytes (base64url). The store keys sessions by SHA-256 of the id, so a
 *      dump of the store does not hand out usable cookies.
 *  S2. A session ends at the first of: `idleSeconds` without a request (sliding), its absolute expiry (the
 *      token's own `exp`, capped at `maxSeconds`), logout.
 *  S3. Each session carries its own CSRF token (synchronizer pattern): unsafe cookie-authenticated requests
 *      must echo it in `X-CSRF-Token`.
 *  S4. Switching identity (emergency mode and back) creates a new session and deletes the old one: a session
 *      id is never reused for another token (no session fixation).
 *
 * The store is in memory: one server process. Running several instances behind a load balancer needs sticky
 * sessions or a shared implementation of {@link SessionStore} (docs/portals.md, "What is left").
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Actor } from '../../domain/access/actor.ts';

export type PortalName = 'patient' | 'pro';

/** Where the session's token came from: the development IdP (demo) or an OpenID Connect provider. */
export type SessionSource = 'dev' | 'oidc';

export interface PortalSession {
  /** SHA-256 of the cookie value (hex). */
  readonly key: string;
  /** The bearer token every request of this session acts with (verified on each request). */
  readonly token: string;
  readonly actor: Actor;
  readonly csrfToken: string;
  readonly portal: PortalName;
  readonly source: SessionSource;
  readonly createdAt: number;
  lastSeenAt: number;
  /** Absolute end (ms since epoch). */
  readonly expiresAt: number;
  /** In an emergency session, the normal-mode token to return to (and its expiry). */
  readonly normal?: { readonly token: string; readonly actor: Actor; readonly expiresAt: number };
}

export type NewSession = Omit<PortalSession, 'key' | 'csrfToken' | 'createdAt' | 'lastSeenAt'>;

export interface SessionStore {
  /** Creates a session; returns it and the cookie value (the only place the raw id exists). */
  create(input: NewSession, now: number): { session: PortalSession; id: string };
  /** The live session for a cookie value, touched (sliding expiry); undefined when unknown or expired. */
  use(id: string, now: number): PortalSession | undefined;
  /** Reads without touching (status polling must not keep a session alive). */
  peek(id: string, now: number): PortalSession | undefined;
  delete(id: string): void;
  /** Drops expired sessions. */
  sweep(now: number): number;
  readonly size: number;
}

export function sessionKey(id: string): string {
  return createHash('sha256').update(id).digest('hex');
}

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export interface MemorySessionStoreOptions {
  readonly idleSeconds: number;
  /** Hard cap on a session's life, whatever the token says. */
  readonly maxSeconds: number;
  /** Refuse to grow beyond this many live sessions (oldest are evicted). */
  readonly maxSessions?: number;
}

export class MemorySessionStore implements SessionStore {
  private readonly sessions = new Map<string, PortalSession>();
  private readonly idleMs: number;
  private readonly maxMs: number;
  private readonly maxSessions: number;

  constructor(options: MemorySessionStoreOptions) {
    this.idleMs = options.idleSeconds * 1000;
    this.maxMs = options.maxSeconds * 1000;
    this.maxSessions = options.maxSessions ?? 100_000;
  }

  get size(): number {
    return this.sessions.size;
  }

  create(input: NewSession, now: number): { session: PortalSession; id: string } {
    if (this.sessions.size >= this.maxSessions) {
      this.sweep(now);
      const oldest = this.sessions.keys().next();
      if (this.sessions.size >= this.maxSessions && oldest.done !== true) {
        this.sessions.delete(oldest.value);
      }
    }
    const id = randomToken(32);
    const session: PortalSession = {
      ...input,
      key: sessionKey(id),
      csrfToken: randomToken(32),
      createdAt: now,
      lastSeenAt: now,
      expiresAt: Math.min(input.expiresAt, now + this.maxMs),
    };
    this.sessions.set(session.key, session);
    return { session, id };
  }

  private live(key: string, now: number): PortalSession | undefined {
    const session = this.sessions.get(key);
    if (!session) {
      return undefined;
    }
    if (now >= session.expiresAt || now - session.lastSeenAt >= this.idleMs) {
      this.sessions.delete(key);
      return undefined;
    }
    return session;
  }

  use(id: string, now: number): PortalSession | undefined {
    const session = this.live(sessionKey(id), now);
    if (session) {
      session.lastSeenAt = now;
    }
    return session;
  }

  peek(id: string, now: number): PortalSession | undefined {
    return this.live(sessionKey(id), now);
  }

  delete(id: string): void {
    this.sessions.delete(sessionKey(id));
  }

  sweep(now: number): number {
    let dropped = 0;
    for (const [key, session] of this.sessions) {
      if (now >= session.expiresAt || now - session.lastSeenAt >= this.idleMs) {
        this.sessions.delete(key);
        dropped++;
      }
    }
    return dropped;
  }
}
