import { DomainFailure, domainError } from '../domain/errors.ts';
import { isUuid } from '../domain/identity/uuid.ts';
import { clampInstant, utcDay } from '../domain/date-bounds.ts';

/**
 * Query parameters the surfaces share (the FHIR API's AuditEvent and Communication searches, the portal's access
 * history and inbox), read here outside any adapter so that each surface reads its own query with them:
 *  - `date` (repeatable): a date with an optional prefix eq (default), ge, gt, le, lt on a year, month, day or
 *    instant (the FHIR date search syntax, which the portals use too); a date without time zone is a UTC date.
 *    Several values are combined with AND.
 *  - `_count`: page size, 1–500 (default 50).
 *  - `_cursor`: the opaque position given in the `next` link of the previous page.
 */
export interface DateWindow {
  /** inclusive */
  readonly from?: Date | undefined;
  /** exclusive */
  readonly to?: Date | undefined;
}

const DATE =
  /^(ge|gt|le|lt|eq)?(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

function invalid(code: string, message: string, location: string): DomainFailure {
  return new DomainFailure(domainError('invalid', code, message, [location]));
}

/** [start, end) of a FHIR date value at its own precision. */
function range(m: RegExpExecArray): { start: Date; end: Date } | undefined {
  const y = Number(m[2]);
  const mo = m[3] === undefined ? undefined : Number(m[3]) - 1;
  const d = m[4] === undefined ? undefined : Number(m[4]);
  if (y < 1 || (mo !== undefined && (mo < 0 || mo > 11))) {
    return undefined;
  }
  if (m[5] !== undefined) {
    const iso = `${m[2]}-${m[3]}-${m[4]}T${m[5]}:${m[6]}:${m[7] ?? '00'}${m[8] ?? ''}${m[9] ?? 'Z'}`;
    const start = Date.parse(iso);
    if (Number.isNaN(start)) {
      return undefined;
    }
    const unit = m[7] === undefined ? 60_000 : m[8] === undefined ? 1000 : 1;
    return { start: clampInstant(start), end: clampInstant(start + unit) };
  }
  if (mo === undefined) {
    return { start: clampInstant(utcDay(y, 0, 1)), end: clampInstant(utcDay(y + 1, 0, 1)) };
  }
  if (d === undefined) {
    return { start: clampInstant(utcDay(y, mo, 1)), end: clampInstant(utcDay(y, mo + 1, 1)) };
  }
  const start = new Date(utcDay(y, mo, d));
  if (start.getUTCMonth() !== mo) {
    return undefined;
  }
  return { start: clampInstant(start.getTime()), end: clampInstant(utcDay(y, mo, d + 1)) };
}

function values(raw: string | string[] | undefined): string[] {
  if (raw === undefined) {
    return [];
  }
  return (Array.isArray(raw) ? raw : [raw]).flatMap((v) => v.split(',')).filter((v) => v !== '');
}

/** Reads the `date` parameters into one window (AND of every value). */
export function parseDateWindow(raw: string | string[] | undefined, name = 'date'): DateWindow {
  let from: Date | undefined;
  let to: Date | undefined;
  const later = (a: Date | undefined, b: Date): Date => (a && a > b ? a : b);
  const earlier = (a: Date | undefined, b: Date): Date => (a && a < b ? a : b);
  for (const v of values(raw)) {
    const m = DATE.exec(v);
    const r = m ? range(m) : undefined;
    if (!m || !r) {
      throw invalid(
        'HTTP_DATE_INVALID',
        `${name} must be [ge|gt|le|lt|eq]YYYY[-MM[-DD[Thh:mm[:ss][Z|±hh:mm]]]].`,
        name,
      );
    }
    switch (m[1] ?? 'eq') {
      case 'ge':
        from = later(from, r.start);
        break;
      case 'gt':
        from = later(from, r.end);
        break;
      case 'le':
        to = earlier(to, r.end);
        break;
      case 'lt':
        to = earlier(to, r.start);
        break;
      default:
        from = later(from, r.start);
        to = earlier(to, r.end);
    }
  }
  return { from, to };
}

export function parseCount(raw: string | string[] | undefined, fallback = 50, max = 500): number {
  if (raw === undefined) {
    return fallback;
  }
  const v = Array.isArray(raw) ? raw[0] : raw;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    throw invalid('HTTP_COUNT_INVALID', `_count must be an integer from 1 to ${max}.`, '_count');
  }
  return Math.min(n, max);
}

/** The position after which the next page starts: (time, id), base64url-encoded. */
export function encodeCursor(c: { readonly at: Date; readonly id: string }): string {
  return Buffer.from(`${c.at.toISOString()}|${c.id}`).toString('base64url');
}

export function parseCursor(
  raw: string | string[] | undefined,
): { at: Date; id: string } | undefined {
  if (raw === undefined) {
    return undefined;
  }
  const v = Array.isArray(raw) ? raw[0] : raw;
  const [iso, id] = Buffer.from(v ?? '', 'base64url')
    .toString('utf8')
    .split('|');
  const at = new Date(iso ?? '');
  if (!id || !isUuid(id) || Number.isNaN(at.getTime())) {
    throw invalid('HTTP_CURSOR_INVALID', '_cursor is not a position this server gave.', '_cursor');
  }
  return { at, id };
}

/** The URL of the next page: the same query with `_cursor` set. */
export function nextLink(
  base: string,
  path: string,
  query: Record<string, unknown>,
  cursor: string,
): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (k === '_cursor' || v === undefined) {
      continue;
    }
    for (const item of Array.isArray(v) ? v : [v]) {
      params.append(k, String(item));
    }
  }
  params.append('_cursor', cursor);
  return `${base}${path}?${params.toString()}`;
}
