import type { DocumentMetadata, RelationCode } from '../../domain/documents/metadata.ts';
import { PDSM_IS_ARCHIVED_URL, toDocumentReference } from '../../domain/documents/metadata.ts';
import { CS, systemUrl } from '../../domain/identity/code-systems.ts';
import type { ReferenceData } from '../../reference/value-sets.ts';
import type {
  DocumentChange,
  DocumentFieldsChange,
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

type LegacyPieces = { rest: string; meta: string; extension: string; content: string };

/**
 * The base written in stored served texts in place of the public URL (replaced on the way out). Only the Binary
 * URL uses it, and `servedText` writes that URL before any member a client supplied, so the first occurrence of
 * the marker is always ours.
 */
const SERVED_BASE = 'opendmp-base:';
const SERVED_URL_MARKER = `"${binaryUrlPrefix(SERVED_BASE)}`;

/**
 * The DocumentReference a search serves for this row, as JSON text: what column `served` holds for each version
 * (written by the deposit and by every metadata change). Member order: resourceType, id, meta, status, then
 * content with the attachment URL first — nothing a client supplied comes before the URL — then the rest.
 */
export function servedText(row: DocumentRow): string {
  const { resourceType, id, meta, status, content, ...rest } = servedResource(row, SERVED_BASE);
  const [first, ...others] = (content ?? []) as Json[];
  const { attachment, ...firstRest } = first ?? {};
  const { url, ...attachmentRest } = (attachment ?? {}) as Json;
  return JSON.stringify({
    resourceType,
    id,
    meta,
    status,
    content: [{ attachment: { url, ...attachmentRest }, ...firstRest }, ...others],
    ...rest,
  });
}

/** The row as a change leaves it (next version), to compute its served text before the update. */
export function changedRow(row: DocumentRow, change: DocumentFieldsChange, at: Date): DocumentRow {
  return { ...row, ...change, version_id: row.version_id + 1, updated_at: at };
}

/** A metadata change with what updateDocument stores beside it (version check, served text). */
export function documentChange(
  row: DocumentRow,
  change: DocumentFieldsChange,
  at: Date,
): DocumentChange {
  return {
    ...change,
    fromVersion: row.version_id,
    served: servedText(changedRow(row, change, at)),
  };
}

/** One search entry's JSON text: the stored served text with the public URL, else joined from pieces. */
export function searchEntryText(d: ServedDocumentText, publicBaseUrl: string): string {
  if (d.served !== null) {
    return d.served.replace(SERVED_URL_MARKER, `"${binaryUrlPrefix(publicBaseUrl)}`);
  }
  return servedResourceText({
    ...d,
    rest: d.rest ?? '{}',
    meta: d.meta ?? '{}',
    extension: d.extension ?? '[]',
    content: d.content ?? '[]',
  });
}

/**
 * The same DocumentReference as `servedResource`, as JSON text joined from the pieces the database cut
 * (documents.repository `findServedDocumentTexts`): search answers splice stored JSON instead of parsing and
 * re-serialising it. The members set here are the ones `servedResource` sets.
 */
function servedResourceText(d: ServedDocumentText & LegacyPieces): string {
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

function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** The securityLabel list after the changes: kept entries as they were, new labels in the terminology's spelling. */
export function nextSecurityLabels(
  reference: ReferenceData,
  stored: unknown,
  codes: readonly string[],
): Json[] {
  const kept = arr(stored).filter((l) => {
    const code = (arr((l as Json | null)?.['coding'])[0] as Json | undefined)?.['code'];
    return typeof code === 'string' && codes.includes(code);
  }) as Json[];
  const present = new Set(kept.map((l) => (arr(l['coding'])[0] as Json)['code']));
  const vs = reference.valueSets.get('J58');
  const added = codes
    .filter((c) => !present.has(c))
    .map((code) => {
      const system = systemUrl(CS.TRE_A07_STATUT_VISIBILITE_DOCUMENT);
      const display = vs?.find(system, code)?.display;
      return { coding: [{ system, code, ...(display !== undefined ? { display } : {}) }] };
    });
  return [...kept, ...added];
}
