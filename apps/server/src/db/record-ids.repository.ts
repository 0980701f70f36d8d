import type { Db } from './client.ts';
import { isCitus } from './engine.ts';

/**
 * Server ids placed with their record, on Citus only (ADR 0031, migration 0120). `resource_locator` is distributed
 * by `id` in the co-location group of `patient_record`: a locator row lives on the shard its id hashes to. A deposit
 * draws its new ids (documents, contents, SubmissionSet, Folders) among random UUIDs that hash into the record's
 * shard, so that their locators are written beside the record's rows and the deposit writes one worker (the
 * uniqueId claims aside, which stay global). On plain PostgreSQL there are no shards: nothing is drawn, the ids
 * stay those of `deps.ids`.
 */
/**
 * Random candidates: 1 in 32 falls in a given shard of 32. With 48 per id wanted and 1,024 more, a deposit of one
 * document (3 ids) finds fewer than 3 among its 1,168 candidates (36 expected) with a probability of about 10⁻¹³.
 */
const CANDIDATES_PER_ID = 48;
const CANDIDATES_MORE = 1024;
/** A deposit's ids are few (2 per document, 1 per list): the draw is bounded whatever the caller asks. */
const MAX_IDS = 512;

/**
 * `count` new UUIDs that hash into the shard of `patientId` (one query on the coordinator, candidates drawn and
 * filtered there), or undefined where ids are not placed (plain PostgreSQL: known after the first call, then
 * answered without a query or a promise). May answer fewer than asked (a rare unlucky draw): the caller completes
 * with ordinary random ids, whose locators then live elsewhere.
 */
export function idsOnRecordShard(
  db: Db,
  patientId: string,
  count: number,
): Promise<string[]> | undefined {
  const places = isCitus(db); // asked once per pool, then known without a promise
  if (places === false) {
    return undefined;
  }
  const draw = async (): Promise<string[]> => {
    const wanted = Math.min(Math.max(count, 0), MAX_IDS);
    if (!(await places) || wanted === 0) {
      return [];
    }
    const rows = await db<{ id: string }[]>`
      SELECT c.id FROM (SELECT gen_random_uuid() AS id
          FROM generate_series(1, ${wanted * CANDIDATES_PER_ID + CANDIDATES_MORE}::int)) c
        WHERE get_shard_id_for_distribution_column('patient_record', c.id)
          = get_shard_id_for_distribution_column('patient_record', ${patientId}::uuid)
        LIMIT ${wanted}::int`;
    return rows.map((r) => r.id);
  };
  return draw();
}

/** An id source that hands out `drawn` first, then `fallback`'s ids. */
export function drawnIds(drawn: readonly string[], fallback: () => string): () => string {
  let next = 0;
  return () => drawn[next++] ?? fallback();
}

/**
 * One new server id of the record outside a deposit (a consent, a wrapped document's content, a metadata update's
 * entryUUID: ADR 0035): on Citus drawn into the record's shard like a deposit's (its locator then lives beside the
 * record's rows), `fallback()`'s elsewhere (plain PostgreSQL: no query once the extension check is known). Drawn on
 * the pool `db`, before the caller's transaction.
 */
export async function idOnRecordShard(
  db: Db,
  patientId: string,
  fallback: () => string,
): Promise<string> {
  const drawn = idsOnRecordShard(db, patientId, 1);
  return drawn === undefined ? fallback() : ((await drawn)[0] ?? fallback());
}
