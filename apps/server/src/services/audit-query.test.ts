import { describe, expect, it } from 'vitest';
import type { Actor } from '../domain/access/actor.ts';
import { holderSeesTrace } from './audit-query.ts';

const INS = '112087505611139';
const NOW = new Date('2026-06-01T00:00:00Z');
const patient: Actor = { kind: 'patient', ins: INS };
const representative: Actor = { kind: 'representative', ins: INS, id: '284067505600131' };
const operator: Actor = { kind: 'operator', id: 'ops' };
const none = new Map();

describe('holderSeesTrace H6 (issue 17 rule 2)', () => {
  const secret = { entity_type: 'Patient', entity_id: 'p', detail: { secret: true } };
  const plain = { entity_type: 'Patient', entity_id: 'p', detail: {} };

  it('leaves the traces of a connexion secrète out of the representatives’ view only', () => {
    expect(holderSeesTrace(representative, secret, none, NOW)).toBe(false);
    expect(holderSeesTrace(representative, plain, none, NOW)).toBe(true);
    expect(holderSeesTrace(patient, secret, none, NOW)).toBe(true);
    expect(holderSeesTrace(operator, secret, none, NOW)).toBe(true);
  });
});
