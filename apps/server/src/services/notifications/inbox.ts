import type { InboxRow } from '../../db/outbox.repository.ts';
import * as outbox from '../../db/outbox.repository.ts';
import type { RecordRow } from '../../db/records.repository.ts';
import * as records from '../../db/records.repository.ts';
import type { Actor } from '../../domain/access/actor.ts';
import type { PatientRef } from '../../domain/access/patient-ref.ts';
import { domainError, DomainFailure } from '../../domain/errors.ts';
import type { Deny } from '../../domain/access/decision.ts';
import { deny } from '../../domain/access/decision.ts';
import { decideAccess, NO_RECORD_INS } from '../../domain/access/policy.ts';
import type { InboxOwner } from '../../domain/notifications/inbox-access.ts';
import { inboxOwnerOf, ownsNotification } from '../../domain/notifications/inbox-access.ts';
import { loadAccessMatrix } from '../access-matrix.ts';
import { audit, auditDenial } from '../audit.ts';
import { unregisteredRepresentative } from '../representative-gate.ts';
import { resolveRecord } from '../consent.ts';
import { mayTellExistence, RECORD_NOT_FOUND } from '../record-existence.ts';
import type { Deps } from '../deps.ts';
import { isUuid } from '../../domain/identity/uuid.ts';

/**
 * The in-portal inbox, served as FHIR Communication (http/fhir/communication.routes.ts): the holder's and the
 * representatives' notifications of a record, a médecin traitant's own notifications across records, and marking
 * one as read. Decided by the access policy (decideAccess inbox.read); whose inbox it is follows from the caller
 * (domain/notifications/inbox-access.ts); every read is traced, denials too.
 */
export interface InboxQuery {
  readonly patient?: PatientRef | undefined;
  /** The recipient the caller names (e.g. their own IdNat_PS); must be the caller. */
  readonly recipientId?: string | undefined;
  /** 'unread' (read_at IS NULL) or 'read'. */
  readonly state?: 'unread' | 'read' | undefined;
  /** Channel: 'inbox' (default) or 'email' (the e-mails sent). */
  readonly medium?: 'inbox' | 'email' | undefined;
  readonly count: number;
  readonly before?: { readonly at: Date; readonly id: string } | undefined;
}

export interface InboxResult {
  readonly rows: InboxRow[];
  readonly next: { readonly at: Date; readonly id: string } | undefined;
  readonly owner: InboxOwner;
  /** The record, for holder-side callers. */
  readonly record: RecordRow | undefined;
}

const NOT_FOUND = domainError('not-found', 'NOTIF_NOT_FOUND', 'No such notification.');

function forbidden(denial: Deny): DomainFailure {
  return new DomainFailure(domainError('forbidden', denial.reason, denial.message));
}

/**
 * inbox.read for the record `ins` names (NO_RECORD_INS: the caller's own inbox), and whose inbox that is. Decided on
 * who asks and which record they name only: a representative's registration was checked on the record already
 * (unregisteredRepresentative), so no record facts are loaded.
 */
function decideInbox(deps: Deps, actor: Actor, ins: string): InboxOwner | Deny {
  const decision = decideAccess({
    actor,
    ins,
    record: undefined,
    matrix: loadAccessMatrix(),
    now: deps.clock.now(),
    action: 'inbox.read',
  });
  // The policy allows only callers who have an inbox.
  return decision.allow ? (inboxOwnerOf(actor) ?? deny('ACCESS_ACTION_NOT_PERMITTED')) : decision;
}

async function holderRecord(deps: Deps, actor: Actor): Promise<RecordRow | undefined> {
  if (actor.kind !== 'patient' && actor.kind !== 'representative') {
    return undefined;
  }
  const row = await records.findRecordByIns(deps.sql, actor.ins);
  if (!row || (await unregisteredRepresentative(deps, actor, row, 'communication.search'))) {
    throw new DomainFailure(domainError('not-found', 'REC_NOT_FOUND', 'No such record.'));
  }
  return row;
}

/** A refusal about the record a search names: by its id, to a caller who may not know of it, a missing record's. */
function namedRecordRefusal(
  actor: Actor,
  record: { readonly ins: string } | undefined,
  q: InboxQuery,
  refusal: DomainFailure,
): DomainFailure {
  return record && q.patient && !mayTellExistence(actor, record, q.patient)
    ? new DomainFailure(RECORD_NOT_FOUND)
    : refusal;
}

export async function listNotifications(
  deps: Deps,
  actor: Actor,
  q: InboxQuery,
): Promise<InboxResult> {
  const record = q.patient ? await resolveRecord(deps, q.patient) : await holderRecord(deps, actor);
  if (
    q.patient &&
    (await unregisteredRepresentative(deps, actor, record, 'communication.search'))
  ) {
    throw new DomainFailure(domainError('not-found', 'REC_NOT_FOUND', 'No such record.'));
  }
  // A record named but missing: the caller's own inbox, as before (its rows are then none for the holder side).
  const owner = decideInbox(
    deps,
    actor,
    q.patient ? (record?.ins ?? NO_RECORD_INS) : NO_RECORD_INS,
  );
  if ('allow' in owner) {
    await auditDenial(deps, actor, record?.patient_id ?? null, {
      action: 'communication.search',
      reasonCode: owner.reason,
    });
    throw namedRecordRefusal(actor, record, q, forbidden(owner));
  }
  if (q.recipientId !== undefined && q.recipientId !== owner.recipientId) {
    await auditDenial(deps, actor, record?.patient_id ?? null, {
      action: 'communication.search',
      reasonCode: 'NOTIF_NOT_RECIPIENT',
    });
    throw namedRecordRefusal(actor, record, q, forbidden(deny('NOTIF_NOT_RECIPIENT')));
  }
  const page = {
    channel: q.medium ?? 'inbox',
    unread: q.state === undefined ? undefined : q.state === 'unread',
    before: q.before,
    limit: q.count + 1,
  } as const;
  const rows =
    owner.recipientKind === 'medecin-traitant'
      ? await outbox.findProfessionalInbox(deps.sql, owner.recipientId, page)
      : record
        ? await outbox.findInbox(deps.sql, record.patient_id, owner.recipientKind, page)
        : [];
  const more = rows.length > q.count;
  const shown = more ? rows.slice(0, q.count) : rows;
  const last = shown[shown.length - 1];
  await deps.sql.begin(async (tx) => {
    await audit(
      tx,
      deps,
      actor,
      owner.recipientKind === 'medecin-traitant' ? null : (record?.patient_id ?? null),
      {
        action: 'communication.search',
        outcome: 'success',
        detail: { count: shown.length },
      },
    );
  });
  return {
    rows: shown,
    next: more && last ? { at: last.delivered_at, id: last.notification_id } : undefined,
    owner,
    record,
  };
}

async function ownedNotification(
  deps: Deps,
  actor: Actor,
  id: string,
  traceAction: string,
): Promise<InboxRow> {
  const row = isUuid(id) ? await outbox.findInboxById(deps.sql, id) : undefined;
  if (!row) {
    throw new DomainFailure(NOT_FOUND);
  }
  const owner = decideInbox(deps, actor, NO_RECORD_INS);
  if ('allow' in owner || !ownsNotification(owner, row)) {
    await auditDenial(deps, actor, row.patient_id, {
      action: traceAction,
      reasonCode: 'allow' in owner ? owner.reason : 'NOTIF_NOT_RECIPIENT',
      entityType: 'Communication',
      entityId: id,
    });
    throw new DomainFailure(NOT_FOUND); // indistinguishable from a missing notification
  }
  if (
    actor.kind === 'representative' &&
    (await unregisteredRepresentative(
      deps,
      actor,
      await records.findRecord(deps.sql, row.patient_id),
      traceAction,
    ))
  ) {
    throw new DomainFailure(NOT_FOUND);
  }
  return row;
}

/** One notification addressed to the caller. */
export async function readNotification(deps: Deps, actor: Actor, id: string): Promise<InboxRow> {
  const row = await ownedNotification(deps, actor, id, 'communication.read');
  await deps.sql.begin(async (tx) => {
    await audit(tx, deps, actor, row.patient_id, {
      action: 'communication.read',
      outcome: 'success',
      entityType: 'Communication',
      entityId: id,
    });
  });
  return row;
}

/** Marks a notification addressed to the caller as read (idempotent: the first read time is kept). */
export async function markNotificationRead(
  deps: Deps,
  actor: Actor,
  id: string,
): Promise<InboxRow> {
  const row = await ownedNotification(deps, actor, id, 'communication.mark-read');
  const updated = await deps.sql.begin(async (tx) => {
    const marked = await outbox.markInboxRead(tx, row.patient_id, id, deps.clock.now());
    await audit(tx, deps, actor, row.patient_id, {
      action: 'communication.mark-read',
      outcome: 'success',
      entityType: 'Communication',
      entityId: id,
    });
    return marked;
  });
  if (!updated) {
    throw new DomainFailure(NOT_FOUND);
  }
  return updated;
}

/** At most this many notifications are marked read by one "mark all" request (bounded work per request). */
export const MARK_ALL_LIMIT = 1000;

/**
 * "Tout marquer comme lu" for the holder side (issue 21 point 2): every unread in-portal notification of the
 * caller's recipient kind on their record, in one transaction with one `communication.mark-read` trace giving the
 * count — not one request and one trace per notification. At most MARK_ALL_LIMIT at a time (`more` says to ask again).
 */
export async function markAllNotificationsRead(
  deps: Deps,
  actor: Actor,
): Promise<{ readonly marked: number; readonly more: boolean }> {
  if (actor.kind !== 'patient' && actor.kind !== 'representative') {
    await auditDenial(deps, actor, null, {
      action: 'communication.mark-read',
      reasonCode: 'ACCESS_ACTION_NOT_PERMITTED',
    });
    throw forbidden(deny('ACCESS_ACTION_NOT_PERMITTED'));
  }
  const record = await holderRecord(deps, actor);
  const owner = decideInbox(deps, actor, NO_RECORD_INS);
  if (!record || 'allow' in owner) {
    const reason = record && 'allow' in owner ? owner.reason : 'ACCESS_ACTION_NOT_PERMITTED';
    await auditDenial(deps, actor, record?.patient_id ?? null, {
      action: 'communication.mark-read',
      reasonCode: reason,
    });
    throw forbidden(deny(reason));
  }
  const marked = await deps.sql.begin(async (tx) => {
    const ids = await outbox.markInboxAllRead(
      tx,
      record.patient_id,
      owner.recipientKind,
      deps.clock.now(),
      MARK_ALL_LIMIT,
    );
    await audit(tx, deps, actor, record.patient_id, {
      action: 'communication.mark-read',
      outcome: 'success',
      detail: { count: ids.length, all: true },
    });
    return ids.length;
  });
  return { marked, more: marked === MARK_ALL_LIMIT };
}
