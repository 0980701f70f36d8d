import type { BackoffPolicy } from '../../domain/notifications/backoff.ts';
import { DEFAULT_BACKOFF } from '../../domain/notifications/backoff.ts';

/**
 * Notification delivery settings, from the environment (read once, in main.ts or the job list):
 *   OPENDMP_SMTP_URL            SMTP server for the e-mail channel, e.g. smtp://127.0.0.1:2525 or
 *                               smtps://user:pass@mail.example.org; unset = no e-mail (e-mail rows are cancelled)
 *   OPENDMP_SMTP_FROM           From header (default "opendmp <no-reply@opendmp.localhost>")
 *   OPENDMP_OUTBOX_INTERVAL_MS  how often the delivery job looks for due notifications (default 2000)
 *   OPENDMP_OUTBOX_MAX_ATTEMPTS attempts before a notification is marked failed (default 10)
 *   OPENDMP_OUTBOX_BACKOFF_MS   first retry delay, doubled at each failure, capped at 6 h (default 30000)
 *   OPENDMP_OUTBOX_CONCURRENCY  deliveries in parallel per instance (default 4)
 */
export interface NotificationSettings {
  readonly smtpUrl: string | undefined;
  readonly from: string;
  /** Domain of Message-IDs: `<notification-id@domain>`. */
  readonly messageIdDomain: string;
  readonly intervalMs: number;
  readonly backoff: BackoffPolicy;
  readonly concurrency: number;
  /** Due rows fetched per scan. */
  readonly batchSize: number;
  /** SMTP connection/socket timeout; also bounds how long a delivery keeps its row locked. */
  readonly smtpTimeoutMs: number;
}

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 1): number {
  const raw = env[name];
  if (raw === undefined || raw === '') {
    return fallback;
  }
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) {
    throw new Error(`${name} must be an integer ≥ ${min}`);
  }
  return n;
}

export function loadNotificationSettings(
  env: NodeJS.ProcessEnv = process.env,
): NotificationSettings {
  const from = env['OPENDMP_SMTP_FROM'] || 'opendmp <no-reply@opendmp.localhost>';
  const domain = /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? 'opendmp.localhost';
  const smtpUrl = env['OPENDMP_SMTP_URL'] || undefined;
  if (smtpUrl && !/^smtps?:\/\//.test(smtpUrl)) {
    throw new Error('OPENDMP_SMTP_URL must be an smtp:// or smtps:// URL');
  }
  return Object.freeze({
    smtpUrl,
    from,
    messageIdDomain: domain,
    intervalMs: intFrom(env, 'OPENDMP_OUTBOX_INTERVAL_MS', 2000, 50),
    backoff: {
      baseMs: intFrom(env, 'OPENDMP_OUTBOX_BACKOFF_MS', DEFAULT_BACKOFF.baseMs),
      maxMs: DEFAULT_BACKOFF.maxMs,
      maxAttempts: intFrom(env, 'OPENDMP_OUTBOX_MAX_ATTEMPTS', DEFAULT_BACKOFF.maxAttempts),
    },
    concurrency: intFrom(env, 'OPENDMP_OUTBOX_CONCURRENCY', 4),
    batchSize: 100,
    smtpTimeoutMs: 30_000,
  });
}
