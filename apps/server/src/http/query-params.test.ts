import { describe, expect, it } from 'vitest';
import {
  encodeCursor,
  nextLink,
  parseCount,
  parseCursor,
  parseDateWindow,
} from './query-params.ts';

describe('date search parameters', () => {
  const iso = (w: { from?: Date | undefined; to?: Date | undefined }) => [
    w.from?.toISOString(),
    w.to?.toISOString(),
  ];
  it('reads prefixes and precisions as half-open windows in UTC', () => {
    expect(iso(parseDateWindow('2026-02-10'))).toEqual([
      '2026-02-10T00:00:00.000Z',
      '2026-02-11T00:00:00.000Z',
    ]);
    expect(iso(parseDateWindow('ge2026-02'))).toEqual(['2026-02-01T00:00:00.000Z', undefined]);
    expect(iso(parseDateWindow('gt2026'))).toEqual(['2027-01-01T00:00:00.000Z', undefined]);
    expect(iso(parseDateWindow('le2026-02-10'))).toEqual([undefined, '2026-02-11T00:00:00.000Z']);
    expect(iso(parseDateWindow(['ge2026-01-01', 'lt2026-03-01T10:00+01:00']))).toEqual([
      '2026-01-01T00:00:00.000Z',
      '2026-03-01T09:00:00.000Z',
    ]);
    expect(iso(parseDateWindow(undefined))).toEqual([undefined, undefined]);
  });
  it('refuses malformed dates', () => {
    for (const bad of ['2026-13', '2026-02-30', 'yesterday', 'ne2026']) {
      expect(() => parseDateWindow(bad)).toThrow(/HTTP_DATE_INVALID/);
    }
  });
});

describe('paging parameters', () => {
  it('bounds _count and round-trips cursors', () => {
    expect(parseCount(undefined)).toBe(50);
    expect(parseCount('9999')).toBe(500);
    expect(() => parseCount('0')).toThrow(/HTTP_COUNT_INVALID/);
    const c = {
      at: new Date('2026-01-01T00:00:00.123Z'),
      id: '00000000-0000-4000-8000-000000000001',
    };
    expect(parseCursor(encodeCursor(c))).toEqual(c);
    expect(() => parseCursor('garbage')).toThrow(/HTTP_CURSOR_INVALID/);
    expect(
      nextLink(
        'http://x',
        '/fhir/AuditEvent',
        { patient: 'p', date: ['ge2026', 'lt2027'], _cursor: 'old' },
        'new',
      ),
    ).toBe('http://x/fhir/AuditEvent?patient=p&date=ge2026&date=lt2027&_cursor=new');
  });
});
