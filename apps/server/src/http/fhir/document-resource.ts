import { PDSM_IS_ARCHIVED_URL, toDocumentReference } from './pdsm-metadata.ts';
import type { DocumentRow, FhirCarried, StoredStatus } from '../../db/documents.repository.ts';
import type { RegistryEncodings } from '../../services/documents/encodings.ts';
import type { RegistryEntry } from '../../services/documents/registry-entry.ts';
import { registryEntry } from '../../services/documents/registry-entry.ts';
import { fhirListText, listCarried, listCarriesIdentifier, servedList } from './list-resource.ts';
import { jsonbOrdered } from './jsonb-order.ts';

/**
 * The FHIR encoding of a stored document entry (ADR 0020, docs/registry-model.md), the FHIR adapter's side of the
 * encodings the core is handed ({@link fhirEncodings}, services/documents/encodings.ts): ONE pure function from the
 * stored truth (the entry's typed columns and neutral metadata, plus what a FHIR client sent that the neutral model
 * has no field for) to the DocumentReference JSON text that searches and reads serve. Its result is cached per
 * version in `document.served`, written in the same statement as the truth; anything can rebuild it from the truth
 * (a test rebuilds every stored entry and compares byte for byte).
 */
type Json = Record<string, unknown>;

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

/**
 * The client's `context.related` references (XDS referenceIdList: order, accession, study…), kept as sent and
 * searchable by identifier value (ITI-67 `related`).
 */
export function sentRelated(sent: Readonly<Json>): Json[] {
  const context = sent['context'];
  const related =
    typeof context === 'object' && context !== null ? (context as Json)['related'] : undefined;
  return Array.isArray(related)
    ? related.filter((r): r is Json => typeof r === 'object' && r !== null && !Array.isArray(r))
    : [];
}

export function relatedIdentifierValues(sent: Readonly<Json>): string[] {
  return sentRelated(sent).flatMap((r) => {
    const identifier = r['identifier'];
    const value =
      typeof identifier === 'object' && identifier !== null
        ? (identifier as Json)['value']
        : undefined;
    return typeof value === 'string' && value !== '' ? [value] : [];
  });
}

/**
 * What a FHIR client sent that the neutral model has no field for, kept for the FHIR encoding only (column
 * `fhir_carried`): its own extensions (not PDSm isArchived, which is the entry's `archived`) and `context.related`.
 */
export function carriedOf(sent: Readonly<Json> | undefined): FhirCarried | null {
  if (sent === undefined) {
    return null;
  }
  const extension = Array.isArray(sent['extension'])
    ? (sent['extension'] as unknown[]).filter(
        (e) => typeof e === 'object' && e !== null && (e as Json)['url'] !== PDSM_IS_ARCHIVED_URL,
      )
    : [];
  const related = sentRelated(sent);
  if (extension.length === 0 && related.length === 0) {
    return null;
  }
  return {
    ...(extension.length > 0 ? { extension } : {}),
    ...(related.length > 0 ? { related } : {}),
  };
}

/**
 * The base written in cached FHIR texts in place of the public URL (replaced on the way out). Only the Binary URL
 * uses it, and the encoding writes that URL before any member a client supplied, so the first occurrence of the
 * marker is always ours.
 */
const SERVED_BASE = 'opendmp-base:';
const SERVED_URL_MARKER = `"${binaryUrlPrefix(SERVED_BASE)}`;

/**
 * The DocumentReference of an entry as JSON text (the Binary URL under the marker base). Member order:
 * resourceType, id, meta, status, then content with the attachment URL first — nothing a client supplied comes
 * before the URL — then the PDSm comprehensive members, context, extension (the client's, then isArchived) and
 * the logicalId identifier. The id is the current entryUUID.
 */
export function fhirEntryText(
  entry: RegistryEntry,
  fhir: { readonly carried: FhirCarried | null; readonly subjectPatientId: string },
): string {
  const { carried } = fhir;
  const m = entry.metadata;
  const full = toDocumentReference(m, {
    id: entry.entryUuid,
    status: 'current',
    ...(m.date !== undefined ? { date: m.date } : {}),
    patientReference: `Patient/${fhir.subjectPatientId}`,
    relatesTo: m.relatesTo.flatMap((r) =>
      r.targetId !== undefined ? [{ code: r.code, target: `DocumentReference/${r.targetId}` }] : [],
    ),
  });
  const {
    resourceType: _type,
    id: _id,
    meta,
    extension: _extension,
    identifier: _identifier,
    status: _status,
    content,
    context,
    ...rest
  } = full as Json & { meta: Json; content: Json[]; context: Json };
  const [first, ...others] = content;
  const { attachment, ...firstRest } = first ?? {};
  const { url: _url, ...attachmentRest } = (attachment ?? {}) as Json;
  const related = carried?.related ? (jsonbOrdered(carried.related) as unknown[]) : undefined;
  const clientExtensions = carried?.extension ? (jsonbOrdered(carried.extension) as unknown[]) : [];
  return JSON.stringify({
    resourceType: 'DocumentReference',
    id: entry.entryUuid,
    meta: {
      profile: meta['profile'],
      versionId: String(entry.versionId),
      lastUpdated: entry.updatedAt.toISOString(),
    },
    status: FHIR_STATUS[entry.status],
    content: [
      {
        attachment: { url: binaryUrl(SERVED_BASE, entry.contentId), ...attachmentRest },
        ...firstRest,
      },
      ...others,
    ],
    ...rest,
    context: related ? { ...context, related } : context,
    extension: [...clientExtensions, { url: PDSM_IS_ARCHIVED_URL, valueBoolean: entry.archived }],
    // The logicalId (ANS PDSM4DMP annexe_identifiants_xds_fhir: entryUUID = id, logicalId = identifier; ADR 0021).
    identifier: [{ use: 'official', system: 'urn:ietf:rfc:3986', value: `urn:uuid:${entry.id}` }],
  });
}

/** A cached FHIR text with the service's public URL. */
export function servedDocumentText(served: string, publicBaseUrl: string): string {
  return served.replace(SERVED_URL_MARKER, `"${binaryUrlPrefix(publicBaseUrl)}`);
}

/** An entry of an ITI-67 search set (Bundle.entry JSON text), from the cached text of the row's version. */
export function searchSetEntry(
  row: Pick<DocumentRow, 'entry_uuid' | 'served'>,
  publicBaseUrl: string,
): string {
  return `{"fullUrl":${JSON.stringify(`${publicBaseUrl}/fhir/DocumentReference/${row.entry_uuid}`)},"resource":${servedDocumentText(row.served, publicBaseUrl)},"search":{"mode":"match"}}`;
}

/** The DocumentReference as served to a reader: the cached text of the row's version. */
export function servedResource(row: Pick<DocumentRow, 'served'>, publicBaseUrl: string): Json {
  return JSON.parse(servedDocumentText(row.served, publicBaseUrl)) as Json;
}

/** The FHIR adapter's encodings of stored entries, handed to the core as `deps.encodings`. */
export const fhirEncodings: RegistryEncodings = {
  entry: (truth) => ({
    served: fhirEntryText(registryEntry(truth), {
      carried: truth.fhir_carried,
      subjectPatientId: truth.subject_patient_id ?? truth.patient_id,
    }),
  }),
  servedText: servedDocumentText,
  searchEntry: searchSetEntry,
  carried: carriedOf,
  listCarried,
  list: fhirListText,
  servedList,
  listCarriesIdentifier,
};
