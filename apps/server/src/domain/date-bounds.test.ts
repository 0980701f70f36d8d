import { describe, expect, it } from 'vitest';
import { clampDay, clampInstant, shiftDay, utcDay } from './date-bounds.ts';

describe('date bounds', () => {
  it.each([
    [1, 0, 1, '0001-01-01T00:00:00.000Z'],
    [50, 5, 15, '0050-06-15T00:00:00.000Z'],
    [99, 11, 32, '0100-01-01T00:00:00.000Z'],
    [2024, 1, 30, '2024-03-01T00:00:00.000Z'],
    [2023, 2, 0, '2023-02-28T00:00:00.000Z'],
    [2024, 2, 0, '2024-02-29T00:00:00.000Z'],
    [9999, 11, 31, '9999-12-31T00:00:00.000Z'],
  ])('utcDay(%i, %i, %i) = %s (years below 100 are not 1900s)', (y, m, d, iso) => {
    expect(new Date(utcDay(y, m, d)).toISOString()).toBe(iso);
  });

  it.each([
    [Date.parse('2024-01-01T00:00:00Z'), '2024-01-01T00:00:00.000Z'],
    [utcDay(10000, 0, 1), '9999-12-31T23:59:59.999Z'],
    [utcDay(0, 0, 1), '0001-01-01T00:00:00.000Z'],
  ])('clampInstant(%d) = %s', (ms, iso) => {
    expect(clampInstant(ms).toISOString()).toBe(iso);
  });

  it.each([
    ['2024-02-28', 1, '2024-02-29'],
    ['0001-01-01', -1, '0001-01-01'],
    ['9999-12-31', 1, '9999-12-31'],
    ['0001-01-02', -1, '0001-01-01'],
  ])('shiftDay(%s, %i) = %s', (day, n, out) => {
    expect(shiftDay(day, n)).toBe(out);
  });

  it.each([
    ['0000-12-31', '0001-01-01'],
    ['2024-05-01', '2024-05-01'],
  ])('clampDay(%s) = %s', (day, out) => {
    expect(clampDay(day)).toBe(out);
  });
});
