import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemoData } from '../../src/demo/load.ts';
import { PATIENTS, PROFESSIONALS, STRUCTURES } from '../../src/demo/directory.ts';
import { validateIns } from '../../src/domain/identity/ins.ts';
import { validateIdNatPs } from '../../src/domain/identity/idnat-ps.ts';
import { validateIdNatStruct } from '../../src/domain/identity/idnat-struct.ts';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp } from '../helpers/app.ts';

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
});
