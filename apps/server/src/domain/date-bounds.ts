/**
 * Dates a search can name, within what FHIR and PostgreSQL both accept (issue 16, finding 5):
 * - D1 FHIR years run from 0001 to 9999 (`0000` is not a FHIR date): a year 0 is refused by the parsers;
 * - D2 a bound computed from a valid date (the end of 9999-12-31, the day before 0001-01-01) is clamped into
 *   [0001-01-01T00:00:00.000Z, 9999-12-31T23:59:59.999Z]: a search prefix past the edge of time means "nothing
 *   there", never an error from the database;
 * - D3 years below 100 are years below 100 (JavaScript's Date.UTC reads 0–99 as 1900–1999).
 */
export const MIN_INSTANT = Date.parse('0001-01-01T00:00:00.000Z');
export const MAX_INSTANT = Date.parse('9999-12-31T23:59:59.999Z');
export const MIN_DAY = '0001-01-01';
export const MAX_DAY = '9999-12-31';

/** Rule D2 for an instant. */
export function clampInstant(ms: number): Date {
  return new Date(Math.min(MAX_INSTANT, Math.max(MIN_INSTANT, ms)));
}

/** Rule D2 for a day (YYYY-MM-DD, compared as text: both are four-digit years). */
export function clampDay(day: string): string {
  return day < MIN_DAY ? MIN_DAY : day > MAX_DAY ? MAX_DAY : day;
}

/** Midnight UTC of a calendar day (rule D3); months and days overflow as in Date.UTC. */
export function utcDay(year: number, month: number, day: number): number {
  const d = new Date(0);
  return d.setUTCFullYear(year, month, day);
}

/** The day before or after an ISO day (YYYY-MM-DD), clamped (rule D2). */
export function shiftDay(day: string, days: number): string {
  const ms = Date.parse(`${day}T00:00:00Z`) + days * 86_400_000;
  if (!(ms >= MIN_INSTANT)) {
    return MIN_DAY;
  }
  if (ms > MAX_INSTANT) {
    return MAX_DAY;
  }
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * The [start, end) range a date value designates by its precision (2024, 2024-05, 2024-05-12, or a dateTime with
 * zone; UTC when no zone is given): FHIR search dates, XDS times once converted (xdsTimeToFhir).
 */
export function dateRange(value: string): { start: Date; end: Date } | undefined {
  const m =
    /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/.exec(
      value,
    );
  if (!m) {
    return undefined;
  }
  const [, y, mo, d, h, mi, s, frac, tz] = m;
  const year = Number(y);
  if (year < 1) {
    return undefined;
  }
  const days = (
    first: [number, number, number],
    next: [number, number, number],
  ): { start: Date; end: Date } => ({
    start: clampInstant(utcDay(...first)),
    end: clampInstant(utcDay(...next)),
  });
  if (mo === undefined) {
    return days([year, 0, 1], [year + 1, 0, 1]);
  }
  const month = Number(mo) - 1;
  if (d === undefined) {
    return days([year, month, 1], [year, month + 1, 1]);
  }
  const day = Number(d);
  if (h === undefined) {
    return days([year, month, day], [year, month, day + 1]);
  }
  const iso = `${y}-${mo}-${d}T${h}:${mi ?? '00'}:${s ?? '00'}${frac ?? ''}${tz ?? 'Z'}`;
  const start = Date.parse(iso);
  if (Number.isNaN(start)) {
    return undefined;
  }
  const step = s === undefined ? 60_000 : frac === undefined ? 1000 : 1;
  return { start: clampInstant(start), end: clampInstant(start + step) };
}
