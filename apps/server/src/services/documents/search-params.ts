import type { DomainIssue } from '../../domain/errors.ts';
import { DomainFailure, validationError } from '../../domain/errors.ts';
import { uniqueIdFromIdentifier } from '../../domain/documents/identifiers.ts';
import { validateIns } from '../../domain/identity/ins.ts';
import type { DateBound, DocumentFilter, StoredStatus } from '../../db/documents.repository.ts';
import { isUuid } from '../../domain/identity/uuid.ts';
import { clampInstant, utcDay } from '../../domain/date-bounds.ts';

/**
 * ITI-67 / ITI-66 query parameters → a typed search. Rules:
 * - the patient is named by `patient.identifier=<INS system>|<INS>` or `patient=[Patient/]<id>` (exactly one);
 * - tokens are `[system|]code`, a comma means OR, a repeated parameter means AND (for dates) or OR (codes);
 *   the code alone is compared (the value sets keep codes unique across their systems);
 * - dates take the prefixes eq (default), ge, gt, le, lt, sa, eb on a range given by the precision of the value
 *   (2024, 2024-05, 2024-05-12, or a dateTime with zone); `ne` and `ap` are refused;
 * - status defaults to current and superseded (deleted documents are never served); PDSm isArchived defaults
 *   to false: archived documents are found only when asked for (isArchived=true);
 * - `_count` 1–1000 (default 100); `_cursor` is the opaque next-page token of a previous answer;
 * - any other parameter is refused (DOC_SEARCH_PARAM_UNKNOWN), so a misspelt filter never widens an answer.
 */
export type Query = Readonly<Record<string, string | readonly string[] | undefined>>;

export type PatientSelector =
  | { readonly kind: 'ins'; readonly ins: string; readonly oid: string }
  | { readonly kind: 'id'; readonly id: string };

export interface DocumentSearch {
  readonly patient: PatientSelector;
  readonly filter: DocumentFilter;
  readonly count: number;
  readonly cursor?: { readonly at: number; readonly id: string };
}

export const DEFAULT_COUNT = 100;
export const MAX_COUNT = 1000;

const GENERIC = new Set(['_format', '_pretty']);

function values(query: Query, name: string): string[] {
  const v = query[name];
  if (v === undefined) {
    return [];
  }
  return (typeof v === 'string' ? [v] : [...v]).filter((x) => x !== '');
}

function tokenCodes(query: Query, ...names: string[]): string[] | undefined {
  const out: string[] = [];
  for (const name of names) {
    for (const raw of values(query, name)) {
      for (const part of raw.split(',')) {
        const bar = part.indexOf('|');
        const code = bar < 0 ? part : part.slice(bar + 1);
        if (code !== '') {
          out.push(code);
        }
      }
    }
  }
  return out.length > 0 ? out : undefined;
}

function bad(code: string, message: string, location: string): DomainIssue {
  return { code, message, location: [location] };
}

/** The [start, end) range a FHIR date value designates (UTC when no zone is given; domain/date-bounds.ts). */
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

type DateColumn = DateBound['column'];

/** A date parameter on a single instant column. */
function instantBounds(
  column: DateColumn,
  prefix: string,
  r: { start: Date; end: Date },
): DateBound[] | undefined {
  switch (prefix) {
    case 'eq':
      return [
        { column, op: '>=', at: r.start },
        { column, op: '<', at: r.end },
      ];
    case 'ge':
      return [{ column, op: '>=', at: r.start }];
    case 'gt':
    case 'sa':
      return [{ column, op: '>=', at: r.end }];
    case 'le':
      return [{ column, op: '<', at: r.end }];
    case 'lt':
    case 'eb':
      return [{ column, op: '<', at: r.start }];
    default:
      return undefined;
  }
}

/** A date parameter on context.period ([service_start, service_stop or start]). */
function periodBounds(prefix: string, r: { start: Date; end: Date }): DateBound[] | undefined {
  switch (prefix) {
    case 'eq':
      return [
        { column: 'service_start', op: '>=', at: r.start },
        { column: 'service_end_or_start', op: '<', at: r.end },
      ];
    case 'ge':
      return [{ column: 'service_end_or_start', op: '>=', at: r.start }];
    case 'gt':
    case 'sa':
      return [{ column: 'service_end_or_start', op: '>=', at: r.end }];
    case 'le':
      return [{ column: 'service_start', op: '<', at: r.end }];
    case 'lt':
    case 'eb':
      return [{ column: 'service_start', op: '<', at: r.start }];
    default:
      return undefined;
  }
}

/** A date parameter value (`[prefix]date`) as a predicate on an instant, for filters applied in memory. */
export function datePredicate(raw: string): ((at: Date) => boolean) | undefined {
  const m = /^(eq|ne|gt|lt|ge|le|sa|eb|ap)?(.+)$/.exec(raw);
  const range = m?.[2] !== undefined ? dateRange(m[2]) : undefined;
  const bounds = range ? instantBounds('doc_date', m?.[1] ?? 'eq', range) : undefined;
  if (!bounds) {
    return undefined;
  }
  return (at) =>
    bounds.every((b) =>
      b.op === '>=' ? at.getTime() >= b.at.getTime() : at.getTime() < b.at.getTime(),
    );
}

const DATE_PARAMS: Readonly<Record<string, DateColumn | 'period'>> = {
  date: 'doc_date',
  creation: 'creation_time',
  period: 'period',
  'period-start': 'service_start',
  'period-end': 'service_stop',
  'PDSm_DocumentReference_period-start': 'service_start',
  'PDSm_DocumentReference_period-end': 'service_stop',
};

function dateBounds(query: Query, issues: DomainIssue[]): DateBound[] {
  const out: DateBound[] = [];
  for (const [name, column] of Object.entries(DATE_PARAMS)) {
    for (const raw of values(query, name)) {
      const m = /^(eq|ne|gt|lt|ge|le|sa|eb|ap)?(.+)$/.exec(raw);
      const prefix = m?.[1] ?? 'eq';
      const range = m?.[2] !== undefined ? dateRange(m[2]) : undefined;
      const bounds = range
        ? column === 'period'
          ? periodBounds(prefix, range)
          : instantBounds(column, prefix, range)
        : undefined;
      if (!bounds) {
        issues.push(
          bad(
            'DOC_SEARCH_DATE_INVALID',
            `${name} takes [eq|ge|gt|le|lt|sa|eb]<date or dateTime with zone>.`,
            name,
          ),
        );
      } else {
        out.push(...bounds);
      }
    }
  }
  return out;
}

export function patientSelector(query: Query, issues: DomainIssue[]): PatientSelector | undefined {
  const byIdentifier = values(query, 'patient.identifier');
  const byId = values(query, 'patient');
  if (byIdentifier.length + byId.length !== 1) {
    issues.push(
      bad(
        'DOC_SEARCH_PATIENT_REQUIRED',
        'Name the patient once: patient.identifier=urn:oid:1.2.250.1.213.1.4.8|<INS> (or the NIA, test or demo OID), or patient=Patient/<id>.',
        'patient.identifier',
      ),
    );
    return undefined;
  }
  const token = byIdentifier[0];
  if (token !== undefined) {
    const bar = token.indexOf('|');
    const checked = validateIns(
      bar < 0 ? token : token.slice(bar + 1),
      bar > 0 ? token.slice(0, bar) : undefined,
    );
    if (!checked.ok) {
      issues.push({ ...checked.error, location: ['patient.identifier'] });
      return undefined;
    }
    return { kind: 'ins', ins: checked.value.value, oid: checked.value.oid };
  }
  const id = (byId[0] ?? '').replace(/^(?:.*\/)?Patient\//, '').toLowerCase();
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) {
    issues.push(
      bad('DOC_SEARCH_PATIENT_REQUIRED', 'patient must be Patient/<id> of a record.', 'patient'),
    );
    return undefined;
  }
  return { kind: 'id', id };
}

export function pageCount(query: Query, issues: DomainIssue[]): number {
  const raw = values(query, '_count')[0];
  if (raw === undefined) {
    return DEFAULT_COUNT;
  }
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_COUNT) {
    issues.push(
      bad(
        'DOC_SEARCH_COUNT_INVALID',
        `_count must be an integer from 1 to ${String(MAX_COUNT)}.`,
        '_count',
      ),
    );
    return DEFAULT_COUNT;
  }
  return n;
}

export function checkKnown(query: Query, known: ReadonlySet<string>, issues: DomainIssue[]): void {
  for (const name of Object.keys(query)) {
    if (!known.has(name) && !GENERIC.has(name)) {
      issues.push(
        bad(
          'DOC_SEARCH_PARAM_UNKNOWN',
          'Unsupported search parameter (see the CapabilityStatement).',
          name,
        ),
      );
    }
  }
}

const STATUS: Readonly<Record<string, StoredStatus | 'deleted-never-served'>> = {
  current: 'current',
  superseded: 'superseded',
  'entered-in-error': 'deleted-never-served',
};

export const DOCUMENT_SEARCH_PARAMS: ReadonlySet<string> = new Set([
  'patient',
  'patient.identifier',
  'status',
  'type',
  'category',
  'class',
  'setting',
  'facility',
  'format',
  'event',
  'security-label',
  'author.identifier',
  'identifier',
  'related',
  'relatesto',
  'isArchived',
  'PDSm_isArchived',
  ...Object.keys(DATE_PARAMS),
  '_count',
  '_cursor',
]);

function cursorOf(query: Query, issues: DomainIssue[]): DocumentSearch['cursor'] {
  const raw = values(query, '_cursor')[0];
  if (raw === undefined) {
    return undefined;
  }
  const m = /^(\d{1,16})_(.{36})$/.exec(raw);
  if (!m || !isUuid(m[2])) {
    issues.push(
      bad(
        'DOC_SEARCH_CURSOR_INVALID',
        '_cursor must be the value given in a next link.',
        '_cursor',
      ),
    );
    return undefined;
  }
  return { at: Number(m[1]), id: m[2] };
}

export function encodeCursor(at: Date, id: string): string {
  return `${String(at.getTime())}_${id}`;
}

function identifierFilter(query: Query): { uniqueIds: string[]; ids: string[] } | undefined {
  const raws = values(query, 'identifier').flatMap((v) => v.split(','));
  if (raws.length === 0) {
    return undefined;
  }
  const uniqueIds: string[] = [];
  const ids: string[] = [];
  for (const raw of raws) {
    const bar = raw.indexOf('|');
    const system = bar < 0 ? undefined : raw.slice(0, bar) || undefined;
    const value = bar < 0 ? raw : raw.slice(bar + 1);
    const uid = uniqueIdFromIdentifier(system, value) ?? (system === undefined ? value : undefined);
    if (uid !== undefined) {
      uniqueIds.push(uid);
    }
    const uuid = /^urn:uuid:(.{36})$/.exec(value)?.[1];
    if (isUuid(uuid)) {
      ids.push(uuid.toLowerCase());
    }
  }
  return { uniqueIds, ids };
}

/** Parses an ITI-67 query; throws one 400 with every problem found. */
export function parseDocumentSearch(query: Query): DocumentSearch {
  const issues: DomainIssue[] = [];
  checkKnown(query, DOCUMENT_SEARCH_PARAMS, issues);
  const patient = patientSelector(query, issues);
  const statusCodes = tokenCodes(query, 'status');
  const statuses: StoredStatus[] = [];
  for (const s of statusCodes ?? ['current', 'superseded']) {
    const st = STATUS[s];
    if (st === undefined) {
      issues.push(
        bad(
          'DOC_SEARCH_STATUS_INVALID',
          'status is current, superseded or entered-in-error.',
          'status',
        ),
      );
    } else if (st !== 'deleted-never-served') {
      statuses.push(st);
    }
  }
  const archivedRaw = [...values(query, 'isArchived'), ...values(query, 'PDSm_isArchived')][0];
  if (archivedRaw !== undefined && archivedRaw !== 'true' && archivedRaw !== 'false') {
    issues.push(bad('DOC_SEARCH_ARCHIVED_INVALID', 'isArchived is true or false.', 'isArchived'));
  }
  const dates = dateBounds(query, issues);
  const count = pageCount(query, issues);
  const cursor = cursorOf(query, issues);
  const relatesTo = values(query, 'relatesto')
    .flatMap((v) => v.split(','))
    .map((v) => v.replace(/^(?:.*\/)?DocumentReference\//, '').toLowerCase());
  if (relatesTo.some((r) => !isUuid(r))) {
    issues.push(
      bad('DOC_SEARCH_REFERENCE_INVALID', 'relatesto is DocumentReference/<id>.', 'relatesto'),
    );
  }
  if (issues.length > 0 || !patient) {
    throw new DomainFailure(validationError(issues, 'invalid'));
  }
  const identifiers = identifierFilter(query);
  const opt = <K extends keyof DocumentFilter>(
    key: K,
    value: DocumentFilter[K] | undefined,
  ): Partial<DocumentFilter> => (value === undefined ? {} : { [key]: value });
  const filter: DocumentFilter = {
    statuses,
    archived: archivedRaw === 'true',
    ...opt('typeCodes', tokenCodes(query, 'type')),
    ...opt('classCodes', tokenCodes(query, 'category', 'class')),
    ...opt('settingCodes', tokenCodes(query, 'setting')),
    ...opt('facilityCodes', tokenCodes(query, 'facility')),
    ...opt('formatCodes', tokenCodes(query, 'format')),
    ...opt('eventCodes', tokenCodes(query, 'event')),
    ...opt('securityLabels', tokenCodes(query, 'security-label')),
    ...opt('authorIds', tokenCodes(query, 'author.identifier')),
    ...opt('relatedIds', tokenCodes(query, 'related')),
    ...opt('identifiers', identifiers),
    ...opt('replacesIds', relatesTo.length > 0 ? relatesTo : undefined),
    dates,
  };
  return { patient, filter, count, ...(cursor ? { cursor } : {}) };
}
