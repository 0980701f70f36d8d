import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperatorActor } from '../../src/domain/access/actor.ts';
import { SYSTEM_STRIPES, systemStripeOf } from '../../src/domain/audit/system-stripe.ts';
import { audit } from '../../src/services/audit.ts';
import { describeBreak, verifyAuditChains } from '../../src/services/audit-verify.ts';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp } from '../helpers/app.ts';

/**
 * Issue 20, finding 8: the system chain is striped by actor (migration 0072, docs/adr/0026-system-chain-stripes.md).
 * Logins and other events attached to no record no longer wait for one head row (on Citus, a reference table written
 * on every node), and `opendmp audit verify` still checks each stripe as a chain of its own.
 */

/** An operator id whose system events land on `stripe`. */
function actorOnStripe(stripe: number, avoid: ReadonlySet<string> = new Set()): string {
  for (let i = 0; ; i++) {
    const id = `op-stripe-${i}`;
    if (systemStripeOf(id) === stripe && !avoid.has(id)) {
      return id;
    }
  }
}

describe('the system chain in stripes', () => {
  let t: TestApp;
  const operators: OperatorActor[] = [];

  const trace = (actor: OperatorActor, n: number) =>
    t.deps.sql.begin(async (tx) => {
      for (let i = 0; i < n; i++) {
        await audit(tx, t.deps, actor, null, { action: 'test.stripe', outcome: 'success' });
      }
    });

  beforeAll(async () => {
    t = await buildTestApp();
    for (let s = 0; s < SYSTEM_STRIPES; s++) {
      const actor: OperatorActor = { kind: 'operator', id: actorOnStripe(s) };
      operators.push(actor);
      await trace(actor, 3);
    }
  });
  afterAll(async () => {
    await t.close();
  });

  it('writes each actor on its own stripe, every stripe a chain from seq 1 with its own head', async () => {
    const stripes = await t.db.owner<{ stripe: number; n: number; max: string; head: string }[]>`
      SELECT e.stripe, count(*)::int AS n, max(e.seq)::text AS max,
          (SELECT h.seq::text FROM system_audit_head h WHERE h.stripe = e.stripe) AS head
        FROM system_audit_event e WHERE e.action = 'test.stripe' GROUP BY e.stripe ORDER BY e.stripe`;
    expect(stripes.map((s) => s.stripe)).toEqual([...Array(SYSTEM_STRIPES).keys()]);
    for (const s of stripes) {
      expect(s.n).toBe(3);
      expect(s.head).toBe(s.max);
    }
    const report = await verifyAuditChains(t.db.owner);
    expect(report).toMatchObject({ intact: true, breaks: [] });
    expect(report.systemEvents).toBeGreaterThanOrEqual(3 * SYSTEM_STRIPES);
  });

  it('lets a login on another stripe through while a stripe is locked by an open transaction', async () => {
    const holder = operators[5]!;
    const other = { kind: 'operator', id: actorOnStripe(6) };
    const sameStripe = { kind: 'operator', id: actorOnStripe(5, new Set([holder.id])) };
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const transaction = t.deps.sql.begin(async (tx) => {
      await audit(tx, t.deps, holder, null, { action: 'test.stripe', outcome: 'success' });
      locked();
      await held;
    });
    try {
      await isLocked;
      const timeout = (ms: number) =>
        new Promise<'waiting'>((resolve) => setTimeout(() => resolve('waiting'), ms));
      // A login of an actor on another stripe: before the stripes, it waited for the one head row.
      const login = t.app
        .inject({ method: 'POST', url: '/auth/dev/token', payload: other })
        .then((r) => r.statusCode);
      expect(await Promise.race([login, timeout(5_000)])).toBe(200);
      // A login on the locked stripe does wait (one actor's events stay in order on its chain).
      const waiting = t.app
        .inject({ method: 'POST', url: '/auth/dev/token', payload: sameStripe })
        .then((r) => r.statusCode);
      expect(await Promise.race([waiting, timeout(500)])).toBe('waiting');
      release();
      expect(await waiting).toBe(200);
    } finally {
      release();
      await transaction;
    }
    expect((await verifyAuditChains(t.db.owner)).intact).toBe(true);
  });

  it('catches an altered event on every stripe, naming the stripe', async () => {
    const t2 = await buildTestApp();
    try {
      for (let s = 0; s < SYSTEM_STRIPES; s++) {
        await t2.deps.sql.begin((tx) =>
          audit(tx, t2.deps, { kind: 'operator', id: actorOnStripe(s) }, null, {
            action: 'test.stripe',
            outcome: 'success',
          }),
        );
      }
      expect((await verifyAuditChains(t2.db.owner)).intact).toBe(true);
      const altered = await t2.db.owner<{ stripe: number; seq: string }[]>`
        UPDATE system_audit_event SET outcome = 'denied' WHERE action = 'test.stripe'
        RETURNING stripe, seq::text`;
      expect(altered).toHaveLength(SYSTEM_STRIPES);
      const report = await verifyAuditChains(t2.db.owner, { all: true });
      expect(report.intact).toBe(false);
      const hashBreaks = report.breaks.filter((b) => b.chain === 'system' && b.problem === 'HASH');
      expect(hashBreaks.map((b) => `${b.stripe}:${b.seq}`).sort()).toEqual(
        altered.map((a) => `${a.stripe}:${a.seq}`).sort(),
      );
      expect(describeBreak(hashBreaks.find((b) => b.stripe === 7)!)).toMatch(
        /^system chain 7 \(seq \d+, event [0-9a-f-]+\): HASH/,
      );
    } finally {
      await t2.close();
    }
  });

  it('catches the last event of a stripe removed, and an event moved to another stripe with both heads rewritten', async () => {
    const t2 = await buildTestApp();
    try {
      for (const s of [3, 4, 9]) {
        await t2.deps.sql.begin((tx) =>
          audit(tx, t2.deps, { kind: 'operator', id: actorOnStripe(s) }, null, {
            action: 'test.stripe',
            outcome: 'success',
          }),
        );
      }
      expect((await verifyAuditChains(t2.db.owner)).intact).toBe(true);
      // Stripe 9: its last event removed.
      await t2.db.owner`DELETE FROM system_audit_event
        WHERE stripe = 9 AND seq = (SELECT seq FROM system_audit_head WHERE stripe = 9)`;
      // Stripe 3's last event moved to the end of stripe 4, both heads made consistent (what someone holding the
      // owner's rights could do): the link's hash names its stripe, so it fails where it lands.
      const [h3] = await t2.db.owner<{ seq: string }[]>`
        SELECT seq::text FROM system_audit_head WHERE stripe = 3`;
      const [h4] = await t2.db.owner<{ seq: string; hash: Buffer }[]>`
        SELECT seq::text, hash FROM system_audit_head WHERE stripe = 4`;
      const [moved] = await t2.db.owner<{ hash: Buffer; prev_hash: Buffer | null }[]>`
        SELECT hash, prev_hash FROM system_audit_event WHERE stripe = 3 AND seq = ${h3!.seq}`;
      await t2.db
        .owner`INSERT INTO system_audit_event (stripe, seq, id, recorded_at, action, outcome, reason_code,
          actor_kind, actor_id, actor_name, actor_profession, actor_specialty, actor_structure, access_mode,
          justification, entity_type, entity_id, detail, prev_hash, hash, canon)
        SELECT 4, ${(BigInt(h4!.seq) + 1n).toString()}, id, recorded_at, action, outcome, reason_code, actor_kind,
            actor_id, actor_name, actor_profession, actor_specialty, actor_structure, access_mode, justification,
            entity_type, entity_id, detail, ${h4!.hash}, hash, canon
          FROM system_audit_event WHERE stripe = 3 AND seq = ${h3!.seq}`;
      await t2.db.owner`DELETE FROM system_audit_event WHERE stripe = 3 AND seq = ${h3!.seq}`;
      await t2.db.owner`UPDATE system_audit_head SET seq = seq - 1, hash = ${moved!.prev_hash}
        WHERE stripe = 3`;
      await t2.db.owner`UPDATE system_audit_head SET seq = seq + 1, hash = ${moved!.hash}
        WHERE stripe = 4`;
      const report = await verifyAuditChains(t2.db.owner, { all: true });
      expect(report.breaks.map((b) => `${b.chain}:${b.stripe}:${b.problem}`).sort()).toEqual([
        'system:4:HASH',
        'system:9:HEAD_SEQ',
      ]);
    } finally {
      await t2.close();
    }
  });
});
