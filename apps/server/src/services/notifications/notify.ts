import type { Db } from '../../db/client.ts';
import * as outbox from '../../db/outbox.repository.ts';
import type { NewOutboxRow, NotificationFactsRow } from '../../db/outbox.repository.ts';
import type { Category, Channel, Preference } from '../../domain/notifications/model.ts';
import { DEFAULT_PREFERENCE, isNotificationType } from '../../domain/notifications/model.ts';
import { planNotifications } from '../../domain/notifications/plan.ts';
import type { SYSTEM_ACTOR } from '../../domain/audit/audit-record.ts';
import type { Clock, NotificationEvent } from '../deps.ts';

/**
 * The transactional outbox writer, installed as `Deps.notify`: called by a service inside the transaction of the
 * event it notifies, it plans the notifications (domain/notifications/plan.ts) and inserts one outbox row per
 * recipient and channel. The rows commit or roll back with the event; the delivery job sends them later.
 *
 * Events: see NOTIFICATION_TYPES (domain/notifications/model.ts). For document events, call it after the document
 * row is written (its labels decide who is told); for consent events, after the consent row is written.
 */
export type Notify = (tx: Db, event: NotificationEvent) => Promise<void>;

/** An event as the outbox takes it: from a service (an actor) or from a job (the system). */
export type OutboxEvent = Omit<NotificationEvent, 'actor'> & {
  readonly actor: NotificationEvent['actor'] | typeof SYSTEM_ACTOR;
};

function preferenceOf(row: NotificationFactsRow['preferences'][number] | undefined): Preference {
  if (!row) {
    return DEFAULT_PREFERENCE;
  }
  return {
    channels: row.channels.filter((c): c is Channel => c === 'inbox' || c === 'email'),
    hasEmail: row.hasEmail,
    muted: row.muted as Category[],
  };
}

/** Writes the outbox rows of one event; returns how many were inserted (duplicates insert nothing). */
export async function writeNotifications(
  tx: Db,
  deps: { readonly clock: Clock; readonly ids: () => string },
  event: OutboxEvent,
): Promise<number> {
  if (!isNotificationType(event.type)) {
    return 0;
  }
  const facts = await outbox.findNotificationFacts(tx, event.patientId, {
    documentId: event.documentId,
    consentId: event.consentId,
  });
  if (!facts) {
    return 0;
  }
  return outbox.insertOutboxRows(tx, planOutbox(deps, event, facts));
}

/**
 * The outbox rows of one event, planned on facts read in its transaction (writeNotifications) or read with the
 * record before a one-statement write that re-checks the record under its lock (the deposit).
 */
export function planOutbox(
  deps: { readonly clock: Clock; readonly ids: () => string },
  event: OutboxEvent,
  facts: NotificationFactsRow,
): NewOutboxRow[] {
  const now = deps.clock.now();
  const planned = planNotifications({
    type: event.type,
    ins: facts.ins,
    actor: event.actor,
    now,
    hasRepresentatives: facts.has_representatives,
    medecinTraitant: facts.general_practitioner
      ? { idNatPs: facts.general_practitioner, hasEmail: facts.mt_has_email }
      : undefined,
    preferences: {
      patient: preferenceOf(facts.preferences.find((p) => p.kind === 'patient')),
      representative: preferenceOf(facts.preferences.find((p) => p.kind === 'representative')),
    },
    document: facts.document ?? undefined,
    consent: facts.consent ?? undefined,
    closureReason: facts.closure_reason,
  });
  return planned.map((p) => ({
    patientId: event.patientId,
    id: deps.ids(),
    eventType: p.eventType,
    recipientKind: p.recipientKind,
    recipientId: p.recipientId,
    channel: p.channel,
    priority: p.priority,
    payload: p.payload,
    dedupeKey: p.dedupeKey,
    createdAt: now,
  }));
}

/** The `Deps.notify` hook: `createNotifier({ clock, ids })`. */
export function createNotifier(deps: {
  readonly clock: Clock;
  readonly ids: () => string;
}): Notify {
  return async (tx, event) => {
    await writeNotifications(tx, deps, event);
  };
}
