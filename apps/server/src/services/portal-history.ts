import type { AuditEventRow, TracedDocumentRow } from '../db/audit-query.repository.ts';
import * as auditQuery from '../db/audit-query.repository.ts';
import type { Actor } from '../domain/access/actor.ts';
import { hasLabel, isStillInvisibleToPatient } from '../domain/access/facts.ts';
import { domainError, DomainFailure } from '../domain/errors.ts';
import { searchAuditEvents, type AuditSearch } from './audit-query.ts';
import { auditDenial } from './audit.ts';
import type { Deps } from './deps.ts';
import { lookupDirectory } from './directory.ts';
import { accessModeLabel, actionLabel, actorDisplay, refusalReason } from './history-labels.ts';
import { loadReferenceData } from '../reference/value-sets.ts';

/**
 * The patient portal's access history (GET /portal-api/history): the record's traces as the holder reads them,
 * "who looked at my record". It is the AuditEvent search itself (services/audit-query.ts: same policy, same
 * visibility rules H1–H6, same `audit.read` trace, H8) with the portal's filters applied in SQL over the whole
 * history (H7), then each trace made readable:
 *  P1. `show`: `all`, `professionals` (actor kind professional or software), `emergency` (bris de glace or centre
 *      15), `denied` (refusals). `own` = false (the default) leaves out the holder side's own actions (the patient's
 *      and the legal representatives'); `professional` = one IdNat_PS; `from`/`to` a period.
 *  P2. Each trace names its actor: a professional with their name, profession, specialty and structure — from the
 *      trace itself (what the token said at the time) or else from the directory; a professional unknown to the
 *      directory keeps the profession and structure id the trace recorded.
 *  P3. A trace about a document names it (title, J66 type) when the caller may see that document now; a deleted
 *      document the caller never could see stays unnamed.
 *  P4. Only the holder and the legal representatives use it; anyone else is refused (traced `audit.read`).
 *  P5. Each entry carries its sentences in French (services/history-labels.ts L1–L4): `label` for the action,
 *      `modeLabel` for an emergency access, `reasonText` for a refusal, `who` and `whoDetails` for the actor — the
 *      codes stay beside them for clients that want them; a portal shows the sentences as they are.
 */
export type HistoryShow = 'all' | 'professionals' | 'emergency' | 'denied';

export interface PortalHistoryQuery {
  readonly show: HistoryShow;
  readonly own: boolean;
  readonly professional?: string | undefined;
  readonly from?: Date | undefined;
  readonly to?: Date | undefined;
  readonly before?: { readonly at: Date; readonly id: string } | undefined;
  readonly count: number;
}

export interface HistoryActorView {
  readonly kind: string;
  readonly idNatPs?: string;
  readonly name?: string;
  readonly profession?: string;
  readonly specialty?: string;
  readonly structure?: { readonly id: string; readonly name?: string };
  /** True when the professional is not (or no longer) in the directory. */
  readonly outsideDirectory?: boolean;
}

export interface HistoryEntryView {
  readonly id: string;
  readonly at: string;
  readonly action: string;
  readonly actor: HistoryActorView;
  readonly mode?: string;
  readonly justification?: string;
  readonly denied: boolean;
  readonly reason?: string;
  readonly document?: { readonly id: string; readonly title?: string; readonly type?: string };
  /** P5: the action in French ("Consultation d’un document"), never its code. */
  readonly label: string;
  /** P5: an emergency mode in French ("Accès en urgence (bris de glace)"). */
  readonly modeLabel?: string;
  /** P5: why it was refused, in French ("ce professionnel n’était pas autorisé"). */
  readonly reasonText?: string;
  /** P5: who acted ("Dr Anne CARDIO", "Vous") and the details after the name (profession, structure). */
  readonly who: string;
  readonly whoDetails: string;
}

export interface PortalHistoryView {
  readonly entries: readonly HistoryEntryView[];
  readonly next: { readonly at: Date; readonly id: string } | undefined;
}

const HOLDER_SIDE = ['patient', 'representative'] as const;

/** P1: the portal's filters as the AuditEvent search's SQL filters. Pure. */
export function historyFilters(
  q: Pick<PortalHistoryQuery, 'show' | 'own' | 'professional'>,
): Pick<AuditSearch, 'actorKinds' | 'excludeActorKinds' | 'accessModes' | 'outcome' | 'agent'> {
  return {
    agent: q.professional,
    actorKinds: q.show === 'professionals' ? ['professional', 'software'] : undefined,
    excludeActorKinds: q.own || q.show === 'professionals' ? undefined : [...HOLDER_SIDE],
    accessModes: q.show === 'emergency' ? ['bris_de_glace', 'centre_15'] : undefined,
    outcome: q.show === 'denied' ? 'denied' : undefined,
  };
}

/** P3: whether the caller may be told the document's title now. Pure. */
export function mayNameDocument(
  actor: Actor,
  doc: Pick<TracedDocumentRow, 'confidentiality' | 'deposited_at'>,
  now: Date,
): boolean {
  const facts = { confidentiality: doc.confidentiality, depositedAt: doc.deposited_at };
  if (isStillInvisibleToPatient(facts, now)) {
    return false;
  }
  return !(actor.kind === 'representative' && hasLabel(facts, 'INVISIBLE_REPRESENTANTS_LEGAUX'));
}

export async function portalHistory(
  deps: Deps,
  actor: Actor,
  q: PortalHistoryQuery,
): Promise<PortalHistoryView> {
  if (actor.kind !== 'patient' && actor.kind !== 'representative') {
    await auditDenial(deps, actor, null, {
      action: 'audit.read',
      reasonCode: 'ACCESS_ACTION_NOT_PERMITTED',
    });
    throw new DomainFailure(
      domainError(
        'forbidden',
        'ACCESS_ACTION_NOT_PERMITTED',
        'Only the holder of a record or their legal representatives read it here.',
      ),
    );
  }
  const result = await searchAuditEvents(deps, actor, {
    from: q.from,
    to: q.to,
    before: q.before,
    count: q.count,
    ...historyFilters(q),
  });
  const rows = result.rows;
  const patientId = result.record?.patient_id;
  const docIds = rows
    .filter((r) => r.entity_type === 'DocumentReference' && r.entity_id)
    .map((r) => r.entity_id as string);
  const docs = new Map(
    patientId && docIds.length > 0
      ? (await auditQuery.findTracedDocuments(deps.sql, patientId, [...new Set(docIds)])).map(
          (d) => [d.id, d] as const,
        )
      : [],
  );
  const pros = rows.filter((r) => r.actor_kind === 'professional');
  const dir = await lookupDirectory(
    deps,
    [...new Set(pros.map((r) => r.actor_id))],
    [
      ...new Set(
        rows.map((r) => r.actor_structure).filter((s): s is string => s !== null && s !== ''),
      ),
    ],
  );
  const now = deps.clock.now();
  const g15 = loadReferenceData().valueSets.get('G15');
  const professionLabel = (code: string): string | undefined =>
    g15?.concepts.find((c) => c.code === code)?.display;
  return {
    entries: rows.map((r) => toView(r, actor, docs, dir, now, professionLabel)),
    next: result.next,
  };
}

function toView(
  r: AuditEventRow,
  actor: Actor,
  docs: ReadonlyMap<string, TracedDocumentRow>,
  dir: Awaited<ReturnType<typeof lookupDirectory>>,
  now: Date,
  professionLabel: (code: string) => string | undefined,
): HistoryEntryView {
  let document: HistoryEntryView['document'];
  if (r.entity_type === 'DocumentReference' && r.entity_id) {
    const d = docs.get(r.entity_id);
    document =
      d && mayNameDocument(actor, d, now)
        ? {
            id: d.id,
            ...(d.title ? { title: d.title } : {}),
            ...(d.type_code ? { type: d.type_code } : {}),
          }
        : { id: r.entity_id };
  }
  const who = actorView(r, dir);
  const denied = r.outcome !== 'success';
  const emergency = r.access_mode !== null && r.access_mode !== 'normal';
  // A representative's own identifier (issue 17 rule 1) words the line; it is not answered (it is their NIR).
  const representative = r.detail['representative'];
  const display = actorDisplay(
    r.actor_kind === 'representative' && typeof representative === 'string'
      ? { ...who, representativeId: representative }
      : who,
    professionLabel,
    actor.kind === 'representative',
    actor.kind === 'representative' ? actor.id : undefined,
  );
  return {
    id: r.id,
    at: r.recorded_at.toISOString(),
    action: r.action,
    actor: who,
    ...(r.access_mode !== null ? { mode: r.access_mode } : {}),
    ...(r.justification ? { justification: r.justification } : {}),
    denied,
    ...(r.reason_code ? { reason: r.reason_code } : {}),
    ...(document ? { document } : {}),
    label: actionLabel(r.action),
    ...(emergency && r.access_mode !== null ? { modeLabel: accessModeLabel(r.access_mode) } : {}),
    ...(denied ? { reasonText: refusalReason(r.reason_code ?? undefined) } : {}),
    who: display.who,
    whoDetails: display.details,
  };
}

function actorView(
  r: AuditEventRow,
  dir: Awaited<ReturnType<typeof lookupDirectory>>,
): HistoryActorView {
  const known = r.actor_structure ? dir.structures.get(r.actor_structure) : undefined;
  const structure = r.actor_structure
    ? { id: r.actor_structure, ...(known ? { name: known.name } : {}) }
    : undefined;
  if (r.actor_kind === 'professional') {
    const p = dir.professionals.get(r.actor_id);
    const name = r.actor_name ?? (p ? `${p.given_name} ${p.family_name}` : undefined);
    const profession = r.actor_profession ?? p?.profession;
    const specialty = r.actor_specialty ?? p?.specialty ?? undefined;
    return {
      kind: 'professional',
      idNatPs: r.actor_id,
      ...(name !== undefined ? { name } : {}),
      ...(profession ? { profession } : {}),
      ...(specialty ? { specialty } : {}),
      ...(structure ? { structure } : {}),
      ...(p ? {} : { outsideDirectory: true }),
    };
  }
  if (r.actor_kind === 'software') {
    return {
      kind: 'software',
      ...(r.actor_name ? { name: r.actor_name } : {}),
      ...(structure ? { structure } : {}),
    };
  }
  return { kind: r.actor_kind, ...(r.actor_name ? { name: r.actor_name } : {}) };
}
