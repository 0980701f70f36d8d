import type { InboxRow } from '../db/outbox.repository.ts';
import type { NoticeDocumentRow } from '../db/portal-inbox.repository.ts';
import { findEmergencyTrace, findNoticeDocuments } from '../db/portal-inbox.repository.ts';
import type { Actor } from '../domain/access/actor.ts';
import type { DocumentAuthor } from '../domain/documents/model.ts';
import { domainError, DomainFailure } from '../domain/errors.ts';
import { renderMessage } from '../domain/notifications/messages.ts';
import type { Deps } from './deps.ts';
import { lookupDirectory } from './directory.ts';
import { accessModeLabel, actorDisplay } from './history-labels.ts';
import { listNotifications } from './notifications/inbox.ts';
import { mayNameDocument } from './portal-history.ts';
import { loadReferenceData } from '../reference/value-sets.ts';

/**
 * The patient portal's inbox (GET /portal-api/notifications, issue 21 point 2): the holder side's notifications as
 * the FHIR Communication search lists them (services/notifications/inbox.ts: same policy, same `communication.search`
 * trace), each with what happened, resolved by the server instead of guessed by the page:
 *  N1. a notice about a document names it — title, author(s), date — by the document's logicalId the notice keeps
 *      (stable across metadata versions, ADR 0021), with the current entryUUID to link to; a document the reader may
 *      not see now (pending announcement, hidden from representatives, deleted) is not named;
 *  N2. an emergency notice names the professional (Dr, profession, structure), the mode, the time and the written
 *      justification of THE trace that raised it (that professional, that mode, the notice's time), not of the
 *      nearest emergency in time;
 *  N3. the text is the notification's own (domain/notifications/messages.ts, with names: the reader is signed in);
 *      e-mails are not concerned (they never name anything, M1).
 * Only the holder and the legal representatives use it; a professional reads their inbox as FHIR Communication.
 */
export interface InboxDocumentView {
  /** The current entryUUID (the FHIR DocumentReference id) to link to. */
  readonly id: string;
  readonly title: string;
  readonly author?: string;
  readonly date?: string;
}

export interface InboxEmergencyView {
  readonly who: string;
  readonly whoDetails: string;
  readonly mode: string;
  readonly modeLabel: string;
  readonly at: string;
  readonly justification?: string;
}

export interface InboxEntryView {
  readonly id: string;
  readonly type: string;
  readonly sent: string;
  readonly unread: boolean;
  readonly urgent: boolean;
  readonly subject: string;
  readonly text: string;
  readonly document?: InboxDocumentView;
  readonly emergency?: InboxEmergencyView;
}

export interface PortalInboxView {
  readonly entries: readonly InboxEntryView[];
  readonly next: { readonly at: Date; readonly id: string } | undefined;
}

/** "Dr Anne CARDIO (Cabinet de cardiologie Voltaire)": the authors as the portal names them. Pure. */
export function authorsLine(authors: readonly DocumentAuthor[] | null): string | undefined {
  const names = (authors ?? [])
    .map((a) => {
      const person =
        a.name !== undefined
          ? [
              // A title (Dr, Pr) is kept; a civility (M, Mme) is not how a patient names a professional.
              a.name.prefix !== undefined && /^(Dr|Pr)\b/i.test(a.name.prefix)
                ? a.name.prefix
                : undefined,
              ...a.name.given,
              a.name.family,
            ]
              .filter((s) => s !== undefined && s !== '')
              .join(' ')
          : (a.displayName ?? '');
      const named =
        person !== '' && a.profession === '10' && !/^Dr\b/.test(person) ? `Dr ${person}` : person;
      const structure = a.structure?.name;
      return named === '' ? (structure ?? '') : structure ? `${named} (${structure})` : named;
    })
    .filter((s) => s !== '');
  return names.length > 0 ? names.join(', ') : undefined;
}

export async function portalInbox(
  deps: Deps,
  actor: Actor,
  q: { readonly count: number; readonly before?: { at: Date; id: string } | undefined },
): Promise<PortalInboxView> {
  if (actor.kind !== 'patient' && actor.kind !== 'representative') {
    throw new DomainFailure(
      domainError(
        'forbidden',
        'ACCESS_ACTION_NOT_PERMITTED',
        'Only the holder of a record or their legal representatives read this inbox; professionals read theirs as FHIR Communication.',
      ),
    );
  }
  const result = await listNotifications(deps, actor, { count: q.count, before: q.before });
  const record = result.record;
  const rows = result.rows;
  if (!record || rows.length === 0) {
    return { entries: [], next: result.next };
  }
  const pros = new Set<string>();
  const structures = new Set<string>();
  for (const { payload: p } of rows) {
    if (p['actorKind'] === 'professional' && p['actorId']) {
      pros.add(p['actorId']);
    }
    if (p['actorStructure']) {
      structures.add(p['actorStructure']);
    }
    if (p['subjectId']) {
      (p['subjectKind'] === 'structure' ? structures : pros).add(p['subjectId']);
    }
  }
  const [dir, docs] = await Promise.all([
    lookupDirectory(deps, [...pros], [...structures]),
    findNoticeDocuments(
      deps.sql,
      record.patient_id,
      rows.map((r) => r.payload['documentId']).filter((id): id is string => !!id),
    ),
  ]);
  const byId = new Map(docs.map((d) => [d.id, d]));
  const now = deps.clock.now();
  const g15 = loadReferenceData().valueSets.get('G15');
  const professionLabel = (code: string): string | undefined =>
    g15?.concepts.find((c) => c.code === code)?.display;
  const entries: InboxEntryView[] = [];
  for (const row of rows) {
    const p = row.payload;
    const actorId = p['actorKind'] === 'professional' ? (p['actorId'] ?? undefined) : undefined;
    const pro = actorId !== undefined ? dir.professionals.get(actorId) : undefined;
    const structure = p['actorStructure'] ? dir.structures.get(p['actorStructure']) : undefined;
    const subjectPro =
      p['subjectId'] && p['subjectKind'] !== 'structure'
        ? dir.professionals.get(p['subjectId'])
        : undefined;
    const message = renderMessage(
      {
        eventType: row.event_type,
        recipientKind: row.recipient_kind,
        payload: p,
        at: row.created_at,
        actorName: pro
          ? `${pro.profession === '10' ? 'Dr ' : ''}${pro.given_name} ${pro.family_name}`
          : undefined,
        structureName: structure?.name,
        subjectName:
          p['subjectKind'] === 'structure'
            ? p['subjectId']
              ? dir.structures.get(p['subjectId'])?.name
              : undefined
            : subjectPro
              ? `${subjectPro.profession === '10' ? 'Dr ' : ''}${subjectPro.given_name} ${subjectPro.family_name}`
              : undefined,
      },
      true,
    );
    const document = documentView(actor, byId.get(p['documentId'] ?? ''), now);
    const emergency =
      row.event_type === 'emergency.access' && actorId !== undefined && p['mode'] && p['at']
        ? await emergencyView(deps, record.patient_id, row, actorId, p['mode'], p['at'], {
            kind: 'professional',
            idNatPs: actorId,
            ...(pro ? { name: `${pro.given_name} ${pro.family_name}` } : {}),
            ...(pro ? { profession: pro.profession } : {}),
            ...(p['actorStructure']
              ? {
                  structure: {
                    id: p['actorStructure'],
                    ...(structure ? { name: structure.name } : {}),
                  },
                }
              : {}),
          })
        : undefined;
    const view = (e: InboxEmergencyView | undefined): InboxEntryView => ({
      id: row.notification_id,
      type: row.event_type,
      sent: row.created_at.toISOString(),
      unread: row.read_at === null,
      urgent: row.priority === 'urgent',
      subject: message.subject,
      text: message.text,
      ...(document ? { document } : {}),
      ...(e ? { emergency: e } : {}),
    });
    entries.push(view(emergency));
  }
  return { entries, next: result.next };

  async function emergencyView(
    d: Deps,
    patientId: string,
    row: InboxRow,
    idNatPs: string,
    mode: string,
    at: string,
    who: Parameters<typeof actorDisplay>[0],
  ): Promise<InboxEmergencyView> {
    const when = new Date(at);
    const trace = Number.isNaN(when.getTime())
      ? undefined
      : await findEmergencyTrace(d.sql, patientId, idNatPs, mode, when);
    const display = actorDisplay(who, professionLabel, actor.kind === 'representative');
    return {
      who: display.who,
      whoDetails: display.details,
      mode,
      modeLabel: accessModeLabel(mode),
      at: (trace?.recorded_at ?? row.created_at).toISOString(),
      ...(trace?.justification ? { justification: trace.justification } : {}),
    };
  }
}

/** N1: the document a notice names, when the reader may be told of it now. */
function documentView(
  actor: Actor,
  doc: NoticeDocumentRow | undefined,
  now: Date,
): InboxDocumentView | undefined {
  if (!doc || doc.status === 'deleted' || !mayNameDocument(actor, doc, now)) {
    return undefined;
  }
  const author = authorsLine(doc.authors);
  return {
    id: doc.entry_uuid,
    title: doc.title ?? 'Document',
    ...(author !== undefined ? { author } : {}),
    ...(doc.creation ? { date: doc.creation } : {}),
  };
}
