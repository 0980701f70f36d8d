/**
 * The notification inbox (FHIR Communication, the notifications service) and the channel preferences
 * (/portal-api/notification-preferences), as the patient portal uses them.
 */
import { getJson, sendJson } from '../shared/api.ts';
import { resources, type Bundle, type Communication } from '../shared/fhir.ts';

export async function loadNotifications(
  identifier: string,
  state: 'unread' | 'all',
  signal?: AbortSignal,
): Promise<Communication[]> {
  const q = new URLSearchParams({ 'patient.identifier': identifier, _count: '100' });
  if (state === 'unread') {
    q.set('status', 'in-progress');
  }
  const bundle = await getJson<Bundle<Communication>>(
    `/fhir/Communication?${q.toString()}`,
    signal,
  );
  return resources(bundle);
}

/** Unread while `in-progress`; `completed` once marked read. */
export function isUnread(c: Communication): boolean {
  return c.status === 'in-progress';
}

export async function markRead(id: string): Promise<void> {
  await sendJson(
    'PATCH',
    `/fhir/Communication/${encodeURIComponent(id)}`,
    [{ op: 'replace', path: '/status', value: 'completed' }],
    'application/json-patch+json',
  );
}

export interface Preferences {
  readonly channels: readonly string[];
  readonly email: string | null;
  /** Muted categories: document, authorization, block, record. */
  readonly muted: readonly string[];
  readonly updated: string | null;
}

export function loadPreferences(signal?: AbortSignal): Promise<Preferences> {
  return getJson<Preferences>('/portal-api/notification-preferences', signal);
}

export async function savePreferences(
  p: Omit<Preferences, 'updated'>,
): Promise<Preferences | undefined> {
  return sendJson<Preferences>(
    'PUT',
    '/portal-api/notification-preferences',
    p,
    'application/json',
  );
}

export function notificationText(c: Communication): string {
  return (
    c.payload
      ?.map((p) => p.contentString)
      .filter(Boolean)
      .join(' ') ?? ''
  );
}

/** How the reader names the record ("votre dossier", "le dossier de Hugo"): RecordContextValue['the']. */
export interface RecordWording {
  readonly record: string;
  readonly toRecord: string;
  readonly Record: string;
}

/**
 * The title of a notification, by its event type (Communication.category) and for the reader: the holder reads
 * "votre dossier", a legal representative "le dossier de Hugo". An unknown type keeps the server's title.
 */
export function notificationTitle(c: Communication, the?: RecordWording): string {
  return titleFor(
    c.category?.[0]?.coding?.[0]?.code,
    c.category?.[0]?.coding?.[0]?.display ?? c.topic?.text ?? 'Notification',
    the,
  );
}

/** The title for an event type (`code`), the server's (`server`) when the type is unknown. */
export function titleFor(code: string | undefined, server: string, the?: RecordWording): string {
  if (the === undefined || code === undefined) {
    return server;
  }
  const titles: Readonly<Record<string, string>> = {
    'document.deposit': `Nouveau document dans ${the.record}`,
    'document.replace': `Nouvelle version d’un document dans ${the.record}`,
    'document.available': `Nouveau document dans ${the.record}`,
    'document.pending-notice': `Un document a été ajouté ${the.toRecord}`,
    'document.masked': 'Un document a été masqué aux professionnels',
    'document.unmasked': 'Un document n’est plus masqué aux professionnels',
    'emergency.access': `Accès en urgence ${the.toRecord}`,
    'consent.authorization': `Nouvelle autorisation d’accès ${the.toRecord}`,
    'consent.authorization.end': 'Autorisation d’accès retirée',
    'consent.block': 'Professionnel bloqué',
    'consent.block.end': 'Blocage levé',
    'record.close': `${the.Record} a été fermé`,
  };
  return titles[code] ?? server;
}

/** The id of the document a notification is about, if any. */
export function aboutDocument(c: Communication): string | undefined {
  const ref = c.about?.find((a) => a.reference?.startsWith('DocumentReference/'))?.reference;
  return ref?.slice('DocumentReference/'.length);
}

/** The event type of a notification (document.deposit, emergency.access…). */
export function notificationType(c: Communication): string | undefined {
  return c.category?.[0]?.coding?.[0]?.code;
}

/** Marks every notification of the list as read, one after the other; returns the ids marked. */
export async function markAllRead(
  list: readonly { readonly id: string; readonly unread: boolean }[],
): Promise<string[]> {
  const done: string[] = [];
  for (const c of list) {
    if (c.unread) {
      await markRead(c.id);
      done.push(c.id);
    }
  }
  return done;
}

/**
 * One notification of the patient portal's inbox (GET /portal-api/notifications, services/portal-inbox.ts): what
 * happened is resolved by the server — the document (title, author, date, the id to link to) or the emergency
 * access (who, mode, time, justification of the trace that raised it).
 */
export interface InboxEntry {
  readonly id: string;
  readonly type: string;
  readonly sent: string;
  readonly unread: boolean;
  readonly urgent: boolean;
  readonly subject: string;
  readonly text: string;
  readonly document?: {
    readonly id: string;
    readonly title: string;
    readonly author?: string;
    readonly date?: string;
  };
  readonly emergency?: {
    readonly who: string;
    readonly whoDetails: string;
    readonly modeLabel: string;
    readonly at: string;
    readonly justification?: string;
  };
}

/** "Tout marquer comme lu": one request, one transaction on the server (at most 1,000 at a time). */
export async function markInboxAllRead(): Promise<{ marked: number; more: boolean }> {
  return (
    (await sendJson<{ marked: number; more: boolean }>(
      'POST',
      '/portal-api/notifications/read-all',
      {},
      'application/json',
    )) ?? { marked: 0, more: false }
  );
}

export async function loadInbox(signal?: AbortSignal): Promise<InboxEntry[]> {
  return (await getJson<{ entries: InboxEntry[] }>('/portal-api/notifications?_count=100', signal))
    .entries;
}

export function isUrgent(c: Communication): boolean {
  return (c as Communication & { priority?: string }).priority === 'urgent';
}
