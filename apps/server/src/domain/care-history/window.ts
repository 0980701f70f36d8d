/**
 * The 24-month window of the care history (product.md §2 "Contents beyond documents"; the CNAM-HR volet
 * speaks of "les vingt-quatre derniers mois").
 *
 * Rules:
 *  W1. A line is in view when its date of care is on or after the same calendar day 24 months before today
 *      (29 February → 28 February when that year has none). Reading filters on it; lines that fell out are
 *      deleted later by the retention pass (services/care-history.ts purgeExpiredCareLines).
 *  W2. Dates are ISO AAAA-MM-JJ strings, compared as text.
 */
export const CARE_HISTORY_MONTHS = 24;

/** ISO date `months` calendar months before `today` (day clamped to the month's length). */
export function monthsBefore(today: string, months: number): string {
  const [y, m, d] = today.split('-').map(Number) as [number, number, number];
  const total = y * 12 + (m - 1) - months;
  const year = Math.floor(total / 12);
  const month = (total % 12) + 1;
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const day = Math.min(d, last);
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** First date of care still in view today (W1). */
export function windowStart(today: string): string {
  return monthsBefore(today, CARE_HISTORY_MONTHS);
}

/** Whether a line dated `careDate` is in view today (W1). */
export function inWindow(careDate: string, today: string): boolean {
  return careDate >= windowStart(today);
}

/** The civil date (UTC) of an instant, as ISO AAAA-MM-JJ. */
export function isoDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}
