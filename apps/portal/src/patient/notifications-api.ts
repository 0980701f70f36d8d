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

export function notificationTitle(c: Communication): string {
  return c.category?.[0]?.coding?.[0]?.display ?? c.topic?.text ?? 'Notification';
}

export function isUrgent(c: Communication): boolean {
  return (c as Communication & { priority?: string }).priority === 'urgent';
}
