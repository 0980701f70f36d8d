import type { DocumentAuthor } from '../domain/documents/model.ts';
import { isUuid } from '../domain/identity/uuid.ts';
import type { Db } from './client.ts';

/** What the patient portal's inbox tells of a document a notification names (SQL only; filtered on patient_id). */
export interface NoticeDocumentRow {
  id: string;
  entry_uuid: string;
  status: string;
  confidentiality: string[];
  deposited_at: Date;
  title: string | null;
  authors: DocumentAuthor[] | null;
  creation: string | null;
}

export async function findNoticeDocuments(
  db: Db,
  patientId: string,
  ids: readonly string[],
): Promise<NoticeDocumentRow[]> {
  const uuids = [...new Set(ids.filter(isUuid))];
  if (uuids.length === 0) {
    return [];
  }
  return db<NoticeDocumentRow[]>`SELECT id, entry_uuid, status, confidentiality, deposited_at,
      metadata->>'title' AS title, metadata->'authors' AS authors, metadata->>'creation' AS creation
    FROM document WHERE patient_id = ${patientId} AND id IN ${db(uuids)}`;
}

export interface EmergencyTraceRow {
  recorded_at: Date;
  access_mode: string;
  justification: string | null;
}

/**
 * The emergency access an emergency notice was raised by: that professional's successful trace in that mode on the
 * record, the one closest to the notice's time (the notice is planned in the trace's transaction, with its clock),
 * within a second.
 */
export async function findEmergencyTrace(
  db: Db,
  patientId: string,
  idNatPs: string,
  mode: string,
  at: Date,
): Promise<EmergencyTraceRow | undefined> {
  const [row] = await db<EmergencyTraceRow[]>`SELECT recorded_at, access_mode, justification
    FROM audit_event
    WHERE patient_id = ${patientId} AND actor_kind = 'professional' AND actor_id = ${idNatPs}
      AND access_mode = ${mode} AND outcome = 'success'
      AND recorded_at BETWEEN ${new Date(at.getTime() - 1000)} AND ${new Date(at.getTime() + 1000)}
    ORDER BY abs(extract(epoch FROM recorded_at - ${at}::timestamptz)), recorded_at
    LIMIT 1`;
  return row;
}
