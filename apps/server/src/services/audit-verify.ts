import type { AuditEventRow } from '../db/audit-query.repository.ts';
import * as auditQuery from '../db/audit-query.repository.ts';
import { chainHash, findSystemAuditHeads } from '../db/audit.repository.ts';
import type { Sql } from '../db/client.ts';
import { verifyAnchors } from './audit-anchor.ts';
import type { AnchorSettings } from '../crypto/anchor-key.ts';
import type { AuditRecord } from '../domain/audit/audit-record.ts';
import { AUDIT_CANON, canonicalAuditPayload, canonicalTime } from '../domain/audit/audit-record.ts';
import { stripeOfScope, systemScope } from '../domain/audit/system-stripe.ts';

/**
 * Verification of the hash chains of the traces (docs/adr/0005-audit.md), used by `opendmp audit verify`.
 *
 * A chain is checked link by link by a pure step function over rows in seq order, so any number of events runs in
 * bounded memory (the reader streams them through a cursor). For each chain — every record's, then each stripe of
 * the system chain (domain/audit/system-stripe.ts) — it checks:
 *  C1. seq starts at 1 and increases by exactly 1 (a missing seq = a removed event);
 *  C2. prev_hash is null for seq 1 and equals the previous event's hash otherwise;
 *  C3. hash = SHA-256(prev_hash ‖ canonical payload), recomputed from the stored columns (an altered column);
 *  C4. the chain's head (patient_record.audit_seq / audit_head for a record, the stripe's system_audit_head row for the system
 *      chain) equals the last event's seq and hash (removed or appended events at the end);
 *  C5. no trace belongs to a record that does not exist, and no INS index entry points to a missing record
 *      (a record removed outside the purge, which leaves a tombstone and removes its index entry and traces);
 *  C6. every record's chain is present and starts with its creation (seq 1 = `record.create` of that record):
 *      a chain emptied and its head reset is caught (CHAIN_EMPTY, CHAIN_START);
 *  C7. (services/audit-anchor.ts, when anchors are configured) every head anchored outside the database is still
 *      in its chain, and every anchored record still exists or was purged by the purge job (signed purge note).
 * recorded_at is hashed at the precision of the link's canonical form (column `canon`, ADR 0013): version 2 to the
 * microsecond; version 1 to the millisecond, and its stored time must then be a whole millisecond (the service never
 * wrote another), so that a time moved by less than a millisecond is seen on old links too.
 */
export type ChainProblem =
  | 'SEQ_START'
  | 'SEQ_GAP'
  | 'PREV_HASH'
  | 'HASH'
  | 'HEAD_SEQ'
  | 'HEAD_HASH'
  | 'ORPHAN_EVENTS'
  | 'RECORD_MISSING'
  | 'CHAIN_EMPTY'
  | 'CHAIN_START'
  | 'ANCHOR_MISSING'
  | 'ANCHOR_MISMATCH'
  | 'RECORD_VANISHED'
  | 'ANCHOR_INVALID';

export interface ChainBreak {
  /** `anchor`: an anchor file or purge note itself is not valid (named by `anchor`). */
  readonly chain: 'record' | 'system' | 'anchor';
  readonly anchor?: string;
  /** The record (patient_id) for a record chain; null for the system chain. */
  readonly patientId: string | null;
  /** The system chain's stripe (migration 0072), for a break of the system chain. */
  readonly stripe?: number;
  readonly seq: string | null;
  readonly eventId: string | null;
  readonly problem: ChainProblem;
  readonly message: string;
}

export interface ChainState {
  readonly scope: string;
  /** seq expected next. */
  readonly expected: bigint;
  readonly prevHash: Buffer | null;
  readonly count: number;
}

export function startChain(scope: string): ChainState {
  return { scope, expected: 1n, prevHash: null, count: 0 };
}

function recordOf(row: AuditEventRow): AuditRecord {
  return {
    id: row.id,
    recordedAt: row.recorded_at,
    action: row.action,
    outcome: row.outcome,
    reasonCode: row.reason_code,
    actorKind: row.actor_kind as AuditRecord['actorKind'],
    actorId: row.actor_id,
    actorName: row.actor_name,
    actorProfession: row.actor_profession,
    actorSpecialty: row.actor_specialty,
    actorStructure: row.actor_structure,
    accessMode: row.access_mode,
    justification: row.justification,
    entityType: row.entity_type,
    entityId: row.entity_id,
    detail: row.detail,
  };
}

/** A record's first link: its creation, by a success of `record.create` naming the record. */
function isCreation(patientId: string, row: AuditEventRow): boolean {
  return row.action === 'record.create' && row.outcome === 'success' && row.entity_id === patientId;
}

/**
 * The recorded_at text the link's canonical form hashed (null: impossible for its version). Rows read by the
 * verifier carry the stored microseconds (`recorded_at_us`); others (tests) are taken at their Date's precision.
 */
function linkTime(row: AuditEventRow): string | null {
  const us = row.recorded_at_us ?? canonicalTime(row.recorded_at);
  const canon = row.canon ?? AUDIT_CANON;
  if (canon === 2) {
    return us;
  }
  if (canon === 1) {
    return us.endsWith('000Z') ? `${us.slice(0, -4)}Z` : null;
  }
  return null;
}

const hex = (b: Buffer | null): string => (b ? b.toString('hex').slice(0, 16) : 'null');

function sameBytes(a: Buffer | null, b: Buffer | null): boolean {
  if (a === null || b === null) {
    return a === b;
  }
  return a.equals(b);
}

function broken(
  state: ChainState,
  row: AuditEventRow | null,
  problem: ChainProblem,
  message: string,
): ChainBreak {
  const stripe = stripeOfScope(state.scope);
  return {
    chain: stripe !== null ? 'system' : 'record',
    patientId: stripe !== null ? null : state.scope,
    ...(stripe !== null ? { stripe } : {}),
    seq: row ? row.seq : null,
    eventId: row?.id ?? null,
    problem,
    message,
  };
}

/**
 * Checks one more event of a chain (C1–C3). Pure.
 * @returns the next state, and the break when this link is broken
 */
export function checkLink(
  state: ChainState,
  row: AuditEventRow,
): { state: ChainState; broken?: ChainBreak } {
  const seq = BigInt(row.seq);
  const next: ChainState = {
    scope: state.scope,
    expected: seq + 1n,
    prevHash: row.hash,
    count: state.count + 1,
  };
  if (seq !== state.expected) {
    const problem: ChainProblem = state.expected === 1n ? 'SEQ_START' : 'SEQ_GAP';
    const missing =
      seq > state.expected
        ? `event${seq - state.expected > 1n ? 's' : ''} ${state.expected}${seq - state.expected > 1n ? `–${seq - 1n}` : ''} missing (removed?)`
        : 'duplicate or out-of-order seq';
    return {
      state: next,
      broken: broken(
        state,
        row,
        problem,
        `expected seq ${state.expected}, found seq ${seq}: ${missing}`,
      ),
    };
  }
  if (!sameBytes(row.prev_hash, state.prevHash)) {
    return {
      state: next,
      broken: broken(
        state,
        row,
        'PREV_HASH',
        `prev_hash ${hex(row.prev_hash)}… does not match the previous event's hash ${hex(state.prevHash)}…`,
      ),
    };
  }
  if (seq === 1n && stripeOfScope(state.scope) === null && !isCreation(state.scope, row)) {
    return {
      state: next,
      broken: broken(
        state,
        row,
        'CHAIN_START',
        `the chain does not start with the record's creation (found ${row.action}): its first events were removed`,
      ),
    };
  }
  const time = linkTime(row);
  if (time === null) {
    return {
      state: next,
      broken: broken(
        state,
        row,
        'HASH',
        row.canon === 1
          ? `recorded_at has sub-millisecond digits, which no version-1 link was written with (the time was moved)`
          : `unknown canonical form version ${String(row.canon)}`,
      ),
    };
  }
  const recomputed = chainHash(
    row.prev_hash,
    canonicalAuditPayload(state.scope, seq, recordOf(row), time),
  );
  if (!recomputed.equals(row.hash)) {
    return {
      state: next,
      broken: broken(
        state,
        row,
        'HASH',
        `stored hash does not match the event's content (the event was altered)`,
      ),
    };
  }
  return { state: next };
}

/** A record without any trace: its chain was emptied and its head reset (C6). */
function emptyChain(patientId: string): ChainBreak {
  return {
    chain: 'record',
    patientId,
    seq: null,
    eventId: null,
    problem: 'CHAIN_EMPTY',
    message:
      'the record has no trace at all (its chain was emptied and its head reset): every chain starts with its creation',
  };
}

/** Checks that a chain's head names its last event (C4). Pure. */
export function checkHead(
  state: ChainState,
  head: { readonly seq: bigint; readonly hash: Buffer | null },
  lastId: string | null,
): ChainBreak | null {
  const last = state.expected - 1n;
  const ref = { seq: String(last), id: lastId ?? '' } as AuditEventRow;
  const owner = stripeOfScope(state.scope) !== null ? 'the system chain' : 'the record';
  if (head.seq !== last) {
    const row = last > 0n ? ref : null;
    return broken(
      state,
      row,
      'HEAD_SEQ',
      head.seq > last
        ? `${owner}'s head says ${head.seq} events but the chain ends at seq ${last}: event(s) ${last + 1n}–${head.seq} missing (removed?)`
        : `the chain goes on after ${owner}'s head (head seq ${head.seq}, last event seq ${last})`,
    );
  }
  if (!sameBytes(head.hash, state.prevHash)) {
    return broken(
      state,
      last > 0n ? ref : null,
      'HEAD_HASH',
      `${owner}'s head hash does not match its last event`,
    );
  }
  return null;
}

/** Verifies one whole chain held in memory (C1–C4); for tests and small chains. Pure. */
export function verifyChainRows(
  scope: string,
  rows: readonly AuditEventRow[],
  head?: { readonly seq: bigint; readonly hash: Buffer | null },
): ChainBreak | null {
  let state = startChain(scope);
  let lastId: string | null = null;
  for (const row of rows) {
    const step = checkLink(state, row);
    if (step.broken) {
      return step.broken;
    }
    state = step.state;
    lastId = row.id;
  }
  return head ? checkHead(state, head, lastId) : null;
}

export interface VerifyReport {
  readonly intact: boolean;
  readonly records: number;
  readonly recordEvents: number;
  readonly systemEvents: number;
  /** Anchor files checked (C7); null when no anchor key is configured. */
  readonly anchors: number | null;
  /** The first break of each broken chain (only the first one overall unless `all`). */
  readonly breaks: readonly ChainBreak[];
}

export interface VerifyOptions {
  /** Go on after the first broken chain and report the first break of every chain. */
  readonly all?: boolean;
  /** Records per batch and rows per cursor fetch. */
  readonly batch?: number;
  readonly onProgress?: (records: number, events: number) => void;
  /** Check the anchors of these settings too (C7). */
  readonly anchors?: AnchorSettings | null;
}

/**
 * Checks every chain of the database (C1–C5) in one read-only snapshot (REPEATABLE READ), so that a running
 * service appending traces meanwhile does not look like a break.
 */
export async function verifyAuditChains(
  sql: Sql,
  options: VerifyOptions = {},
): Promise<VerifyReport> {
  const batch = options.batch ?? 500;
  const breaks: ChainBreak[] = [];
  let records = 0;
  let recordEvents = 0;
  let systemEvents = 0;
  const done = (): boolean => !options.all && breaks.length > 0;
  let anchors: number | null = null;
  // Read before the snapshot: anchors written from now on may name heads the snapshot does not see yet.
  const before = options.anchors ? await auditQuery.databaseClock(sql) : null;

  await sql.begin('isolation level repeatable read read only', async (tx) => {
    let after: string | null = null;
    while (!done()) {
      const heads = await auditQuery.findRecordHeads(tx, after, batch);
      if (heads.length === 0) {
        break;
      }
      after = heads[heads.length - 1]?.patient_id ?? null;
      // Walk the records of the batch in patient_id order, alongside the streamed events (same order).
      let index = 0;
      let current: { state: ChainState; lastId: string | null; broken: boolean } | null = null;
      const finish = (until: string | null): void => {
        // Close every record before `until` (records without any event included).
        while (index < heads.length) {
          const head = heads[index];
          if (!head || (until !== null && head.patient_id >= until)) {
            return;
          }
          if (!current || current.state.scope !== head.patient_id) {
            current = { state: startChain(head.patient_id), lastId: null, broken: false };
          }
          if (!current.broken) {
            const b =
              current.state.count === 0 && BigInt(head.audit_seq) === 0n
                ? emptyChain(head.patient_id)
                : checkHead(
                    current.state,
                    { seq: BigInt(head.audit_seq), hash: head.audit_head },
                    current.lastId,
                  );
            if (b && (options.all || breaks.length === 0)) {
              breaks.push(b);
            }
          }
          records++;
          current = null;
          index++;
        }
      };
      await auditQuery.streamRecordEvents(
        tx,
        heads.map((h) => h.patient_id),
        batch,
        (rows) => {
          for (const row of rows) {
            const pid = row.patient_id ?? '';
            if (!current || current.state.scope !== pid) {
              finish(pid);
              current = { state: startChain(pid), lastId: null, broken: false };
            }
            recordEvents++;
            if (current.broken || done()) {
              continue;
            }
            const step = checkLink(current.state, row);
            current.state = step.state;
            current.lastId = row.id;
            if (step.broken) {
              current.broken = true;
              breaks.push(step.broken);
            }
          }
          options.onProgress?.(records, recordEvents);
        },
      );
      finish(null);
    }

    if (!done()) {
      // Each stripe is its own chain; the rows come stripe by stripe, each in seq order.
      const heads = new Map((await findSystemAuditHeads(tx)).map((h) => [h.stripe, h]));
      let state: ChainState | null = null;
      let stripe = -1;
      let brokenStripe = false;
      let lastId: string | null = null;
      const closeStripe = (): void => {
        if (state && !brokenStripe && !done()) {
          const headBreak = checkHead(state, heads.get(stripe) ?? { seq: -1n, hash: null }, lastId);
          if (headBreak) {
            breaks.push(headBreak);
          }
        }
        heads.delete(stripe);
      };
      await auditQuery.streamSystemEvents(tx, batch, (rows) => {
        for (const row of rows) {
          systemEvents++;
          const rowStripe = row.stripe ?? 0;
          if (rowStripe !== stripe) {
            closeStripe();
            stripe = rowStripe;
            state = startChain(systemScope(stripe));
            brokenStripe = false;
            lastId = null;
          }
          if (brokenStripe || done() || !state) {
            continue;
          }
          const step = checkLink(state, row);
          state = step.state;
          lastId = row.id;
          if (step.broken) {
            brokenStripe = true;
            breaks.push(step.broken);
          }
        }
      });
      closeStripe();
      // Stripes without any event: their head must say so (events removed from the end of a stripe).
      for (const head of heads.values()) {
        if (done()) {
          break;
        }
        const headBreak = checkHead(startChain(systemScope(head.stripe)), head, null);
        if (headBreak) {
          breaks.push(headBreak);
        }
      }
    }

    if (!done()) {
      const orphan = await auditQuery.findOrphanAuditEvent(tx);
      if (orphan) {
        breaks.push({
          chain: 'record',
          patientId: orphan.patient_id,
          seq: orphan.seq,
          eventId: orphan.id,
          problem: 'ORPHAN_EVENTS',
          message:
            'traces exist for a record that does not exist (its record row was removed outside the purge)',
        });
      }
    }
    if (!done()) {
      const missing = await auditQuery.findRecordMissing(tx);
      if (missing) {
        breaks.push({
          chain: 'record',
          patientId: missing.patient_id,
          seq: null,
          eventId: null,
          problem: 'RECORD_MISSING',
          message:
            'the INS index names a record that does not exist (removed outside the purge, which keeps a tombstone)',
        });
      }
    }
    if (options.anchors && before && !done()) {
      const check = await verifyAnchors(tx, options.anchors, before, options.all ?? false);
      anchors = check.anchors;
      breaks.push(...check.breaks);
    }
  });
  return {
    intact: breaks.length === 0,
    records,
    recordEvents,
    systemEvents,
    anchors,
    breaks: options.all ? breaks : breaks.slice(0, 1),
  };
}

/** One line describing a break, as the CLI prints it. */
export function describeBreak(b: ChainBreak): string {
  const where =
    b.chain === 'system'
      ? `system chain ${b.stripe ?? 0}`
      : b.chain === 'anchor'
        ? `anchor ${b.anchor ?? '?'}`
        : `record ${b.patientId ?? '?'}`;
  const at = [b.seq !== null ? `seq ${b.seq}` : null, b.eventId ? `event ${b.eventId}` : null]
    .filter(Boolean)
    .join(', ');
  return `${where}${at ? ` (${at})` : ''}: ${b.problem} — ${b.message}`;
}
