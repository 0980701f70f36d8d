/**
 * The `registry` service, ITI-18 Registry Stored Query (issue 19), answered by the same search and read use cases
 * as ITI-67 (services/documents/search.ts, read.ts): the same policy decides what is visible (a masked document is
 * hidden from professionals here as there), one `document.search` / `document.read` trace per query.
 *
 * Stored queries served so far: FindDocuments (patient, status, class, type, practice setting, facility type, event,
 * confidentiality, format, creation / service start / service stop time ranges) and GetDocuments (by entryUUID or
 * uniqueId); LeafClass (ExtrinsicObjects) or ObjectRef returns. Others answer XDSUnknownStoredQuery.
 *
 * Statuses: Approved = a current document that is not archived; the DMP's Archived
 * (`urn:asip:ci-sis:2010:StatusType:Archived`) = archived; Deprecated = replaced. Deleted documents are never served
 * (as in FHIR).
 *
 * Registry ids until issue 18's metadata versions land: entryUUID = logicalId = the DocumentReference id, version =
 * its version id (docs/xds.md).
 */
import type { Actor } from '../../domain/access/actor.ts';
import type { DocumentMetadata } from '../../domain/documents/model.ts';
import { fromDocumentReference } from '../../domain/documents/from-document-reference.ts';
import { DomainFailure } from '../../domain/errors.ts';
import { documentIdOfUniqueId } from '../../xds/lookup.ts';
import type { DocumentDeps } from '../../services/documents/context.ts';
import { readDocument } from '../../services/documents/read.ts';
import { searchDocuments } from '../../services/documents/search.ts';
import type { Query } from '../../services/documents/search-params.ts';
import {
  extrinsicObject,
  fhirTimeToXds,
  objectRef,
  parseCx,
  registryErrorList,
  RESPONSE_STATUS,
  XDS,
  xdsTimeToFhir,
  type EbrimIssue,
} from '../../xds/ebrim.ts';
import { el, kid, kids, NS, textOf, type XElement } from '../../xds/xml.ts';
import { issueOfDomainError } from './errors.ts';

export const STORED_QUERY = {
  FindDocuments: 'urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d',
  FindSubmissionSets: 'urn:uuid:f26abbcb-ac74-4422-8a30-edb644bbc1a9',
  FindFolders: 'urn:uuid:958f3006-baad-4929-a4de-ff1114824431',
  GetAll: 'urn:uuid:10b545ea-725c-446d-9b95-8aeb444eddf3',
  GetDocuments: 'urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4',
  GetFolders: 'urn:uuid:5737b14c-8a1a-4539-b659-e03a34a5e1e4',
  GetAssociations: 'urn:uuid:a7ae438b-4bc2-4642-93e9-be891f7bb155',
  GetDocumentsAndAssociations: 'urn:uuid:bab9529a-4a10-40b3-a01f-f68a615d247a',
  GetSubmissionSets: 'urn:uuid:51224314-5390-4169-9b91-b1980040715a',
  GetSubmissionSetAndContents: 'urn:uuid:e8e3cb2c-e39c-46b9-99e4-c12f57260b83',
  GetFolderAndContents: 'urn:uuid:b909a503-523d-4517-8acf-8e5834dfc4c7',
  GetRelatedDocuments: 'urn:uuid:d90e5407-b356-4d91-a89f-873917b4b0e6',
} as const;

type Json = Record<string, unknown>;

function storedQueryError(code: string, message: string): EbrimIssue {
  return { errorCode: 'XDSRegistryError', code, message };
}

/** The values of a query parameter: `'a'`, `('a','b')`, numbers; several Slots of one name give several lists. */
export function queryValues(query: XElement, name: string): string[][] {
  return kids(query, NS.rim, 'Slot')
    .filter((s) => s.attrs['name'] === name)
    .map((s) =>
      kids(kid(s, NS.rim, 'ValueList'), NS.rim, 'Value').flatMap((v) => {
        const raw = textOf(v) ?? '';
        const inner = raw.startsWith('(') && raw.endsWith(')') ? raw.slice(1, -1) : raw;
        return [...inner.matchAll(/'((?:[^']|'')*)'|([^,\s][^,]*)/g)].map((m) =>
          (m[1] ?? m[2] ?? '').replace(/''/g, "'").trim(),
        );
      }),
    );
}

function single(query: XElement, name: string): string | undefined {
  const lists = queryValues(query, name);
  return lists.length === 1 && lists[0]?.length === 1 ? lists[0][0] : undefined;
}

/** The codes of a coded parameter (`code^^scheme`); null when one has no scheme. */
function codes(query: XElement, name: string): string[] | undefined | null {
  const lists = queryValues(query, name);
  if (lists.length === 0) {
    return undefined;
  }
  if (lists.flat().some((v) => !/^[^^]+\^\^[^^]+$/.test(v))) {
    return null;
  }
  // One list: OR; several Slots (AND of ORs, for eventCodeList): the codes of all of them, OR-ed (a wider answer).
  return lists.flat().map((v) => v.split('^')[0] ?? v);
}

/** FindDocuments' parameters as an ITI-67 query (the same parser and filter). */
function findDocumentsQuery(query: XElement, issues: EbrimIssue[]): Query | undefined {
  const patientCx = single(query, '$XDSDocumentEntryPatientId');
  const patient = patientCx ? parseCx(patientCx) : undefined;
  if (!patient) {
    issues.push({
      errorCode: 'XDSStoredQueryParamNumber',
      code: 'XDS_QUERY_PATIENT_REQUIRED',
      message: '$XDSDocumentEntryPatientId is required once, as value^^^&OID&ISO.',
    });
    return undefined;
  }
  const statuses = queryValues(query, '$XDSDocumentEntryStatus').flat();
  if (statuses.length === 0) {
    issues.push({
      errorCode: 'XDSStoredQueryParamNumber',
      code: 'XDS_QUERY_STATUS_REQUIRED',
      message: '$XDSDocumentEntryStatus is required.',
    });
    return undefined;
  }
  const approved = statuses.includes(XDS.approved);
  const archived = statuses.includes(XDS.archived);
  const deprecated = statuses.includes(XDS.deprecated);
  const fhirStatus = [
    ...(approved || archived ? ['current'] : []),
    ...(deprecated ? ['superseded'] : []),
  ];
  const q: Record<string, string | string[]> = {
    'patient.identifier': `urn:oid:${patient.oid}|${patient.value}`,
    status: fhirStatus.length > 0 ? fhirStatus.join(',') : 'entered-in-error',
    _count: '1000',
  };
  if (archived && !approved) {
    q['isArchived'] = 'true';
  }
  const tokens: [string, string][] = [
    ['$XDSDocumentEntryClassCode', 'category'],
    ['$XDSDocumentEntryTypeCode', 'type'],
    ['$XDSDocumentEntryPracticeSettingCode', 'setting'],
    ['$XDSDocumentEntryHealthcareFacilityTypeCode', 'facility'],
    ['$XDSDocumentEntryEventCodeList', 'event'],
    ['$XDSDocumentEntryConfidentialityCode', 'security-label'],
    ['$XDSDocumentEntryFormatCode', 'format'],
  ];
  for (const [param, fhir] of tokens) {
    const c = codes(query, param);
    if (c === null) {
      issues.push({
        errorCode: 'XDSRegistryError',
        code: 'XDS_QUERY_CODE_INVALID',
        message: `${param} takes codes as 'code^^codingScheme'.`,
      });
      return undefined;
    }
    if (c) {
      q[fhir] = c.join(',');
    }
  }
  const ranges: [string, string, string][] = [
    ['$XDSDocumentEntryCreationTimeFrom', 'creation', 'ge'],
    ['$XDSDocumentEntryCreationTimeTo', 'creation', 'lt'],
    ['$XDSDocumentEntryServiceStartTimeFrom', 'period-start', 'ge'],
    ['$XDSDocumentEntryServiceStartTimeTo', 'period-start', 'lt'],
    ['$XDSDocumentEntryServiceStopTimeFrom', 'period-end', 'ge'],
    ['$XDSDocumentEntryServiceStopTimeTo', 'period-end', 'lt'],
  ];
  for (const [param, fhir, prefix] of ranges) {
    const v = single(query, param);
    if (v === undefined) {
      continue;
    }
    const t = xdsTimeToFhir(v);
    if (t === undefined) {
      issues.push({
        errorCode: 'XDSRegistryError',
        code: 'XDS_QUERY_TIME_INVALID',
        message: `${param} is an XDS time (YYYY[MM[DD[hh[mm[ss]]]]]).`,
      });
      continue;
    }
    const withZone = t.length === 10 ? `${t}T00:00:00Z` : t.length < 10 ? t : t;
    const prev = q[fhir];
    q[fhir] = [...(Array.isArray(prev) ? prev : prev ? [prev] : []), `${prefix}${withZone}`];
  }
  return q;
}

/** The registry ids of a served DocumentReference (see the header). */
function registryEntry(
  deps: DocumentDeps,
  resource: Json,
  repositoryUniqueId: string,
): { meta: DocumentMetadata; xml: (leaf: boolean) => string } | undefined {
  // The served subject carries the record's reference and its INS: the INS is the XDS patientId.
  const subject = (resource['subject'] ?? {}) as Json;
  const insId = (subject['identifier'] ?? {}) as Json;
  const ins = {
    value: typeof insId['value'] === 'string' ? insId['value'] : '',
    oid: typeof insId['system'] === 'string' ? insId['system'].replace(/^urn:oid:/, '') : '',
  };
  const read = fromDocumentReference(resource, deps.reference, {
    requireCurrent: false,
    resolvePatientReference: () => ins,
  });
  if (!read.ok) {
    return undefined;
  }
  const id = String(resource['id']);
  const status = String(resource['status']);
  const archived = Array.isArray(resource['extension'])
    ? (resource['extension'] as Json[]).some((e) => e['valueBoolean'] === true)
    : false;
  const version = Number((resource['meta'] as Json | undefined)?.['versionId'] ?? 1);
  return {
    meta: read.value,
    xml: (leaf) =>
      leaf
        ? extrinsicObject(read.value, {
            entryUuid: id,
            logicalId: id,
            version: Number.isFinite(version) ? version : 1,
            status:
              status === 'superseded' ? XDS.deprecated : archived ? XDS.archived : XDS.approved,
            repositoryUniqueId,
          })
        : objectRef(`urn:uuid:${id}`),
  };
}

export function adhocQueryResponse(
  objects: readonly string[],
  issues: readonly EbrimIssue[],
): string {
  return el(
    'query:AdhocQueryResponse',
    {
      'xmlns:query': NS.query,
      'xmlns:rim': NS.rim,
      'xmlns:rs': NS.rs,
      status:
        issues.length === 0
          ? RESPONSE_STATUS.success
          : objects.length > 0
            ? RESPONSE_STATUS.partial
            : RESPONSE_STATUS.failure,
    },
    registryErrorList(issues),
    el('rim:RegistryObjectList', {}, objects.join('')),
  );
}

/** ITI-18: the AdhocQueryResponse payload. */
export async function registryStoredQuery(
  deps: DocumentDeps,
  actor: Actor,
  request: XElement,
  repositoryUniqueId: string,
): Promise<string> {
  const leaf = kid(request, NS.query, 'ResponseOption')?.attrs['returnType'] !== 'ObjectRef';
  const query = kid(request, NS.rim, 'AdhocQuery');
  const id = query?.attrs['id'];
  const issues: EbrimIssue[] = [];
  if (!query) {
    return adhocQueryResponse([], [storedQueryError('XDS_QUERY_MISSING', 'No AdhocQuery.')]);
  }
  try {
    if (id === STORED_QUERY.FindDocuments) {
      const q = findDocumentsQuery(query, issues);
      if (!q) {
        return adhocQueryResponse([], issues);
      }
      const page = await searchDocuments(deps, actor, q);
      const objects = page.entries.flatMap((b) => {
        const entry = JSON.parse(b.toString('utf8')) as Json;
        const e = registryEntry(deps, entry['resource'] as Json, repositoryUniqueId);
        return e ? [e.xml(leaf)] : [];
      });
      return adhocQueryResponse(objects, []);
    }
    if (id === STORED_QUERY.GetDocuments) {
      const uuids = queryValues(query, '$XDSDocumentEntryEntryUUID').flat();
      const uniqueIds = queryValues(query, '$XDSDocumentEntryUniqueId').flat();
      if ((uuids.length === 0) === (uniqueIds.length === 0)) {
        return adhocQueryResponse(
          [],
          [
            {
              errorCode: 'XDSStoredQueryParamNumber',
              code: 'XDS_QUERY_PARAMS',
              message:
                'GetDocuments takes $XDSDocumentEntryEntryUUID or $XDSDocumentEntryUniqueId.',
            },
          ],
        );
      }
      const ids: string[] = [];
      for (const u of uuids) {
        ids.push(/^urn:uuid:(.+)$/i.exec(u)?.[1] ?? u);
      }
      for (const u of uniqueIds) {
        ids.push(
          (await documentIdOfUniqueId(deps.sql, u)) ?? '00000000-0000-4000-8000-000000000000',
        );
      }
      const objects: string[] = [];
      for (const docId of ids.slice(0, 1000)) {
        try {
          const resource = await readDocument(deps, actor, docId);
          const e = registryEntry(deps, resource, repositoryUniqueId);
          if (e) {
            objects.push(e.xml(leaf));
          }
        } catch (e) {
          // A document the caller may not see is answered like a missing one: left out of the list.
          if (!(e instanceof DomainFailure) || e.error.kind !== 'not-found') {
            throw e;
          }
        }
      }
      return adhocQueryResponse(objects, []);
    }
  } catch (e) {
    if (e instanceof DomainFailure) {
      return adhocQueryResponse([], issueOfDomainError(e.error));
    }
    throw e;
  }
  return adhocQueryResponse(
    [],
    [
      {
        errorCode: 'XDSUnknownStoredQuery',
        code: 'XDS_QUERY_UNSUPPORTED',
        message: 'This stored query is not served (yet): docs/xds.md lists those that are.',
      },
    ],
  );
}

export { fhirTimeToXds };
