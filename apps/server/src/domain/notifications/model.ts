/**
 * Notifications (product.md §2 "Traceability and notifications", issue 5): the vocabulary shared by the planner,
 * the messages and the preferences. Pure data.
 */

/** Who receives a notification. */
export type RecipientKind = 'patient' | 'representative' | 'medecin-traitant';

/** How it is delivered: the in-portal inbox (default) or e-mail over SMTP. */
export type Channel = 'inbox' | 'email';
export const CHANNELS: readonly Channel[] = ['inbox', 'email'];

/**
 * What a notification is about. The holder may mute the categories of `MUTABLE_CATEGORIES`; emergency
 * accesses and the notice of a document awaiting announcement are legal obligations (CSP R1111-48, R1111-53)
 * and ignore every preference.
 */
export type Category =
  'document' | 'document-pending' | 'emergency' | 'authorization' | 'block' | 'record';
export const MUTABLE_CATEGORIES: readonly Category[] = [
  'document',
  'authorization',
  'block',
  'record',
];

/** Event types the outbox knows (the `type` of a NotificationEvent). Any other type notifies nobody. */
export const NOTIFICATION_TYPES = [
  /** A document was deposited (or a replacement): notified unless INVISIBLE_PATIENT hides it. */
  'document.deposit',
  'document.replace',
  /** A document the patient could not see became visible (INVISIBLE_PATIENT expired or lifted). */
  'document.available',
  /** Two weeks after the deposit of an INVISIBLE_PATIENT document: a document awaits announcement. */
  'document.pending-notice',
  /** A professional masked a document from professionals (MASQUE_PS), or lifted the mask (TD3.3a). */
  'document.masked',
  'document.unmasked',
  /** A professional acted on the record in an emergency mode (bris_de_glace, centre_15). */
  'emergency.access',
  'consent.authorization',
  'consent.authorization.end',
  'consent.block',
  'consent.block.end',
  'record.close',
] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

export function isNotificationType(type: string): type is NotificationType {
  return (NOTIFICATION_TYPES as readonly string[]).includes(type);
}

/** Payload of an outbox row: identifiers and codes only, never clinical content. */
export type NotificationPayload = Readonly<Record<string, string | null>>;

/** A recipient's channel preferences (defaults when they never set any: inbox only, nothing muted). */
export interface Preference {
  readonly channels: readonly Channel[];
  /** An e-mail address is on file (the address itself is looked up at delivery, never copied). */
  readonly hasEmail: boolean;
  readonly muted: readonly Category[];
}

export const DEFAULT_PREFERENCE: Preference = { channels: ['inbox'], hasEmail: false, muted: [] };

export type Priority = 'routine' | 'urgent';
