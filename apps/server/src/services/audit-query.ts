import type {
  AuditEventRow,
  AuditWindow,
  TracedDocumentRow,
} from '../db/audit-query.repository.ts';
import * as auditQuery from '../db/audit-query.repository.ts';
import type { RecordRow } from '../db/records.repository.ts';
import * as records from '../db/records.repository.ts';
import type { Actor } from '../domain/access/actor.ts';
import { hasLabel, isStillInvisibleToPatient } from '../domain/access/facts.ts';
import { decideAccess } from '../domain/access/policy.ts';
import type { PatientRef } from '../domain/access/patient-ref.ts';
import { domainError, DomainFailure } from '../domain/errors.ts';
import { loadAccessContext } from './access-facts.ts';
import { audit, auditDenial } from './audit.ts';
import { resolveRecord } from './consent.ts';
import type { Deps } from './deps.ts';
import { isUuid } from '../domain/identity/uuid.ts';
import { mayTellExistence, RECORD_NOT_FOUND } from './record-existence.ts';

/**
 * The access history, in the registry's own terms: the traces (AuditEventRow) a caller may see. Its interfaces
 * encode them — as FHIR AuditEvent (http/fhir/audit-event.routes.ts, audit-event-mapping.ts), as the portal's
 * history (services/portal-history.ts). Rules:
 *  H1. A record's history: the patient and their legal representatives read their own record's; the operator
 *      any record's; professionals never (access policy, action `audit.read`). Readable on a closed record. A
 *      refusal on a record named by its id answers like a missing record (404), by INS 403 (TD0.2 tells it exists).
 *  H2. Without a record: the patient or representative gets their own record's; the operator searches the system
 *      chain (logins, job runs, events attached to no record) and, with an agent identifier, that agent's events
 *      across every record; nobody else.
 *  H3. For the patient side, a trace about a document they may not see yet (INVISIBLE_PATIENT under a month; for
 *      a representative also INVISIBLE_REPRESENTANTS_LEGAUX) is left out, as if it did not exist.
 *  H6. For a legal representative, the traces of a professional in connexion secrète (detail.secret, issue 17
 *      rule 2, CSP L1111-5) are left out too; the holder (at any age) and the operator see them.
 *  H4. Newest first (recorded_at, then id), keyset paging, date window.
 *  H5. Reading the history is itself traced (`audit.read` on the record, `audit.search` on the system chain);
 *      denials too — except H8.
 *  H7. Filters by actor kind, access mode and outcome are applied in SQL over the whole history (the patient
 *      portal's "professionals", "emergencies", "refusals", "without my own actions").
 *  H8. The holder reading their own history again within 15 minutes of a traced reading is not traced again (one
 *      trace per visit, not one per filter or page); a representative's or the operator's reading always is.
 */
export interface AuditSearch {
  readonly patient?: PatientRef | undefined;
  readonly from?: Date | undefined;
  readonly to?: Date | undefined;
  readonly before?: { readonly at: Date; readonly id: string } | undefined;
  /** Actor id of the events: IdNat_PS, INS, operator id. */
  readonly agent?: string | undefined;
  /** Our action code (AuditEvent.subtype), e.g. `record.status`. */
  readonly action?: string | undefined;
  /** Server-side filters of the patient portal's history (H7); the FHIR search leaves them unset. */
  readonly actorKinds?: readonly string[] | undefined;
  readonly excludeActorKinds?: readonly string[] | undefined;
  readonly accessModes?: readonly string[] | undefined;
  readonly outcome?: 'success' | 'denied' | 'failure' | undefined;
  readonly count: number;
}

export interface AuditSearchResult {
  readonly rows: AuditEventRow[];
  readonly next: { readonly at: Date; readonly id: string } | undefined;
  /** The record searched, when one was. */
  readonly record: RecordRow | undefined;
}

const DOCUMENT_ENTITIES = new Set(['DocumentReference']);

function forbidden(reason: string, message: string): DomainFailure {
  return new DomainFailure(domainError('forbidden', reason, message));
}

/** H3: whether the holder side may see a trace about this document now. Pure. */
export function holderSeesTrace(
  actor: Actor,
  row: Pick<AuditEventRow, 'entity_type' | 'entity_id'> & Partial<Pick<AuditEventRow, 'detail'>>,
  documents: ReadonlyMap<string, TracedDocumentRow>,
  now: Date,
): boolean {
  if (actor.kind !== 'patient' && actor.kind !== 'representative') {
    return true;
  }
  if (actor.kind === 'representative' && row.detail?.['secret'] === true) {
    return false; // H6: a connexion secrète is not told to the representatives (issue 17 rule 2)
  }
  if (!row.entity_type || !DOCUMENT_ENTITIES.has(row.entity_type) || !row.entity_id) {
    return true;
  }
  const doc = documents.get(row.entity_id);
  if (!doc) {
    return true;
  }
  if (
    doc.status !== 'deleted' &&
    isStillInvisibleToPatient(
      { confidentiality: doc.confidentiality, depositedAt: doc.deposited_at },
      now,
    )
  ) {
    return false;
  }
  return !(actor.kind === 'representative' && hasLabel(doc, 'INVISIBLE_REPRESENTANTS_LEGAUX'));
}

async function visibleToCaller(
  deps: Deps,
  actor: Actor,
  patientId: string,
  rows: AuditEventRow[],
): Promise<AuditEventRow[]> {
  if (actor.kind !== 'patient' && actor.kind !== 'representative') {
    return rows;
  }
  const ids = rows
    .filter((r) => r.entity_type && DOCUMENT_ENTITIES.has(r.entity_type) && r.entity_id)
    .map((r) => r.entity_id as string);
  const docs = new Map(
    (await auditQuery.findTracedDocuments(deps.sql, patientId, [...new Set(ids)])).map((d) => [
      d.id,
      d,
    ]),
  );
  const now = deps.clock.now();
  return rows.filter((r) => holderSeesTrace(actor, r, docs, now));
}

/** Pages through `fetch` until `count + 1` rows survive `keep` (or the history ends). */
async function page(
  count: number,
  before: AuditSearch['before'],
  fetch: (before: AuditSearch['before'], limit: number) => Promise<AuditEventRow[]>,
  keep: (rows: AuditEventRow[]) => Promise<AuditEventRow[]>,
): Promise<{ rows: AuditEventRow[]; next: AuditSearchResult['next'] }> {
  const shown: AuditEventRow[] = [];
  let cursor = before;
  for (;;) {
    const raw = await fetch(cursor, count + 1);
    shown.push(...(await keep(raw)));
    const last = raw[raw.length - 1];
    if (raw.length < count + 1 || shown.length > count || !last) {
      break;
    }
    cursor = { at: last.recorded_at, id: last.id };
  }
  const rows = shown.slice(0, count);
  const tail = rows[rows.length - 1];
  return {
    rows,
    next: shown.length > count && tail ? { at: tail.recorded_at, id: tail.id } : undefined,
  };
}

function windowOf(q: AuditSearch, before: AuditSearch['before'], limit: number): AuditWindow {
  return {
    from: q.from,
    to: q.to,
    before,
    actorId: q.agent,
    action: q.action,
    actorKinds: q.actorKinds,
    excludeActorKinds: q.excludeActorKinds,
    accessModes: q.accessModes,
    outcome: q.outcome,
    limit,
  };
}

/** H8: how long one reading of the history by the holder covers the next ones (the portal session's idle time). */
export const HOLDER_READ_WINDOW_MS = 15 * 60 * 1000;

/**
 * H8: whether this reading of the history must be traced. The holder (the patient themself) reading their own
 * history again within HOLDER_READ_WINDOW_MS of a traced reading — another filter, another page — adds nothing
 * anybody needs to know, and would bury the accesses the history exists to show; so one `audit.read` stands for
 * that visit. Everybody else's readings (a legal representative, the operator) are always traced.
 */
async function mustTraceRead(deps: Deps, actor: Actor, patientId: string): Promise<boolean> {
  if (actor.kind !== 'patient') {
    return true;
  }
  const now = deps.clock.now();
  const recent = await auditQuery.findRecordAuditEvents(deps.sql, patientId, {
    from: new Date(now.getTime() - HOLDER_READ_WINDOW_MS),
    actorId: actor.ins,
    action: 'audit.read',
    actorKinds: ['patient'],
    outcome: 'success',
    limit: 1,
  });
  return recent.length === 0;
}

async function recordHistory(
  deps: Deps,
  actor: Actor,
  record: RecordRow,
  q: AuditSearch,
  byId = false,
): Promise<AuditSearchResult> {
  const { context } = await loadAccessContext(deps.sql, deps, actor, record);
  const decision = decideAccess({ ...context, action: 'audit.read' });
  if (!decision.allow) {
    await auditDenial(deps, actor, record.patient_id, {
      action: 'audit.read',
      reasonCode: decision.reason,
    });
    throw decision.reason === 'ACCESS_NOT_REPRESENTATIVE' ||
      !mayTellExistence(actor, record, { kind: byId ? 'id' : 'ins' })
      ? new DomainFailure(RECORD_NOT_FOUND)
      : forbidden(decision.reason, decision.message);
  }
  const result = await page(
    q.count,
    q.before,
    (before, limit) =>
      auditQuery.findRecordAuditEvents(deps.sql, record.patient_id, windowOf(q, before, limit)),
    (rows) => visibleToCaller(deps, actor, record.patient_id, rows),
  );
  if (await mustTraceRead(deps, actor, record.patient_id)) {
    await deps.sql.begin(async (tx) => {
      await audit(tx, deps, actor, record.patient_id, {
        action: 'audit.read',
        outcome: 'success',
        entityType: 'Patient',
        entityId: record.patient_id,
        detail: { count: result.rows.length },
      });
    });
  }
  return { ...result, record };
}

async function operatorSearch(
  deps: Deps,
  actor: Actor,
  q: AuditSearch,
): Promise<AuditSearchResult> {
  const agent = q.agent;
  const result = await page(
    q.count,
    q.before,
    async (before, limit) => {
      const w = windowOf(q, before, limit);
      const system = await auditQuery.findSystemAuditEvents(deps.sql, w);
      if (agent === undefined) {
        return system;
      }
      const onRecords = await auditQuery.findRecordAuditEventsByActor(deps.sql, {
        ...w,
        actorId: agent,
      });
      return [...system, ...onRecords]
        .sort(
          (a, b) =>
            b.recorded_at.getTime() - a.recorded_at.getTime() ||
            (a.id < b.id ? 1 : a.id > b.id ? -1 : 0),
        )
        .slice(0, limit);
    },
    async (rows) => rows,
  );
  await deps.sql.begin(async (tx) => {
    await audit(tx, deps, actor, null, {
      action: 'audit.search',
      outcome: 'success',
      detail: { agent: agent ?? null, count: result.rows.length },
    });
  });
  return { ...result, record: undefined };
}

/** Searches the access history (H1–H5). */
export async function searchAuditEvents(
  deps: Deps,
  actor: Actor,
  q: AuditSearch,
): Promise<AuditSearchResult> {
  if (q.patient) {
    const byId = q.patient.kind === 'id';
    return recordHistory(deps, actor, await resolveRecord(deps, q.patient), q, byId);
  }
  if (actor.kind === 'patient' || actor.kind === 'representative') {
    const own = await records.findRecordByIns(deps.sql, actor.ins);
    if (!own) {
      throw new DomainFailure(RECORD_NOT_FOUND);
    }
    return recordHistory(deps, actor, own, q);
  }
  if (actor.kind !== 'operator') {
    await auditDenial(deps, actor, null, {
      action: 'audit.search',
      reasonCode: 'ACCESS_ACTION_NOT_PERMITTED',
    });
    throw forbidden('ACCESS_ACTION_NOT_PERMITTED', 'This action is not available to you.');
  }
  return operatorSearch(deps, actor, q);
}

const EVENT_NOT_FOUND = domainError('not-found', 'AUDIT_NOT_FOUND', 'No such AuditEvent.');

/** One trace by id, under the same rules (a trace the caller may not see is reported missing). */
export async function readAuditEvent(
  deps: Deps,
  actor: Actor,
  id: string,
): Promise<{ row: AuditEventRow; record: RecordRow | undefined }> {
  const row = isUuid(id) ? await auditQuery.findAuditEventById(deps.sql, id) : undefined;
  if (!row) {
    throw new DomainFailure(EVENT_NOT_FOUND);
  }
  const record = row.patient_id ? await records.findRecord(deps.sql, row.patient_id) : undefined;
  const refuse = async (reason: string): Promise<never> => {
    await auditDenial(deps, actor, record?.patient_id ?? null, {
      action: 'audit.read',
      reasonCode: reason,
      entityType: 'AuditEvent',
      entityId: id,
    });
    // To professionals too: a 403 on an existing event said that it exists (issue 16).
    throw new DomainFailure(EVENT_NOT_FOUND);
  };
  if (!record) {
    if (actor.kind !== 'operator') {
      return refuse('ACCESS_ACTION_NOT_PERMITTED');
    }
  } else {
    const { context } = await loadAccessContext(deps.sql, deps, actor, record);
    const decision = decideAccess({ ...context, action: 'audit.read' });
    if (!decision.allow) {
      return refuse(decision.reason);
    }
    if ((await visibleToCaller(deps, actor, record.patient_id, [row])).length === 0) {
      return refuse('ACCESS_INVISIBLE');
    }
  }
  await deps.sql.begin(async (tx) => {
    await audit(tx, deps, actor, record?.patient_id ?? null, {
      action: 'audit.read',
      outcome: 'success',
      entityType: 'AuditEvent',
      entityId: id,
    });
  });
  return { row, record };
}
