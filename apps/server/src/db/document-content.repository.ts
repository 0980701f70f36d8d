import type { Db } from './client.ts';

/** Encrypted document contents and the per-record data keys that seal them. SQL only. */
export interface DataKeyRow {
  key_version: number;
  master_key_id: string;
  wrapped_key: Buffer;
}

export interface ContentRow {
  key_version: number;
  nonce: Buffer;
  tag: Buffer;
  ciphertext: Buffer;
}

/** The record's newest data key. */
export async function findCurrentDataKey(
  db: Db,
  patientId: string,
): Promise<DataKeyRow | undefined> {
  const [row] = await db<
    DataKeyRow[]
  >`SELECT key_version, master_key_id, wrapped_key FROM record_data_key
    WHERE patient_id = ${patientId} ORDER BY key_version DESC LIMIT 1`;
  return row;
}

export async function findDataKey(
  db: Db,
  patientId: string,
  keyVersion: number,
): Promise<DataKeyRow | undefined> {
  const [row] = await db<
    DataKeyRow[]
  >`SELECT key_version, master_key_id, wrapped_key FROM record_data_key
    WHERE patient_id = ${patientId} AND key_version = ${keyVersion}`;
  return row;
}

/** Inserts a data key unless that version exists (a concurrent deposit created it): false then. */
export async function insertDataKey(
  db: Db,
  patientId: string,
  key: DataKeyRow,
  at: Date,
): Promise<boolean> {
  const rows =
    await db`INSERT INTO record_data_key (patient_id, key_version, master_key_id, wrapped_key, created_at)
    VALUES (${patientId}, ${key.key_version}, ${key.master_key_id}, ${key.wrapped_key}, ${at})
    ON CONFLICT (patient_id, key_version) DO NOTHING RETURNING key_version`;
  return rows.length > 0;
}

export async function insertContent(
  db: Db,
  patientId: string,
  contentId: string,
  row: ContentRow,
): Promise<void> {
  await db`INSERT INTO document_content (patient_id, content_id, key_version, nonce, tag, ciphertext)
    VALUES (${patientId}, ${contentId}, ${row.key_version}, ${row.nonce}, ${row.tag}, ${row.ciphertext})`;
}

export async function findContent(
  db: Db,
  patientId: string,
  contentId: string,
): Promise<ContentRow | undefined> {
  const [row] = await db<
    ContentRow[]
  >`SELECT key_version, nonce, tag, ciphertext FROM document_content
    WHERE patient_id = ${patientId} AND content_id = ${contentId}`;
  return row;
}
