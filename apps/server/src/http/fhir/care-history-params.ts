/**
 * The FHIR adapter's reading of the care history's search parameters (GET /fhir/ExplanationOfBenefit;
 * docs/care-history.md "Reading it") into the neutral search the use case takes (services/care-history.ts
 * `CareHistorySearch`: a day range, code kinds, a page size). Pure.
 *
 * Rules:
 *  Q1. `date` (repeatable) takes a prefix eq (default), ge, gt, le, lt and a date AAAA, AAAA-MM or AAAA-MM-JJ;
 *      each narrows the inclusive day range [from, to] (eq AAAA-MM = that whole month) — CARE_SEARCH_DATE; years
 *      0001–9999, a bound past them clamped (domain/date-bounds.ts).
 *  Q2. `kind` takes one or more of CCAM, NGAP, BIO, CIP13 (comma-separated or repeated) — CARE_SEARCH_KIND.
 *  Q3. `_count` 1–500, default 50 — CARE_SEARCH_COUNT.
 */
import type { DomainIssue } from '../../domain/errors.ts';
import type { Result } from '../../domain/result.ts';
import { err, ok } from '../../domain/result.ts';
import { shiftDay, utcDay } from '../../domain/date-bounds.ts';
import type { CodeKind } from '../../domain/care-history/line.ts';
import { CODE_KINDS } from '../../domain/care-history/line.ts';

export interface CareQuery {
  readonly from?: string;
  readonly to?: string;
  readonly kinds?: readonly CodeKind[];
  readonly count: number;
}

export const DEFAULT_COUNT = 50;
export const MAX_COUNT = 500;

function lastDay(y: number, m: number): number {
  return new Date(utcDay(y, m, 0)).getUTCDate();
}

/** The inclusive [first, last] days a partial date designates. */
export function dayRange(value: string): { first: string; last: string } | undefined {
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(value);
  if (!m) {
    return undefined;
  }
  const y = Number(m[1]);
  if (y < 1) {
    return undefined;
  }
  if (m[2] === undefined) {
    return { first: `${m[1]}-01-01`, last: `${m[1]}-12-31` };
  }
  const mo = Number(m[2]);
  if (mo < 1 || mo > 12) {
    return undefined;
  }
  if (m[3] === undefined) {
    return {
      first: `${m[1]}-${m[2]}-01`,
      last: `${m[1]}-${m[2]}-${String(lastDay(y, mo)).padStart(2, '0')}`,
    };
  }
  const d = Number(m[3]);
  if (d < 1 || d > lastDay(y, mo)) {
    return undefined;
  }
  return { first: value, last: value };
}

function nextDay(iso: string): string {
  return shiftDay(iso, 1);
}

function previousDay(iso: string): string {
  return shiftDay(iso, -1);
}

const asList = (v: string | readonly string[] | undefined): readonly string[] =>
  v === undefined ? [] : typeof v === 'string' ? [v] : v;

/** Q1–Q3. */
export function readCareQuery(params: {
  readonly date?: string | readonly string[] | undefined;
  readonly kind?: string | readonly string[] | undefined;
  readonly count?: string | undefined;
}): Result<CareQuery, DomainIssue[]> {
  const issues: DomainIssue[] = [];
  let from: string | undefined;
  let to: string | undefined;
  const narrowFrom = (d: string) => {
    from = from === undefined || d > from ? d : from;
  };
  const narrowTo = (d: string) => {
    to = to === undefined || d < to ? d : to;
  };
  for (const raw of asList(params.date)) {
    const m = /^(eq|ge|gt|le|lt)?(.+)$/.exec(raw);
    const range = m?.[2] !== undefined ? dayRange(m[2]) : undefined;
    if (!m || !range) {
      issues.push({
        code: 'CARE_SEARCH_DATE',
        message: 'date takes [eq|ge|gt|le|lt]AAAA[-MM[-JJ]].',
        location: ['date'],
      });
      continue;
    }
    switch (m[1] ?? 'eq') {
      case 'eq':
        narrowFrom(range.first);
        narrowTo(range.last);
        break;
      case 'ge':
        narrowFrom(range.first);
        break;
      case 'gt':
        narrowFrom(nextDay(range.last));
        break;
      case 'le':
        narrowTo(range.last);
        break;
      case 'lt':
        narrowTo(previousDay(range.first));
        break;
    }
  }
  const kinds: CodeKind[] = [];
  for (const raw of asList(params.kind).flatMap((k) => k.split(','))) {
    const k = raw.trim().toUpperCase();
    if ((CODE_KINDS as readonly string[]).includes(k)) {
      if (!kinds.includes(k as CodeKind)) {
        kinds.push(k as CodeKind);
      }
    } else {
      issues.push({
        code: 'CARE_SEARCH_KIND',
        message: `kind takes ${CODE_KINDS.join(', ')}.`,
        location: ['kind'],
      });
    }
  }
  let count = DEFAULT_COUNT;
  if (params.count !== undefined) {
    count = Number(params.count);
    if (!/^\d+$/.test(params.count) || count < 1 || count > MAX_COUNT) {
      issues.push({
        code: 'CARE_SEARCH_COUNT',
        message: `_count takes 1 to ${MAX_COUNT}.`,
        location: ['_count'],
      });
    }
  }
  if (issues.length > 0) {
    return err(issues);
  }
  return ok({
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
    ...(kinds.length > 0 ? { kinds } : {}),
    count,
  });
}
