/**
 * ITI-57 Update Document Set on the `registry` service, for the DMP's TD3.3a–d (issue 19), through the neutral change
 * use case (services/documents/change.ts `changeDocuments`, the one `PATCH /fhir/DocumentReference/{id}` uses per
 * document): the same policy decides each change (document.set-visibility, document.archive, document.delete), one
 * trace per change, one new metadata version per changed document with the logicalId kept.
 *
 * What a request may carry:
 * U1. A DocumentEntry (ExtrinsicObject) whose `lid` is `urn:uuid:<logicalId>` of a registry document (its logicalId,
 *     not one of its entryUUIDs: XDS_UPDATE_LID_NOT_LOGICAL) and whose `id`, when a `urn:uuid:`, is the entryUUID of
 *     the new metadata version (ADR 0021; an id already known to the registry: DOC_ENTRY_UUID_IN_USE; a symbolic id:
 *     the registry makes one): its confidentialityCode list is the new one; the DMP visibility flags (TRE_A07: MASQUE_PS, INVISIBLE_PATIENT,
 *     INVISIBLE_REPRESENTANTS_LEGAUX) added or removed against the current version are the changes (TD3.3a mask /
 *     unmask, TD3.3b visibility). Other metadata changes: XDS_UPDATE_UNSUPPORTED.
 * U2. An `urn:ihe:iti:2010:AssociationType:UpdateAvailabilityStatus` association whose target is a registry document
 *     (`urn:uuid:<id>`) and whose NewStatus slot is the DMP's `…:StatusType:Archived` (TD3.3d archive),
 *     `…:StatusType:Approved` (unarchive) or `…:StatusType:Deleted` (TD3.3c logical delete).
 * U3. All or nothing: every document named is located and every change decided before anything is written, then all
 *     are written in one transaction. A document the caller may not see answers XDSDocumentUniqueIdError like a
 *     missing one, and nothing is changed.
 * U4. One document named several times — its DocumentEntry's lid and a status association's target (its current
 *     entryUUID, as ITI-18 answered it), or two associations — makes ONE new metadata version carrying every change
 *     (a visibility change and a status change: TD3.3a/b with TD3.3c/d), one trace per change; two different
 *     statuses, or two DocumentEntries of one document, are refused (DOC_CHANGES_CONTRADICT,
 *     XDS_UPDATE_DUPLICATE_ENTRY) and nothing is changed.
 */
import type { Actor } from '../../domain/access/actor.ts';
import { VISIBILITY_LABELS } from '../../domain/access/facts.ts';
import { VISIBILITY_CODES } from '../../domain/documents/model.ts';
import type { DocumentRow } from '../../db/documents.repository.ts';
import { domainError, DomainFailure } from '../../domain/errors.ts';
import type { DocumentDeps } from '../../services/documents/context.ts';
import { changeDocuments, type DocumentChange } from '../../services/documents/change.ts';
import {
  EbrimFailure,
  readSubmitObjects,
  registryResponse,
  XDS,
  type EbrimIssue,
} from '../../xds/ebrim.ts';
import type { XElement } from '../../xds/xml.ts';
import { issueOfDomainError } from './errors.ts';

const UPDATE_STATUS = 'urn:ihe:iti:2010:AssociationType:UpdateAvailabilityStatus';

function uuidOf(ref: string | undefined): string | undefined {
  const m = /^urn:uuid:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i.exec(
    ref ?? '',
  );
  return m?.[1]?.toLowerCase();
}

function issue(code: string, message: string, location?: string): EbrimIssue {
  return {
    errorCode: 'XDSRegistryMetadataError',
    code,
    message,
    ...(location !== undefined && { location }),
  };
}

/** The neutral changes of a visibility update (U1): the DMP flags added or removed. */
function visibilityChanges(row: DocumentRow, wanted: ReadonlySet<string>): DocumentChange[] {
  const out: DocumentChange[] = [];
  for (const label of VISIBILITY_LABELS) {
    const present = row.confidentiality.includes(label);
    if (wanted.has(label) && !present) {
      out.push({ kind: 'visibility', label, operation: 'set' });
    } else if (!wanted.has(label) && present) {
      out.push({ kind: 'visibility', label, operation: 'unset' });
    }
  }
  return out;
}

/** The neutral change of a status update (U2); undefined: a status the DMP does not set. */
function statusChanges(row: DocumentRow, status: string): DocumentChange[] | undefined {
  switch (status) {
    case XDS.deleted:
      return [{ kind: 'delete' }];
    case XDS.archived:
      return row.archived ? [] : [{ kind: 'archive', archived: true }];
    case XDS.approved:
      return row.archived ? [{ kind: 'archive', archived: false }] : [];
    default:
      return undefined;
  }
}

/** Documents one update may change (bounded work per request). */
const MAX_DOCUMENTS = 100;

const SETTABLE = new Set<string>([XDS.deleted, XDS.archived, XDS.approved]);

/** ITI-57: the RegistryResponse payload. */
export async function updateDocumentSet(
  deps: DocumentDeps,
  actor: Actor,
  request: XElement,
): Promise<string> {
  let so;
  try {
    so = readSubmitObjects(request);
  } catch (e) {
    if (e instanceof EbrimFailure) {
      return registryResponse(e.issues);
    }
    throw e;
  }
  // One item per DocumentEntry and per status association, in request order: the core merges those that name the
  // same document (its lid and an association's target, an entryUUID) into one metadata version (U4).
  const changes: {
    id: string;
    visibility?: Set<string>;
    status?: string;
    object: string;
    entryUuid?: string;
  }[] = [];
  const issues: EbrimIssue[] = [];
  const lids = new Set<string>();
  for (const d of so.documents) {
    const id = uuidOf(d.lid);
    if (!id) {
      issues.push(
        issue(
          'XDS_UPDATE_LID_REQUIRED',
          'An updated DocumentEntry names its document by lid (urn:uuid:…).',
          d.id,
        ),
      );
      continue;
    }
    if (lids.has(id)) {
      issues.push(
        issue(
          'XDS_UPDATE_DUPLICATE_ENTRY',
          'One update carries at most one new DocumentEntry per document (lid).',
          d.id,
        ),
      );
      continue;
    }
    lids.add(id);
    const wanted = new Set(
      (d.draft.confidentiality ?? []).map((c) => c.code).filter((c) => VISIBILITY_CODES.has(c)),
    );
    const entryUuid = uuidOf(d.id);
    changes.push({
      id,
      visibility: wanted,
      object: d.id,
      ...(entryUuid !== undefined && { entryUuid }),
    });
  }
  for (const a of so.associations) {
    if (a.type === XDS.hasMember) {
      continue;
    }
    const id = uuidOf(a.target);
    const status = a.slots.get('NewStatus')?.[0];
    if (a.type !== UPDATE_STATUS || !id || status === undefined) {
      issues.push(
        issue(
          'XDS_UPDATE_UNSUPPORTED',
          'Only UpdateAvailabilityStatus (NewStatus) and visibility updates are served.',
          a.id,
        ),
      );
      continue;
    }
    changes.push({ id, status, object: a.id });
  }
  if (changes.length > MAX_DOCUMENTS) {
    issues.push(
      issue(
        'XDS_UPDATE_TOO_MANY',
        `One update changes at most ${String(MAX_DOCUMENTS)} documents.`,
      ),
    );
  }
  if (issues.length > 0 || changes.length === 0) {
    return registryResponse(
      issues.length > 0 ? issues : [issue('XDS_UPDATE_EMPTY', 'The request changes nothing.')],
    );
  }
  for (const change of changes) {
    if (change.status !== undefined && !SETTABLE.has(change.status)) {
      return registryResponse([
        issue(
          'XDS_UPDATE_STATUS_UNSUPPORTED',
          "NewStatus is Approved, or the DMP's Archived or Deleted.",
          change.object,
        ),
      ]);
    }
  }
  const items = changes.map((change) => ({
    id: change.id,
    object: change.object,
    ...(change.entryUuid !== undefined && { entryUuid: change.entryUuid }),
    changes: (row: DocumentRow): DocumentChange[] => {
      if (change.visibility && row.id !== change.id) {
        // The lid named an entryUUID of the document, not its logicalId.
        throw new DomainFailure(
          domainError(
            'invalid',
            'XDS_UPDATE_LID_NOT_LOGICAL',
            "An updated DocumentEntry's lid is the document's logicalId (urn:uuid:…), not one of its entryUUIDs.",
          ),
        );
      }
      return [
        ...(change.visibility ? visibilityChanges(row, change.visibility) : []),
        ...(change.status !== undefined ? (statusChanges(row, change.status) ?? []) : []),
      ];
    },
  }));
  try {
    await changeDocuments(deps, actor, items);
  } catch (e) {
    if (e instanceof DomainFailure) {
      const at = /^Document\[(\d+)\]$/.exec(e.error.location?.[0] ?? '');
      const object = at ? items[Number(at[1])]?.object : undefined;
      return registryResponse(
        issueOfDomainError({ ...e.error, location: [] }, object).map((i) =>
          e.error.kind === 'not-found'
            ? { ...i, errorCode: 'XDSDocumentUniqueIdError' as const }
            : i,
        ),
      );
    }
    throw e;
  }
  return registryResponse([]);
}
