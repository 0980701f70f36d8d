import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemoData } from '../../src/demo/load.ts';
import { PATIENTS, PROFESSIONALS, STRUCTURES } from '../../src/demo/directory.ts';
import { validateIns } from '../../src/domain/identity/ins.ts';
import { validateIdNatPs } from '../../src/domain/identity/idnat-ps.ts';
import { validateIdNatStruct } from '../../src/domain/identity/idnat-struct.ts';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp } from '../helpers/app.ts';
import { demoAccounts } from '../../src/http/auth/demo-accounts.ts';

describe('demo data set', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it.each(PATIENTS.map((p) => [p.birthName, p.ins]))('%s has a valid test NIR', (_name, ins) => {
    expect(validateIns(ins, '1.2.250.1.213.1.4.10').ok).toBe(true);
  });

  it.each(PROFESSIONALS.map((p) => [p.label, p.idNatPs, p.structure]))(
    '%s has valid identifiers',
    (_l, ps, struct) => {
      expect(validateIdNatPs(ps).ok).toBe(true);
      expect(validateIdNatStruct(struct).ok).toBe(true);
      expect(STRUCTURES.some((s) => s.idNatStruct === struct)).toBe(true);
    },
  );

  it('loads idempotently: about 20 records, a minor with a representative, an opposition', async () => {
    const first = await loadDemoData(t.deps);
    expect(first.created).toBe(PATIENTS.length - 1);
    const second = await loadDemoData(t.deps);
    expect(second.created).toBe(0);
    const [records] = await t.db.owner`SELECT count(*)::int AS n FROM patient_record`;
    expect(records?.['n']).toBe(PATIENTS.length - 1);
    const [reps] = await t.db.owner`SELECT count(*)::int AS n FROM legal_representative`;
    expect(reps?.['n']).toBeGreaterThanOrEqual(1);
    const [opp] = await t.db.owner`SELECT count(*)::int AS n FROM opposition`;
    expect(opp?.['n']).toBe(1);
  });

  it('registers each demo minor’s representative, so that their demo account reaches the minor’s record (issue 17 rule 1)', async () => {
    await loadDemoData(t.deps);
    const accounts = demoAccounts().filter((a) => a.kind === 'representative');
    expect(accounts.length).toBeGreaterThanOrEqual(1);
    for (const account of accounts) {
      const token = await t.token({ ...account.body });
      const ins = String(account.body['ins']);
      const res = await t.app.inject({
        method: 'GET',
        url: `/fhir/Patient?identifier=${encodeURIComponent(`urn:oid:1.2.250.1.213.1.4.10|${ins}`)}`,
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json<{ total: number }>().total, account.name).toBe(1);
    }
  });

  it('completes a representative loaded before migration 0040 (a name, no identity) instead of adding one', async () => {
    const minor = PATIENTS.find((p) => p.representative !== undefined);
    const [row] = await t.db.owner<{ patient_id: string }[]>`
      SELECT patient_id FROM ins_index WHERE ins = ${minor?.ins ?? ''}`;
    await t.db.owner`DELETE FROM legal_representative WHERE patient_id = ${row?.patient_id ?? ''}`;
    await t.db
      .owner`INSERT INTO legal_representative (patient_id, id, name, relation, starts_at, registered_at,
        registered_by)
      VALUES (${row?.patient_id ?? ''}, gen_random_uuid(), ${minor?.representative?.name ?? ''}, 'MTH', now(),
        now(), 'demo-loader')`;
    await loadDemoData(t.deps);
    const rows = await t.db.owner<{ identifier: string | null }[]>`
      SELECT identifier FROM legal_representative WHERE patient_id = ${row?.patient_id ?? ''}`;
    expect(rows.map((r) => r.identifier)).toEqual([minor?.representative?.id]);
  });
});
