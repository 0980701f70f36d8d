import type { Tx } from '../../db/client.ts';
import type { OutboxRow } from '../../db/outbox.repository.ts';
import * as outbox from '../../db/outbox.repository.ts';
import { nextAttemptAt } from '../../domain/notifications/backoff.ts';
import { renderMessage } from '../../domain/notifications/messages.ts';
import type { Deps } from '../deps.ts';
import type { Mailer } from './mailer.ts';
import { messageIdFor } from './mailer.ts';
import type { NotificationSettings } from './settings.ts';

/**
 * The outbox worker (run by the `outbox` job). Guarantees:
 *  D1. Claiming: a scan lists due rows (a simple filter); each row is then locked with its patient_id
 *      `FOR UPDATE SKIP LOCKED`, so several workers or instances never deliver the same row at once.
 *  D2. In-portal inbox: the inbox row (primary key = notification id, ON CONFLICT DO NOTHING) and the
 *      `delivered` mark are written in one transaction — exactly once.
 *  D3. E-mail: the message is sent while the row is locked, with Message-ID `<notification-id@domain>`; the
 *      ledger row and the `delivered` mark commit right after. If the process dies between the SMTP acceptance and
 *      that commit, the row is still pending and is sent again with the same Message-ID (at-least-once on the
 *      wire, recognisable as one message by its Message-ID) — never lost, never shown twice in the ledger.
 *  D4. A failed send is retried with exponential back-off (domain/notifications/backoff.ts); after the last
 *      attempt the row is marked failed. An e-mail row with no SMTP server configured or no address on file is
 *      cancelled (the in-portal copy, if the recipient has one, is a separate row).
 */
export interface DeliveryCounts {
  delivered: number;
  retried: number;
  failed: number;
  cancelled: number;
}

type Outcome = keyof DeliveryCounts | 'skipped';

const EMAIL_IN_TEXT = /[^\s<>@]+@[^\s<>@]+/g;

function describe(e: unknown): string {
  const text =
    e instanceof Error ? `${(e as { code?: string }).code ?? e.name}: ${e.message}` : String(e);
  return text.replace(EMAIL_IN_TEXT, '<address>').slice(0, 300);
}

async function deliverEmail(
  tx: Tx,
  deps: Pick<Deps, 'clock' | 'log'>,
  settings: NotificationSettings,
  mailer: Mailer | undefined,
  n: OutboxRow,
  now: Date,
): Promise<Outcome> {
  if (!mailer) {
    await outbox.markClosed(
      tx,
      n.patient_id,
      n.id,
      'cancelled',
      'no SMTP server configured (OPENDMP_SMTP_URL)',
      false,
    );
    return 'cancelled';
  }
  const address = await outbox.findRecipientEmail(
    tx,
    n.patient_id,
    n.recipient_kind,
    n.recipient_id,
  );
  if (!address) {
    await outbox.markClosed(
      tx,
      n.patient_id,
      n.id,
      'cancelled',
      'no e-mail address on file',
      false,
    );
    return 'cancelled';
  }
  const messageId = messageIdFor(n.id, settings.messageIdDomain);
  const message = renderMessage(
    {
      eventType: n.event_type,
      recipientKind: n.recipient_kind,
      payload: n.payload,
      at: n.created_at,
    },
    false,
  );
  // The row stays locked during the SMTP exchange; bound the idle transaction in case the send hangs.
  await tx.unsafe(`SET LOCAL idle_in_transaction_session_timeout = ${settings.smtpTimeoutMs * 4}`);
  try {
    await mailer.send({
      to: address,
      subject: message.subject,
      text: message.text,
      messageId,
      headers: { 'X-OpenDMP-Notification': n.id, 'X-OpenDMP-Event': n.event_type },
    });
  } catch (e) {
    const reason = describe(e);
    const next = nextAttemptAt(n.attempts + 1, now, settings.backoff);
    deps.log.warn(
      { notification: n.id, attempts: n.attempts + 1, reason },
      'e-mail notification failed',
    );
    if (next) {
      await outbox.markRetry(tx, n.patient_id, n.id, next, reason);
      return 'retried';
    }
    await outbox.markClosed(tx, n.patient_id, n.id, 'failed', reason, true);
    return 'failed';
  }
  const at = deps.clock.now();
  await outbox.insertInboxRow(tx, n, at, messageId);
  await outbox.markDelivered(tx, n.patient_id, n.id, at);
  return 'delivered';
}

/** Delivers one notification if it is still due and no other worker holds it. */
export async function deliverNotification(
  deps: Pick<Deps, 'sql' | 'clock' | 'log'>,
  settings: NotificationSettings,
  mailer: Mailer | undefined,
  ref: { readonly patient_id: string; readonly id: string },
): Promise<Outcome> {
  return deps.sql.begin(async (tx): Promise<Outcome> => {
    const now = deps.clock.now();
    const n = await outbox.lockDueNotification(tx, ref.patient_id, ref.id, now);
    if (!n) {
      return 'skipped';
    }
    if (n.channel === 'email') {
      return deliverEmail(tx, deps, settings, mailer, n, now);
    }
    await outbox.insertInboxRow(tx, n, now, null);
    await outbox.markDelivered(tx, n.patient_id, n.id, now);
    return 'delivered';
  });
}

async function inParallel<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

/**
 * Delivers every due notification (D1–D4), `settings.concurrency` at a time, until none is left that this run
 * has not tried, or `budgetMs` has passed.
 */
export async function deliverDueNotifications(
  deps: Pick<Deps, 'sql' | 'clock' | 'log'>,
  settings: NotificationSettings,
  mailer: Mailer | undefined,
  budgetMs = 60_000,
): Promise<DeliveryCounts> {
  const counts: DeliveryCounts = { delivered: 0, retried: 0, failed: 0, cancelled: 0 };
  const tried = new Set<string>();
  const deadline = Date.now() + budgetMs;
  while (Date.now() < deadline) {
    const due = (
      await outbox.findDueNotifications(deps.sql, deps.clock.now(), settings.batchSize)
    ).filter((r) => !tried.has(r.id));
    if (due.length === 0) {
      break;
    }
    for (const r of due) {
      tried.add(r.id);
    }
    await inParallel(due, settings.concurrency, async (ref) => {
      try {
        const outcome = await deliverNotification(deps, settings, mailer, ref);
        if (outcome !== 'skipped') {
          counts[outcome]++;
        }
      } catch (e) {
        // A database error: the transaction rolled back, the row stays pending for the next run.
        deps.log.error({ notification: ref.id, err: describe(e) }, 'notification delivery failed');
      }
    });
  }
  return counts;
}
