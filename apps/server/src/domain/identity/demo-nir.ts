import { computeNirKey } from './ins.ts';

/**
 * Synthetic NIRs for demo data and tests: {@link makeNir} assembles the 13 characters and appends the key,
 * so the result passes `validateIns` (ins.ts rules I2–I3).
 *
 * Rules:
 *  D1. sex 1, 2 (or 3, 4, 7, 8, accepted by ins.ts); year 0–99; month 1–12, 20–42 or 50–99; dept a 2-character
 *      department (`'75'`, `'2A'`, `'2B'`, `'97'`, `'99'`, not `'00'`); commune and order 0–999. For overseas
 *      departments (97x) the third digit of the department is the first digit of `commune`, as in a real NIR.
 *  D2. Out-of-range parts throw a RangeError: this is a generator, misuse is a programming error.
 *  D3. Prefer the demo system (INS_OID.DEMO, 1.2.250.1.213.1.4.11) for identities made with this function.
 */

export interface NirParts {
  readonly sex: 1 | 2 | 3 | 4 | 7 | 8;
  readonly year: number;
  readonly month: number;
  readonly dept: string;
  readonly commune: number;
  readonly order: number;
}

function pad(n: number, width: number, name: string, max: number): string {
  if (!Number.isInteger(n) || n < 0 || n > max) {
    throw new RangeError(`makeNir: ${name} must be an integer in 0..${max}`);
  }
  return String(n).padStart(width, '0');
}

/** Builds a valid 15-character NIR from its parts (D1–D2). */
export function makeNir(parts: NirParts): string {
  if (![1, 2, 3, 4, 7, 8].includes(parts.sex)) {
    throw new RangeError('makeNir: sex must be 1, 2, 3, 4, 7 or 8');
  }
  const m = parts.month;
  if (
    !Number.isInteger(m) ||
    !((m >= 1 && m <= 12) || (m >= 20 && m <= 42) || (m >= 50 && m <= 99))
  ) {
    throw new RangeError('makeNir: month must be 1–12, 20–42 or 50–99');
  }
  if (!/^(?:\d{2}|2[AB])$/.test(parts.dept) || parts.dept === '00') {
    throw new RangeError("makeNir: dept must be two digits (not '00') or 2A/2B");
  }
  const first13 =
    String(parts.sex) +
    pad(parts.year, 2, 'year', 99) +
    pad(m, 2, 'month', 99) +
    parts.dept +
    pad(parts.commune, 3, 'commune', 999) +
    pad(parts.order, 3, 'order', 999);
  return first13 + String(computeNirKey(first13)).padStart(2, '0');
}
