import type { Actor } from '../../domain/access/actor.ts';
import type { Decision } from '../../domain/access/decision.ts';
import type { AccessContext } from '../../domain/access/policy.ts';
import { decideAccess } from '../../domain/access/policy.ts';
import { DomainFailure } from '../../domain/errors.ts';
import type {
  ContentFactsRow,
  DocumentFactsRow,
  DocumentRow,
  RetrievalRead,
} from '../../db/documents.repository.ts';
import * as documents from '../../db/documents.repository.ts';
import type { RecordWithConsents } from '../../db/records.repository.ts';
import * as records from '../../db/records.repository.ts';
import { trace } from '../audit.ts';
import type { ReadAttempt } from '../confirmed-read.ts';
import {
  confirmationTag,
  denyOnFreshFactsOnly,
  FRESH_READ,
  withConfirmedFacts,
} from '../confirmed-read.ts';
import {
  accessContext,
  DOCUMENT_NOT_FOUND,
  documentFacts,
  refuse,
  tracingMisses,
} from './access.ts';
import type { DocumentDeps } from './context.ts';
import type { DepositResult } from './deposit.ts';
import type { RegistryEntry } from './registry-entry.ts';
import { registryEntry } from './registry-entry.ts';
import { ownBytes } from '../../own-bytes.ts';

/**
 * Reads by id: GET /fhir/DocumentReference/{id} and ITI-68 GET /fhir/Binary/{contentId}. The id grants nothing:
 * the caller's token is checked by the same policy (document.read) either way, and a document the caller may not
 * see is answered exactly like a missing one (404). Each read and each denial is traced.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface LoadedDocument<R extends DocumentFactsRow = DocumentRow> {
  readonly record: RecordWithConsents;
  readonly row: R;
  readonly context: AccessContext;
}

/** The entry as served to a reader: the cached encoding of the row's version (deps.encodings, FHIR today). */
function servedResource(
  deps: DocumentDeps,
  row: Pick<DocumentRow, 'served'>,
  base: string,
): Record<string, unknown> {
  return JSON.parse(deps.encodings.servedText(row.served, base)) as Record<string, unknown>;
}

/** The document behind a DocumentReference id, with the policy context of the caller. */
export async function locateDocument(
  deps: DocumentDeps,
  actor: Actor,
  id: string,
): Promise<LoadedDocument> {
  const key = id.toLowerCase();
  const load = async (patientId: string | undefined) => {
    const record = patientId
      ? await records.findRecordWithConsents(deps.sql, deps.caches, patientId)
      : undefined;
    const row =
      record && patientId
        ? await documents.findDocumentByAnyId(deps.sql, patientId, key)
        : undefined;
    return { patientId, record, row };
  };
  let found = await load(
    UUID.test(key)
      ? await documents.locate(deps.sql, deps.caches, key, 'DocumentReference')
      : undefined,
  );
  if (found.patientId && !found.row) {
    // Moved by a merge since this process located it (ADR 0016)?
    const moved = await documents.relocate(deps.sql, deps.caches, key, 'DocumentReference');
    if (moved !== found.patientId) {
      found = await load(moved);
    }
  }
  const { record, row } = found;
  if (!record || !row) {
    throw new DomainFailure(DOCUMENT_NOT_FOUND);
  }
  const context = await accessContext(deps.sql, deps, actor, record.ins, record);
  return { record, row, context };
}

/**
 * Decides document.read; a denial is traced and thrown — decided on fresh facts only: a denial on remembered ones
 * asks for a fresh attempt (StaleFacts). Returns the ground of access.
 */
async function authorizeRead(
  deps: DocumentDeps,
  actor: Actor,
  loaded: LoadedDocument<DocumentFactsRow>,
  traceAction: string,
  attempt: ReadAttempt = FRESH_READ,
): Promise<Decision> {
  const decision = decideAccess({
    ...loaded.context,
    action: 'document.read',
    document: documentFacts(loaded.row),
  });
  if (!decision.allow) {
    denyOnFreshFactsOnly(attempt);
    await refuse(deps, actor, loaded.record.patient_id, traceAction, decision, {
      addressedById: true,
      entityType: 'DocumentReference',
      entityId: loaded.row.id,
    });
  }
  return decision;
}

async function traceRead(
  deps: DocumentDeps,
  actor: Actor,
  loaded: LoadedDocument<DocumentFactsRow>,
  traceAction: string,
  decision: Decision,
  attempt: ReadAttempt = FRESH_READ,
): Promise<void> {
  await trace(
    deps,
    actor,
    loaded.record.patient_id,
    {
      action: traceAction,
      outcome: 'success',
      entityType: 'DocumentReference',
      entityId: loaded.row.id,
      detail: {
        version: loaded.row.version_id,
        ...(decision.allow && decision.via ? { via: decision.via } : {}),
      },
    },
    confirmationTag(attempt, loaded.record),
  );
}

/** GET /fhir/DocumentReference/{id}. */
export async function readDocument(
  deps: DocumentDeps,
  actor: Actor,
  id: string,
  base: string = deps.config.publicBaseUrl,
): Promise<Record<string, unknown>> {
  return tracingMisses(deps, actor, 'document.read', 'DocumentReference', id, async () => {
    const loaded = await locateDocument(deps, actor, id);
    const decision = await authorizeRead(deps, actor, loaded, 'document.read');
    await traceRead(deps, actor, loaded, 'document.read', decision);
    return servedResource(deps, loaded.row, base);
  });
}

/**
 * The neutral read of one document by its registry id (XDS GetDocuments by entryUUID): decided, traced and
 * answered as GET /fhir/DocumentReference/{id} is, as a registry entry.
 */
export async function getDocument(
  deps: DocumentDeps,
  actor: Actor,
  id: string,
): Promise<RegistryEntry> {
  return tracingMisses(deps, actor, 'document.read', 'DocumentReference', id, async () => {
    const loaded = await locateDocument(deps, actor, id);
    const decision = await authorizeRead(deps, actor, loaded, 'document.read');
    await traceRead(deps, actor, loaded, 'document.read', decision);
    return registryEntry(loaded.row);
  });
}

/**
 * The registry id of the document with this uniqueId (XDS DocumentUniqueId), for a caller that names documents that
 * way (XDS GetDocuments by uniqueId, ITI-43 Retrieve): undefined when none — the caller then answers as for a
 * missing document; reading or retrieving it is decided as usual.
 */
export async function documentIdByUniqueId(
  deps: DocumentDeps,
  uniqueId: string,
): Promise<{ readonly id: string; readonly contentId: string } | undefined> {
  const id = await documents.locateUniqueId(deps.sql, uniqueId);
  const patientId = id
    ? await documents.locate(deps.sql, deps.caches, id, 'DocumentReference')
    : undefined;
  const row = patientId && id ? await documents.findDocument(deps.sql, patientId, id) : undefined;
  return row ? { id: row.id, contentId: row.content_id } : undefined;
}

export interface RetrievedContent {
  readonly documentId: string;
  readonly contentId: string;
  readonly mimeType: string;
  /** SHA-1 of the bytes, lower-case hex (the ETag). */
  readonly sha1: string;
  readonly bytes: Buffer;
}

/**
 * ITI-68: the exact bytes of a document. Decided on the record's facts and the document's as this process
 * remembers them when it does (its trace then confirms them: services/confirmed-read.ts), else read from the
 * database; the bytes leave only if the policy allows and the trace is committed.
 */
export async function retrieveContent(
  deps: DocumentDeps,
  actor: Actor,
  contentId: string,
): Promise<RetrievedContent> {
  return tracingMisses(deps, actor, 'document.retrieve', 'Binary', contentId, async () => {
    const key = contentId.toLowerCase();
    const located = UUID.test(key)
      ? await documents.locateContent(deps.sql, deps.caches, key)
      : undefined;
    if (!located) {
      throw new DomainFailure(DOCUMENT_NOT_FOUND);
    }
    const { patientId, read } = located;
    try {
      return await withConfirmedFacts((attempt) =>
        retrieveWith(deps, actor, patientId, key, attempt, read),
      );
    } catch (error) {
      // Moved by a merge since this process located it (ADR 0016)?
      const moved =
        error instanceof DomainFailure && error.error.code === DOCUMENT_NOT_FOUND.code
          ? await documents.relocate(deps.sql, deps.caches, key, 'Binary')
          : patientId;
      if (!moved || moved === patientId) {
        throw error;
      }
      return withConfirmedFacts((attempt) => retrieveWith(deps, actor, moved, key, attempt));
    }
  });
}

/**
 * The document facts of a content, remembered under the record's documents revision (moved by every change to its
 * documents): read after the record, so what is remembered under a revision is never older than it.
 */
async function contentFacts(
  deps: DocumentDeps,
  record: RecordWithConsents,
  contentId: string,
): Promise<ContentFactsRow | undefined> {
  const known = knownFacts(deps, record, contentId);
  if (known) {
    return known;
  }
  const row = await documents.findContentFacts(deps.sql, record.patient_id, contentId);
  if (row) {
    deps.caches.contentFacts.set(contentId, {
      revision: record.documents_revision,
      row: { ...row, sha1: ownBytes(row.sha1) },
    });
  }
  return row;
}

/** The document facts of a content as remembered under the record's current documents revision, if they are. */
function knownFacts(
  deps: DocumentDeps,
  record: RecordWithConsents,
  contentId: string,
): ContentFactsRow | undefined {
  const known = deps.caches.contentFacts.get(contentId);
  return known && known.revision === record.documents_revision ? known.row : undefined;
}

/**
 * The document facts of a content read with its locator: remembered under the revision read with them (the same
 * snapshot), and used when that is the revision of the record the retrieval decides on; else read after the record.
 */
async function contentFactsRead(
  deps: DocumentDeps,
  record: RecordWithConsents,
  contentId: string,
  read: RetrievalRead,
): Promise<ContentFactsRow | undefined> {
  deps.caches.contentFacts.set(contentId, {
    revision: read.revision,
    row: { ...read.facts, sha1: ownBytes(read.facts.sha1) },
  });
  return read.revision === record.documents_revision
    ? read.facts
    : contentFacts(deps, record, contentId);
}

async function retrieveWith(
  deps: DocumentDeps,
  actor: Actor,
  patientId: string,
  contentId: string,
  attempt: ReadAttempt,
  read?: RetrievalRead,
): Promise<RetrievedContent> {
  const record = await records.findRecordWithConsents(
    deps.sql,
    deps.caches,
    patientId,
    attempt.source,
  );
  if (!record) {
    throw new DomainFailure(DOCUMENT_NOT_FOUND);
  }
  // The facts and the sealed content are read together (or were, with the locator: documents.locateContent); the
  // content is opened only once the policy allowed. Neither remembered: one statement reads both (and the revision).
  const readTogether =
    read?.patientId !== patientId &&
    !knownFacts(deps, record, contentId) &&
    !deps.contents.remembers(patientId, contentId);
  const both = readTogether
    ? await documents.findRetrievalOf(deps.sql, patientId, contentId)
    : read?.patientId === patientId
      ? read
      : undefined;
  const [row, sealed] = both
    ? [
        await contentFactsRead(deps, record, contentId, both),
        both.content ? { patientId, contentId, row: both.content } : undefined,
      ]
    : readTogether
      ? [undefined, undefined]
      : await Promise.all([
          contentFacts(deps, record, contentId),
          deps.contents.fetch(deps.sql, patientId, contentId),
        ]);
  if (!row) {
    denyOnFreshFactsOnly(attempt);
    throw new DomainFailure(DOCUMENT_NOT_FOUND);
  }
  const loaded: LoadedDocument<ContentFactsRow> = {
    record,
    row,
    context: await accessContext(deps.sql, deps, actor, record.ins, record),
  };
  const decision = await authorizeRead(deps, actor, loaded, 'document.retrieve', attempt);
  // Decided before anything is decrypted (issue 18 point 5): a refused caller costs no key and no decryption.
  if (!sealed) {
    // Remembered facts of a document whose content is gone (its record purged since, the content not remembered):
    // decided again on fresh facts, which find no record (404). On fresh facts, a missing content is an error.
    denyOnFreshFactsOnly(attempt);
    throw new Error(`content ${row.content_id} of document ${row.id} is missing`);
  }
  const bytes = await deps.contents.open(deps.sql, sealed);
  await traceRead(deps, actor, loaded, 'document.retrieve', decision, attempt);
  return {
    documentId: row.id,
    contentId: row.content_id,
    mimeType: row.mime_type,
    sha1: row.sha1.toString('hex'),
    bytes,
  };
}

/** The DocumentReference just deposited, for the depositor's 201 answer (the deposit itself was traced). */
export function depositedDocument(
  deps: DocumentDeps,
  result: DepositResult,
  id: string,
  base: string = deps.config.publicBaseUrl,
): Record<string, unknown> {
  const row = result.rows.get(id);
  if (!row) {
    throw new Error(`deposited document ${id} is not in the result`);
  }
  // Version 1, as written in the deposit's transaction: no need to read it back.
  return servedResource(deps, row, base);
}
