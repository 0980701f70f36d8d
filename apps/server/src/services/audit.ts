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
import type { Db, Sql } from '../db/client.ts';
import { HotConnections } from '../db/client.ts';
import type { Deps } from './deps.ts';
import { noteTrace } from './request-traces.ts';

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
  noteTrace();
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

/**
 * A trace refused because the record's access facts changed since the ones the request was decided on
 * (record_access_tag moved, or the record is gone): nothing was written; the caller decides again on fresh facts.
 */
export class StaleFacts extends Error {
  constructor() {
    super('the record changed since its facts were read');
    this.name = 'StaleFacts';
  }
}

interface PendingTrace {
  readonly actor: Actor | typeof SYSTEM_ACTOR;
  /** The record_access_tag the request was decided on; undefined: append whatever the record's state. */
  readonly tag: string | undefined;
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
const hot = new WeakMap<Sql, HotConnections>();
/** Read traces of up to this many records appended at once on warm connections; more go through the pool. */
const HOT_CONNECTIONS = 4;

function hotConnections(sql: Sql): HotConnections {
  let h = hot.get(sql);
  if (!h) {
    h = new HotConnections(sql, HOT_CONNECTIONS);
    hot.set(sql, h);
  }
  return h;
}

/**
 * A trace that goes with no state change (a search, a read, a retrieval, a denial), committed before it resolves.
 * Concurrent traces of one record are group-committed: while a transaction appends to a record's chain, the
 * traces that arrive wait and go together in the next one (one lock, one insert, one fsync for many events).
 * The caller answers only once its trace is durable, as with a transaction of its own.
 *
 * With `tag` (the record_access_tag read with the facts the request was decided on), the trace is written only
 * if the record's tag is still that one when its chain is locked; otherwise nothing is written and the promise
 * rejects with StaleFacts (docs/adr/0009-confirmed-reads.md). Traces with different tags go in different batches.
 */
export function trace(
  deps: Pick<Deps, 'sql' | 'clock' | 'ids' | 'notify'>,
  actor: Actor | typeof SYSTEM_ACTOR,
  patientId: string | null,
  input: AuditInput,
  tag?: string,
): Promise<void> {
  const record = buildAuditRecord(actor, input, deps.clock.now(), deps.ids());
  noteTrace();
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
    q.pending.push({ actor, tag, input, record, resolve, reject });
    // One append of a record's traces in flight at a time: two (the next batch waiting on the record's lock while
    // the previous one commits) made batches smaller and cost more CPU per trace than they saved (docs/benchmarks.md).
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
    const batch = nextBatch(q);
    const tag = batch[0]?.tag;
    const notices = batch.flatMap((p) => {
      const event =
        p.actor.kind === 'system' ? null : notificationOfTrace(p.actor, patientId, p.input);
      return event && deps.notify ? [event] : [];
    });
    const records = batch.map((p) => p.record);
    try {
      // Without a notification to queue, the append is one statement: its own transaction, one round trip.
      const outcome =
        notices.length === 0
          ? await hotConnections(deps.sql).run((db) =>
              appendRecordAuditBatch(db, patientId, records, tag),
            )
          : await deps.sql.begin(async (tx) => {
              const appended = await appendRecordAuditBatch(tx, patientId, records, tag);
              if (appended === 'appended') {
                for (const event of notices) {
                  await deps.notify?.(tx, event);
                }
              }
              return appended;
            });
      if (outcome === 'stale' || (outcome === 'no-record' && tag !== undefined)) {
        batch.forEach((p) => p.reject(new StaleFacts()));
        continue;
      }
      if (outcome === 'no-record') {
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

/** The oldest pending traces that share the first one's tag (at most MAX_BATCH), taken out of the queue. */
function nextBatch(q: TraceQueue): PendingTrace[] {
  const tag = q.pending[0]?.tag;
  const batch: PendingTrace[] = [];
  const rest: PendingTrace[] = [];
  for (const p of q.pending) {
    (p.tag === tag && batch.length < MAX_BATCH ? batch : rest).push(p);
  }
  q.pending = rest;
  return batch;
}
