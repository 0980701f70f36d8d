import type { Db } from './client.ts';

/**
 * The notification outbox, its delivery ledger (`inbox`), channel preferences and the invisible-document markers.
 * SQL only. Every statement on a patient table filters on patient_id, except the scans that find work
 * (due notifications, invisible documents: simple filters, then each row is handled with its patient_id) and the
 * look-ups by notification id or by professional (index scans that fan out under Citus).
 */

export interface OutboxRow {
  patient_id: string;
  id: string;
  event_type: string;
  recipient_kind: 'patient' | 'representative' | 'medecin-traitant';
  recipient_id: string;
  channel: 'inbox' | 'email';
  priority: 'routine' | 'urgent';
  payload: Record<string, string | null>;
  dedupe_key: string;
  status: 'pending' | 'delivered' | 'failed' | 'cancelled';
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  created_at: Date;
  delivered_at: Date | null;
}

export interface InboxRow {
  patient_id: string;
  notification_id: string;
  event_type: string;
  recipient_kind: 'patient' | 'representative' | 'medecin-traitant';
  recipient_id: string;
  channel: 'inbox' | 'email';
  priority: 'routine' | 'urgent';
  payload: Record<string, string | null>;
  message_id: string | null;
  created_at: Date;
  delivered_at: Date;
  read_at: Date | null;
}

export interface PreferenceRow {
  patient_id: string;
  recipient_kind: 'patient' | 'representative';
  channels: ('inbox' | 'email')[];
  email: string | null;
  muted: string[];
  updated_at: Date;
}

// ------------------------------------------------------------------------------------------ facts for notify

export interface NotificationFactsRow {
  ins: string;
  general_practitioner: string | null;
  closure_reason: string | null;
  has_representatives: boolean;
  mt_has_email: boolean;
  preferences: { kind: string; channels: string[]; hasEmail: boolean; muted: string[] }[];
  document: { id: string; confidentiality: string[]; status: string; depositorKind: string } | null;
  consent: { id: string; kind: string; actorKind: string | null; actorId: string | null } | null;
}

/**
 * Everything the planner needs about an event, in one round trip inside the event's transaction (so it sees the
 * document or consent row just written): the record, its representatives, preferences, the médecin traitant's
 * e-mail on file, and the document or consent concerned. Undefined when no record.
 */
export async function findNotificationFacts(
  tx: Db,
  patientId: string,
  refs: { documentId?: string | undefined; consentId?: string | undefined } = {},
): Promise<NotificationFactsRow | undefined> {
  // Every subquery filters on the parameter $1, not on patient_record.patient_id: on Citus a subquery correlated on
  // the distribution column goes to every shard (citus-rules.md rule 13).
  const params: string[] = [patientId];
  const param = (value: string): string => `$${params.push(value)}`;
  const [row] = await tx.unsafe<NotificationFactsRow[]>(
    `SELECT ins, general_practitioner, closure_reason, ${RECORD_NOTIFICATION_COLUMNS},
      ${
        refs.documentId
          ? `(SELECT json_build_object('id', d.id, 'confidentiality', d.confidentiality, 'status', d.status,
                'depositorKind', d.depositor_kind)
              FROM document d WHERE d.patient_id = $1 AND d.id = ${param(refs.documentId)})`
          : 'NULL::json'
      } AS document,
      ${
        refs.consentId
          ? `(SELECT json_build_object('id', c.id, 'kind', c.kind, 'actorKind', c.actor_kind, 'actorId', c.actor_id)
              FROM consent c WHERE c.patient_id = $1 AND c.id = ${param(refs.consentId)})`
          : 'NULL::json'
      } AS consent
    FROM patient_record WHERE patient_id = $1`,
    params,
    { prepare: true },
  );
  return row;
}

/**
 * What the planner needs of the record itself beyond its row (representatives, the médecin traitant's e-mail on
 * file, preferences), as columns of a query on `patient_record` (not aliased) whose parameter $1 is the record's
 * patient id (the subqueries filter on it: citus-rules.md rule 13).
 */
export const RECORD_NOTIFICATION_COLUMNS = `EXISTS (SELECT 1 FROM legal_representative l
    WHERE l.patient_id = $1 AND l.identifier IS NOT NULL AND l.ended_at IS NULL
      AND l.starts_at <= now() AND (l.ends_at IS NULL OR l.ends_at > now())
      AND patient_record.birth_date + interval '18 years' > now()) AS has_representatives,
  coalesce((SELECT p.email IS NOT NULL FROM professional p
    WHERE p.id_nat_ps = patient_record.general_practitioner), false) AS mt_has_email,
  (SELECT coalesce(json_agg(json_build_object('kind', n.recipient_kind, 'channels', n.channels,
      'hasEmail', n.email IS NOT NULL, 'muted', n.muted)), '[]'::json)
    FROM notification_preference n WHERE n.patient_id = $1) AS preferences`;

/** Those columns as read. */
export type RecordNotificationFacts = Pick<
  NotificationFactsRow,
  'has_representatives' | 'mt_has_email' | 'preferences'
>;

export async function findPreferences(db: Db, patientId: string): Promise<PreferenceRow[]> {
  return db<PreferenceRow[]>`SELECT * FROM notification_preference WHERE patient_id = ${patientId}`;
}

export async function findPreference(
  db: Db,
  patientId: string,
  kind: 'patient' | 'representative',
): Promise<PreferenceRow | undefined> {
  const [row] = await db<PreferenceRow[]>`SELECT * FROM notification_preference
    WHERE patient_id = ${patientId} AND recipient_kind = ${kind}`;
  return row;
}

export async function upsertPreference(
  tx: Db,
  p: {
    patientId: string;
    kind: 'patient' | 'representative';
    channels: readonly string[];
    email: string | null;
    muted: readonly string[];
    at: Date;
  },
): Promise<PreferenceRow> {
  const [row] = await tx<PreferenceRow[]>`
    INSERT INTO notification_preference (patient_id, recipient_kind, channels, email, muted, updated_at)
    VALUES (${p.patientId}, ${p.kind}, ${[...p.channels]}, ${p.email}, ${[...p.muted]}, ${p.at})
    ON CONFLICT (patient_id, recipient_kind) DO UPDATE
      SET channels = EXCLUDED.channels, email = EXCLUDED.email, muted = EXCLUDED.muted, updated_at = EXCLUDED.updated_at
    RETURNING *`;
  if (!row) {
    throw new Error('preference upsert returned nothing');
  }
  return row;
}

// ------------------------------------------------------------------------------------------ outbox writes

export interface NewOutboxRow {
  patientId: string;
  id: string;
  eventType: string;
  recipientKind: string;
  recipientId: string;
  channel: string;
  priority: string;
  payload: Readonly<Record<string, string | null>>;
  dedupeKey: string;
  createdAt: Date;
}

/**
 * Inserts notifications in one statement, skipping those whose dedupe key already exists for their record.
 * Returns how many were inserted.
 */
/** A new notification as a row of table `outbox` (every column), pending from its creation. */
export function outboxTableRow(r: NewOutboxRow): Record<string, unknown> {
  return {
    patient_id: r.patientId,
    id: r.id,
    event_type: r.eventType,
    recipient_kind: r.recipientKind,
    recipient_id: r.recipientId,
    channel: r.channel,
    priority: r.priority,
    payload: r.payload,
    dedupe_key: r.dedupeKey,
    status: 'pending',
    attempts: 0,
    next_attempt_at: r.createdAt,
    last_error: null,
    created_at: r.createdAt,
    delivered_at: null,
  };
}

export async function insertOutboxRows(tx: Db, rows: readonly NewOutboxRow[]): Promise<number> {
  // One `INSERT … VALUES` with a row per notification, not an `INSERT … SELECT FROM jsonb_populate_recordset`: on
  // Citus the latter runs as a COPY, which always ends in a two-phase commit, even on one worker (ADR 0035); this one
  // is routed to the record's shard as a plain statement. The same rows on a single PostgreSQL.
  const [first, ...more] = rows.map(
    (r) =>
      tx`((jsonb_populate_record(NULL::outbox, ${tx.json(outboxTableRow(r) as Parameters<Db['json']>[0])})).*)`,
  );
  if (first === undefined) {
    return 0;
  }
  const list = more.reduce((all, v) => tx`${all}, ${v}`, first);
  const inserted = await tx`INSERT INTO outbox VALUES ${list}
    ON CONFLICT (patient_id, dedupe_key) DO NOTHING RETURNING id`;
  return inserted.length;
}

// ------------------------------------------------------------------------------------------ delivery

/** Due notifications, oldest due first (a simple filter; the caller locks each one with its patient_id). */
export async function findDueNotifications(
  db: Db,
  now: Date,
  limit: number,
): Promise<{ patient_id: string; id: string }[]> {
  return db<{ patient_id: string; id: string }[]>`SELECT patient_id, id FROM outbox
    WHERE status = 'pending' AND next_attempt_at <= ${now}
    ORDER BY next_attempt_at, id LIMIT ${limit}`;
}

/** Locks one due notification, or returns undefined if another worker holds it or it is no longer due. */
export async function lockDueNotification(
  tx: Db,
  patientId: string,
  id: string,
  now: Date,
): Promise<OutboxRow | undefined> {
  const [row] = await tx<OutboxRow[]>`SELECT * FROM outbox
    WHERE patient_id = ${patientId} AND id = ${id} AND status = 'pending' AND next_attempt_at <= ${now}
    FOR UPDATE SKIP LOCKED`;
  return row;
}

/** Records a delivery; ON CONFLICT DO NOTHING makes a redelivery of the same notification insert nothing. */
export async function insertInboxRow(
  tx: Db,
  n: OutboxRow,
  deliveredAt: Date,
  messageId: string | null,
): Promise<boolean> {
  const rows =
    await tx`INSERT INTO inbox (patient_id, notification_id, event_type, recipient_kind, recipient_id,
      channel, priority, payload, message_id, created_at, delivered_at)
    VALUES (${n.patient_id}, ${n.id}, ${n.event_type}, ${n.recipient_kind}, ${n.recipient_id}, ${n.channel},
      ${n.priority}, ${tx.json(n.payload)}, ${messageId}, ${n.created_at}, ${deliveredAt})
    ON CONFLICT (patient_id, notification_id) DO NOTHING RETURNING notification_id`;
  return rows.length > 0;
}

export async function markDelivered(
  tx: Db,
  patientId: string,
  id: string,
  at: Date,
): Promise<void> {
  await tx`UPDATE outbox SET status = 'delivered', delivered_at = ${at}, attempts = attempts + 1, last_error = NULL
    WHERE patient_id = ${patientId} AND id = ${id}`;
}

export async function markRetry(
  tx: Db,
  patientId: string,
  id: string,
  nextAt: Date,
  error: string,
): Promise<void> {
  await tx`UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ${nextAt}, last_error = ${error}
    WHERE patient_id = ${patientId} AND id = ${id}`;
}

export async function markClosed(
  tx: Db,
  patientId: string,
  id: string,
  status: 'failed' | 'cancelled',
  error: string,
  countAttempt: boolean,
): Promise<void> {
  await tx`UPDATE outbox SET status = ${status}, last_error = ${error},
      attempts = attempts + ${countAttempt ? 1 : 0}
    WHERE patient_id = ${patientId} AND id = ${id}`;
}

/** The e-mail address of a recipient, looked up at delivery (never stored in the outbox). */
export async function findRecipientEmail(
  tx: Db,
  patientId: string,
  recipientKind: string,
  recipientId: string,
): Promise<string | undefined> {
  if (recipientKind === 'medecin-traitant') {
    const [row] = await tx<
      { email: string | null }[]
    >`SELECT email FROM professional WHERE id_nat_ps = ${recipientId}`;
    return row?.email ?? undefined;
  }
  const [row] = await tx<{ email: string | null }[]>`SELECT email FROM notification_preference
    WHERE patient_id = ${patientId} AND recipient_kind = ${recipientKind}`;
  return row?.email ?? undefined;
}

// ------------------------------------------------------------------------------------------ inbox reads

export interface InboxPage {
  readonly channel?: 'inbox' | 'email' | undefined;
  readonly unread?: boolean | undefined;
  readonly before?: { readonly at: Date; readonly id: string } | undefined;
  readonly limit: number;
}

/** A record's notifications for one recipient, newest first (keyset paging on delivered_at, id). */
export async function findInbox(
  db: Db,
  patientId: string,
  recipientKind: string,
  page: InboxPage,
): Promise<InboxRow[]> {
  return db<InboxRow[]>`SELECT * FROM inbox
    WHERE patient_id = ${patientId} AND recipient_kind = ${recipientKind}
      ${page.channel ? db`AND channel = ${page.channel}` : db``}
      ${page.unread === undefined ? db`` : page.unread ? db`AND read_at IS NULL` : db`AND read_at IS NOT NULL`}
      ${page.before ? db`AND (delivered_at, notification_id) < (${page.before.at}, ${page.before.id})` : db``}
    ORDER BY delivered_at DESC, notification_id DESC LIMIT ${page.limit}`;
}

/** A médecin traitant's notifications across records, newest first (fan-out under Citus). */
export async function findProfessionalInbox(
  db: Db,
  idNatPs: string,
  page: InboxPage,
): Promise<InboxRow[]> {
  return db<InboxRow[]>`SELECT * FROM inbox
    WHERE recipient_kind = 'medecin-traitant' AND recipient_id = ${idNatPs}
      ${page.channel ? db`AND channel = ${page.channel}` : db``}
      ${page.unread === undefined ? db`` : page.unread ? db`AND read_at IS NULL` : db`AND read_at IS NOT NULL`}
      ${page.before ? db`AND (delivered_at, notification_id) < (${page.before.at}, ${page.before.id})` : db``}
    ORDER BY delivered_at DESC, notification_id DESC LIMIT ${page.limit}`;
}

export async function findInboxById(db: Db, id: string): Promise<InboxRow | undefined> {
  const [row] = await db<InboxRow[]>`SELECT * FROM inbox WHERE notification_id = ${id}`;
  return row;
}

export async function markInboxRead(
  tx: Db,
  patientId: string,
  id: string,
  at: Date,
): Promise<InboxRow | undefined> {
  const [row] = await tx<InboxRow[]>`UPDATE inbox SET read_at = coalesce(read_at, ${at})
    WHERE patient_id = ${patientId} AND notification_id = ${id} RETURNING *`;
  return row;
}

/**
 * Marks read, in one statement, up to `limit` unread in-portal notifications of one recipient kind on a record
 * (oldest first); returns the ids marked.
 */
export async function markInboxAllRead(
  tx: Db,
  patientId: string,
  recipientKind: string,
  at: Date,
  limit: number,
): Promise<string[]> {
  const rows = await tx<{ notification_id: string }[]>`UPDATE inbox SET read_at = ${at}
    WHERE patient_id = ${patientId} AND notification_id IN (
      SELECT notification_id FROM inbox
      WHERE patient_id = ${patientId} AND recipient_kind = ${recipientKind} AND channel = 'inbox'
        AND read_at IS NULL
      ORDER BY delivered_at, notification_id LIMIT ${limit})
    RETURNING notification_id`;
  return rows.map((r) => r.notification_id);
}

// ------------------------------------------------------------------------------------------ invisible documents

export interface InvisibleDocumentRow {
  patient_id: string;
  id: string;
  deposited_at: Date;
  notice_sent: boolean;
}

/**
 * Current documents still labelled INVISIBLE_PATIENT, deposited before `noticeBefore`, that the job has not made
 * visible yet and whose notice is not sent yet or whose month may be over (deposited before `liftBefore`).
 * Keyset paging on (deposited_at, patient_id, id).
 */
export async function findInvisibleDocumentCandidates(
  db: Db,
  noticeBefore: Date,
  liftBefore: Date,
  limit: number,
  after: { at: Date; patientId: string; id: string } | null,
): Promise<InvisibleDocumentRow[]> {
  return db<InvisibleDocumentRow[]>`SELECT d.patient_id, d.id, d.deposited_at,
      EXISTS (SELECT 1 FROM document_visibility_notice n WHERE n.patient_id = d.patient_id AND n.document_id = d.id
        AND n.kind = 'pending-notice') AS notice_sent
    FROM document d
    WHERE d.status = 'current' AND 'INVISIBLE_PATIENT' = ANY (d.confidentiality) AND d.deposited_at <= ${noticeBefore}
      AND NOT EXISTS (SELECT 1 FROM document_visibility_notice n WHERE n.patient_id = d.patient_id
        AND n.document_id = d.id AND n.kind = 'visible')
      AND (d.deposited_at <= ${liftBefore} OR NOT EXISTS (SELECT 1 FROM document_visibility_notice n
        WHERE n.patient_id = d.patient_id AND n.document_id = d.id AND n.kind = 'pending-notice'))
      ${after ? db`AND (d.deposited_at, d.patient_id, d.id) > (${after.at}, ${after.patientId}, ${after.id})` : db``}
    ORDER BY d.deposited_at, d.patient_id, d.id LIMIT ${limit}`;
}

/** Records that the job did `kind` for a document; false when it was already done (another instance). */
export async function insertVisibilityMarker(
  tx: Db,
  patientId: string,
  documentId: string,
  kind: 'pending-notice' | 'visible',
  at: Date,
): Promise<boolean> {
  const rows = await tx`INSERT INTO document_visibility_notice (patient_id, document_id, kind, at)
    VALUES (${patientId}, ${documentId}, ${kind}, ${at}) ON CONFLICT DO NOTHING RETURNING kind`;
  return rows.length > 0;
}

/** Re-reads a document's label and status under lock, inside the job's transaction. */
export async function lockInvisibleDocument(
  tx: Db,
  patientId: string,
  documentId: string,
): Promise<{ confidentiality: string[]; status: string; deposited_at: Date } | undefined> {
  const [row] = await tx<{ confidentiality: string[]; status: string; deposited_at: Date }[]>`
    SELECT confidentiality, status, deposited_at FROM document
    WHERE patient_id = ${patientId} AND id = ${documentId} FOR UPDATE`;
  return row;
}
