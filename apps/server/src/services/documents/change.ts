import type { Actor } from '../../domain/access/actor.ts';
import type { Decision } from '../../domain/access/decision.ts';
import { hidesDocument } from '../../domain/access/decision.ts';
import type { AccessRequest } from '../../domain/access/policy.ts';
import { decideAccess } from '../../domain/access/policy.ts';
import { DomainFailure, domainError } from '../../domain/errors.ts';
import type { Tx } from '../../db/client.ts';
import type { DocumentRow } from '../../db/documents.repository.ts';
import * as documents from '../../db/documents.repository.ts';
import * as recordIds from '../../db/record-ids.repository.ts';
import { audit, tracedTransaction } from '../audit.ts';
import { DOCUMENT_NOT_FOUND, documentFacts, refuse, tracingMisses } from './access.ts';
import type { DocumentDeps } from './context.ts';
import type { LoadedDocument } from './read.ts';
import { locateDocument } from './read.ts';
import { documentChange } from './encodings.ts';
import type { Coding } from '../../domain/documents/model.ts';
import { mergeChanges, type DocumentChange } from '../../domain/documents/changes.ts';
import { CS, systemUrl } from '../../domain/identity/code-systems.ts';
import type { ReferenceData } from '../../reference/value-sets.ts';

/**
 * The neutral change of a document's metadata (XDS metadata update: visibility, archive, deletion; the FHIR
 * adapter's JSON Patch, http/fhir/document-patch.ts, reads its patch into these changes). Rules:
 *  C1. A document the caller may not see answers as missing before anything about the change is said; other
 *      refusals are left to the decision on each change (an author without a consent may still mask).
 *  C2. Each change is decided by the access policy (document.set-visibility, document.archive, document.delete);
 *      one refusal refuses them all, traced.
 *  C3. All the changes make ONE new version (versionId + 1) and one trace each, in one transaction;
 *      `expectedVersion` makes it conditional (DOC_VERSION_CONFLICT, 409, when stale). Unless the only change is a
 *      deletion, it is a new metadata version: a new entryUUID, entryVersion + 1, the logicalId (id) kept (ADR 0021).
 *  C4. A professional masking or unmasking at the patient's request tells the patient (issue 17 rule 4).
 *  C5. Several documents at once ({@link changeDocuments}): all decided before anything is written, all written in
 *      one transaction — all or nothing. Items that name the same document (by its logicalId and by an entryUUID,
 *      as an ITI-57 that masks and archives does) are merged (domain/documents/changes.ts `mergeChanges`): one new
 *      metadata version carrying every change, one trace per change; changes that clash (two statuses, a flag set
 *      and unset) refuse the whole request (DOC_CHANGES_CONTRADICT).
 * Replacement is a deposit with an RPLC association (services/documents/deposit.ts).
 */
export type { DocumentChange };

export interface ChangeOutcome {
  readonly versionId: number;
  /** The new version; undefined once deleted (a deleted document is never served). */
  readonly row?: DocumentRow;
}

function requestOf(
  change: DocumentChange,
  document: ReturnType<typeof documentFacts>,
): AccessRequest {
  switch (change.kind) {
    case 'delete':
      return { action: 'document.delete', document };
    case 'archive':
      return { action: 'document.archive', document };
    case 'visibility':
      return {
        action: 'document.set-visibility',
        document,
        label: change.label,
        operation: change.operation,
      };
  }
}

function traceOf(change: DocumentChange): {
  action: string;
  detail: Record<string, string | boolean>;
} {
  switch (change.kind) {
    case 'delete':
      return { action: 'document.delete', detail: {} };
    case 'archive':
      return { action: change.archived ? 'document.archive' : 'document.unarchive', detail: {} };
    case 'visibility':
      return {
        action: 'document.visibility',
        detail: { label: change.label, operation: change.operation },
      };
  }
}

/**
 * The confidentiality codes after a visibility change: the kept ones as they were, the new DMP visibility flags
 * (TRE_A07) with the terminology's display.
 */
function nextConfidentiality(
  reference: ReferenceData,
  current: readonly Coding[],
  codes: readonly string[],
): Coding[] {
  const kept = current.filter((c) => codes.includes(c.code));
  const present = new Set(kept.map((c) => c.code));
  const system = systemUrl(CS.TRE_A07_STATUT_VISIBILITE_DOCUMENT);
  const vs = reference.valueSets.get('J58');
  const added = codes
    .filter((c) => !present.has(c))
    .map((code) => {
      const display = vs?.find(system, code)?.display;
      return { system, code, ...(display !== undefined ? { display } : {}) };
    });
  return [...kept, ...added];
}

/** The document to change (rule C1), with the caller's read decision (the caller may still need it). */
export async function locateForChange(
  deps: DocumentDeps,
  actor: Actor,
  id: string,
): Promise<{ loaded: LoadedDocument; read: Decision }> {
  const loaded = await tracingMisses(deps, actor, 'document.update', 'DocumentReference', id, () =>
    locateDocument(deps, actor, id),
  );
  const read = decideAccess({
    ...loaded.context,
    action: 'document.read',
    document: documentFacts(loaded.row),
  });
  if (
    !read.allow &&
    (hidesDocument(read) ||
      read.reason === 'ACCESS_NOT_HOLDER' ||
      read.reason === 'ACCESS_NOT_REPRESENTATIVE')
  ) {
    await refuse(deps, actor, loaded.record.patient_id, 'document.update', read, {
      addressedById: true,
      entityType: 'DocumentReference',
      entityId: loaded.row.id,
    });
  }
  return { loaded, read };
}

/** Rule C2 on a located document: each change decided; the first refusal is traced and thrown. */
async function decideChanges(
  deps: DocumentDeps,
  actor: Actor,
  loaded: LoadedDocument,
  changes: readonly DocumentChange[],
): Promise<void> {
  const facts = documentFacts(loaded.row);
  for (const change of changes) {
    const decision = decideAccess({ ...loaded.context, ...requestOf(change, facts) });
    if (!decision.allow) {
      await refuse(deps, actor, loaded.record.patient_id, traceOf(change).action, decision, {
        addressedById: true,
        entityType: 'DocumentReference',
        entityId: loaded.row.id,
      });
    }
  }
}

/** Rules C3–C4 inside the caller's transaction: the new version, its traces, the patient told. */
async function writeChanges(
  tx: Tx,
  deps: DocumentDeps,
  actor: Actor,
  loaded: LoadedDocument,
  changes: readonly DocumentChange[],
  options: { readonly expectedVersion?: number; readonly entryUuid?: string },
  now: Date,
): Promise<number> {
  const patientId = loaded.record.patient_id;
  const row = await documents.lockDocument(tx, patientId, loaded.row.id);
  if (
    !row ||
    row.status === 'deleted' ||
    row.version_id !== loaded.row.version_id ||
    (options.expectedVersion !== undefined && options.expectedVersion !== row.version_id)
  ) {
    throw new DomainFailure(
      domainError(
        'conflict',
        'DOC_VERSION_CONFLICT',
        'The document changed meanwhile: read it again and retry.',
      ),
    );
  }
  let codes = [...row.confidentiality];
  let archived: boolean | undefined;
  let deleted = false;
  for (const change of changes) {
    if (change.kind === 'delete') {
      deleted = true;
    } else if (change.kind === 'archive') {
      archived = change.archived;
    } else if (change.operation === 'set') {
      codes = [...codes, change.label];
    } else {
      codes = codes.filter((c) => c !== change.label);
    }
  }
  const labelsChanged = changes.some((c) => c.kind === 'visibility');
  // A metadata update (visibility, archive) is a new metadata version with a new entryUUID; a deletion changes the
  // status of the version it deletes (ADR 0021).
  const newVersion = changes.some((c) => c.kind !== 'delete');
  const version = await documents.updateDocument(
    tx,
    patientId,
    row.id,
    documentChange(
      deps.encodings,
      row,
      {
        ...(deleted ? { status: 'deleted' as const } : {}),
        ...(newVersion
          ? { entry_uuid: options.entryUuid ?? deps.ids(), entry_version: row.entry_version + 1 }
          : {}),
        ...(archived !== undefined ? { archived } : {}),
        ...(labelsChanged
          ? {
              confidentiality: codes,
              metadata: {
                ...row.metadata,
                confidentiality: nextConfidentiality(
                  deps.reference,
                  row.metadata.confidentiality,
                  codes,
                ),
              },
            }
          : {}),
      },
      now,
    ),
    now,
  );
  for (const change of changes) {
    const trace = traceOf(change);
    await audit(tx, deps, actor, patientId, {
      action: trace.action,
      outcome: 'success',
      entityType: 'DocumentReference',
      entityId: row.id,
      detail: { ...trace.detail, version: version },
    });
  }
  // Issue 17 rule 4: a professional masking or unmasking at the patient's request tells the patient (N7).
  const mask = changes.find((c) => c.kind === 'visibility' && c.label === 'MASQUE_PS');
  if (mask?.kind === 'visibility' && actor.kind === 'professional') {
    await deps.notify?.(tx, {
      type: mask.operation === 'set' ? 'document.masked' : 'document.unmasked',
      patientId,
      actor,
      documentId: row.id,
    });
  }
  return version;
}

/**
 * The new entryUUID of a metadata update (ADR 0021) when the server chooses it, drawn before the transaction: on
 * Citus into the record's shard, so that its locator is written beside the record (ADR 0035); `deps.ids` elsewhere.
 * One given by the client (ITI-57 may send it) is kept as it is; a deletion makes none.
 */
async function newEntryUuid(
  deps: DocumentDeps,
  loaded: LoadedDocument,
  changes: readonly DocumentChange[],
  given: string | undefined,
): Promise<string | undefined> {
  if (given !== undefined || !changes.some((c) => c.kind !== 'delete')) {
    return given;
  }
  return recordIds.idOnRecordShard(deps.sql, loaded.record.patient_id, deps.ids);
}

/** Rules C2–C4 on a located document. */
export async function applyChanges(
  deps: DocumentDeps,
  actor: Actor,
  loaded: LoadedDocument,
  changes: readonly DocumentChange[],
  options: { readonly expectedVersion?: number } = {},
): Promise<ChangeOutcome> {
  await decideChanges(deps, actor, loaded, changes);
  const entryUuid = await newEntryUuid(deps, loaded, changes, undefined);
  const now = deps.clock.now();
  const versionId = await deps.sql.begin((tx) =>
    writeChanges(
      tx,
      deps,
      actor,
      loaded,
      changes,
      { ...options, ...(entryUuid !== undefined && { entryUuid }) },
      now,
    ),
  );
  if (changes.some((c) => c.kind === 'delete')) {
    return { versionId };
  }
  const updated = await documents.findDocument(deps.sql, loaded.record.patient_id, loaded.row.id);
  return { versionId, ...(updated ? { row: updated } : {}) };
}

/**
 * The neutral change use case (rules above): the document named by its registry id, the changes to make — or how
 * to make them from its current entry (an adapter that expresses a change against the current version, as FHIR's
 * JSON Patch on the served resource does: http/fhir/document-patch.ts); what that function throws is thrown as it
 * is, after rule C1. No change: nothing is written, the caller's read is decided as a read, and the outcome is the
 * current entry.
 */
export async function changeDocument(
  deps: DocumentDeps,
  actor: Actor,
  id: string,
  changesOf: readonly DocumentChange[] | ((row: DocumentRow) => readonly DocumentChange[]),
  options: { readonly expectedVersion?: number } = {},
): Promise<ChangeOutcome> {
  const { loaded, read } = await locateForChange(deps, actor, id);
  const changes = typeof changesOf === 'function' ? changesOf(loaded.row) : changesOf;
  if (changes.length === 0) {
    if (!read.allow) {
      await refuse(deps, actor, loaded.record.patient_id, 'document.update', read, {
        addressedById: true,
        entityType: 'DocumentReference',
        entityId: loaded.row.id,
      });
    }
    return { versionId: loaded.row.version_id, row: loaded.row };
  }
  return applyChanges(deps, actor, loaded, changes, options);
}

/** How a caller names the document to change when it does not know its registry id. */
export interface DocumentName {
  readonly uniqueId?: string;
  /** The registry id (entryUUID). */
  readonly id?: string;
  /** The name as the caller gave it, for the trace of a miss. */
  readonly asGiven: string;
}

/**
 * The registry id of the document a caller names by its uniqueId, else by its registry id (PDSm-for-DMP TD3.3a–d),
 * for {@link changeDocument}. A name that names nothing answers as a missing document, traced as a refused update,
 * like a hidden one (rule C1).
 */
export async function namedDocumentId(
  deps: DocumentDeps,
  actor: Actor,
  name: DocumentName,
): Promise<string> {
  const byUniqueId =
    name.uniqueId !== undefined
      ? await documents.locateUniqueId(deps.sql, name.uniqueId)
      : undefined;
  const id = byUniqueId ?? name.id;
  if (id === undefined) {
    return tracingMisses(deps, actor, 'document.update', 'DocumentReference', name.asGiven, () => {
      throw new DomainFailure(DOCUMENT_NOT_FOUND);
    });
  }
  return id;
}

/**
 * Changes of several documents, all or nothing (XDS ITI-57: one Update Document Set): every document is located
 * (rule C1) and every change decided (C2) before anything is written; then each document's changes make its new
 * version (C3, C4) in ONE transaction — a refusal or a conflict on any document changes none. `changes` of a
 * document may be empty (only its visibility to the caller is checked). Items are taken in order; items that name
 * the same document (its logicalId, any of its entryUUIDs) are merged into one version (rule C5).
 */
export async function changeDocuments(
  deps: DocumentDeps,
  actor: Actor,
  items: readonly {
    readonly id: string;
    readonly changes: (row: DocumentRow) => DocumentChange[];
    /** The new metadata version's entryUUID when the caller names it (XDS ITI-57); else the server makes one. */
    readonly entryUuid?: string;
  }[],
): Promise<{ readonly id: string; readonly versionId: number }[]> {
  // A refusal names the item it is about: `Document[i]`, i its place in `items` (the first item of a merged document).
  const located_ = (i: number, e: unknown): unknown =>
    e instanceof DomainFailure
      ? new DomainFailure({ ...e.error, location: [`Document[${String(i)}]`] })
      : e;
  const byDocument = new Map<
    string,
    {
      at: number;
      loaded: LoadedDocument;
      parts: DocumentChange[][];
      /** The item each part came from. */
      from: number[];
      entryUuid?: string;
    }
  >();
  for (const [i, item] of items.entries()) {
    try {
      const { loaded, read } = await locateForChange(deps, actor, item.id);
      const changes = item.changes(loaded.row);
      if (item.entryUuid !== undefined && (await documents.isKnownId(deps.sql, item.entryUuid))) {
        throw new DomainFailure(
          domainError(
            'invalid',
            'DOC_ENTRY_UUID_IN_USE',
            "The new metadata version's entryUUID is already a registry id: a new UUID is expected.",
          ),
        );
      }
      if (changes.length === 0 && !read.allow) {
        await refuse(deps, actor, loaded.record.patient_id, 'document.update', read, {
          addressedById: true,
          entityType: 'DocumentReference',
          entityId: loaded.row.id,
        });
      }
      const same = byDocument.get(loaded.row.id);
      if (!same) {
        byDocument.set(loaded.row.id, {
          at: i,
          loaded,
          parts: [changes],
          from: [i],
          ...(item.entryUuid !== undefined && { entryUuid: item.entryUuid }),
        });
        continue;
      }
      if (same.entryUuid !== undefined && item.entryUuid !== undefined) {
        throw contradiction('Two new metadata versions of one document in one request.');
      }
      same.parts.push(changes);
      same.from.push(i);
      if (item.entryUuid !== undefined) {
        same.entryUuid = item.entryUuid;
      }
    } catch (e) {
      throw located_(i, e);
    }
  }
  const located: {
    at: number;
    loaded: LoadedDocument;
    changes: DocumentChange[];
    entryUuid?: string;
  }[] = [];
  for (const { at, loaded, parts, from, entryUuid } of byDocument.values()) {
    const merged = mergeChanges(parts);
    if ('clash' in merged) {
      throw located_(
        from[merged.part] ?? at,
        contradiction(
          merged.clash === 'STATUS'
            ? 'Two different statuses for one document in one request.'
            : 'One visibility flag both set and unset in one request.',
        ),
      );
    }
    located.push({
      at,
      loaded,
      changes: merged.changes,
      ...(entryUuid !== undefined && { entryUuid }),
    });
  }
  for (const { at, loaded, changes } of located) {
    try {
      await decideChanges(deps, actor, loaded, changes);
    } catch (e) {
      throw located_(at, e);
    }
  }
  for (const item of located) {
    if (item.changes.length > 0) {
      const entryUuid = await newEntryUuid(deps, item.loaded, item.changes, item.entryUuid);
      if (entryUuid !== undefined) {
        item.entryUuid = entryUuid;
      }
    }
  }
  const now = deps.clock.now();
  // A SOAP request's single use, written by the first trace in this transaction, is done with its commit (ADR 0039).
  return tracedTransaction(deps.sql, async (tx) => {
    const out: { id: string; versionId: number }[] = [];
    for (const { at, loaded, changes, entryUuid } of located) {
      try {
        out.push({
          id: loaded.row.id,
          versionId:
            changes.length === 0
              ? loaded.row.version_id
              : await writeChanges(
                  tx,
                  deps,
                  actor,
                  loaded,
                  changes,
                  entryUuid !== undefined ? { entryUuid } : {},
                  now,
                ),
        });
      } catch (e) {
        throw located_(at, e);
      }
    }
    return out;
  });
}

function contradiction(message: string): DomainFailure {
  return new DomainFailure(domainError('invalid', 'DOC_CHANGES_CONTRADICT', message));
}
