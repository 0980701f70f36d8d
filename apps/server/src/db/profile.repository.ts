import type { ProfileAuthorKind, ProfileSection, ProfileType } from '../domain/profile/entry.ts';
import type { Db } from './client.ts';

/** Medical profile entries (profile_entry), their id lookup and the last export. SQL only; filters on patient_id. */

export interface ProfileRow {
  patient_id: string;
  id: string;
  resource_type: ProfileType;
  section: ProfileSection;
  version_id: number;
  deleted: boolean;
  code_system: string | null;
  code: string | null;
  effective: string | null;
  created_at: Date;
  updated_at: Date;
  author_kind: ProfileAuthorKind;
  author_id: string;
  resource: Record<string, unknown>;
}

const COLUMNS = `patient_id, id, resource_type, section, version_id, deleted, code_system, code, effective::text AS effective,
  created_at, updated_at, author_kind, author_id, resource`;

export interface NewProfileRow {
  readonly patientId: string;
  readonly id: string;
  readonly type: ProfileType;
  readonly section: ProfileSection;
  readonly codeSystem: string | null;
  readonly code: string | null;
  readonly effective: string | null;
  readonly at: Date;
  readonly authorKind: ProfileAuthorKind;
  readonly authorId: string;
  readonly resource: Record<string, unknown>;
}

export async function insertEntry(db: Db, e: NewProfileRow): Promise<void> {
  await db`INSERT INTO profile_locator (id, patient_id, resource_type) VALUES (${e.id}, ${e.patientId}, ${e.type})`;
  await db`INSERT INTO profile_entry (patient_id, id, resource_type, section, version_id, code_system, code, effective,
      created_at, updated_at, author_kind, author_id, resource)
    VALUES (${e.patientId}, ${e.id}, ${e.type}, ${e.section}, 1, ${e.codeSystem}, ${e.code}, ${e.effective}::date,
      ${e.at}, ${e.at}, ${e.authorKind}, ${e.authorId}, ${db.json(e.resource as Parameters<Db['json']>[0])})`;
}

/** The record holding `<type>/<id>`. */
export async function locateEntry(
  db: Db,
  type: ProfileType,
  id: string,
): Promise<string | undefined> {
  const [row] = await db<{ patient_id: string }[]>`SELECT patient_id FROM profile_locator
    WHERE id = ${id} AND resource_type = ${type}`;
  return row?.patient_id;
}

export async function findEntry(
  db: Db,
  patientId: string,
  id: string,
): Promise<ProfileRow | undefined> {
  const [row] = await db.unsafe<ProfileRow[]>(
    `SELECT ${COLUMNS} FROM profile_entry WHERE patient_id = $1 AND id = $2`,
    [patientId, id],
    { prepare: true },
  );
  return row;
}

export async function lockEntry(
  db: Db,
  patientId: string,
  id: string,
): Promise<ProfileRow | undefined> {
  const [row] = await db.unsafe<ProfileRow[]>(
    `SELECT ${COLUMNS} FROM profile_entry WHERE patient_id = $1 AND id = $2 FOR UPDATE`,
    [patientId, id],
    { prepare: true },
  );
  return row;
}

export async function updateEntry(
  db: Db,
  patientId: string,
  id: string,
  e: Omit<NewProfileRow, 'patientId' | 'id' | 'type'> & { readonly versionId: number },
): Promise<void> {
  await db`UPDATE profile_entry SET section = ${e.section}, version_id = ${e.versionId}, code_system = ${e.codeSystem},
      code = ${e.code}, effective = ${e.effective}::date, updated_at = ${e.at}, author_kind = ${e.authorKind},
      author_id = ${e.authorId}, resource = ${db.json(e.resource as Parameters<Db['json']>[0])}
    WHERE patient_id = ${patientId} AND id = ${id}`;
}

export async function markDeleted(db: Db, patientId: string, id: string, at: Date): Promise<void> {
  await db`UPDATE profile_entry SET deleted = true, version_id = version_id + 1, updated_at = ${at}
    WHERE patient_id = ${patientId} AND id = ${id}`;
}

export interface ProfileQuery {
  readonly types: readonly ProfileType[];
  readonly code?: { readonly system?: string | undefined; readonly code: string } | undefined;
  readonly limit: number;
  readonly offset: number;
}

/** One patient's live entries of the given types, newest first. */
export async function findEntries(
  db: Db,
  patientId: string,
  q: ProfileQuery,
): Promise<ProfileRow[]> {
  const params: unknown[] = [patientId, q.types];
  const where = ['patient_id = $1', 'resource_type = ANY($2::text[])', 'NOT deleted'];
  if (q.code) {
    params.push(q.code.code);
    where.push(`code = $${params.length}`);
    if (q.code.system !== undefined) {
      params.push(q.code.system);
      where.push(`code_system = $${params.length}`);
    }
  }
  params.push(q.limit, q.offset);
  return db.unsafe<ProfileRow[]>(
    `SELECT ${COLUMNS} FROM profile_entry WHERE ${where.join(' AND ')}
     ORDER BY updated_at DESC, id LIMIT $${params.length - 1} OFFSET $${params.length}`,
    params as never[],
    { prepare: true },
  );
}

// ---------------------------------------------------------------- export state

export interface ProfileExportRow {
  document_id: string;
  unique_id: string;
  version: number;
}

export async function findExport(db: Db, patientId: string): Promise<ProfileExportRow | undefined> {
  const [row] = await db<
    ProfileExportRow[]
  >`SELECT document_id, unique_id, version FROM profile_export
    WHERE patient_id = ${patientId}`;
  return row;
}

export async function saveExport(
  db: Db,
  patientId: string,
  e: { documentId: string; uniqueId: string; version: number; at: Date },
): Promise<void> {
  await db`INSERT INTO profile_export (patient_id, document_id, unique_id, version, exported_at)
    VALUES (${patientId}, ${e.documentId}, ${e.uniqueId}, ${e.version}, ${e.at})
    ON CONFLICT (patient_id) DO UPDATE SET document_id = excluded.document_id, unique_id = excluded.unique_id,
      version = excluded.version, exported_at = excluded.exported_at`;
}
