import type { Actor } from '../domain/access/actor.ts';
import type { AuditInput, SYSTEM_ACTOR } from '../domain/audit/audit-record.ts';
import { buildAuditRecord } from '../domain/audit/audit-record.ts';
import { notificationOfTrace } from '../domain/notifications/triggers.ts';
import type { AuditRecord } from '../domain/audit/audit-record.ts';
import {
  appendRecordAudit,
  appendRecordAuditBatch,
  appendRecordsAuditBatch,
  appendRecordsAuditOnce,
  appendSystemAudit,
  multiRecordAppends,
  writeSingleUse,
} from '../db/audit.repository.ts';
import type { OnceOutcome } from '../db/audit.repository.ts';
import type { Db, Sql, Tx } from '../db/client.ts';
import { HotConnections } from '../db/client.ts';
import type { Deps } from './deps.ts';
import { noteTrace } from './request-traces.ts';
import {
  committedIn,
  pendingSingleUse,
  SingleUseRefused,
  withoutSingleUse,
  type SingleUse,
} from './single-use.ts';

/**
 * Writes a request's single use alone (one statement), unless a committed trace append wrote it: the SOAP plugin's
 * last step before an ITI-18 answer leaves (ADR 0037). Its own already if a transaction of the request wrote it;
 * SingleUseRefused if another request holds it or its certificate was revoked.
 */
export async function confirmSingleUse(deps: Pick<Deps, 'sql'>, use: SingleUse): Promise<void> {
  if (!use.confirmed && !(await writeSingleUse(deps.sql, use))) {
    throw new SingleUseRefused();
  }
}

/**
 * Writes the running request's single use in `tx`, before its trace there (ADR 0037): a replay's trace is never
 * written. Not marked confirmed (the transaction may still roll back): done once a caller says `tx` committed
 * ({@link tracedTransaction}), else the SOAP plugin writes it once more, alone, after the request — its own already,
 * so accepted.
 */
async function singleUseIn(tx: Db): Promise<void> {
  const use = pendingSingleUse();
  if (use) {
    if (!(await writeSingleUse(tx, use))) {
      throw new SingleUseRefused();
    }
    use.writtenIn = tx;
  }
}

/**
 * `sql.begin(fn)`, after which the running request's single use, if a trace of `fn` wrote it in this transaction, is
 * done: committed with the transaction's changes (ADR 0039, an ITI-57's update), not written again alone.
 */
export async function tracedTransaction<T>(sql: Sql, fn: (tx: Tx) => Promise<T>): Promise<T> {
  let inTx: Tx | undefined;
  const out = await sql.begin(async (tx) => {
    inTx = tx;
    return fn(tx);
  });
  if (inTx) {
    committedIn(inTx);
  }
  return out as T;
}

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
  await singleUseIn(tx);
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
  /** The request's single use, written with this trace (ADR 0037); undefined: none. */
  readonly use: SingleUse | undefined;
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
    return tracedTransaction(deps.sql, async (tx) => {
      await singleUseIn(tx);
      await appendSystemAudit(tx, record);
    });
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
    q.pending.push({ actor, tag, input, record, use: pendingSingleUse(), resolve, reject });
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
    // Outside the request that happened to start it: an append serves the traces of many requests, each of which
    // carries its own single use (ADR 0037).
    void withoutSingleUse(() => appendWork(deps, work)).finally(() => {
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

/** The notification a trace raises (an emergency access…), if any. */
function noticeOf(
  deps: TraceDeps,
  patientId: string,
  p: PendingTrace,
): ReturnType<typeof notificationOfTrace> {
  const event = p.actor.kind === 'system' ? null : notificationOfTrace(p.actor, patientId, p.input);
  return event && deps.notify ? event : null;
}

/** Whether a record's batch raises notifications: such a batch is appended in a transaction with them. */
function raisesNotices(deps: TraceDeps, w: RecordWork): boolean {
  return w.batch.some((p) => noticeOf(deps, w.patientId, p) !== null);
}

/** Whether some trace of a record's batch carries its request's single use (ADR 0037). */
function carriesUses(w: RecordWork): boolean {
  return w.batch.some((p) => p.use !== undefined);
}

const NONE_REFUSED: readonly boolean[] = [];

/** A record's batch as the appends take it. */
function itemOf(w: RecordWork): {
  patientId: string;
  records: AuditRecord[];
  tag: string | undefined;
  uses: (SingleUse | undefined)[];
} {
  return {
    patientId: w.patientId,
    records: w.batch.map((p) => p.record),
    tag: w.batch[0]?.tag,
    uses: w.batch.map((p) => p.use),
  };
}

/** Appends the batches of `work`; settles every trace in it, never throws. */
async function appendWork(deps: TraceDeps, work: readonly RecordWork[]): Promise<void> {
  const alone: RecordWork[] = [];
  const together: RecordWork[] = [];
  for (const w of work) {
    (raisesNotices(deps, w) ? alone : together).push(w);
  }
  // Traces carrying single uses go through append_records_audit_once, one record or many (single uses are written
  // with the traces on plain PostgreSQL only: the SOAP plugin gives none on Citus).
  const uses = together.some(carriesUses);
  if ((together.length > 1 || uses) && (await multiRecordAppends(deps.sql))) {
    together.sort((a, b) => (a.patientId < b.patientId ? -1 : a.patientId > b.patientId ? 1 : 0));
    try {
      const items = together.map(itemOf);
      const outcomes = await hotConnections(deps.sql).run(async (db): Promise<OnceOutcome[]> =>
        uses
          ? appendRecordsAuditOnce(db, items)
          : (await appendRecordsAuditBatch(db, items)).map((outcome) => ({
              outcome,
              refused: NONE_REFUSED,
            })),
      );
      await Promise.all(
        together.map((w, i) =>
          settle(deps, w, outcomes[i] ?? { outcome: 'no-record', refused: NONE_REFUSED }),
        ),
      );
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
  const item = itemOf(w);
  const append = async (db: Db): Promise<OnceOutcome> =>
    carriesUses(w)
      ? ((await appendRecordsAuditOnce(db, [item]))[0] ?? {
          outcome: 'no-record',
          refused: NONE_REFUSED,
        })
      : {
          outcome: await appendRecordAuditBatch(db, w.patientId, item.records, item.tag),
          refused: NONE_REFUSED,
        };
  try {
    // Without a notification to queue, the append is one statement: its own transaction, one round trip.
    const outcome = !raisesNotices(deps, w)
      ? await hotConnections(deps.sql).run(append)
      : await deps.sql.begin(async (tx) => {
          const appended = await append(tx);
          if (appended.outcome === 'appended') {
            for (let i = 0; i < w.batch.length; i++) {
              const event =
                appended.refused[i] === true
                  ? null
                  : noticeOf(deps, w.patientId, w.batch[i] as PendingTrace);
              if (event) {
                await deps.notify?.(tx, event);
              }
            }
          }
          return appended;
        });
    await settle(deps, w, outcome);
  } catch (e) {
    w.batch.forEach((p) => p.reject(e));
  }
}

/**
 * Resolves or rejects a record's batch by what its append did (a trace of a record gone goes to the system chain; a
 * trace whose single use was refused was not written: its request is refused).
 */
async function settle(deps: TraceDeps, w: RecordWork, done: OnceOutcome): Promise<void> {
  const tag = w.batch[0]?.tag;
  const { outcome, refused } = done;
  if (outcome === 'stale' || (outcome === 'no-record' && tag !== undefined)) {
    w.batch.forEach((p) => p.reject(new StaleFacts()));
    return;
  }
  const kept: PendingTrace[] = [];
  w.batch.forEach((p, i) => {
    if (refused[i] === true) {
      p.reject(new SingleUseRefused());
    } else {
      kept.push(p);
    }
  });
  try {
    if (outcome === 'no-record') {
      await deps.sql.begin(async (tx) => {
        for (const p of kept) {
          await appendSystemAudit(tx, p.record);
        }
      });
    }
    for (const p of kept) {
      if (p.use) {
        // Committed with the append: the request need not write it again.
        p.use.confirmed = true;
      }
      p.resolve();
    }
  } catch (e) {
    kept.forEach((p) => p.reject(e));
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
