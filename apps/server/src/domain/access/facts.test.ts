import { describe, expect, it } from 'vitest';
import {
  invisiblePatientLiftsAt,
  invisiblePatientNoticeAt,
  isStillInvisibleToPatient,
  resolveStanding,
  type Grant,
} from './facts.ts';

const at = (iso: string): Date => new Date(iso);

describe('INVISIBLE_PATIENT timing (R1111-53)', () => {
  it.each([
    ['2025-03-01T08:30:00.000Z', '2025-04-01T08:30:00.000Z'],
    ['2025-01-31T12:00:00.000Z', '2025-02-28T12:00:00.000Z'],
    ['2024-01-31T12:00:00.000Z', '2024-02-29T12:00:00.000Z'],
    ['2025-12-15T23:59:59.000Z', '2026-01-15T23:59:59.000Z'],
    ['2025-08-31T00:00:00.000Z', '2025-09-30T00:00:00.000Z'],
  ])('deposited %s lifts at %s', (deposited, lifts) => {
    expect(invisiblePatientLiftsAt(at(deposited)).toISOString()).toBe(lifts);
  });

  it('tells the patient after two weeks', () => {
    expect(invisiblePatientNoticeAt(at('2025-03-01T08:30:00Z')).toISOString()).toBe(
      '2025-03-15T08:30:00.000Z',
    );
  });

  it.each([
    [['INVISIBLE_PATIENT'], '2025-03-31T23:59:59Z', true],
    [['INVISIBLE_PATIENT'], '2025-04-01T08:30:00Z', false],
    [['N'], '2025-03-02T00:00:00Z', false],
    [['MASQUE_PS'], '2025-03-02T00:00:00Z', false],
  ])('%o at %s → still invisible: %s', (confidentiality, now, expected) => {
    const doc = { confidentiality, depositedAt: at('2025-03-01T08:30:00Z') };
    expect(isStillInvisibleToPatient(doc, at(now))).toBe(expected);
  });

  it('keeps the document hidden when the clock is unreadable', () => {
    const doc = { confidentiality: ['INVISIBLE_PATIENT'], depositedAt: at('2020-01-01T00:00:00Z') };
    expect(isStillInvisibleToPatient(doc, new Date(Number.NaN))).toBe(true);
  });
});

describe('resolveStanding', () => {
  const now = at('2025-03-15T10:00:00Z');
  const me = { idNatPs: '810000000003', structure: '1750300000' };
  const mine: Grant = { kind: 'professional', idNatPs: me.idNatPs };
  const team: Grant = { kind: 'care-team', structure: '1750300000', patientObjected: false };
  const objectedTeam: Grant = { kind: 'care-team', structure: '1750300000', patientObjected: true };
  const otherTeam: Grant = { kind: 'care-team', structure: '1690000000', patientObjected: false };

  it.each([
    ['no grant', [], { kind: 'none' }],
    ['own consent', [mine], { kind: 'consent' }],
    ['own consent beats an objected care team', [objectedTeam, mine], { kind: 'consent' }],
    [
      'care team of my structure',
      [team],
      { kind: 'care-team', structure: '1750300000', patientObjected: false },
    ],
    [
      'objected care team',
      [objectedTeam],
      { kind: 'care-team', structure: '1750300000', patientObjected: true },
    ],
    ['care team of another structure', [otherTeam], { kind: 'none' }],
    [
      'another professional’s consent',
      [{ kind: 'professional', idNatPs: '810000000009' }],
      { kind: 'none' },
    ],
    ['expired consent', [{ ...mine, expiresAt: at('2025-03-15T10:00:00Z') }], { kind: 'none' }],
    [
      'consent not yet expired',
      [{ ...mine, expiresAt: at('2025-03-15T10:00:01Z') }],
      { kind: 'consent' },
    ],
  ] as const)('%s', (_n, grants, expected) => {
    expect(resolveStanding(me, grants, now)).toEqual(expected);
  });

  it('ignores care teams when the professional acts from no structure', () => {
    expect(resolveStanding({ idNatPs: me.idNatPs }, [team], now)).toEqual({ kind: 'none' });
  });
});
