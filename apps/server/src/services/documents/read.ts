import type { Actor } from '../../domain/access/actor.ts';
import type { Decision } from '../../domain/access/decision.ts';
import type { AccessContext } from '../../domain/access/policy.ts';
import { decideAccess } from '../../domain/access/policy.ts';
import { DomainFailure } from '../../domain/errors.ts';
import type {
  ContentFactsRow,
  DocumentFactsRow,
  DocumentRow,
} from '../../db/documents.repository.ts';
import * as documents from '../../db/documents.repository.ts';
import type { RecordRow } from '../../db/records.repository.ts';
import * as records from '../../db/records.repository.ts';
import { trace } from '../audit.ts';
import { accessContext, DOCUMENT_NOT_FOUND, documentFacts, refuse } from './access.ts';
import type { DocumentDeps } from './context.ts';
import type { ProvideResult } from './provide.ts';
import { servedResource } from './resource.ts';

/**
 * Reads by id: GET /fhir/DocumentReference/{id} and ITI-68 GET /fhir/Binary/{contentId}. The id grants nothing:
 * the caller's token is checked by the same policy (document.read) either way, and a document the caller may not
 * see is answered exactly like a missing one (404). Each read and each denial is traced.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface LoadedDocument<R extends DocumentFactsRow = DocumentRow> {
  readonly record: RecordRow;
  readonly row: R;
  readonly context: AccessContext;
}

/** The document behind a DocumentReference id, with the policy context of the caller. */
export async function locateDocument(
  deps: DocumentDeps,
  actor: Actor,
  id: string,
): Promise<LoadedDocument> {
  const key = id.toLowerCase();
  const patientId = UUID.test(key)
    ? await documents.locate(deps.sql, key, 'DocumentReference')
    : undefined;
  const record = patientId ? await records.findRecordWithConsents(deps.sql, patientId) : undefined;
  const row =
    record && patientId ? await documents.findDocument(deps.sql, patientId, key) : undefined;
  if (!record || !row) {
    throw new DomainFailure(DOCUMENT_NOT_FOUND);
  }
  const context = await accessContext(deps.sql, deps, actor, record.ins, record);
  return { record, row, context };
}

/** Decides document.read; a denial is traced and thrown. Returns the ground of access. */
async function authorizeRead(
  deps: DocumentDeps,
  actor: Actor,
  loaded: LoadedDocument<DocumentFactsRow>,
  traceAction: string,
): Promise<Decision> {
  const decision = decideAccess({
    ...loaded.context,
    action: 'document.read',
    document: documentFacts(loaded.row),
  });
  if (!decision.allow) {
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
): Promise<void> {
  await trace(deps, actor, loaded.record.patient_id, {
    action: traceAction,
    outcome: 'success',
    entityType: 'DocumentReference',
    entityId: loaded.row.id,
    detail: {
      version: loaded.row.version_id,
      ...(decision.allow && decision.via ? { via: decision.via } : {}),
    },
  });
}

/** GET /fhir/DocumentReference/{id}. */
export async function readDocument(
  deps: DocumentDeps,
  actor: Actor,
  id: string,
): Promise<Record<string, unknown>> {
  const loaded = await locateDocument(deps, actor, id);
  const decision = await authorizeRead(deps, actor, loaded, 'document.read');
  await traceRead(deps, actor, loaded, 'document.read', decision);
  return servedResource(loaded.row, deps.config.publicBaseUrl);
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
 * ITI-68: the exact bytes of a document. Once the content id is located, the record (with its consents), the
 * document's facts and the sealed content are read at the same time; the bytes leave only if the policy allows.
 */
export async function retrieveContent(
  deps: DocumentDeps,
  actor: Actor,
  contentId: string,
): Promise<RetrievedContent> {
  const key = contentId.toLowerCase();
  const patientId = UUID.test(key) ? await documents.locate(deps.sql, key, 'Binary') : undefined;
  if (!patientId) {
    throw new DomainFailure(DOCUMENT_NOT_FOUND);
  }
  const [record, row, bytes] = await Promise.all([
    records.findRecordWithConsents(deps.sql, patientId),
    documents.findContentFacts(deps.sql, patientId, key),
    deps.contents.get(deps.sql, patientId, key),
  ]);
  if (!record || !row) {
    throw new DomainFailure(DOCUMENT_NOT_FOUND);
  }
  const loaded: LoadedDocument<ContentFactsRow> = {
    record,
    row,
    context: await accessContext(deps.sql, deps, actor, record.ins, record),
  };
  const decision = await authorizeRead(deps, actor, loaded, 'document.retrieve');
  if (!bytes) {
    throw new Error(`content ${row.content_id} of document ${row.id} is missing`);
  }
  await traceRead(deps, actor, loaded, 'document.retrieve', decision);
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
  result: ProvideResult,
  id: string,
): Record<string, unknown> {
  const row = result.rows.get(id);
  if (!row) {
    throw new Error(`deposited document ${id} is not in the result`);
  }
  // Version 1, as written in the deposit's transaction: no need to read it back.
  return servedResource(
    { ...row, version_id: 1, updated_at: row.deposited_at },
    deps.config.publicBaseUrl,
  );
}
