import type { DocumentMetadata, RelationCode } from '../../domain/documents/metadata.ts';
import { PDSM_IS_ARCHIVED_URL, toDocumentReference } from '../../domain/documents/metadata.ts';
import type {
  DocumentRow,
  ServedDocumentText,
  StoredStatus,
} from '../../db/documents.repository.ts';

/**
 * The DocumentReference JSON: stored once at deposit (the PDSm comprehensive form of the checked metadata,
 * plus the client's own extensions), served with what changes over the document's life added on each read:
 * id, meta (versionId, lastUpdated), status, isArchived, the entryUUID identifier and attachment.url.
 */
type Json = Record<string, unknown>;

const DYNAMIC_KEYS = ['id', 'meta', 'status', 'identifier'] as const;

export const FHIR_STATUS: Readonly<Record<StoredStatus, string>> = {
  current: 'current',
  superseded: 'superseded',
  deleted: 'entered-in-error',
};

export function binaryUrl(publicBaseUrl: string, contentId: string): string {
  return `${binaryUrlPrefix(publicBaseUrl)}${contentId}`;
}

export function binaryUrlPrefix(publicBaseUrl: string): string {
  return `${publicBaseUrl}/fhir/Binary/`;
}

/** The JSON stored in document.resource for new metadata. */
/**
 * The client's `context.related` references (XDS referenceIdList: order, accession, study…), kept as sent and
 * searchable by identifier value (ITI-67 `related`).
 */
export function sentRelated(sent: Json): Json[] {
  const context = sent['context'];
  const related =
    typeof context === 'object' && context !== null ? (context as Json)['related'] : undefined;
  return Array.isArray(related)
    ? related.filter((r): r is Json => typeof r === 'object' && r !== null && !Array.isArray(r))
    : [];
}

export function relatedIdentifierValues(sent: Json): string[] {
  return sentRelated(sent).flatMap((r) => {
    const identifier = r['identifier'];
    const value =
      typeof identifier === 'object' && identifier !== null
        ? (identifier as Json)['value']
        : undefined;
    return typeof value === 'string' && value !== '' ? [value] : [];
  });
}

export function storedResource(
  meta: DocumentMetadata,
  ids: {
    readonly id: string;
    readonly patientId: string;
    readonly date: string;
    readonly relatesTo: readonly { readonly code: RelationCode; readonly target: string }[];
  },
  sent: Json,
): Json {
  const full = toDocumentReference(meta, {
    id: ids.id,
    status: 'current',
    date: ids.date,
    patientReference: `Patient/${ids.patientId}`,
    relatesTo: ids.relatesTo,
  });
  const stored: Json = {};
  for (const [k, v] of Object.entries(full)) {
    if (!(DYNAMIC_KEYS as readonly string[]).includes(k) && k !== 'extension') {
      stored[k] = v;
    }
  }
  const profile = (full['meta'] as Json | undefined)?.['profile'];
  if (profile !== undefined) {
    stored['meta'] = { profile };
  }
  const clientExtensions = Array.isArray(sent['extension'])
    ? (sent['extension'] as unknown[]).filter(
        (e) => typeof e === 'object' && e !== null && (e as Json)['url'] !== PDSM_IS_ARCHIVED_URL,
      )
    : [];
  if (clientExtensions.length > 0) {
    stored['extension'] = clientExtensions;
  }
  const related = sentRelated(sent);
  if (related.length > 0) {
    stored['context'] = { ...(stored['context'] ?? {}), related };
  }
  const content = (stored['content'] as Json[] | undefined)?.[0];
  const attachment = content?.['attachment'] as Json | undefined;
  if (attachment) {
    delete attachment['url'];
    delete attachment['data'];
  }
  return stored;
}

/** The DocumentReference as served to a reader. */
export function servedResource(row: DocumentRow, publicBaseUrl: string): Json {
  const stored = row.resource;
  const {
    meta: storedMeta,
    extension,
    content,
    ...rest
  } = stored as Json & {
    meta?: Json;
    extension?: unknown[];
    content?: Json[];
  };
  const [first, ...others] = content ?? [];
  const attachment = {
    ...((first?.['attachment'] as Json | undefined) ?? {}),
    url: binaryUrl(publicBaseUrl, row.content_id),
  };
  const served: Json = {
    resourceType: 'DocumentReference',
    id: row.id,
    meta: {
      ...(storedMeta ?? {}),
      versionId: String(row.version_id),
      lastUpdated: row.updated_at.toISOString(),
    },
    ...rest,
    extension: [...(extension ?? []), { url: PDSM_IS_ARCHIVED_URL, valueBoolean: row.archived }],
    identifier: [{ use: 'official', system: 'urn:ietf:rfc:3986', value: `urn:uuid:${row.id}` }],
    status: FHIR_STATUS[row.status],
    content: [{ ...(first ?? {}), attachment }, ...others],
  };
  return served;
}

/**
 * The same DocumentReference as `servedResource`, as JSON text joined from the pieces the database cut
 * (documents.repository `findServedDocumentTexts`): search answers splice stored JSON instead of parsing and
 * re-serialising it. The members set here are the ones `servedResource` sets.
 */
export function servedResourceText(d: ServedDocumentText): string {
  const isArchived = `{"url":${JSON.stringify(PDSM_IS_ARCHIVED_URL)},"valueBoolean":${String(d.archived)}}`;
  const dynamicMeta = `"versionId":"${String(d.version_id)}","lastUpdated":"${d.updated_at.toISOString()}"`;
  const meta = d.meta === '{}' ? `{${dynamicMeta}}` : `{${dynamicMeta},${d.meta.slice(1)}`;
  const extension =
    d.extension === '[]' ? `[${isArchived}]` : `${d.extension.slice(0, -1)},${isArchived}]`;
  const head =
    `{"resourceType":"DocumentReference","id":"${d.id}","meta":${meta},"extension":${extension},` +
    `"identifier":[{"use":"official","system":"urn:ietf:rfc:3986","value":"urn:uuid:${d.id}"}],` +
    `"status":"${FHIR_STATUS[d.status]}","content":${d.content}`;
  return d.rest === '{}' ? `${head}}` : `${head},${d.rest.slice(1)}`;
}
