/** Issue 17 rule 11: a record created under an NIA receives its NIR (N1–N3). */
import { describe, expect, it } from 'vitest';
import { INS_OID, validateIns } from './ins.ts';
import { decideNirAssignment } from './nir-assignment.ts';

const NIA = '180017512345660';
const NIR = '180027512345775';

function ins(value: string, oid: string) {
  const checked = validateIns(value, oid);
  if (!checked.ok) {
    throw new Error(checked.error.message);
  }
  return checked.value;
}

describe('a record under an NIA receives its NIR', () => {
  it.each([
    ['an NIA record receives an INS-NIR', INS_OID.NIA, NIR, INS_OID.NIR, 'ok'],
    ['… or a test NIR where tests run', INS_OID.NIA, NIR, INS_OID.TEST, 'ok'],
    ['a NIR record has one already (N1)', INS_OID.NIR, NIR, INS_OID.NIR, 'REC_NOT_NIA'],
    ['a test record is not an NIA (N1)', INS_OID.TEST, NIR, INS_OID.NIR, 'REC_NOT_NIA'],
    ['an NIA does not replace an NIA (N2)', INS_OID.NIA, NIR, INS_OID.NIA, 'REC_NIR_REQUIRED'],
    ['the same matricule changes nothing (N3)', INS_OID.NIA, NIA, INS_OID.NIR, 'REC_NIR_SAME'],
  ] as const)('%s', (_name, recordOid, value, oid, expected) => {
    const decided = decideNirAssignment({ ins: NIA, insOid: recordOid }, ins(value, oid));
    expect(decided.ok ? 'ok' : decided.error.code).toBe(expected);
  });

  it('keeps the NIA as the former identifier', () => {
    const decided = decideNirAssignment({ ins: NIA, insOid: INS_OID.NIA }, ins(NIR, INS_OID.NIR));
    expect(decided).toEqual({
      ok: true,
      value: { formerIns: NIA, formerOid: INS_OID.NIA, nir: NIR, nirOid: INS_OID.NIR },
    });
  });
});
