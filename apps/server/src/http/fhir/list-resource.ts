import { uniqueIdToIdentifier } from '../../domain/documents/metadata.ts';
import type {
  FolderSubmission,
  SubmissionSetSubmission,
} from '../../domain/documents/submission.ts';
import { MHD_LIST_TYPES } from '../../domain/documents/submission.ts';
import type { ListIds } from '../../services/documents/encodings.ts';
import { jsonObject as obj, jsonArray as arr, nonEmptyString as str } from '../../domain/json.ts';

/**
 * The FHIR encoding of stored SubmissionSets and Folders (MHD Lists): the JSON stored, and the JSON served. Stored
 * Lists have their references resolved to server ids (`Patient/<id>`, `DocumentReference/<id>`, `List/<id>`).
 * The FHIR adapter's, handed to the core with the entries' encoder (document-resource.ts `fhirEncodings`,
 * services/documents/encodings.ts): Lists are still stored as this FHIR JSON until their stored truth is neutral
 * (issue 18 point 2); reading a submitted List is list-reading.ts's.
 */
type Json = Record<string, unknown>;

export { MHD_LIST_TYPES };

/** The JSON stored for a submitted List: server references, uniqueId identifier, no id/meta. */
export function storedList(
  sent: Json,
  ids: {
    readonly patientId: string;
    readonly uniqueId: string;
    readonly members: readonly string[];
    readonly date: string;
  },
): Json {
  const {
    id: _id,
    meta,
    text: _text,
    entry: _entry,
    identifier,
    ...rest
  } = sent as Json & { meta?: Json };
  const identifiers = arr(identifier).filter(
    (i) => obj(i)?.['use'] !== 'usual' && obj(i)?.['use'] !== 'official',
  );
  const profile = meta?.['profile'];
  return {
    ...(profile !== undefined ? { meta: { profile } } : {}),
    ...rest,
    identifier: [{ use: 'usual', ...uniqueIdToIdentifier(ids.uniqueId) }, ...identifiers],
    subject: { reference: `Patient/${ids.patientId}` },
    date: str(sent['date']) ?? ids.date,
    entry: ids.members.map((m) => ({ item: { reference: m } })),
  };
}

/** The SubmissionSet the server makes for an ITI-105 publication. */
export function serverSubmissionSet(ids: {
  readonly patientId: string;
  readonly uniqueId: string;
  readonly members: readonly string[];
  readonly date: string;
}): Json {
  return storedList(
    {
      resourceType: 'List',
      status: 'current',
      mode: 'working',
      code: { coding: [{ system: MHD_LIST_TYPES, code: 'submissionset' }] },
    },
    ids,
  );
}

function withReferences(ids: ListIds) {
  return { ...ids, members: ids.members.map((m) => `DocumentReference/${m}`) };
}

/** The List stored for a SubmissionSet (the one the server makes when the submission has none). */
export function storedSubmissionSet(sent: SubmissionSetSubmission | undefined, ids: ListIds): Json {
  if (sent?.asSent) {
    return storedList(sent.asSent, withReferences(ids));
  }
  const made = serverSubmissionSet(withReferences(ids));
  return sent?.title !== undefined ? { ...made, title: sent.title } : made;
}

/** The List stored for a Folder. */
export function storedFolder(sent: FolderSubmission, ids: ListIds): Json {
  return storedList(
    sent.asSent ?? {
      resourceType: 'List',
      status: 'current',
      mode: 'working',
      ...(sent.title !== undefined ? { title: sent.title } : {}),
      code: { coding: [{ system: MHD_LIST_TYPES, code: 'folder' }] },
    },
    withReferences(ids),
  );
}

/** A stored List as served. */
export function servedList(
  stored: Json,
  id: string,
  versionId: number,
  lastUpdated: Date,
  members: readonly string[],
): Json {
  const { meta, identifier, ...rest } = stored as Json & { meta?: Json };
  return {
    resourceType: 'List',
    id,
    meta: { ...(meta ?? {}), versionId: String(versionId), lastUpdated: lastUpdated.toISOString() },
    ...rest,
    identifier: [
      ...arr(identifier),
      { use: 'official', system: 'urn:ietf:rfc:3986', value: `urn:uuid:${id}` },
    ],
    entry: members.map((m) => ({ item: { reference: m } })),
  };
}
