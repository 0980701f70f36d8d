import type { Actor } from '../../domain/access/actor.ts';
import type { Coding, DocumentAuthor } from '../../domain/documents/model.ts';
import { decideAccess } from '../../domain/access/policy.ts';
import { DomainFailure } from '../../domain/errors.ts';
import type { RegistryFactsRow } from '../../db/documents.repository.ts';
import * as documents from '../../db/documents.repository.ts';
import * as submissions from '../../db/submissions.repository.ts';
import { audit } from '../audit.ts';
import { documentFacts } from './access.ts';
import type { DocumentDeps } from './context.ts';
import type { PatientSelector } from './search-query.ts';
import { authorizeSearch, SEARCH_CAP } from './search.ts';
import { isUuid } from '../../domain/identity/uuid.ts';

/**
 * The registry of one record as a caller may see it (issue 19: the ITI-18 stored queries other than FindDocuments —
 * GetAll, FindSubmissionSets, FindFolders, Get… by id — select from it). Rules, the same as the FHIR reads':
 * V1. The record is searched under `document.search` (services/documents/search.ts authorizeSearch: the same
 *     decision and denial trace as ITI-67). Named by an object's id (`asMissing`), a refusal is answered like a
 *     missing object (undefined), its denial traced — the id tells nothing of the record (issue 16).
 * V2. Each document is decided under `document.read`; a hidden document is left out everywhere (its associations,
 *     the Lists holding it). Deleted documents are never shown.
 * V3. A SubmissionSet or Folder all of whose documents are hidden is left out (as ITI-66 does); an empty Folder
 *     stays.
 * V4. What a query returns is traced once ({@link traceRegistryAnswer}): `document.search` with the documents' ids,
 *     `list.search` with the Lists', in one transaction.
 * V5. A Folder's SubmissionSet (XDS HasMember SubmissionSet → Folder) is the one its truth names; a Folder stored
 *     before the truth named it has the SubmissionSet of its documents (a document enters a Folder only with the
 *     submission that brings it, which also created the Folder).
 */
export interface RegistryPackage {
  readonly kind: 'submissionSet' | 'folder';
  readonly id: string;
  readonly uniqueId: string;
  readonly status: 'current' | 'retired';
  /** When the registry stored it (SubmissionSet) or last updated it (Folder): the order of the answers. */
  readonly at: Date;
  /**
   * The List's time in its truth (ListMetadata.time, a FHIR dateTime): a SubmissionSet's submissionTime as its source
   * gave it (else the registry's time), a Folder's lastUpdateTime.
   */
  readonly time: string;
  readonly title?: string;
  /** XDS comments. */
  readonly comments?: string;
  readonly sourceId?: string;
  readonly contentTypeCode?: string;
  readonly authorIds: readonly string[];
  /** SubmissionSet: its authors as the source gave them, when it gave more than IdNat_PS. */
  readonly authors?: readonly DocumentAuthor[];
  /**
   * Folder: its codeList, each code with its coding scheme and display as sent; `system` '' on a Folder stored before
   * they were kept (its codes alone are known).
   */
  readonly codes: readonly Coding[];
  readonly versionId: number;
  /** Ids of the documents it holds that the caller may see, in list order. */
  readonly members: readonly string[];
  /**
   * Folder: the entryUUID of the SubmissionSet whose submission created it and brought its members (rule V5);
   * absent when unknown.
   */
  readonly submissionSetId?: string;
}

export interface RegistryView {
  readonly patientId: string;
  readonly ins: { readonly value: string; readonly oid: string };
  /** The visible documents, newest first. */
  readonly documents: readonly RegistryFactsRow[];
  /** The visible SubmissionSets and Folders, newest first. */
  readonly packages: readonly RegistryPackage[];
  /**
   * The entryUUIDs of the documents' earlier metadata versions, each to its document's logicalId (ADR 0021): a Get…
   * query naming one finds the document (its current version).
   */
  readonly pastEntries: ReadonlyMap<string, string>;
  /**
   * The documents' relations other than replacement (XFRM, APND, signs), each by the logicalIds of its source (the
   * newer document) and target, between documents the caller may see; empty unless asked for (`relations`).
   */
  readonly relations: readonly {
    readonly source: string;
    readonly code: 'transforms' | 'appends' | 'signs';
    readonly target: string;
  }[];
}

const LIST_CAP = 2000;

/** The record holding a registry object named by id or uniqueId (no decision: {@link registryView} decides). */
export async function locateRegistryObject(
  deps: DocumentDeps,
  ref:
    | { readonly kind: 'document'; readonly id?: string; readonly uniqueId?: string }
    | { readonly kind: 'list'; readonly id?: string; readonly uniqueId?: string },
): Promise<string | undefined> {
  if (ref.id !== undefined) {
    // Not a UUID: no registry object has that id.
    if (!isUuid(ref.id.toLowerCase())) {
      return undefined;
    }
    return documents.locate(
      deps.sql,
      deps.caches,
      ref.id.toLowerCase(),
      ref.kind === 'document' ? 'DocumentReference' : 'List',
    );
  }
  if (ref.uniqueId === undefined) {
    return undefined;
  }
  if (ref.kind === 'document') {
    const id = await documents.locateUniqueId(deps.sql, ref.uniqueId);
    return id ? documents.locate(deps.sql, deps.caches, id, 'DocumentReference') : undefined;
  }
  return submissions.locateListUniqueId(deps.sql, ref.uniqueId);
}

/** Rules V1–V3. Undefined: nothing to show (no record, or a refusal answered as missing). */
export async function registryView(
  deps: DocumentDeps,
  actor: Actor,
  patient: PatientSelector,
  options: { readonly asMissing: boolean; readonly relations?: boolean },
): Promise<RegistryView | undefined> {
  let allowed;
  try {
    allowed = await authorizeSearch(deps, actor, patient, 'document.search');
  } catch (e) {
    if (
      options.asMissing &&
      e instanceof DomainFailure &&
      (e.error.kind === 'forbidden' || e.error.kind === 'unprocessable')
    ) {
      return undefined; // refuse() traced the denial
    }
    throw e;
  }
  if (!allowed) {
    return undefined;
  }
  const { record, context } = allowed;
  const patientId = record.patient_id;
  const [rows, sets, folders, past, relations] = await Promise.all([
    documents.findRegistryFacts(deps.sql, patientId, SEARCH_CAP),
    submissions.findSubmissionSets(deps.sql, patientId, LIST_CAP),
    submissions.findFolders(deps.sql, patientId, LIST_CAP),
    documents.findPastEntries(deps.sql, patientId),
    options.relations === true ? documents.findRelations(deps.sql, patientId) : [],
  ]);
  const visible = rows.filter(
    (r) => decideAccess({ ...context, action: 'document.read', document: documentFacts(r) }).allow,
  );
  const shown = new Set(visible.map((r) => r.id));
  const setOfDocument = new Map(visible.map((r) => [r.id, r.submission_set_id]));
  const entries = await submissions.findListEntries(deps.sql, patientId, [
    ...sets.map((s) => s.id),
    ...folders.map((f) => f.id),
  ]);
  const all = new Map<string, string[]>();
  for (const e of entries) {
    const list = all.get(e.list_id) ?? [];
    list.push(e.document_id);
    all.set(e.list_id, list);
  }
  const packages: RegistryPackage[] = [];
  // Each List as its neutral truth gives it (ADR 0029), with the members the caller may see.
  const lists = [
    ...sets.map((s) => ({ row: s, at: s.submitted_at, versionId: 1 })),
    ...folders.map((f) => ({ row: f, at: f.updated_at, versionId: f.version_id })),
  ];
  for (const { row, at, versionId } of lists) {
    const held = all.get(row.id) ?? [];
    const members = held.filter((d) => shown.has(d));
    if (held.length > 0 && members.length === 0) {
      continue;
    }
    const m = row.metadata;
    const submissionSetId =
      m.kind === 'folder'
        ? (m.submissionSetId ??
          members.map((d) => setOfDocument.get(d)).find((s) => s !== undefined))
        : undefined;
    packages.push({
      kind: m.kind,
      id: row.id,
      uniqueId: m.uniqueId,
      status: m.status === 'retired' ? 'retired' : 'current',
      at,
      time: m.time,
      ...(m.title !== undefined && { title: m.title }),
      ...(m.comments !== undefined && { comments: m.comments }),
      ...(m.sourceId !== undefined && { sourceId: m.sourceId }),
      ...(m.contentTypeCode !== undefined && { contentTypeCode: m.contentTypeCode }),
      authorIds: m.authorIdNatPs,
      ...(m.authors !== undefined && { authors: m.authors }),
      codes: m.codes ?? m.codeList.map((code) => ({ system: '', code })),
      versionId,
      members,
      ...(submissionSetId !== undefined && { submissionSetId }),
    });
  }
  packages.sort((a, b) => b.at.getTime() - a.at.getTime() || (a.id < b.id ? 1 : -1));
  return {
    patientId,
    ins: { value: record.ins, oid: record.ins_oid },
    documents: visible,
    packages,
    pastEntries: new Map(past.map((p) => [p.entry_uuid, p.document_id])),
    relations: relations.flatMap((r) =>
      shown.has(r.source_id) && shown.has(r.target_id)
        ? [{ source: r.source_id, code: r.code, target: r.target_id }]
        : [],
    ),
  };
}

/** Rule V4: one trace of what a registry query returned (nothing returned: the search is still traced). */
export async function traceRegistryAnswer(
  deps: DocumentDeps,
  actor: Actor,
  patientId: string,
  answer: {
    readonly query: string;
    readonly documentIds: readonly string[];
    readonly listIds: readonly string[];
  },
): Promise<void> {
  await deps.sql.begin(async (tx) => {
    if (answer.documentIds.length > 0 || answer.listIds.length === 0) {
      await audit(tx, deps, actor, patientId, {
        action: 'document.search',
        outcome: 'success',
        detail: {
          count: answer.documentIds.length,
          total: answer.documentIds.length,
          ids: answer.documentIds.join(','),
          query: answer.query,
        },
      });
    }
    if (answer.listIds.length > 0) {
      await audit(tx, deps, actor, patientId, {
        action: 'list.search',
        outcome: 'success',
        detail: {
          count: answer.listIds.length,
          total: answer.listIds.length,
          ids: answer.listIds.join(','),
          query: answer.query,
        },
      });
    }
  });
}
