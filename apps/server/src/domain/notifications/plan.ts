/**
 * Who is notified of an event, on which channels: one planned outbox row per (recipient, channel).
 * Pure: the facts are loaded by services/notifications/notify.ts in the transaction of the event.
 *
 * Rules (product.md §2, CSP R1111-48 and R1111-53, issue 5):
 *  N1. New document (deposit, replacement, or a document that became visible): the patient and the legal
 *      representatives — never while INVISIBLE_PATIENT hides it from them (the invisible-document job sends the
 *      two-week notice and, once it is visible, this notification); representatives never for an
 *      INVISIBLE_REPRESENTANTS_LEGAUX document; not the party who deposited it. One notification per document
 *      (dedupe key `document:<id>`), whichever event announces it first.
 *  N2. Two-week notice of an INVISIBLE_PATIENT document: the patient (and the representatives unless the document is
 *      also INVISIBLE_REPRESENTANTS_LEGAUX), without the document id (it stays hidden until announced).
 *  N3. Emergency access (a professional acting in bris_de_glace or centre_15 mode): the patient, the legal
 *      representatives and the médecin traitant (unless they are the one who accessed), always, whatever the
 *      preferences: in-portal inbox plus e-mail when an address is known. Accesses by one professional in one mode
 *      on one UTC day are one notification (dedupe `emergency:<IdNat_PS>:<mode>:<day>`).
 *  N4. Authorization added or removed, block or unblock of a professional, record closed (not for death): the
 *      patient and the representatives, whoever made the change (a security notice), on their preferred channels.
 *  N5. Preferences: channels chosen by the recipient (default: inbox); e-mail only when an address is on file;
 *      muted categories (MUTABLE_CATEGORIES) are skipped. N2 and N3 ignore preferences.
 *  N7. A professional set or lifted MASQUE_PS (at the patient's request, TD3.3a, issue 17 rule 4): the patient
 *      and the representatives, as in N1 (not while INVISIBLE_PATIENT hides the document; representatives not for
 *      an INVISIBLE_REPRESENTANTS_LEGAUX document), with the professional and the change; one notification per
 *      change (dedupe by time). A change made by the patient or a representative notifies nobody.
 *  N6. Payloads carry identifiers and codes only; dedupe keys are unique per record, so writing the same event
 *      twice (an idempotent retry, a second search in the same emergency) inserts nothing.
 */
import type { Actor } from '../access/actor.ts';
import type {
  Category,
  Channel,
  NotificationPayload,
  NotificationType,
  Preference,
  Priority,
  RecipientKind,
} from './model.ts';
import { isNotificationType } from './model.ts';

export interface DocumentFactsForNotice {
  readonly id: string;
  readonly confidentiality: readonly string[];
  readonly status: string;
  readonly depositorKind?: string;
}

export interface ConsentFactsForNotice {
  readonly id: string;
  readonly kind: string;
  readonly actorKind: string | null;
  readonly actorId: string | null;
}

export interface NotificationFacts {
  readonly type: string;
  /** INS of the record (the patient and representatives are addressed through it). */
  readonly ins: string;
  readonly actor: Actor | { readonly kind: 'system'; readonly id: string };
  readonly now: Date;
  readonly hasRepresentatives: boolean;
  readonly medecinTraitant?: { readonly idNatPs: string; readonly hasEmail: boolean } | undefined;
  readonly preferences: { readonly patient: Preference; readonly representative: Preference };
  readonly document?: DocumentFactsForNotice | undefined;
  readonly consent?: ConsentFactsForNotice | undefined;
  readonly closureReason?: string | null | undefined;
}

export interface PlannedNotification {
  readonly eventType: NotificationType;
  readonly category: Category;
  readonly recipientKind: RecipientKind;
  readonly recipientId: string;
  readonly channel: Channel;
  readonly priority: Priority;
  readonly dedupeKey: string;
  readonly payload: NotificationPayload;
}

interface Recipient {
  readonly kind: RecipientKind;
  readonly id: string;
  /** Channels before preferences are applied (mandatory events), or undefined to use the preference. */
  readonly preference?: Preference;
  readonly mandatoryEmail?: boolean;
}

const hasLabel = (doc: DocumentFactsForNotice, label: string): boolean =>
  doc.confidentiality.includes(label);

function holderSide(f: NotificationFacts, includeRepresentatives: boolean): Recipient[] {
  const out: Recipient[] = [{ kind: 'patient', id: f.ins, preference: f.preferences.patient }];
  // Issue 17 rule 2 (L1111-5): what a professional does in connexion secrète is never told to the representatives.
  const secret = f.actor.kind === 'professional' && f.actor.secret === true;
  if (f.hasRepresentatives && includeRepresentatives && !secret) {
    out.push({ kind: 'representative', id: f.ins, preference: f.preferences.representative });
  }
  return out;
}

function channelsFor(r: Recipient, category: Category, mandatory: boolean): Channel[] {
  const pref = r.preference;
  if (mandatory) {
    const email = r.mandatoryEmail ?? pref?.hasEmail ?? false;
    return email ? ['inbox', 'email'] : ['inbox'];
  }
  if (!pref || pref.muted.includes(category)) {
    return [];
  }
  return pref.channels.filter((c) => c === 'inbox' || pref.hasEmail);
}

function expand(
  f: NotificationFacts,
  eventType: NotificationType,
  category: Category,
  eventKey: string,
  recipients: readonly Recipient[],
  payload: NotificationPayload,
  options: { mandatory: boolean; priority: Priority },
): PlannedNotification[] {
  const out: PlannedNotification[] = [];
  for (const r of recipients) {
    for (const channel of channelsFor(r, category, options.mandatory)) {
      out.push({
        eventType,
        category,
        recipientKind: r.kind,
        recipientId: r.id,
        channel,
        priority: options.priority,
        dedupeKey: `${eventKey}|${r.kind}|${r.id}|${channel}`,
        payload,
      });
    }
  }
  return out;
}

function actorPayload(actor: NotificationFacts['actor']): NotificationPayload {
  switch (actor.kind) {
    case 'professional':
      return {
        actorKind: 'professional',
        actorId: actor.idNatPs,
        actorStructure: actor.structure ?? null,
      };
    case 'patient':
    case 'representative':
      return { actorKind: actor.kind, actorId: null, actorStructure: null };
    case 'software':
      return { actorKind: 'software', actorId: null, actorStructure: actor.structure };
    case 'operator':
    case 'system':
      return { actorKind: actor.kind, actorId: null, actorStructure: null };
  }
}

function planDocument(f: NotificationFacts, type: NotificationType): PlannedNotification[] {
  const doc = f.document;
  if (!doc || doc.status === 'deleted') {
    return [];
  }
  if (type !== 'document.available' && hasLabel(doc, 'INVISIBLE_PATIENT')) {
    return []; // N1: announced later by the invisible-document job
  }
  const depositor = type === 'document.available' ? undefined : (doc.depositorKind ?? f.actor.kind);
  const recipients = holderSide(f, !hasLabel(doc, 'INVISIBLE_REPRESENTANTS_LEGAUX')).filter(
    (r) => r.kind !== depositor,
  );
  return expand(
    f,
    type,
    'document',
    `document:${doc.id}`,
    recipients,
    { documentId: doc.id },
    {
      mandatory: false,
      priority: 'routine',
    },
  );
}

function planMask(f: NotificationFacts, type: 'document.masked' | 'document.unmasked') {
  const doc = f.document;
  if (f.actor.kind !== 'professional' || !doc || doc.status === 'deleted') {
    return [];
  }
  if (hasLabel(doc, 'INVISIBLE_PATIENT')) {
    return [];
  }
  const at = f.now.toISOString();
  return expand(
    f,
    type,
    'document',
    `${type}:${doc.id}:${at}`,
    holderSide(f, !hasLabel(doc, 'INVISIBLE_REPRESENTANTS_LEGAUX')),
    {
      documentId: doc.id,
      change: type === 'document.masked' ? 'masked' : 'unmasked',
      at,
      ...actorPayload(f.actor),
    },
    { mandatory: false, priority: 'routine' },
  );
}

function planPendingNotice(f: NotificationFacts): PlannedNotification[] {
  const doc = f.document;
  if (!doc || doc.status === 'deleted') {
    return [];
  }
  const recipients = holderSide(f, !hasLabel(doc, 'INVISIBLE_REPRESENTANTS_LEGAUX'));
  return expand(
    f,
    'document.pending-notice',
    'document-pending',
    `document-pending:${doc.id}`,
    recipients,
    {},
    {
      mandatory: true,
      priority: 'routine',
    },
  );
}

/** UTC day of `d`, YYYY-MM-DD. */
function utcDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

function planEmergency(f: NotificationFacts): PlannedNotification[] {
  const actor = f.actor;
  if (actor.kind !== 'professional' || actor.mode === 'normal') {
    return [];
  }
  const recipients: Recipient[] = holderSide(f, true);
  const mt = f.medecinTraitant;
  if (mt && mt.idNatPs !== actor.idNatPs) {
    recipients.push({ kind: 'medecin-traitant', id: mt.idNatPs, mandatoryEmail: mt.hasEmail });
  }
  const key = `emergency:${actor.idNatPs}:${actor.mode}:${utcDay(f.now)}`;
  return expand(
    f,
    'emergency.access',
    'emergency',
    key,
    recipients,
    { ...actorPayload(actor), mode: actor.mode, at: f.now.toISOString(), patientIns: f.ins },
    { mandatory: true, priority: 'urgent' },
  );
}

function planConsent(f: NotificationFacts, type: NotificationType): PlannedNotification[] {
  const consent = f.consent;
  const kind = type.startsWith('consent.authorization') ? 'authorization' : 'block';
  if (!consent || consent.kind !== kind) {
    return [];
  }
  const category: Category = kind === 'authorization' ? 'authorization' : 'block';
  return expand(
    f,
    type,
    category,
    `${type}:${consent.id}`,
    holderSide(f, true),
    {
      consentId: consent.id,
      subjectKind: consent.actorKind,
      subjectId: consent.actorId,
      change: type.endsWith('.end') ? 'removed' : 'added',
      ...actorPayload(f.actor),
    },
    { mandatory: false, priority: 'routine' },
  );
}

function planClosure(f: NotificationFacts): PlannedNotification[] {
  if (f.closureReason === 'death') {
    return [];
  }
  const at = f.now.toISOString();
  return expand(
    f,
    'record.close',
    'record',
    `record.close:${at}`,
    holderSide(f, true),
    {
      reason: f.closureReason ?? null,
      at,
    },
    { mandatory: false, priority: 'routine' },
  );
}

/**
 * The outbox rows an event calls for (rules N1–N6 above); empty for an event type that notifies nobody.
 * @param f - the event and the facts loaded in its transaction
 */
export function planNotifications(f: NotificationFacts): PlannedNotification[] {
  const type = f.type;
  if (!isNotificationType(type)) {
    return [];
  }
  switch (type) {
    case 'document.deposit':
    case 'document.replace':
    case 'document.available':
      return planDocument(f, type);
    case 'document.pending-notice':
      return planPendingNotice(f);
    case 'document.masked':
    case 'document.unmasked':
      return planMask(f, type);
    case 'emergency.access':
      return planEmergency(f);
    case 'consent.authorization':
    case 'consent.authorization.end':
    case 'consent.block':
    case 'consent.block.end':
      return planConsent(f, type);
    case 'record.close':
      return planClosure(f);
  }
}
