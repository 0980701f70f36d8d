import { createHash } from 'node:crypto';
import type { AuditRecord } from '../domain/audit/audit-record.ts';
import { canonicalAuditPayload } from '../domain/audit/audit-record.ts';
import type { Db } from './client.ts';

/** hash = SHA-256(prev_hash || canonical payload). */
export function chainHash(prev: Uint8Array | null, payload: string): Buffer {
  const h = createHash('sha256');
  if (prev) {
    h.update(prev);
  }
  h.update(payload);
  return h.digest();
}

const SYSTEM_CHAIN_LOCK = 727_366_002;

/**
 * Appends an event to a record's chain. Must run inside the transaction of the change it traces; locks the
 * record row (the chain head lives there), so events of one record are serialised.
 * Returns false when the record does not exist (then the caller writes a system event).
 */
export async function appendRecordAudit(
  tx: Db,
  patientId: string,
  r: AuditRecord,
): Promise<boolean> {
  const [head] = await tx<{ audit_seq: string; audit_head: Buffer | null }[]>`
    SELECT audit_seq, audit_head FROM patient_record WHERE patient_id = ${patientId} FOR UPDATE`;
  if (!head) {
    return false;
  }
  const seq = BigInt(head.audit_seq) + 1n;
  const hash = chainHash(head.audit_head, canonicalAuditPayload(patientId, seq, r));
  await tx`INSERT INTO audit_event (patient_id, seq, id, recorded_at, action, outcome, reason_code, actor_kind,
      actor_id, actor_name, actor_profession, actor_specialty, actor_structure, access_mode, justification,
      entity_type, entity_id, detail, prev_hash, hash)
    VALUES (${patientId}, ${seq.toString()}, ${r.id}, ${r.recordedAt}, ${r.action}, ${r.outcome}, ${r.reasonCode},
      ${r.actorKind}, ${r.actorId}, ${r.actorName}, ${r.actorProfession}, ${r.actorSpecialty}, ${r.actorStructure},
      ${r.accessMode}, ${r.justification}, ${r.entityType}, ${r.entityId}, ${tx.json(r.detail)},
      ${head.audit_head}, ${hash})`;
  await tx`UPDATE patient_record SET audit_seq = ${seq.toString()}, audit_head = ${hash}
    WHERE patient_id = ${patientId}`;
  return true;
}

/** Appends an event attached to no record to the global system chain. */
export async function appendSystemAudit(tx: Db, r: AuditRecord): Promise<void> {
  await tx`SELECT pg_advisory_xact_lock(${SYSTEM_CHAIN_LOCK})`;
  const [last] = await tx<{ seq: string; hash: Buffer }[]>`
    SELECT seq, hash FROM system_audit_event ORDER BY seq DESC LIMIT 1`;
  const seq = (last ? BigInt(last.seq) : 0n) + 1n;
  const prev = last?.hash ?? null;
  const hash = chainHash(prev, canonicalAuditPayload('system', seq, r));
  await tx`INSERT INTO system_audit_event (seq, id, recorded_at, action, outcome, reason_code, actor_kind,
      actor_id, actor_name, actor_profession, actor_specialty, actor_structure, access_mode, justification,
      entity_type, entity_id, detail, prev_hash, hash)
    VALUES (${seq.toString()}, ${r.id}, ${r.recordedAt}, ${r.action}, ${r.outcome}, ${r.reasonCode},
      ${r.actorKind}, ${r.actorId}, ${r.actorName}, ${r.actorProfession}, ${r.actorSpecialty}, ${r.actorStructure},
      ${r.accessMode}, ${r.justification}, ${r.entityType}, ${r.entityId}, ${tx.json(r.detail)}, ${prev}, ${hash})`;
}

/**
 * Appends several events to a record's chain in one round of statements (one lock, one multi-row insert, one
 * head update). Returns false when the record does not exist.
 */
export async function appendRecordAuditBatch(
  tx: Db,
  patientId: string,
  records: readonly AuditRecord[],
): Promise<boolean> {
  const [head] = await tx<{ audit_seq: string; audit_head: Buffer | null }[]>`
    SELECT audit_seq, audit_head FROM patient_record WHERE patient_id = ${patientId} FOR UPDATE`;
  if (!head) {
    return false;
  }
  let seq = BigInt(head.audit_seq);
  let prev: Buffer | null = head.audit_head;
  const rows = records.map((r) => {
    seq += 1n;
    const hash = chainHash(prev, canonicalAuditPayload(patientId, seq, r));
    const row = {
      patient_id: patientId,
      seq: seq.toString(),
      id: r.id,
      recorded_at: r.recordedAt,
      action: r.action,
      outcome: r.outcome,
      reason_code: r.reasonCode,
      actor_kind: r.actorKind,
      actor_id: r.actorId,
      actor_name: r.actorName,
      actor_profession: r.actorProfession,
      actor_specialty: r.actorSpecialty,
      actor_structure: r.actorStructure,
      access_mode: r.accessMode,
      justification: r.justification,
      entity_type: r.entityType,
      entity_id: r.entityId,
      detail: tx.json(r.detail),
      prev_hash: prev,
      hash,
    };
    prev = hash;
    return row;
  });
  await tx`INSERT INTO audit_event ${tx(rows)}`;
  await tx`UPDATE patient_record SET audit_seq = ${seq.toString()}, audit_head = ${prev}
    WHERE patient_id = ${patientId}`;
  return true;
}
