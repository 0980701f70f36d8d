import type { Actor } from '../domain/access/actor.ts';
import type { DocumentFacts } from '../domain/access/facts.ts';
import { decideAccess } from '../domain/access/policy.ts';
import type { CodeKind } from '../domain/care-history/line.ts';
import { isoDay, windowStart } from '../domain/care-history/window.ts';
import type { PatientRef } from '../domain/access/patient-ref.ts';
import { domainError, DomainFailure } from '../domain/errors.ts';
import type { CareLineRow } from '../db/care-history.repository.ts';
import * as careDb from '../db/care-history.repository.ts';
import type { RecordRow } from '../db/records.repository.ts';
import { loadAccessContext } from './access-facts.ts';
import { audit, auditDenial } from './audit.ts';
import { resolveRecord } from './consent.ts';
import { refusedAsMissing } from './record-existence.ts';
import type { Deps } from './deps.ts';

/**
 * Reading the care history (docs/care-history.md "Reading it"). The reimbursement history is the class 60 document
 * type REMB of the access matrix: every reader is decided as reading such a document (decideAccess
 * 'document.read' with the facts of an operator-deposited REMB document, current, confidentiality N):
 * the holder and representative of an active record, professionals under rules R1–R4 (authorization or médecin
 * traitant or emergency mode, matrix column 60), never the operator (administrative data only).
 * Only lines of the last 24 months are served (domain/care-history/window.ts); each read (a page) is traced with
 * counts only; a denial is traced and answered with its ACCESS_* code.
 */
export interface CareHistorySearch {
  readonly patient: PatientRef;
  /** Inclusive ISO bounds, narrowed to the 24-month window. */
  readonly from?: string | undefined;
  readonly to?: string | undefined;
  readonly kinds?: readonly CodeKind[] | undefined;
  readonly count: number;
  readonly cursor?: string | undefined;
}

export interface CareHistoryPage {
  readonly record: RecordRow;
  readonly lines: readonly CareLineRow[];
  readonly total: number;
  /** Cursor of the next page, when there is one. */
  readonly next?: string;
}

/** The policy's view of "the care history" as a document of the record. */
export function careHistoryDocumentFacts(at: Date): DocumentFacts {
  return {
    typeCode: 'REMB',
    classCode: '60',
    authorIdNatPs: [],
    authorStructures: [],
    confidentiality: ['N'],
    depositorKind: 'operator',
    status: 'current',
    depositedAt: at,
  };
}

function denial(reason: string, message: string): DomainFailure {
  if (reason === 'ACCESS_NOT_REPRESENTATIVE') {
    // Issue 17 rule 1: answered like a missing record.
    return new DomainFailure(domainError('not-found', 'REC_NOT_FOUND', 'No such record.'));
  }
  return new DomainFailure(
    domainError(reason === 'ACCESS_RECORD_CLOSED' ? 'unprocessable' : 'forbidden', reason, message),
  );
}

export function encodeCursor(careDate: string, lineKey: Buffer): string {
  return Buffer.from(`${careDate}|${lineKey.toString('hex')}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): { careDate: string; lineKey: Buffer } {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const m = /^(\d{4}-\d{2}-\d{2})\|([0-9a-f]{64})$/.exec(text);
  if (!m?.[1] || !m[2]) {
    throw new DomainFailure(
      domainError(
        'invalid',
        'CARE_CURSOR_INVALID',
        'The paging cursor is not one this server gave.',
        ['_cursor'],
      ),
    );
  }
  return { careDate: m[1], lineKey: Buffer.from(m[2], 'hex') };
}

/** Decides whether `actor` may read this record's care history; traces and throws a denial. */
export async function enforceCareHistoryRead(
  deps: Deps,
  actor: Actor,
  record: RecordRow,
): Promise<void> {
  const { context } = await loadAccessContext(deps.sql, deps, actor, record);
  const decision = decideAccess({
    ...context,
    action: 'document.read',
    document: careHistoryDocumentFacts(context.now),
  });
  if (!decision.allow) {
    await auditDenial(deps, actor, record.patient_id, {
      action: 'care-history.read',
      reasonCode: decision.reason,
      entityType: 'CareHistory',
    });
    throw denial(decision.reason, decision.message);
  }
}

/** One page of a record's care history, newest first. */
export async function searchCareHistory(
  deps: Deps,
  actor: Actor,
  search: CareHistorySearch,
): Promise<CareHistoryPage> {
  const record = await resolveRecord(deps, search.patient);
  // Named by its id, a record the caller may not know of answers like a missing one (issue 16).
  await enforceCareHistoryRead(deps, actor, record).catch(
    refusedAsMissing(actor, record, search.patient),
  );
  const today = isoDay(deps.clock.now());
  const start = windowStart(today);
  const from = search.from !== undefined && search.from > start ? search.from : start;
  const query = { from, to: search.to, kinds: search.kinds };
  const after = search.cursor !== undefined ? decodeCursor(search.cursor) : undefined;
  const rows = await careDb.findCareLines(deps.sql, record.patient_id, {
    ...query,
    after,
    limit: search.count + 1,
  });
  const total = await careDb.countCareLines(deps.sql, record.patient_id, query);
  const lines = rows.slice(0, search.count);
  const last = lines.at(-1);
  await deps.sql.begin(async (tx) => {
    await audit(tx, deps, actor, record.patient_id, {
      action: 'care-history.read',
      outcome: 'success',
      entityType: 'CareHistory',
      detail: { count: lines.length, total, page: after ? 'next' : 'first' },
    });
  });
  return {
    record,
    lines,
    total,
    ...(rows.length > search.count && last
      ? { next: encodeCursor(last.care_date, last.line_key) }
      : {}),
  };
}

/**
 * Retention: deletes lines that left the 24-month window (they are already hidden from every read). Works record by
 * record (a simple filter lists them); meant for the scheduled jobs (one run a day is plenty).
 * @returns how many lines were deleted
 */
export async function purgeExpiredCareLines(
  deps: Deps,
  options: { readonly maxRecords?: number } = {},
): Promise<number> {
  const before = windowStart(isoDay(deps.clock.now()));
  let deleted = 0;
  let seen = 0;
  const max = options.maxRecords ?? Number.POSITIVE_INFINITY;
  while (seen < max) {
    const ids = await careDb.recordsWithLinesBefore(deps.sql, before, 500);
    if (ids.length === 0) {
      break;
    }
    for (const id of ids) {
      deleted += await careDb.deleteCareLinesBefore(deps.sql, id, before);
      seen++;
    }
  }
  return deleted;
}
