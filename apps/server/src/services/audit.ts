import type { Actor } from '../domain/access/actor.ts';
import type { AuditInput, SYSTEM_ACTOR } from '../domain/audit/audit-record.ts';
import { buildAuditRecord } from '../domain/audit/audit-record.ts';
import { notificationOfTrace } from '../domain/notifications/triggers.ts';
import type { AuditRecord } from '../domain/audit/audit-record.ts';
import {
  appendRecordAudit,
  appendRecordAuditBatch,
  appendRecordsAuditBatch,
  appendSystemAudit,
  multiRecordAppends,
} from '../db/audit.repository.ts';
import type { AppendOutcome } from '../db/audit.repository.ts';
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
  /** An append of this record's traces is in flight: the next ones wait for it (one chain, one order). */
  running: boolean;
}

/** The read traces waiting on one connection pool, by record, and the appends in flight. */
interface TraceBatcher {
  readonly queues: Map<string, TraceQueue>;
  /** Records with traces waiting and no append in flight, oldest first. */
  readonly ready: Set<string>;
  inFlight: number;
}

/** One record's share of an append: the traces taken out of its queue. */
interface RecordWork {
  readonly patientId: string;
  readonly queue: TraceQueue;
  readonly batch: PendingTrace[];
}

const batchers = new WeakMap<object, TraceBatcher>();
const MAX_BATCH = 256;
const hot = new WeakMap<Sql, HotConnections>();
/**
 * Read traces appended at once on warm connections (each append: one statement for many records); more wait. One:
 * the traces that arrive during an append all go in the next one, a group commit. Measured on the spread retrieval
 * (16 clients at random over 20,000 documents of 100 records, session 13): with four appends in flight most carried
 * one record's trace (0.54 appends a retrieval, each a commit and its WAL flush); with one, 0.23 appends a
 * retrieval and a quarter less PostgreSQL CPU per retrieval, the hot-record loads unchanged (one record has one
 * append in flight at a time whatever this number).
 */
const HOT_CONNECTIONS = 1;
/**
 * Records whose traces go in one append (migration 0140). Measured on the spread workload (a search at random over
 * 100 records, 16 clients): one transaction per record's traces cost more PostgreSQL CPU than the search itself.
 */
const MAX_RECORDS_PER_APPEND = 64;

function hotConnections(sql: Sql): HotConnections {
  let h = hot.get(sql);
  if (!h) {
    h = new HotConnections(sql, HOT_CONNECTIONS);
    hot.set(sql, h);
  }
  return h;
}

type TraceDeps = Pick<Deps, 'sql' | 'clock' | 'ids' | 'notify'>;

/**
 * A trace that goes with no state change (a search, a read, a retrieval, a denial), committed before it resolves.
 * Traces are group-committed: while appends are in flight, the traces that arrive wait, and the next append takes
 * those of up to {@link MAX_RECORDS_PER_APPEND} records in one statement — one transaction, one commit for many
 * events of many records (on Citus, one delegated append per record: a statement over several records would be a
 * two-phase commit over the workers). A record has one append in flight at a time, so its chain keeps the order
 * of its traces. The caller answers only once its trace is durable, as with a transaction of its own.
 *
 * With `tag` (the record_access_tag read with the facts the request was decided on), the trace is written only
 * if the record's tag is still that one when its chain is locked; otherwise nothing is written and the promise
 * rejects with StaleFacts (docs/adr/0009-confirmed-reads.md). Traces with different tags go in different batches.
 */
export function trace(
  deps: TraceDeps,
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
  let b = batchers.get(deps.sql);
  if (!b) {
    b = { queues: new Map(), ready: new Set(), inFlight: 0 };
    batchers.set(deps.sql, b);
  }
  let queue = b.queues.get(patientId);
  if (!queue) {
    queue = { pending: [], running: false };
    b.queues.set(patientId, queue);
  }
  const q = queue;
  const batcher = b;
  return new Promise<void>((resolve, reject) => {
    q.pending.push({ actor, tag, input, record, resolve, reject });
    if (!q.running) {
      batcher.ready.add(patientId);
    }
    pump(deps, batcher);
  });
}

/** Starts appends while fewer than {@link HOT_CONNECTIONS} are in flight and records have traces waiting. */
function pump(deps: TraceDeps, b: TraceBatcher): void {
  while (b.inFlight < HOT_CONNECTIONS && b.ready.size > 0) {
    const work: RecordWork[] = [];
    for (const patientId of b.ready) {
      const queue = b.queues.get(patientId);
      b.ready.delete(patientId);
      if (queue && !queue.running && queue.pending.length > 0) {
        queue.running = true;
        work.push({ patientId, queue, batch: nextBatch(queue) });
      }
      if (work.length === MAX_RECORDS_PER_APPEND) {
        break;
      }
    }
    if (work.length === 0) {
      return;
    }
    b.inFlight++;
    void appendWork(deps, work).finally(() => {
      b.inFlight--;
      for (const w of work) {
        w.queue.running = false;
        if (w.queue.pending.length > 0) {
          b.ready.add(w.patientId);
        } else if (b.queues.get(w.patientId) === w.queue) {
          b.queues.delete(w.patientId);
        }
      }
      pump(deps, b);
    });
  }
}

/** The notifications a record's batch raises (emergency accesses…): such a batch is appended in a transaction with them. */
function noticesOf(
  deps: TraceDeps,
  w: RecordWork,
): NonNullable<ReturnType<typeof notificationOfTrace>>[] {
  return w.batch.flatMap((p) => {
    const event =
      p.actor.kind === 'system' ? null : notificationOfTrace(p.actor, w.patientId, p.input);
    return event && deps.notify ? [event] : [];
  });
}

/** Appends the batches of `work`; settles every trace in it, never throws. */
async function appendWork(deps: TraceDeps, work: readonly RecordWork[]): Promise<void> {
  const alone: RecordWork[] = [];
  const together: RecordWork[] = [];
  for (const w of work) {
    (noticesOf(deps, w).length > 0 ? alone : together).push(w);
  }
  if (together.length > 1 && (await multiRecordAppends(deps.sql))) {
    together.sort((a, b) => (a.patientId < b.patientId ? -1 : a.patientId > b.patientId ? 1 : 0));
    try {
      const outcomes = await hotConnections(deps.sql).run((db) =>
        appendRecordsAuditBatch(
          db,
          together.map((w) => ({
            patientId: w.patientId,
            records: w.batch.map((p) => p.record),
            tag: w.batch[0]?.tag,
          })),
        ),
      );
      await Promise.all(together.map((w, i) => settle(deps, w, outcomes[i] ?? 'no-record')));
    } catch {
      // A failed statement wrote nothing (a deadlock with a record merge, a lost connection…): each record again
      // alone, so that one record's failure fails only its own requests.
      alone.push(...together);
    }
  } else {
    alone.push(...together);
  }
  await Promise.all(alone.map((w) => appendAlone(deps, w)));
}

/** One record's batch in a statement (or, with notifications to queue, a transaction) of its own. */
async function appendAlone(deps: TraceDeps, w: RecordWork): Promise<void> {
  const notices = noticesOf(deps, w);
  const records = w.batch.map((p) => p.record);
  const tag = w.batch[0]?.tag;
  try {
    // Without a notification to queue, the append is one statement: its own transaction, one round trip.
    const outcome =
      notices.length === 0
        ? await hotConnections(deps.sql).run((db) =>
            appendRecordAuditBatch(db, w.patientId, records, tag),
          )
        : await deps.sql.begin(async (tx) => {
            const appended = await appendRecordAuditBatch(tx, w.patientId, records, tag);
            if (appended === 'appended') {
              for (const event of notices) {
                await deps.notify?.(tx, event);
              }
            }
            return appended;
          });
    await settle(deps, w, outcome);
  } catch (e) {
    w.batch.forEach((p) => p.reject(e));
  }
}

/** Resolves or rejects a record's batch by what its append did (a trace of a record gone goes to the system chain). */
async function settle(deps: TraceDeps, w: RecordWork, outcome: AppendOutcome): Promise<void> {
  const tag = w.batch[0]?.tag;
  if (outcome === 'stale' || (outcome === 'no-record' && tag !== undefined)) {
    w.batch.forEach((p) => p.reject(new StaleFacts()));
    return;
  }
  try {
    if (outcome === 'no-record') {
      await deps.sql.begin(async (tx) => {
        for (const p of w.batch) {
          await appendSystemAudit(tx, p.record);
        }
      });
    }
    w.batch.forEach((p) => p.resolve());
  } catch (e) {
    w.batch.forEach((p) => p.reject(e));
  }
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
