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
