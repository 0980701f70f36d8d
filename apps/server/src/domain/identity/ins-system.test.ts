/** Issue 17 rule 11 (I8): the test and demo INS systems only where the configuration allows them. */
import { describe, expect, it } from 'vitest';
import { checkInsSystemAllowed, INS_OID } from './ins.ts';

describe('test and demo INS systems (I8)', () => {
  it.each([
    [INS_OID.NIR, false, undefined],
    [INS_OID.NIA, false, undefined],
    [`urn:oid:${INS_OID.NIR}`, false, undefined],
    [INS_OID.TEST, false, 'ID_INS_TEST_SYSTEM'],
    [INS_OID.DEMO, false, 'ID_INS_TEST_SYSTEM'],
    [`urn:oid:${INS_OID.TEST}`, false, 'ID_INS_TEST_SYSTEM'],
    [INS_OID.TEST, true, undefined],
    [INS_OID.DEMO, true, undefined],
  ] as const)('%s with test systems allowed=%s → %s', (oid, allowed, code) => {
    expect(checkInsSystemAllowed(oid, allowed)?.code).toBe(code);
  });

  it('says which systems to use, and never repeats a matricule', () => {
    const message = checkInsSystemAllowed(INS_OID.TEST, false)?.message ?? '';
    expect(message).toContain('1.2.250.1.213.1.4.8');
    expect(message).not.toMatch(/\d{15}/);
  });
});
