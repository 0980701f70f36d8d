import type { Actor } from '../domain/access/actor.ts';
import type { AuditInput, SYSTEM_ACTOR } from '../domain/audit/audit-record.ts';
import { buildAuditRecord } from '../domain/audit/audit-record.ts';
import { notificationOfTrace } from '../domain/notifications/triggers.ts';
import type { AuditRecord } from '../domain/audit/audit-record.ts';
import {
  appendRecordAudit,
  appendRecordAuditBatch,
  appendSystemAudit,
} from '../db/audit.repository.ts';
import type { Db } from '../db/client.ts';
import type { Deps } from './deps.ts';

/**
 * Writes one trace inside the caller's transaction: on the record's chain when `patientId` names an existing
 * record, else on the system chain.
 */
export async function audit(
  tx: Db,
  deps: Pick<Deps, 'clock' | 'ids' | 'notify'>,
  actor: Actor | typeof SYSTEM_ACTOR,
  patientId: string | null,
  input: AuditInput,
): Promise<void> {
  const record = buildAuditRecord(actor, input, deps.clock.now(), deps.ids());
  if (patientId !== null && (await appendRecordAudit(tx, patientId, record))) {
    // Emergency accesses and closures notify from the trace itself, so no service can forget them (issue 5).
    const event = actor.kind === 'system' ? null : notificationOfTrace(actor, patientId, input);
    if (event && deps.notify) {
      await deps.notify(tx, event);
    }
    return;
  }
  await appendSystemAudit(tx, record);
}

/** Records a denial in its own committed transaction (the failing request's work is rolled back, the trace is not). */
export async function auditDenial(
  deps: Deps,
  actor: Actor,
  patientId: string | null,
  input: Omit<AuditInput, 'outcome'>,
): Promise<void> {
  await trace(deps, actor, patientId, { ...input, outcome: 'denied' });
}

interface PendingTrace {
  readonly actor: Actor | typeof SYSTEM_ACTOR;
  readonly input: AuditInput;
  readonly record: AuditRecord;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

interface TraceQueue {
  pending: PendingTrace[];
  running: boolean;
}

const queues = new WeakMap<object, Map<string, TraceQueue>>();
const MAX_BATCH = 256;

/**
 * A trace that goes with no state change (a search, a read, a retrieval, a denial), committed before it resolves.
 * Concurrent traces of one record are group-committed: while a transaction appends to a record's chain, the
 * traces that arrive wait and go together in the next one (one lock, one insert, one fsync for many events).
 * The caller answers only once its trace is durable, as with a transaction of its own.
 */
export function trace(
  deps: Pick<Deps, 'sql' | 'clock' | 'ids' | 'notify'>,
  actor: Actor | typeof SYSTEM_ACTOR,
  patientId: string | null,
  input: AuditInput,
): Promise<void> {
  const record = buildAuditRecord(actor, input, deps.clock.now(), deps.ids());
  if (patientId === null) {
    return deps.sql
      .begin(async (tx) => {
        await appendSystemAudit(tx, record);
      })
      .then(() => undefined);
  }
  let byRecord = queues.get(deps.sql);
  if (!byRecord) {
    byRecord = new Map();
    queues.set(deps.sql, byRecord);
  }
  let queue = byRecord.get(patientId);
  if (!queue) {
    queue = { pending: [], running: false };
    byRecord.set(patientId, queue);
  }
  const q = queue;
  const map = byRecord;
  return new Promise<void>((resolve, reject) => {
    q.pending.push({ actor, input, record, resolve, reject });
    if (!q.running) {
      q.running = true;
      void drain(deps, patientId, q).finally(() => {
        if (q.pending.length === 0) {
          map.delete(patientId);
        }
      });
    }
  });
}

async function drain(
  deps: Pick<Deps, 'sql' | 'clock' | 'ids' | 'notify'>,
  patientId: string,
  q: TraceQueue,
): Promise<void> {
  while (q.pending.length > 0) {
    const batch = q.pending.splice(0, MAX_BATCH);
    const notices = batch.flatMap((p) => {
      const event =
        p.actor.kind === 'system' ? null : notificationOfTrace(p.actor, patientId, p.input);
      return event && deps.notify ? [event] : [];
    });
    const records = batch.map((p) => p.record);
    try {
      // Without a notification to queue, the append is one statement: its own transaction, one round trip.
      const onRecord =
        notices.length === 0
          ? await appendRecordAuditBatch(deps.sql, patientId, records)
          : await deps.sql.begin(async (tx) => {
              if (!(await appendRecordAuditBatch(tx, patientId, records))) {
                return false;
              }
              for (const event of notices) {
                await deps.notify?.(tx, event);
              }
              return true;
            });
      if (!onRecord) {
        await deps.sql.begin(async (tx) => {
          for (const record of records) {
            await appendSystemAudit(tx, record);
          }
        });
      }
      batch.forEach((p) => p.resolve());
    } catch (e) {
      batch.forEach((p) => p.reject(e));
    }
  }
  q.running = false;
}
