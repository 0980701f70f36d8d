/**
 * ITI-57 Update Document Set on the `registry` service, for the DMP's TD3.3a–d (issue 19), through the same metadata
 * change use case as `PATCH /fhir/DocumentReference/{id}` (services/documents/patch.ts): the same policy decides each
 * change (document.set-visibility, document.archive, document.delete), one trace per change, one new metadata version
 * per change with the logicalId kept.
 *
 * What a request may carry:
 * U1. A DocumentEntry (ExtrinsicObject) whose `lid` is `urn:uuid:<logicalId>` of a registry document: its
 *     confidentialityCode list is the new one; the DMP visibility flags (TRE_A07: MASQUE_PS, INVISIBLE_PATIENT,
 *     INVISIBLE_REPRESENTANTS_LEGAUX) added or removed against the current version are the changes (TD3.3a mask /
 *     unmask, TD3.3b visibility). Other metadata changes: XDS_UPDATE_UNSUPPORTED.
 * U2. An `urn:ihe:iti:2010:AssociationType:UpdateAvailabilityStatus` association whose target is a registry document
 *     (`urn:uuid:<id>`) and whose NewStatus slot is the DMP's `…:StatusType:Archived` (TD3.3d archive),
 *     `…:StatusType:Approved` (unarchive) or `…:StatusType:Deleted` (TD3.3c logical delete).
 * Documents are read first as the caller (a document they may not see answers XDSDocumentUniqueIdError like a missing
 * one). Each document's changes are one version; several documents are changed one after the other (the first
 * refusal stops the rest: docs/xds.md).
 */
import type { Actor } from '../../domain/access/actor.ts';
import { VISIBILITY_CODES } from '../../domain/documents/model.ts';
import { DomainFailure } from '../../domain/errors.ts';
import type { DocumentDeps } from '../../services/documents/context.ts';
import { patchDocument } from '../../services/documents/patch.ts';
import { readDocument } from '../../services/documents/read.ts';
import {
  EbrimFailure,
  readSubmitObjects,
  registryResponse,
  XDS,
  type EbrimIssue,
} from '../../xds/ebrim.ts';
import type { XElement } from '../../xds/xml.ts';
import { issueOfDomainError } from './errors.ts';

type Json = Record<string, unknown>;

const UPDATE_STATUS = 'urn:ihe:iti:2010:AssociationType:UpdateAvailabilityStatus';
const A07 =
  'https://mos.esante.gouv.fr/NOS/TRE_A07-StatutVisibiliteDocument/FHIR/TRE-A07-StatutVisibiliteDocument';
const IS_ARCHIVED =
  'https://interop.esante.gouv.fr/ig/fhir/pdsm/StructureDefinition/pdsm-ext-is-archived';

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

function labelCodes(resource: Json): string[] {
  const labels = Array.isArray(resource['securityLabel'])
    ? (resource['securityLabel'] as Json[])
    : [];
  return labels.map((l) => {
    const coding = Array.isArray(l['coding']) ? (l['coding'] as Json[]) : [];
    return typeof coding[0]?.['code'] === 'string' ? coding[0]['code'] : '';
  });
}

/** The JSON Patch of a visibility change (U1). */
function visibilityOps(current: Json, wanted: ReadonlySet<string>): Json[] {
  const codes = labelCodes(current);
  const ops: Json[] = [];
  // Removals from the last index down, so that earlier indexes stay right.
  for (let i = codes.length - 1; i >= 0; i--) {
    const c = codes[i] as string;
    if (VISIBILITY_CODES.has(c) && !wanted.has(c)) {
      ops.push({ op: 'remove', path: `/securityLabel/${String(i)}` });
    }
  }
  for (const c of wanted) {
    if (!codes.includes(c)) {
      ops.push({
        op: 'add',
        path: '/securityLabel/-',
        value: { coding: [{ system: A07, code: c }] },
      });
    }
  }
  return ops;
}

/** The JSON Patch of a status change (U2). */
function statusOps(current: Json, status: string): Json[] | undefined {
  if (status === XDS.deleted) {
    return [{ op: 'replace', path: '/status', value: 'entered-in-error' }];
  }
  if (status !== XDS.archived && status !== XDS.approved) {
    return undefined;
  }
  const archived = status === XDS.archived;
  const ext = Array.isArray(current['extension']) ? (current['extension'] as Json[]) : [];
  const at = ext.findIndex((e) => e['url'] === IS_ARCHIVED);
  if (at >= 0) {
    return [{ op: 'replace', path: `/extension/${String(at)}/valueBoolean`, value: archived }];
  }
  return archived
    ? [{ op: 'add', path: '/extension/-', value: { url: IS_ARCHIVED, valueBoolean: true } }]
    : [];
}

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
  const changes = new Map<string, { visibility?: Set<string>; status?: string; object: string }>();
  const issues: EbrimIssue[] = [];
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
    const wanted = new Set(
      (d.draft.confidentiality ?? []).map((c) => c.code).filter((c) => VISIBILITY_CODES.has(c)),
    );
    changes.set(id, { ...changes.get(id), visibility: wanted, object: d.id });
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
    changes.set(id, { ...changes.get(id), status, object: a.id });
  }
  if (issues.length > 0 || changes.size === 0) {
    return registryResponse(
      issues.length > 0 ? issues : [issue('XDS_UPDATE_EMPTY', 'The request changes nothing.')],
    );
  }
  for (const [id, change] of changes) {
    try {
      const current = await readDocument(deps, actor, id);
      const ops = [
        ...(change.visibility ? visibilityOps(current, change.visibility) : []),
        ...(change.status !== undefined ? (statusOps(current, change.status) ?? []) : []),
      ];
      if (change.status !== undefined && statusOps(current, change.status) === undefined) {
        return registryResponse([
          issue(
            'XDS_UPDATE_STATUS_UNSUPPORTED',
            "NewStatus is Approved, or the DMP's Archived or Deleted.",
            change.object,
          ),
        ]);
      }
      if (ops.length > 0) {
        await patchDocument(deps, actor, id, ops, undefined);
      }
    } catch (e) {
      if (e instanceof DomainFailure) {
        return registryResponse(
          issueOfDomainError(e.error, change.object).map((i) =>
            e.error.kind === 'not-found'
              ? { ...i, errorCode: 'XDSDocumentUniqueIdError' as const }
              : i,
          ),
        );
      }
      throw e;
    }
  }
  return registryResponse([]);
}
