import { createHash } from 'node:crypto';
import type { AuditRecord } from '../domain/audit/audit-record.ts';
import {
  AUDIT_CANON,
  canonicalAuditPayload,
  canonicalAuditTail,
} from '../domain/audit/audit-record.ts';
import { systemScope, systemStripeOf } from '../domain/audit/system-stripe.ts';
import type { SingleUse } from '../services/single-use.ts';
import type { Db } from './client.ts';
import { singleNode } from './engine.ts';

/** hash = SHA-256(prev_hash || canonical payload). */
export function chainHash(prev: Uint8Array | null, payload: string): Buffer {
  const h = createHash('sha256');
  if (prev) {
    h.update(prev);
  }
  h.update(payload);
  return h.digest();
}

/**
 * Appends an event to a record's chain. Must run inside the transaction of the change it traces (or alone: one
 * statement is its own transaction); locks the record row (the chain head lives there), so events of one record
 * are serialised. Returns false when the record does not exist (then the caller writes a system event).
 */
export async function appendRecordAudit(
  tx: Db,
  patientId: string,
  r: AuditRecord,
): Promise<boolean> {
  return (await appendRecordAuditBatch(tx, patientId, [r])) === 'appended';
}

/**
 * Appends an event attached to no record to its actor's stripe of the system chain (domain/audit/system-stripe.ts,
 * migration 0072): that stripe's head row (system_audit_head) is locked, the event inserted and the head moved, in
 * the caller's transaction. Appends of actors on other stripes do not wait (on Citus, each stripe lives on one
 * shard: one worker, no write on every node).
 */
export async function appendSystemAudit(tx: Db, r: AuditRecord): Promise<void> {
  const stripe = systemStripeOf(r.actorId);
  const [head] = await tx<{ seq: string; hash: Buffer | null }[]>`
    SELECT seq, hash FROM system_audit_head WHERE stripe = ${stripe} FOR UPDATE`;
  if (!head) {
    throw new Error(`system_audit_head has no stripe ${stripe} (migration 0072)`);
  }
  const seq = BigInt(head.seq) + 1n;
  const prev = head.hash;
  const hash = chainHash(prev, canonicalAuditPayload(systemScope(stripe), seq, r));
  await tx`INSERT INTO system_audit_event (stripe, seq, id, recorded_at, action, outcome, reason_code, actor_kind,
      actor_id, actor_name, actor_profession, actor_specialty, actor_structure, access_mode, justification,
      entity_type, entity_id, detail, prev_hash, hash, canon)
    VALUES (${stripe}, ${seq.toString()}, ${r.id}, ${r.recordedAt}, ${r.action}, ${r.outcome}, ${r.reasonCode},
      ${r.actorKind}, ${r.actorId}, ${r.actorName}, ${r.actorProfession}, ${r.actorSpecialty}, ${r.actorStructure},
      ${r.accessMode}, ${r.justification}, ${r.entityType}, ${r.entityId}, ${tx.json(r.detail)}, ${prev}, ${hash},
      ${AUDIT_CANON})`;
  await tx`UPDATE system_audit_head SET seq = ${seq.toString()}, hash = ${hash} WHERE stripe = ${stripe}`;
}

/** The head of one stripe of the system chain. */
export interface SystemHead {
  readonly stripe: number;
  readonly seq: bigint;
  readonly hash: Buffer | null;
}

/** The heads of every stripe of the system chain, by stripe (C4 of `opendmp audit verify`, the anchors). */
export async function findSystemAuditHeads(db: Db): Promise<SystemHead[]> {
  const rows = await db<{ stripe: number; seq: string; hash: Buffer | null }[]>`
    SELECT stripe, seq, hash FROM system_audit_head ORDER BY stripe`;
  return rows.map((h) => ({ stripe: h.stripe, seq: BigInt(h.seq), hash: h.hash }));
}

/** What an append did: written, no such record, or refused because the record's access tag moved. */
export type AppendOutcome = 'appended' | 'no-record' | 'stale';

/**
 * Appends several events to a record's chain in one statement (database function append_record_audit, migrations
 * 0012 and 0017: one lock, the inserts, one head update, one round trip). With `tag` (record_access_tag, read with
 * the facts a read was decided on), nothing is written unless the record's tag is still that one.
 */
export async function appendRecordAuditBatch(
  tx: Db,
  patientId: string,
  records: readonly AuditRecord[],
  tag?: string,
): Promise<AppendOutcome> {
  const tails = records.map((r) => canonicalAuditTail(r));
  const [row] = await tx<{ seq: string | null }[]>`
    SELECT append_record_audit(${patientId}::uuid, ${tails}::text[], ${tag ?? null}::text) AS seq`;
  if (row?.seq === null || row?.seq === undefined) {
    return 'no-record';
  }
  return row.seq === '0' ? 'stale' : 'appended';
}

/** One record's traces in a multi-record append: its events and the tag its reads were decided on. */
export interface RecordTraces {
  readonly patientId: string;
  readonly records: readonly AuditRecord[];
  readonly tag: string | undefined;
}

/**
 * Appends the traces of several records in one statement, its own transaction (database function
 * append_records_audit, migration 0140: each record through append_record_audit with its own tag check, in the
 * order given — the caller sorts by patient id so that batches lock records in one order). One outcome per record,
 * in the order given. Plain PostgreSQL only ({@link multiRecordAppends}).
 */
export async function appendRecordsAuditBatch(
  db: Db,
  items: readonly RecordTraces[],
): Promise<AppendOutcome[]> {
  const ids = items.map((i) => i.patientId);
  const counts = items.map((i) => i.records.length);
  const tails = items.flatMap((i) => i.records.map((r) => canonicalAuditTail(r)));
  const tags = items.map((i) => i.tag ?? null);
  const [row] = await db<{ seqs: string[] }[]>`
    SELECT append_records_audit(${ids}::uuid[], ${counts}::int[], ${tails}::text[], ${tags}::text[]) AS seqs`;
  const seqs = row?.seqs ?? [];
  if (seqs.length !== items.length) {
    throw new Error(
      `append_records_audit answered ${String(seqs.length)} of ${String(items.length)} records`,
    );
  }
  // Per record: its chain's new head, 0 when its tag moved, -1 when it is gone.
  return seqs.map((seq) => (seq === '-1' ? 'no-record' : seq === '0' ? 'stale' : 'appended'));
}

/** One record's traces with the single uses they carry (aligned with `records`; undefined: none). */
export interface RecordTracesOnce extends RecordTraces {
  readonly uses: readonly (SingleUse | undefined)[];
}

/** A record's outcome in an append with single uses, and which of its traces' uses were refused (not appended). */
export interface OnceOutcome {
  readonly outcome: AppendOutcome;
  readonly refused: readonly boolean[];
}

/**
 * {@link appendRecordsAuditBatch} with the single uses the traces carry, in one statement (append_records_audit_once,
 * migration 0182, ADR 0037): the records locked and their tags checked, the uses written (a use already held by the
 * same request is its own), and only the traces whose use was new, or that carry none, appended. Nothing is used for
 * a record whose tag moved. Plain PostgreSQL only.
 */
export async function appendRecordsAuditOnce(
  db: Db,
  items: readonly RecordTracesOnce[],
): Promise<OnceOutcome[]> {
  const ids: string[] = [];
  const counts: number[] = [];
  const tags: (string | null)[] = [];
  const tails: string[] = [];
  const keys: (string | null)[] = [];
  const expires: (string | null)[] = [];
  const certs: (string | null)[] = [];
  const by: (string | null)[] = [];
  for (const i of items) {
    ids.push(i.patientId);
    counts.push(i.records.length);
    tags.push(i.tag ?? null);
    for (let j = 0; j < i.records.length; j++) {
      const use = i.uses[j];
      tails.push(canonicalAuditTail(i.records[j] as AuditRecord));
      keys.push(use?.key ?? null);
      expires.push(use?.expiresAt.toISOString() ?? null);
      certs.push(use?.certificateId ?? null);
      by.push(use?.by ?? null);
    }
  }
  const [row] = await db<{ seqs: string[]; refused: number[] }[]>`
    SELECT seqs, refused FROM append_records_audit_once(${ids}::uuid[], ${counts}::int[], ${tails}::text[],
      ${tags}::text[], ${keys}::text[], ${expires}::timestamptz[], ${certs}::uuid[], ${by}::uuid[])`;
  const seqs = row?.seqs ?? [];
  if (seqs.length !== items.length) {
    throw new Error(
      `append_records_audit_once answered ${String(seqs.length)} of ${String(items.length)} records`,
    );
  }
  const refused = new Set(row?.refused ?? []);
  let at = 1;
  return items.map((item, k) => {
    const seq = seqs[k];
    const flags = item.records.map(() => refused.has(at++));
    return {
      outcome: seq === '-1' ? 'no-record' : seq === '0' ? 'stale' : 'appended',
      refused: flags,
    };
  });
}

/**
 * Writes a request's single use in the caller's transaction (or alone: one statement): true when it is new or
 * already this request's (use_assertions, migration 0182), false when another request holds it or its certificate
 * was revoked meanwhile.
 */
export async function writeSingleUse(db: Db, use: SingleUse): Promise<boolean> {
  const rows = await db<{ held_key: string }[]>`
    SELECT held_key FROM use_assertions(${[use.key]}::text[], ${[use.expiresAt.toISOString()]}::timestamptz[],
      ${[use.certificateId]}::uuid[], ${[use.by]}::uuid[])`;
  return rows.length > 0;
}

/**
 * Whether read traces of several records may go in one statement: on plain PostgreSQL, yes; on Citus, no — each
 * record's append is delegated to its worker alone, and a batch over records would be a two-phase commit over the
 * workers. Asked once per connection pool.
 */
export function multiRecordAppends(db: Db): Promise<boolean> {
  return singleNode(db);
}
