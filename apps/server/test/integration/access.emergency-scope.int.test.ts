import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp } from '../helpers/app.ts';
import * as fx from './documents.fixtures.ts';
import type { Json } from './documents.fixtures.ts';
import { client, deniedTraces, HOSPITAL, pro, type Client } from './issue17.fixtures.ts';

/**
 * Issue 17 rules 6 and 7 over HTTP. An emergency mode and its justification apply to the one record they were
 * declared for: before, a token in bris_de_glace opened every record for as long as it lived, each access traced
 * and notified with the first patient's justification. Regulation (centre 15) is declared per access: before,
 * the Pro Santé Connect flag put every request of a regulator in centre_15 mode.
 */
const AUTHOR = pro('810001000024', '10', HOSPITAL, { specialty: 'SM54' });
const STRANGER = pro('810001000107', '10', '1750700007', { specialty: 'SM04' });
const REGULATOR = pro('810001000073', '10', '1750500001', { specialty: 'SM54', regulator: true });
const REASON = 'Patiente inconsciente, admise aux urgences';

describe('emergency access is per patient; regulation is declared per access (issue 17 rules 6, 7)', () => {
  let t: TestApp;
  let c: Client;
  const insA = fx.nir('2790351215189');
  const insB = fx.nir('1800175123456');
  const ids = new Map<string, string>();
  const docsA = new Map<string, Json>();
  const docsB = new Map<string, Json>();
  const bdg = (ins: string): Json => ({ ...STRANGER, mode: 'bris_de_glace', reason: REASON, ins });
  const c15 = (ins: string): Json => ({ ...REGULATOR, mode: 'centre_15', ins });

  const emergencyNotices = async (ins: string): Promise<number> => {
    const [row] = await t.db.owner<{ n: number }[]>`
      SELECT count(*)::int AS n FROM outbox WHERE patient_id = ${ids.get(ins) ?? ''}
        AND event_type = 'emergency.access'`;
    return row?.n ?? 0;
  };
  const successTraces = async (ins: string, idNatPs: unknown) =>
    t.db.owner<{ action: string; access_mode: string; justification: string | null }[]>`
      SELECT action, access_mode, justification FROM audit_event
      WHERE patient_id = ${ids.get(ins) ?? ''} AND actor_id = ${String(idNatPs)} AND outcome = 'success'`;

  beforeAll(async () => {
    t = await buildTestApp();
    c = client(t);
    for (const ins of [insA, insB]) {
      ids.set(ins, await c.createRecord(ins));
    }
    docsA.set('a', await c.deposit(AUTHOR, insA));
    docsB.set('b', await c.deposit(AUTHOR, insB));
  });

  afterAll(async () => {
    await t.close();
  });

  it('refuses an emergency token that names no record (a token is never an open emergency pass)', async () => {
    for (const body of [
      { ...STRANGER, mode: 'bris_de_glace', reason: REASON },
      { ...REGULATOR, mode: 'centre_15' },
    ]) {
      const res = await t.app.inject({ method: 'POST', url: '/auth/dev/token', payload: body });
      expect(res.statusCode).toBe(400);
      expect(fx.issueCodes(res.body)).toEqual(['AUTH_EMERGENCY_RECORD_REQUIRED']);
    }
  });

  it('bris de glace declared for A opens A, with its justification traced and A’s patient notified', async () => {
    expect(await c.sees(bdg(insA), insA, docsA)).toEqual({
      search: ['a'],
      read: ['a'],
      retrieve: ['a'],
    });
    expect(await emergencyNotices(insA)).toBeGreaterThan(0);
    const traces = await successTraces(insA, STRANGER['idNatPs']);
    expect(traces.length).toBeGreaterThan(0);
    expect(
      traces.every((r) => r.access_mode === 'bris_de_glace' && r.justification === REASON),
    ).toBe(true);
  });

  it('the same token opens nothing of B: refused, traced, B’s patient not notified, A’s justification nowhere in B', async () => {
    expect(await c.sees(bdg(insA), insB, docsB)).toEqual({ search: 403, read: [], retrieve: [] });
    const res = await c.call(
      bdg(insA),
      'GET',
      `/fhir/DocumentReference?patient.identifier=${encodeURIComponent(`${fx.TEST_SYSTEM}|${insB}`)}`,
    );
    expect(fx.issueCodes(res.body)).toEqual(['ACCESS_EMERGENCY_OTHER_RECORD']);
    const lookup = await c.call(
      bdg(insA),
      'GET',
      `/fhir/Patient?identifier=${encodeURIComponent(`${fx.TEST_SYSTEM}|${insB}`)}`,
    );
    expect(lookup.status).toBe(403);
    expect(fx.issueCodes(lookup.body)).toEqual(['ACCESS_EMERGENCY_OTHER_RECORD']);
    expect(await emergencyNotices(insB)).toBe(0);
    expect(await successTraces(insB, STRANGER['idNatPs'])).toEqual([]);
    expect(await deniedTraces(t, ids.get(insB) ?? '')).toContain(
      'document.search:ACCESS_EMERGENCY_OTHER_RECORD',
    );
  });

  it('an emergency on B needs its own declaration and justification', async () => {
    const other = { ...bdg(insB), reason: 'Patient en arrêt cardiaque au domicile' };
    expect(await c.sees(other, insB, docsB)).toEqual({
      search: ['b'],
      read: ['b'],
      retrieve: ['b'],
    });
    const traces = await successTraces(insB, STRANGER['idNatPs']);
    expect(traces.map((r) => r.justification)).not.toContain(REASON);
    expect(await emergencyNotices(insB)).toBeGreaterThan(0);
  });

  it('a regulator is in normal mode until they declare centre 15 for a record (rule 7)', async () => {
    expect(await c.sees(REGULATOR, insA, docsA)).toEqual({ search: 403, read: [], retrieve: [] });
    expect(
      fx.issueCodes(
        (
          await c.call(
            REGULATOR,
            'GET',
            `/fhir/DocumentReference?patient.identifier=${encodeURIComponent(`${fx.TEST_SYSTEM}|${insA}`)}`,
          )
        ).body,
      ),
    ).toEqual(['ACCESS_NO_AUTHORIZATION']);
    expect(await c.sees(c15(insA), insA, docsA)).toEqual({
      search: ['a'],
      read: ['a'],
      retrieve: ['a'],
    });
    expect(await c.sees(c15(insA), insB, docsB)).toEqual({ search: 403, read: [], retrieve: [] });
    const modes = (await successTraces(insA, REGULATOR['idNatPs'])).map((r) => r.access_mode);
    expect(new Set(modes)).toEqual(new Set(['centre_15']));
  });
});
