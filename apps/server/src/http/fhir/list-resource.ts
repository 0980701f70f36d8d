import { uniqueIdToIdentifier } from './pdsm-metadata.ts';
import type { ListMetadata } from '../../domain/documents/list-model.ts';
import { MHD_LIST_TYPES } from '../../domain/documents/submission.ts';
import type { ListTruth } from '../../services/documents/encodings.ts';
import { jsonObject as obj, jsonArray as arr } from '../../domain/json.ts';
import { IHE_SOURCE_ID } from './list-reading.ts';
import { jsonbOrdered } from './jsonb-order.ts';

/**
 * The FHIR encoding of stored SubmissionSets and Folders (MHD Lists, ADR 0029): ONE pure function from a List's
 * truth — its neutral metadata (domain/documents/list-model.ts), entryUUID, version, time and members — plus what a
 * FHIR client sent that the model has no field for (`fhir_carried`, {@link listCarried}), to the List JSON text
 * searches and reads serve. Cached per List in its `served` column, written by the deposit beside the truth; a test
 * rebuilds every stored List and compares byte for byte (test/integration/lists.truth.int.test.ts).
 *
 * What the encoder writes from the truth:
 * - `identifier`: the uniqueId (`use: usual`), the client's other identifiers (carried), the entryUUID
 *   (`use: official`, urn:uuid);
 * - `subject`: `Patient/<record id>` of the record the List was submitted to; `date`: submissionTime /
 *   lastUpdateTime; `meta.versionId` / `meta.lastUpdated`: the row's version and time (`meta.profile` carried);
 * - `status`, `mode` (`working`), `title`, `code` (MHDlistTypes `submissionset` / `folder`), `extension` (ihe-sourceId
 *   from sourceId), `note` (comments): as the truth gives them unless the client sent them otherwise — what it sent
 *   is then carried, `null` for "sent none" (a client's own extensions, a designationType, a coding with a display);
 * - `entry`: the members, `DocumentReference/<id>` in list order (a reader is served those it may see).
 * Everything else a client sent (contained authors and `source`, orderedBy, emptyReason…) is carried as sent.
 * Keys go in the order of the FHIR List's elements; inside what is carried, in jsonb's order (jsonb-order.ts).
 */
type Json = Record<string, unknown>;

export { MHD_LIST_TYPES };

/** The elements of a FHIR List, in the specification's order (the encoder writes its keys so). */
const LIST_ELEMENTS = [
  'resourceType',
  'id',
  'meta',
  'implicitRules',
  'language',
  'text',
  'contained',
  'extension',
  'modifierExtension',
  'identifier',
  'status',
  'mode',
  'title',
  'code',
  'subject',
  'encounter',
  'date',
  'source',
  'orderedBy',
  'note',
  'entry',
  'emptyReason',
] as const;

/** Written from the truth whatever was sent (their sent form is not kept). */
const ALWAYS_FROM_TRUTH = new Set([
  'resourceType',
  'id',
  'meta',
  'text',
  'identifier',
  'subject',
  'date',
  'entry',
]);

/** The fields written from the truth unless the client sent them otherwise (then carried). */
function fromTruth(metadata: ListMetadata): Json {
  return {
    ...(metadata.sourceId !== undefined && {
      extension: [{ url: IHE_SOURCE_ID, valueIdentifier: { value: metadata.sourceId } }],
    }),
    status: metadata.status,
    mode: 'working',
    ...(metadata.title !== undefined && { title: metadata.title }),
    code: {
      coding: [
        {
          system: MHD_LIST_TYPES,
          code: metadata.kind === 'folder' ? 'folder' : 'submissionset',
        },
      ],
    },
    ...(metadata.comments !== undefined && { note: [{ text: metadata.comments }] }),
  };
}

/** Equality of JSON values whatever their key order. */
function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(jsonbOrdered(a)) === JSON.stringify(jsonbOrdered(b));
}

/**
 * What a List as its FHIR client sent it has that `metadata` (read from it) does not give back: the fields the
 * encoder would write otherwise, the others as sent, its other identifiers and its profile. Null: nothing.
 */
export function listCarried(metadata: ListMetadata, sent: Readonly<Json> | undefined): Json | null {
  if (!sent) {
    return null;
  }
  const derived = fromTruth(metadata);
  const carried: Json = {};
  for (const key of new Set([...Object.keys(sent), ...Object.keys(derived)])) {
    if (ALWAYS_FROM_TRUTH.has(key)) {
      continue;
    }
    if (!sameJson(sent[key], derived[key])) {
      carried[key] = sent[key] ?? null;
    }
  }
  const identifiers = arr(sent['identifier']).filter(
    (i) => obj(i)?.['use'] !== 'usual' && obj(i)?.['use'] !== 'official',
  );
  if (identifiers.length > 0) {
    carried['identifier'] = identifiers;
  }
  const profile = obj(sent['meta'])?.['profile'];
  if (profile !== undefined) {
    carried['meta'] = { profile };
  }
  return Object.keys(carried).length > 0 ? carried : null;
}

/** The FHIR List of a stored SubmissionSet or Folder with all its members: the text cached as `served`. */
export function fhirListText(truth: ListTruth, members: readonly string[]): string {
  const { metadata } = truth;
  const carried = truth.carried ?? {};
  const fields: Json = { ...fromTruth(metadata) };
  for (const [key, value] of Object.entries(carried)) {
    if (key === 'identifier' || key === 'meta') {
      continue;
    }
    // null: the client sent none of a field the truth would give (left out below).
    fields[key] = value === null ? undefined : jsonbOrdered(value);
  }
  Object.assign(fields, {
    resourceType: 'List',
    id: truth.id,
    meta: {
      ...obj(jsonbOrdered(carried['meta'])),
      versionId: String(truth.versionId),
      lastUpdated: truth.lastUpdated.toISOString(),
    },
    identifier: [
      { use: 'usual', ...uniqueIdToIdentifier(metadata.uniqueId) },
      ...arr(jsonbOrdered(carried['identifier'])),
      { use: 'official', system: 'urn:ietf:rfc:3986', value: `urn:uuid:${truth.id}` },
    ],
    subject: { reference: `Patient/${metadata.patientId}` },
    date: metadata.time,
    entry: entries(members),
  });
  const ordered: Json = {};
  for (const key of LIST_ELEMENTS) {
    if (fields[key] !== undefined) {
      ordered[key] = fields[key];
    }
  }
  for (const [key, value] of Object.entries(fields)) {
    if (!(key in ordered) && value !== undefined) {
      ordered[key] = value;
    }
  }
  return JSON.stringify(ordered);
}

function entries(members: readonly string[]): Json[] {
  return members.map((m) => ({ item: { reference: `DocumentReference/${m}` } }));
}

/** A stored List as served to a reader: its cached text with the members that reader may see. */
export function servedList(served: string, members: readonly string[]): Json {
  const list = JSON.parse(served) as Json;
  list['entry'] = entries(members);
  return list;
}

/**
 * Whether the identifiers a FHIR client sent on its List beside the uniqueId (kept in `carried`, served between the
 * uniqueId and the entryUUID) hold this one: ITI-66 `identifier` matches the value, and the system when one is named.
 */
export function listCarriesIdentifier(
  carried: Readonly<Json> | null,
  identifier: { readonly system?: string; readonly value: string },
): boolean {
  return arr(carried?.['identifier']).some((i) => {
    const id = obj(i);
    return (
      id?.['value'] === identifier.value &&
      (identifier.system === undefined || id['system'] === identifier.system)
    );
  });
}
