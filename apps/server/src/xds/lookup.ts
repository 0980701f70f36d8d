/**
 * The two look-ups the SOAP adapters need beyond the core's use cases (issue 19), until issue 18's neutral find /
 * retrieve by uniqueId exist: the document a uniqueId names, and its content id. Neither decides nor traces: the
 * caller hands the result to the core's read or retrieval, which does both (a miss included).
 */
import type { Caches } from '../caches.ts';
import type { Db } from '../db/client.ts';
import * as documents from '../db/documents.repository.ts';

/** The DocumentReference id of a uniqueId, if a document has it. */
export function documentIdOfUniqueId(db: Db, uniqueId: string): Promise<string | undefined> {
  return documents.locateUniqueId(db, uniqueId);
}

/** The content id of the document a uniqueId names, if any. */
export async function contentIdOfUniqueId(
  db: Db,
  caches: Pick<Caches, 'locators'>,
  uniqueId: string,
): Promise<string | undefined> {
  const id = uniqueId ? await documents.locateUniqueId(db, uniqueId) : undefined;
  const patientId = id ? await documents.locate(db, caches, id, 'DocumentReference') : undefined;
  const row = id && patientId ? await documents.findDocument(db, patientId, id) : undefined;
  return row?.content_id;
}
