import type { Deps } from '../services/deps.ts';
import { purgeDueRecords } from '../services/records.ts';
import { audit } from '../services/audit.ts';
import { SYSTEM_ACTOR } from '../domain/audit/audit-record.ts';

/**
 * Background jobs inside the service. Several instances may run against one database: each run takes a
 * PostgreSQL advisory lock (session-level try-lock on a dedicated connection) and skips when another holds it.
 * Each run is traced on the system chain.
 */
export interface Job {
  readonly name: string;
  readonly lockKey: number;
  readonly everyMs: number;
  run(deps: Deps): Promise<Record<string, number>>;
}

export const JOBS: Job[] = [
  {
    name: 'purge',
    lockKey: 727_366_101,
    everyMs: 6 * 60 * 60 * 1000,
    run: async (deps) => purgeDueRecords(deps),
  },
];

/** Runs one job now if no other instance is running it. Returns null when skipped. */
export async function runJobOnce(deps: Deps, job: Job): Promise<Record<string, number> | null> {
  const reserved = await deps.sql.reserve();
  try {
    const [row] = await reserved<{ locked: boolean }[]>`SELECT pg_try_advisory_lock(${job.lockKey}) AS locked`;
    if (!row?.locked) {
      return null;
    }
    try {
      const result = await job.run(deps);
      await deps.sql.begin(async (tx) => {
        await audit(tx, deps, SYSTEM_ACTOR, null, { action: `job.${job.name}`, outcome: 'success', detail: result });
      });
      return result;
    } finally {
      await reserved`SELECT pg_advisory_unlock(${job.lockKey})`;
    }
  } finally {
    reserved.release();
  }
}

export function startJobs(deps: Deps, jobs: Job[] = JOBS): { stop(): Promise<void> } {
  const timers: NodeJS.Timeout[] = [];
  const running = new Set<Promise<unknown>>();
  let stopped = false;
  for (const job of jobs) {
    const tick = (): void => {
      if (stopped) {
        return;
      }
      const p = runJobOnce(deps, job)
        .catch((e: unknown) => deps.log.error({ job: job.name, err: e instanceof Error ? e.message : String(e) }, 'job failed'))
        .finally(() => running.delete(p));
      running.add(p);
    };
    const first = setTimeout(tick, 5_000);
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
