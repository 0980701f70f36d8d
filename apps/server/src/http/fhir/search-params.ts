import type { DomainIssue } from '../../domain/errors.ts';
import { DomainFailure, validationError } from '../../domain/errors.ts';
import {
  uniqueIdFromIdentifier,
  uniqueIdToIdentifier,
} from '../../domain/documents/identifiers.ts';
import { validateIns } from '../../domain/identity/ins.ts';
import type { DateBound, DocumentFilter, StoredStatus } from '../../db/documents.repository.ts';
import { isUuid } from '../../domain/identity/uuid.ts';
import { dateRange } from '../../domain/date-bounds.ts';
import { MHD_LIST_TYPES } from '../../domain/documents/submission.ts';
import type {
  DocumentSearch,
  InstantBound,
  ListIdentifier,
  ListSearch,
  PatientSelector,
} from '../../services/documents/search-query.ts';
import { decodeCursor, DEFAULT_COUNT, MAX_COUNT } from '../../services/documents/search-query.ts';

/**
 * The FHIR adapter's reading of ITI-67 / ITI-66 query parameters into the core's neutral searches
 * (services/documents/search-query.ts: DocumentSearch, ListSearch). Rules:
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

export { dateRange };

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

/** A date parameter value (`[prefix]date`) as bounds on one instant (a List's date); undefined when invalid. */
function instantDateBounds(raw: string): InstantBound[] | undefined {
  const m = /^(eq|ne|gt|lt|ge|le|sa|eb|ap)?(.+)$/.exec(raw);
  const range = m?.[2] !== undefined ? dateRange(m[2]) : undefined;
  return range
    ? instantBounds('doc_date', m?.[1] ?? 'eq', range)?.map((b) => ({ op: b.op, at: b.at }))
    : undefined;
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

function patientSelector(query: Query, issues: DomainIssue[]): PatientSelector | undefined {
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

function pageCount(query: Query, issues: DomainIssue[]): number {
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

function checkKnown(query: Query, known: ReadonlySet<string>, issues: DomainIssue[]): void {
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
  const cursor = decodeCursor(raw);
  if (!cursor) {
    issues.push(
      bad(
        'DOC_SEARCH_CURSOR_INVALID',
        '_cursor must be the value given in a next link.',
        '_cursor',
      ),
    );
    return undefined;
  }
  return cursor;
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

const LIST_SEARCH_PARAMS: ReadonlySet<string> = new Set([
  'patient',
  'patient.identifier',
  'code',
  'date',
  'identifier',
  'related',
  'status',
  '_count',
  '_cursor',
]);

const RFC3986 = 'urn:ietf:rfc:3986';

/**
 * An ITI-66 `identifier` token in the registry's terms (ADR 0033). The served List has the identifiers
 * `uniqueIdToIdentifier(uniqueId)` (use usual), the client's own (carried) and `urn:ietf:rfc:3986|urn:uuid:<entryUUID>`
 * (use official); a token matches one whose value it names, and whose system when it names one. So: the uniqueIds
 * whose FHIR form is the token, any `<OID>^<value>` uniqueId when no system is named, the entryUUID of a
 * `urn:uuid:` value, and the token itself for the carried ones.
 */
function listIdentifier(token: {
  readonly system?: string;
  readonly value: string;
}): ListIdentifier {
  const { system, value } = token;
  const named = (id: { system: string; value: string }): boolean =>
    id.value === value && (system === undefined || id.system === system);
  const candidates = [
    ...(system === undefined || system === RFC3986
      ? ['urn:oid:', 'urn:uuid:'].flatMap((p) =>
          value.startsWith(p) ? [value.slice(p.length)] : [],
        )
      : []),
    ...(system?.startsWith('urn:oid:') ? [`${system.slice('urn:oid:'.length)}^${value}`] : []),
  ];
  const uuid = value.startsWith('urn:uuid:') ? value.slice('urn:uuid:'.length) : undefined;
  return {
    uniqueIds: candidates.filter((u) => u !== '' && named(uniqueIdToIdentifier(u))),
    ...(system === undefined && { uniqueIdExtension: value }),
    entryUuids: uuid !== undefined && (system === undefined || system === RFC3986) ? [uuid] : [],
    carried: token,
  };
}

/**
 * Parses an ITI-66 query (Find Document Lists); throws one 400 with every problem found. `code` is
 * [MHDlistTypes|]submissionset or folder; `date` as for documents, on the List's date; `identifier` [system|]value;
 * `related` [system|]value of a member's referenceIdList; `status` a List status; `_cursor` the offset a next link
 * gave.
 */
export function parseListSearch(query: Query): ListSearch {
  const issues: DomainIssue[] = [];
  checkKnown(query, LIST_SEARCH_PARAMS, issues);
  const patient = patientSelector(query, issues);
  const count = pageCount(query, issues);
  const kinds = new Set<'submissionSet' | 'folder'>();
  const rawCodes = query['code'];
  for (const raw of (typeof rawCodes === 'string' ? [rawCodes] : (rawCodes ?? [])).flatMap((v) =>
    v.split(','),
  )) {
    const bar = raw.indexOf('|');
    const system = bar < 0 ? undefined : raw.slice(0, bar);
    const code = bar < 0 ? raw : raw.slice(bar + 1);
    if (
      (system !== undefined && system !== '' && system !== MHD_LIST_TYPES) ||
      (code !== 'submissionset' && code !== 'folder')
    ) {
      issues.push(
        bad('DOC_SEARCH_LIST_CODE', `code is ${MHD_LIST_TYPES}|submissionset or |folder.`, 'code'),
      );
    } else {
      kinds.add(code === 'folder' ? 'folder' : 'submissionSet');
    }
  }
  const dates = values(query, 'date').map((raw) => {
    const bounds = instantDateBounds(raw);
    if (!bounds) {
      issues.push(
        bad('DOC_SEARCH_DATE_INVALID', 'date takes [eq|ge|gt|le|lt|sa|eb]<date>.', 'date'),
      );
    }
    return bounds ?? [];
  });
  // Issue 17 rule 13: identifier=[system|]value matches the system when one is given; related=[system|]value
  // finds the Lists holding a visible document whose referenceIdList (context.related) has that value, as ITI-67's
  // related does for DocumentReference.
  const identifiers = values(query, 'identifier')
    .flatMap((v) => v.split(','))
    .map((v): ListIdentifier => {
      const bar = v.indexOf('|');
      const system = bar < 0 ? undefined : v.slice(0, bar) || undefined;
      return listIdentifier({
        ...(system !== undefined && { system }),
        value: bar < 0 ? v : v.slice(bar + 1),
      });
    });
  const related = values(query, 'related')
    .flatMap((v) => v.split(','))
    .map((v) => v.slice(v.indexOf('|') + 1))
    .filter((v) => v !== '');
  const rawStatus = query['status'];
  const statuses = (typeof rawStatus === 'string' ? [rawStatus] : (rawStatus ?? [])).flatMap((v) =>
    v.split(','),
  );
  const offsetRaw = query['_cursor'];
  const offset =
    typeof offsetRaw === 'string' && /^\d{1,6}$/.test(offsetRaw) ? Number(offsetRaw) : 0;
  if (offsetRaw !== undefined && offset === 0 && offsetRaw !== '0') {
    issues.push(
      bad(
        'DOC_SEARCH_CURSOR_INVALID',
        '_cursor must be the value given in a next link.',
        '_cursor',
      ),
    );
  }
  if (issues.length > 0 || !patient) {
    throw new DomainFailure(validationError(issues, 'invalid'));
  }
  return {
    patient,
    ...(kinds.size > 0 && { kinds }),
    statuses,
    dates,
    identifiers,
    related,
    count,
    offset,
  };
}
