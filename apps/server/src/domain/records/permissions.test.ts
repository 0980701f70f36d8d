import { describe, expect, it } from 'vitest';
import type { ProfessionalActor } from '../access/actor.ts';
import { decideRecordAction } from './permissions.ts';

const A = '158037505610143';
const B = '262076912310249';
const gp: ProfessionalActor = {
  kind: 'professional',
  idNatPs: '899700366240',
  profession: '10',
  mode: 'normal',
};

describe('TD0.2 status lookup by a professional (issue 17 rule 6)', () => {
  it.each<[string, ProfessionalActor, string, string | undefined]>([
    ['normal mode, any record', gp, B, undefined],
    [
      'bris de glace declared for this record',
      { ...gp, mode: 'bris_de_glace', reason: 'x', emergencyIns: A },
      A,
      undefined,
    ],
    [
      'bris de glace declared for another record',
      { ...gp, mode: 'bris_de_glace', reason: 'x', emergencyIns: A },
      B,
      'ACCESS_EMERGENCY_OTHER_RECORD',
    ],
    [
      'centre 15 naming no record',
      { ...gp, mode: 'centre_15', regulator: true },
      A,
      'ACCESS_EMERGENCY_OTHER_RECORD',
    ],
  ])('%s', (_n, actor, ins, code) => {
    expect(decideRecordAction(actor, 'status', ins)?.code).toBe(code);
  });
});
