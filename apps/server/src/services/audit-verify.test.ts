import { describe, expect, it } from 'vitest';
import type { AuditEventRow } from '../db/audit-query.repository.ts';
import { chainHash } from '../db/audit.repository.ts';
import type { AuditRecord } from '../domain/audit/audit-record.ts';
import {
  auditColumns,
  buildAuditRecord,
  canonicalAuditPayload,
} from '../domain/audit/audit-record.ts';
import { checkHead, describeBreak, startChain, verifyChainRows } from './audit-verify.ts';

const SCOPE = '3f1b8c9e-0000-4000-8000-000000000001';

/** A chain of n events as appendRecordAudit writes it. */
function chain(n: number): AuditEventRow[] {
  const rows: AuditEventRow[] = [];
  let prev: Buffer | null = null;
  for (let seq = 1; seq <= n; seq++) {
    const r: AuditRecord = buildAuditRecord(
      { kind: 'operator', id: 'ops' },
      // `gone` is undefined at run time (untyped callers): jsonb drops it, and so must the hashed payload.
      {
        // Every record's chain starts with its creation (C6).
        action: seq === 1 ? 'record.create' : 'record.read',
        outcome: 'success',
        entityId: seq === 1 ? SCOPE : null,
        detail: { seq, ok: true, none: null, gone: undefined as unknown as null },
      },
      new Date(Date.UTC(2026, 0, 1, 0, 0, seq)),
      `00000000-0000-4000-8000-00000000000${seq}`,
    );
    const hash = chainHash(prev, canonicalAuditPayload(SCOPE, seq, r));
    rows.push({
      patient_id: SCOPE,
      seq: String(seq),
      ...auditColumns(r),
      detail: JSON.parse(JSON.stringify(r.detail)) as AuditEventRow['detail'], // as jsonb stores it
      prev_hash: prev,
      hash,
    });
    prev = hash;
  }
  return rows;
}

describe('verifying a hash chain', () => {
  it('accepts an intact chain and its head', () => {
    const rows = chain(4);
    expect(verifyChainRows(SCOPE, rows, { seq: 4n, hash: rows[3]!.hash })).toBeNull();
    expect(verifyChainRows(SCOPE, [], { seq: 0n, hash: null })).toBeNull();
  });

  it('finds an altered column (HASH) at its seq', () => {
    const rows = chain(4);
    rows[2] = { ...rows[2]!, actor_id: 'someone-else' };
    expect(verifyChainRows(SCOPE, rows)).toMatchObject({
      problem: 'HASH',
      seq: '3',
      patientId: SCOPE,
      eventId: rows[2]!.id,
    });
    const detail = chain(2);
    detail[1] = { ...detail[1]!, detail: { ...detail[1]!.detail, ok: false } };
    expect(verifyChainRows(SCOPE, detail)?.problem).toBe('HASH');
  });

  it('finds a removed event (SEQ_GAP, SEQ_START) and a rewritten hash (PREV_HASH)', () => {
    const rows = chain(4);
    const gap = verifyChainRows(SCOPE, [rows[0]!, rows[2]!, rows[3]!])!;
    expect(gap).toMatchObject({ problem: 'SEQ_GAP', seq: '3' });
    expect(describeBreak(gap)).toBe(
      `record ${SCOPE} (seq 3, event ${rows[2]!.id}): SEQ_GAP — expected seq 2, found seq 3: event 2 missing (removed?)`,
    );
    expect(verifyChainRows(SCOPE, rows.slice(1))?.problem).toBe('SEQ_START');
    const forged = chain(3);
    forged[1] = { ...forged[1]!, hash: Buffer.alloc(32) };
    expect(verifyChainRows(SCOPE, forged)).toMatchObject({ problem: 'HASH', seq: '2' });
    const relinked = chain(3);
    relinked[2] = { ...relinked[2]!, prev_hash: Buffer.alloc(32) };
    expect(verifyChainRows(SCOPE, relinked)).toMatchObject({ problem: 'PREV_HASH', seq: '3' });
  });

  it('finds events removed at the end of a chain through the record head', () => {
    const rows = chain(4);
    expect(
      verifyChainRows(SCOPE, rows.slice(0, 3), { seq: 4n, hash: rows[3]!.hash }),
    ).toMatchObject({
      problem: 'HEAD_SEQ',
      message: expect.stringContaining('event(s) 4–4 missing'),
    });
    expect(verifyChainRows(SCOPE, rows, { seq: 4n, hash: Buffer.alloc(32) })?.problem).toBe(
      'HEAD_HASH',
    );
    expect(checkHead(startChain('system'), { seq: 0n, hash: null }, null)).toBeNull();
  });

  it('requires a record chain to start with the record’s creation (CHAIN_START)', () => {
    const rows = chain(3);
    rows[0] = { ...rows[0]!, action: 'record.read' };
    expect(verifyChainRows(SCOPE, rows)).toMatchObject({ problem: 'CHAIN_START', seq: '1' });
    const other = chain(2);
    expect(verifyChainRows('3f1b8c9e-0000-4000-8000-000000000002', other)?.problem).toBe(
      'CHAIN_START',
    );
  });

  it('hashes the stored time to the microsecond in form 2, and to the millisecond in form 1', () => {
    const rows = chain(2);
    const us = (r: AuditEventRow, text: string, canon?: number): AuditEventRow => ({
      ...r,
      recorded_at_us: text,
      ...(canon ? { canon } : {}),
    });
    const stored = rows[1]!.recorded_at.toISOString().replace('Z', '000Z');
    expect(verifyChainRows(SCOPE, [rows[0]!, us(rows[1]!, stored, 2)])).toBeNull();
    expect(
      verifyChainRows(SCOPE, [rows[0]!, us(rows[1]!, stored.replace('000Z', '001Z'), 2)]),
    ).toMatchObject({ problem: 'HASH', seq: '2' });
    // A form-1 link: its hash covered the millisecond text, so the form-2 hash of the same instant does not match…
    expect(verifyChainRows(SCOPE, [rows[0]!, us(rows[1]!, stored, 1)])?.problem).toBe('HASH');
    // …and a time with sub-millisecond digits cannot be one the service wrote in form 1.
    expect(
      verifyChainRows(SCOPE, [rows[0]!, us(rows[1]!, stored.replace('000Z', '001Z'), 1)]),
    ).toMatchObject({ problem: 'HASH', message: expect.stringContaining('sub-millisecond') });
  });
});
