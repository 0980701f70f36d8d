import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { AnchorSettings } from '../crypto/anchor-key.ts';
import type { Db, Sql } from '../db/client.ts';
import type { Actor } from '../domain/access/actor.ts';
import type { Caches } from '../caches.ts';
import type { RegistryEncodings } from './documents/encodings.ts';

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock tests (and the demo's time-travel endpoint) can move. */
export class AdjustableClock implements Clock {
  offsetMs = 0;
  fixed: Date | null = null;
  now(): Date {
    return this.fixed ? new Date(this.fixed.getTime()) : new Date(Date.now() + this.offsetMs);
  }
}

/** What every service function receives: the database, configuration, the clock and id generation. */
/** An event for the notification outbox, written in the caller's transaction (issue 5). */
export interface NotificationEvent {
  readonly type: string;
  readonly patientId: string;
  readonly actor: Actor;
  readonly consentId?: string;
  readonly documentId?: string;
}

export interface Deps {
  readonly sql: Sql;
  /** Writes outbox rows for an event inside the transaction `tx`; absent until notifications are wired. */
  readonly notify?: (tx: Db, event: NotificationEvent) => Promise<void>;
  readonly config: Config;
  readonly clock: Clock;
  readonly ids: () => string;
  readonly log: Logger;
  /** Anchors of the trace chains outside the database (ADR 0013); absent or null: nothing is anchored. */
  readonly anchors?: AnchorSettings | null;
  /**
   * Every in-memory cache of this application (src/caches.ts, each with its invalidation rule). One per process (one
   * per connection pool): a second instance on the same database gets its own.
   */
  readonly caches: Caches;
  /**
   * How stored entries are encoded for the interfaces that serve them (services/documents/encodings.ts): the core
   * calls them, the adapters define them (the FHIR adapter's: http/fhir/document-resource.ts `fhirEncodings`).
   */
  readonly encodings: RegistryEncodings;
}

export const uuid = (): string => randomUUID();
