import type { Actor } from '../../domain/access/actor.ts';
import { DomainFailure } from '../../domain/errors.ts';
import type { AccessContext } from '../../domain/access/policy.ts';
import { decideAccess } from '../../domain/access/policy.ts';
import * as documents from '../../db/documents.repository.ts';
import * as records from '../../db/records.repository.ts';
import type { FolderRow, SubmissionSetRow } from '../../db/submissions.repository.ts';
import type { ListMetadata } from '../../domain/documents/list-model.ts';
import * as submissions from '../../db/submissions.repository.ts';
import { audit } from '../audit.ts';
import { deniedAsMissing, DOCUMENT_NOT_FOUND, documentFacts, tracingMisses } from './access.ts';
import type { DocumentDeps } from './context.ts';
import type { ListSearch } from './search-query.ts';
import { authorizeSearch } from './search.ts';
import { isUuid } from '../../domain/identity/uuid.ts';

/**
 * ITI-66 Find Document Lists (SubmissionSets and Folders), and GET /fhir/List/{id}. A List is shown with only the
 * documents the caller may see (document.read per member); a List all of whose documents are hidden is not shown
 * at all (an empty Folder stays visible to whoever may search the record). One trace per search. The search comes
 * read into the core's ListSearch (search-query.ts; the FHIR adapter's parseListSearch).
 */
const LIST_CAP = 2000;

type Json = Record<string, unknown>;

interface ListCandidate {
  readonly id: string;
  /** The List's neutral truth (ADR 0029): what the search filters decide on (ADR 0033). */
  readonly metadata: ListMetadata;
  /** What its interface sent beside the truth (opaque: only that interface's encoding reads it). */
  readonly carried: Readonly<Json> | null;
  /** The cached FHIR List (ADR 0029: encoded from the List's neutral truth at its deposit). */
  readonly served: string;
  readonly at: Date;
}

function candidates(
  sets: readonly SubmissionSetRow[],
  folders: readonly FolderRow[],
): ListCandidate[] {
  const candidate = (r: SubmissionSetRow | FolderRow, at: Date): ListCandidate => ({
    id: r.id,
    metadata: r.metadata,
    carried: r.fhir_carried,
    served: r.served,
    at,
  });
  return [
    ...sets.map((s) => candidate(s, s.submitted_at)),
    ...folders.map((f) => candidate(f, f.updated_at)),
  ].sort((a, b) => b.at.getTime() - a.at.getTime() || (a.id < b.id ? 1 : -1));
}

/** A List with the members the caller may see. */
interface VisibleList {
  readonly list: ListCandidate;
  readonly shown: readonly string[];
}

/** The Lists with their visible members; hidden Lists removed. */
async function visibleLists(
  deps: DocumentDeps,
  patientId: string,
  context: AccessContext,
  lists: readonly ListCandidate[],
): Promise<VisibleList[]> {
  const entries = await submissions.findListEntries(
    deps.sql,
    patientId,
    lists.map((l) => l.id),
  );
  const facts = await documents.findDocumentFacts(deps.sql, patientId, [
    ...new Set(entries.map((e) => e.document_id)),
  ]);
  const visible = new Set(
    facts
      .filter(
        (f) =>
          decideAccess({ ...context, action: 'document.read', document: documentFacts(f) }).allow,
      )
      .map((f) => f.id),
  );
  const members = new Map<string, string[]>();
  for (const e of entries) {
    const list = members.get(e.list_id) ?? [];
    list.push(e.document_id);
    members.set(e.list_id, list);
  }
  return lists.flatMap((l) => {
    const all = members.get(l.id) ?? [];
    const shown = all.filter((d) => visible.has(d));
    if (all.length > 0 && shown.length === 0) {
      return [];
    }
    return [{ list: l, shown }];
  });
}

/** The extension of a uniqueId `<OID>^<extension>`, if it has one. */
function extensionOf(uniqueId: string): string | undefined {
  const caret = uniqueId.indexOf('^');
  return caret < 0 ? undefined : uniqueId.slice(caret + 1);
}

export async function searchLists(
  deps: DocumentDeps,
  actor: Actor,
  search: ListSearch,
): Promise<{ resources: Json[]; total: number; nextCursor?: string }> {
  const { patient, count, offset, statuses, identifiers, related } = search;
  const allowed = await authorizeSearch(deps, actor, patient, 'list.search');
  if (!allowed) {
    return { resources: [], total: 0 };
  }
  const { record, context } = allowed;
  const wantSets = !search.kinds || search.kinds.has('submissionSet');
  const wantFolders = !search.kinds || search.kinds.has('folder');
  const sets = wantSets
    ? await submissions.findSubmissionSets(deps.sql, record.patient_id, LIST_CAP)
    : [];
  const folders = wantFolders
    ? await submissions.findFolders(deps.sql, record.patient_id, LIST_CAP)
    : [];
  const all = await visibleLists(deps, record.patient_id, context, candidates(sets, folders));
  const relatedDocs =
    related.length > 0
      ? new Set(await documents.findDocumentIdsByRelated(deps.sql, record.patient_id, related))
      : undefined;
  // Every filter is decided on the List's truth (ADR 0033): its availability status, its time (a SubmissionSet's
  // submissionTime, a Folder's lastUpdateTime), its uniqueId and entryUUID, its visible members. Only an identifier
  // its interface's client sent beside the uniqueId is found by that interface's encoding.
  const hasIdentifier = ({ list }: VisibleList): boolean =>
    identifiers.some(
      (w) =>
        w.uniqueIds.includes(list.metadata.uniqueId) ||
        (w.uniqueIdExtension !== undefined &&
          extensionOf(list.metadata.uniqueId) === w.uniqueIdExtension) ||
        w.entryUuids.includes(list.id) ||
        deps.encodings.listCarriesIdentifier(list.carried, w.carried),
    );
  const filtered = all.filter((l) => {
    if (statuses.length > 0 && !statuses.includes(l.list.metadata.status)) {
      return false;
    }
    if (search.dates.length > 0) {
      const at = new Date(l.list.metadata.time);
      if (
        Number.isNaN(at.getTime()) ||
        !search.dates.every((bounds) =>
          bounds.every((b) =>
            b.op === '>=' ? at.getTime() >= b.at.getTime() : at.getTime() < b.at.getTime(),
          ),
        )
      ) {
        return false;
      }
    }
    if (relatedDocs && !l.shown.some((id) => relatedDocs.has(id))) {
      return false;
    }
    return identifiers.length === 0 || hasIdentifier(l);
  });
  const page = filtered.slice(offset, offset + count);
  const resources = page.map((l) => deps.encodings.servedList(l.list.served, l.shown));
  await deps.sql.begin(async (tx) => {
    await audit(tx, deps, actor, record.patient_id, {
      action: 'list.search',
      outcome: 'success',
      detail: {
        count: page.length,
        total: filtered.length,
        ids: page.map((l) => l.list.id).join(','),
      },
    });
  });
  return {
    resources,
    total: filtered.length,
    ...(offset + count < filtered.length ? { nextCursor: String(offset + count) } : {}),
  };
}

/** GET /fhir/List/{id}. */
export async function readList(deps: DocumentDeps, actor: Actor, id: string): Promise<Json> {
  return tracingMisses(deps, actor, 'list.read', 'List', id, async () => {
    const key = id.toLowerCase();
    const located = isUuid(key)
      ? await documents.locate(deps.sql, deps.caches, key, 'List')
      : undefined;
    // A List of a record absorbed by a merge moved to the survivor (ADR 0016): this process may remember the former.
    const patientId =
      located && (await records.findRecord(deps.sql, located))?.merged_into
        ? await documents.relocate(deps.sql, deps.caches, key, 'List')
        : located;
    if (!patientId) {
      throw new DomainFailure(DOCUMENT_NOT_FOUND);
    }
    // A List of a record the caller may not search answers like a missing List (traced as a denial by
    // authorizeSearch): a 403 said that it exists (issue 16).
    const allowed = await authorizeSearch(
      deps,
      actor,
      { kind: 'id', id: patientId },
      'list.read',
    ).catch((error: unknown) => {
      throw error instanceof DomainFailure &&
        (error.error.kind === 'forbidden' || error.error.kind === 'unprocessable')
        ? deniedAsMissing()
        : error;
    });
    if (!allowed) {
      throw deniedAsMissing(); // authorizeSearch traced why
    }
    const set = await submissions.findSubmissionSet(deps.sql, patientId, key);
    const folder = set ? undefined : await submissions.findFolder(deps.sql, patientId, key);
    if (!set && !folder) {
      throw new DomainFailure(DOCUMENT_NOT_FOUND);
    }
    const [shown] = await visibleLists(
      deps,
      patientId,
      allowed.context,
      candidates(set ? [set] : [], folder ? [folder] : []),
    );
    if (!shown) {
      throw new DomainFailure(DOCUMENT_NOT_FOUND);
    }
    const list = deps.encodings.servedList(shown.list.served, shown.shown);
    await deps.sql.begin(async (tx) => {
      await audit(tx, deps, actor, patientId, {
        action: 'list.read',
        outcome: 'success',
        entityType: 'List',
        entityId: key,
      });
    });
    return list;
  });
}
