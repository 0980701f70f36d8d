import type { Deps } from '../services/deps.ts';
import { purgeDueRecords } from '../services/records.ts';
import { audit } from '../services/audit.ts';
import { SYSTEM_ACTOR } from '../domain/audit/audit-record.ts';
import { deliverDueNotifications } from '../services/notifications/deliver.ts';
import { processInvisibleDocuments } from '../services/notifications/invisible-documents.ts';
import { createSmtpMailer } from '../services/notifications/mailer.ts';
import type { Mailer } from '../services/notifications/mailer.ts';
import { loadNotificationSettings } from '../services/notifications/settings.ts';
import type { NotificationSettings } from '../services/notifications/settings.ts';

/**
 * Background jobs inside the service. Several instances may run against one database: each run takes a
 * PostgreSQL advisory lock (session-level try-lock on a dedicated connection) and skips when another holds it;
 * the work inside is itself safe to run twice (purge re-checks under a row lock, the outbox claims rows with
 * FOR UPDATE SKIP LOCKED, the invisible-document job writes a marker row with its primary key).
 * Each run is traced on the system chain (`job.<name>` with its counts); a job with `traceIdle: false` (the outbox,
 * which runs every few seconds) is traced only when it did something. Times come from `deps.clock`.
 *
 * Jobs:
 *  - purge      every 6 h: deletes records whose retention expired or whose deletion was requested;
 *  - outbox     every OPENDMP_OUTBOX_INTERVAL_MS (2 s): delivers due notifications (services/notifications/deliver.ts);
 *  - visibility every 15 min: two-week notice and one-month visibility of INVISIBLE_PATIENT documents.
 * Tests run a job at once with `runJobNow(deps, name)`.
 */
export interface Job {
  readonly name: string;
  readonly lockKey: number;
  readonly everyMs: number;
  /** Trace runs that did nothing (every count zero); default true. */
  readonly traceIdle?: boolean;
  run(deps: Deps): Promise<Record<string, number>>;
}

export interface JobOptions {
  readonly notifications?: NotificationSettings;
  /** The e-mail channel; defaults to SMTP when OPENDMP_SMTP_URL is set. */
  readonly mailer?: Mailer | undefined;
}

/** The service's jobs. */
export function defaultJobs(options: JobOptions = {}): Job[] {
  const settings = options.notifications ?? loadNotificationSettings();
  const mailer = 'mailer' in options ? options.mailer : createSmtpMailer(settings);
  return [
    {
      name: 'purge',
      lockKey: 727_366_101,
      everyMs: 6 * 60 * 60 * 1000,
      run: async (deps) => purgeDueRecords(deps),
    },
    {
      name: 'outbox',
      lockKey: 727_366_102,
      everyMs: settings.intervalMs,
      traceIdle: false,
      run: async (deps) => ({ ...(await deliverDueNotifications(deps, settings, mailer)) }),
    },
    {
      name: 'visibility',
      lockKey: 727_366_103,
      everyMs: 15 * 60 * 1000,
      run: async (deps) => processInvisibleDocuments(deps),
    },
  ];
}

/** Runs one job now if no other instance is running it. Returns null when skipped. */
export async function runJobOnce(deps: Deps, job: Job): Promise<Record<string, number> | null> {
  const reserved = await deps.sql.reserve();
  try {
    const [row] = await reserved<
      { locked: boolean }[]
    >`SELECT pg_try_advisory_lock(${job.lockKey}) AS locked`;
    if (!row?.locked) {
      return null;
    }
    try {
      const result = await job.run(deps);
      const idle = Object.values(result).every((n) => n === 0);
      if (job.traceIdle !== false || !idle) {
        await deps.sql.begin(async (tx) => {
          await audit(tx, deps, SYSTEM_ACTOR, null, {
            action: `job.${job.name}`,
            outcome: 'success',
            detail: result,
          });
        });
      }
      return result;
    } finally {
      await reserved`SELECT pg_advisory_unlock(${job.lockKey})`;
    }
  } finally {
    reserved.release();
  }
}

/** Runs the job named `name` now (tests, the operator's tooling). */
export async function runJobNow(
  deps: Deps,
  name: string,
  jobs: readonly Job[] = defaultJobs(),
): Promise<Record<string, number> | null> {
  const job = jobs.find((j) => j.name === name);
  if (!job) {
    throw new Error(`no job named ${name}`);
  }
  return runJobOnce(deps, job);
}

export function startJobs(deps: Deps, jobs: Job[] = defaultJobs()): { stop(): Promise<void> } {
  const timers: NodeJS.Timeout[] = [];
  const running = new Set<Promise<unknown>>();
  const busy = new Set<string>();
  let stopped = false;
  for (const job of jobs) {
    const tick = (): void => {
      if (stopped || busy.has(job.name)) {
        return; // a run still going on in this process: skip this tick
      }
      busy.add(job.name);
      const p = runJobOnce(deps, job)
        .catch((e: unknown) =>
          deps.log.error(
            { job: job.name, err: e instanceof Error ? e.message : String(e) },
            'job failed',
          ),
        )
        .finally(() => {
          busy.delete(job.name);
          running.delete(p);
        });
      running.add(p);
    };
    const first = setTimeout(tick, Math.min(5_000, job.everyMs));
    first.unref();
    timers.push(first);
    const t = setInterval(tick, job.everyMs);
    t.unref();
    timers.push(t);
  }
  return {
    async stop() {
      stopped = true;
      timers.forEach((t) => clearTimeout(t));
      await Promise.allSettled([...running]);
    },
  };
}
