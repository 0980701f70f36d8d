/**
 * The ebRIM encoding of registry entries for ITI-18 (issue 19): each document version written once as an
 * ExtrinsicObject ({@link extrinsicObjectOf}, a pure function of the neutral RegistryEntry), remembered as UTF-8 by
 * document id beside its version, status and archive flag — a new metadata version (every change makes one) is a new
 * key, so a remembered encoding is never stale; the policy decides on every query exactly as without it. Bounded in
 * bytes by OPENDMP_SEARCH_CACHE_MB, like the FHIR search entries (`caches.ebrimEntries`, src/caches.ts).
 */
import type { DocumentFactsRow, StoredStatus } from '../../db/documents.repository.ts';
import type { DocumentDeps } from '../../services/documents/context.ts';
import type { RegistryEntry } from '../../services/documents/registry-entry.ts';
import { registryEntries } from '../../services/documents/search.ts';
import { extrinsicObject, XDS } from '../../xds/ebrim.ts';
import { withRimAsDefault } from '../../xds/rim-default-namespace.ts';
import { ownUtf8 } from '../../own-bytes.ts';

/** XDS availabilityStatus of a stored document (the DMP's Archived and Deleted beside ebRIM's). */
export function availabilityStatus(status: StoredStatus, archived: boolean): string {
  return status === 'superseded'
    ? XDS.deprecated
    : status === 'deleted'
      ? XDS.deleted
      : archived
        ? XDS.archived
        : XDS.approved;
}

/**
 * A registry entry as an ExtrinsicObject: id = its current metadata version's entryUUID, lid = its logicalId (the
 * document's registry id, constant across versions), versionName = its XDS metadata version (1, then + 1 per
 * visibility or archive change; a replacement, a deletion or a content wrap keep it: ADR 0021, docs/xds.md
 * "entryUUID"). The cache below is keyed by the stored row's version, which every change moves. Written with the rim
 * namespace as its own default, unprefixed (ADR 0041: the same elements and values, 9 % fewer bytes an answer).
 */
export function extrinsicObjectOf(entry: RegistryEntry, repositoryUniqueId: string): string {
  return withRimAsDefault(
    extrinsicObject(entry.metadata, {
      entryUuid: entry.entryUuid,
      logicalId: entry.id,
      version: entry.entryVersion,
      status: availabilityStatus(entry.status, entry.archived),
      repositoryUniqueId,
    }),
  );
}

/**
 * The ExtrinsicObjects of documents of one record, in the order of `rows`: the remembered ones, the others read in
 * one statement, encoded and remembered. A row whose document vanished meanwhile is left out.
 */
export async function extrinsicObjects(
  deps: DocumentDeps,
  patientId: string,
  rows: readonly Pick<DocumentFactsRow, 'id' | 'version_id' | 'status' | 'archived'>[],
  repositoryUniqueId: string,
): Promise<Buffer[]> {
  const cache = deps.caches.ebrimEntries;
  const out: (Buffer | undefined)[] = new Array<Buffer | undefined>(rows.length);
  const missing: string[] = [];
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] as (typeof rows)[number];
    const k = cache.get(r.id);
    if (k && k.version === r.version_id && k.status === r.status && k.archived === r.archived) {
      out[i] = k.xml;
    } else {
      missing.push(r.id);
    }
  }
  if (missing.length > 0) {
    const read = new Map<string, Buffer>();
    for (const entry of await registryEntries(deps, patientId, missing)) {
      const xml = ownUtf8(extrinsicObjectOf(entry, repositoryUniqueId));
      read.set(entry.id, xml);
      cache.set(entry.id, {
        version: entry.versionId,
        status: entry.status,
        archived: entry.archived,
        xml,
      });
    }
    for (let i = 0; i < rows.length; i++) {
      out[i] ??= read.get((rows[i] as (typeof rows)[number]).id);
    }
  }
  return out.filter((x): x is Buffer => x !== undefined);
}
