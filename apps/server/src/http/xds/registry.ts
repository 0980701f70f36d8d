/**
 * The `registry` service, ITI-18 Registry Stored Query (issue 19), answered by the registry core: FindDocuments by the
 * neutral find (services/documents/search.ts `findDocumentsAs`: the same decision, paging and `document.search`
 * trace as ITI-67), every other stored query by the caller's view of the record (services/documents/registry-view.ts:
 * the same `document.search` decision, `document.read` per document, Lists with only their visible documents, one
 * trace of what is returned).
 *
 * Stored queries: FindDocuments (every parameter: authors by their authorPerson with LIKE wildcards,
 * domain/documents/author-person.ts; $XDSDocumentEntryType, every entry being stable), FindSubmissionSets, FindFolders,
 * GetAll, GetDocuments, GetFolders, GetAssociations, GetDocumentsAndAssociations, GetSubmissionSets,
 * GetSubmissionSetAndContents, GetFolderAndContents, GetRelatedDocuments (RPLC, XFRM, APND, signs); LeafClass or
 * ObjectRef returns. $homeCommunityId is accepted and not read (one community).
 *
 * Statuses: Approved = a current document that is not archived; the DMP's Archived
 * (`urn:asip:ci-sis:2010:StatusType:Archived`) = archived; Deprecated = replaced. Deleted documents are never served
 * (as in FHIR). A Get… query naming objects the caller may not see answers as if they did not exist (empty).
 *
 * Registry ids (ADR 0021, docs/xds.md "entryUUID"): a DocumentEntry is written with id = its current metadata
 * version's entryUUID and lid = its logicalId; ObjectRefs and association sources and targets name documents by
 * their current entryUUID. A Get… query may name a document by its logicalId, its current entryUUID or an earlier
 * one: it answers the current version. Associations are written with name-based ids (ebrim.ts derivedId): the same
 * association has the same id in every answer of the same metadata versions.
 */
import type { Actor } from '../../domain/access/actor.ts';
import type { Coding, DocumentAuthor } from '../../domain/documents/model.ts';
import {
  anyAuthorMatches,
  AUTHOR_PATTERN_MAX,
  authorPersonPattern,
  authorPersons,
  namedIdNatPs,
  type AuthorPersonPattern,
} from '../../domain/documents/author-person.ts';
import { DomainFailure, validationError } from '../../domain/errors.ts';
import type { RegistryFactsRow } from '../../db/documents.repository.ts';
import type { DocumentDeps } from '../../services/documents/context.ts';
import { findDocumentsAs } from '../../services/documents/search.ts';
import type { DocumentSearch } from '../../services/documents/search-query.ts';
import type { DateBound, DocumentFilter } from '../../db/documents.repository.ts';
import { dateRange } from '../../domain/date-bounds.ts';
import { validateIns } from '../../domain/identity/ins.ts';
import { sameSystem } from '../../domain/identity/code-systems.ts';
import {
  locateRegistryObject,
  registryView,
  traceRegistryAnswer,
  type RegistryPackage,
  type RegistryView,
} from '../../services/documents/registry-view.ts';
import {
  association,
  derivedId,
  objectRef,
  parseCx,
  registryErrorList,
  RESPONSE_STATUS,
  writeRegistryPackage,
  XDS,
  xdsTimeToFhir,
  type EbrimIssue,
} from '../../xds/ebrim.ts';
import type { XmlChunks } from '../../xds/soap.ts';
import { el, kid, kids, NS, textOf, XmlWriter, type XElement } from '../../xds/xml.ts';
import { issueOfDomainError } from './errors.ts';
import { availabilityStatus, extrinsicObjects } from './ebrim-entries.ts';

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

/** A parameter's problem: the XDS code and the project's code. */
class ParamIssue extends Error {
  readonly issue: EbrimIssue;
  constructor(issue: EbrimIssue) {
    super(issue.message);
    this.issue = issue;
  }
}

function missing(name: string): ParamIssue {
  return new ParamIssue({
    errorCode: 'XDSStoredQueryParamNumber',
    code: 'XDS_QUERY_PARAM_REQUIRED',
    message: `${name} is required.`,
  });
}

/** A required patient id parameter (CX). */
function patientParam(query: XElement, name: string): { value: string; oid: string } {
  const cx = single(query, name);
  const patient = cx ? parseCx(cx) : undefined;
  if (!patient) {
    throw new ParamIssue({
      errorCode: 'XDSStoredQueryParamNumber',
      code: 'XDS_QUERY_PATIENT_REQUIRED',
      message: `${name} is required once, as value^^^&OID&ISO.`,
    });
  }
  return patient;
}

/** A required status list. */
function statusParam(query: XElement, name: string): Set<string> {
  const statuses = queryValues(query, name).flat();
  if (statuses.length === 0) {
    throw new ParamIssue({
      errorCode: 'XDSStoredQueryParamNumber',
      code: 'XDS_QUERY_STATUS_REQUIRED',
      message: `${name} is required.`,
    });
  }
  return new Set(statuses);
}

/** Optional codes (`code^^scheme`), each with its coding scheme. */
function codingParam(query: XElement, name: string): Coding[] | undefined {
  const lists = queryValues(query, name);
  if (lists.length === 0) {
    return undefined;
  }
  const values = lists.flat();
  if (values.some((v) => !/^[^^]+\^\^[^^]+$/.test(v))) {
    throw new ParamIssue({
      errorCode: 'XDSRegistryError',
      code: 'XDS_QUERY_CODE_INVALID',
      message: `${name} takes codes as 'code^^codingScheme'.`,
    });
  }
  return values.map((v) => {
    const [code = '', , system = ''] = v.split('^');
    return { system, code };
  });
}

/**
 * A Folder's code matches a `code^^scheme` value: the same code in the same coding scheme (any spelling of it,
 * code-systems.ts sameSystem); by code alone when the Folder's scheme is unknown (stored before it was kept).
 */
function folderCodeMatches(have: Coding, wanted: Coding): boolean {
  return (
    have.code === wanted.code && (have.system === '' || sameSystem(have.system, wanted.system))
  );
}

/** Optional codes (`code^^scheme`), compared by code. */
function codeParam(query: XElement, name: string): Set<string> | undefined {
  const c = codes(query, name);
  if (c === null) {
    throw new ParamIssue({
      errorCode: 'XDSRegistryError',
      code: 'XDS_QUERY_CODE_INVALID',
      message: `${name} takes codes as 'code^^codingScheme'.`,
    });
  }
  return c ? new Set(c) : undefined;
}

/** An optional XDS time bound. */
function timeParam(query: XElement, name: string): Date | undefined {
  const v = single(query, name);
  if (v === undefined) {
    return undefined;
  }
  const t = xdsTimeToFhir(v);
  const at =
    t === undefined
      ? NaN
      : Date.parse(t.length <= 10 ? `${t.padEnd(10, '-01').slice(0, 10)}T00:00:00Z` : t);
  if (Number.isNaN(at)) {
    throw new ParamIssue({
      errorCode: 'XDSRegistryError',
      code: 'XDS_QUERY_TIME_INVALID',
      message: `${name} is an XDS time (YYYY[MM[DD[hh[mm[ss]]]]]).`,
    });
  }
  return new Date(at);
}

/** At most this many values of an author parameter are read (the others are refused, not ignored). */
const AUTHOR_VALUES_MAX = 20;

/**
 * An author parameter (XCN values, ITI TF-2a 3.18.4.1.2.3.5; domain/documents/author-person.ts rules A1–A4): the
 * IdNat_PS it names when every value names one without wildcard (the registry's indexed authors, and what a
 * professional without an authorization may ask of their own documents), else its values as patterns.
 */
function authorParam(
  query: XElement,
  name: string,
): { readonly idNatPs: string[] } | { readonly patterns: AuthorPersonPattern[] } | undefined {
  const values = queryValues(query, name).flat();
  if (values.length === 0) {
    return undefined;
  }
  const patterns = values.map((v) => authorPersonPattern(v));
  if (values.length > AUTHOR_VALUES_MAX || patterns.some((p) => p === undefined)) {
    throw new ParamIssue({
      errorCode: 'XDSRegistryError',
      code: 'XDS_QUERY_AUTHOR_INVALID',
      message: `${name} takes 1 to ${String(AUTHOR_VALUES_MAX)} authorPerson values (XCN, LIKE wildcards % and _ escaped by \\), each of 1 to ${String(AUTHOR_PATTERN_MAX)} characters.`,
    });
  }
  const read = patterns as AuthorPersonPattern[];
  const ids = read.map(namedIdNatPs);
  return ids.every((id) => id !== undefined) ? { idNatPs: ids } : { patterns: read };
}

/**
 * `$XDSDocumentEntryType`: whether the stable entries opendmp holds are asked for (no value: they are). An On-Demand
 * entry type alone asks for none; an unknown type is refused.
 */
function stableEntriesAsked(query: XElement): boolean {
  const types = queryValues(query, '$XDSDocumentEntryType').flat();
  if (types.some((t) => t !== XDS.documentEntry && t !== XDS.onDemandEntry)) {
    throw new ParamIssue({
      errorCode: 'XDSRegistryError',
      code: 'XDS_QUERY_ENTRY_TYPE_INVALID',
      message: `$XDSDocumentEntryType takes ${XDS.documentEntry} (stable) or ${XDS.onDemandEntry} (On-Demand).`,
    });
  }
  return types.length === 0 || types.includes(XDS.documentEntry);
}

/** Exactly one of two id parameters (entryUUID or uniqueId). */
function idsParam(
  query: XElement,
  uuidName: string,
  uniqueIdName: string,
): { uuids: string[] } | { uniqueIds: string[] } {
  const uuids = queryValues(query, uuidName).flat();
  const uniqueIds = queryValues(query, uniqueIdName).flat();
  if ((uuids.length === 0) === (uniqueIds.length === 0)) {
    throw new ParamIssue({
      errorCode: 'XDSStoredQueryParamNumber',
      code: 'XDS_QUERY_PARAMS',
      message: `The query takes ${uuidName} or ${uniqueIdName} (one of them).`,
    });
  }
  return uuids.length > 0
    ? { uuids: uuids.slice(0, 1000).map(bareUuid) }
    : { uniqueIds: uniqueIds.slice(0, 1000) };
}

function bareUuid(u: string): string {
  return (/^urn:uuid:(.+)$/i.exec(u)?.[1] ?? u).toLowerCase();
}

/**
 * FindDocuments' parameters read into the core's neutral search (the one ITI-67's parameters are read into): statuses
 * Approved/Archived → current (Archived alone: the archived ones; both: archived or not), Deprecated → superseded;
 * codes by code; authors by IdNat_PS (indexed) or by authorPerson pattern; an On-Demand entry type alone: no status
 * (nothing found, the search still decided and traced); time bounds From (>=) and To (<) on the start of the XDS time's range.
 */
function findDocumentsSearch(query: XElement): DocumentSearch {
  const patient = patientParam(query, '$XDSDocumentEntryPatientId');
  const statuses = statusParam(query, '$XDSDocumentEntryStatus');
  const approved = statuses.has(XDS.approved);
  const archived = statuses.has(XDS.archived);
  const deprecated = statuses.has(XDS.deprecated);
  const codesOf = (param: string): readonly string[] | undefined => {
    const c = codeParam(query, param);
    return c && c.size > 0 ? [...c] : undefined;
  };
  type CodeKey =
    | 'classCodes'
    | 'typeCodes'
    | 'settingCodes'
    | 'facilityCodes'
    | 'eventCodes'
    | 'securityLabels'
    | 'formatCodes';
  const codeFilters: [CodeKey, string][] = [
    ['classCodes', '$XDSDocumentEntryClassCode'],
    ['typeCodes', '$XDSDocumentEntryTypeCode'],
    ['settingCodes', '$XDSDocumentEntryPracticeSettingCode'],
    ['facilityCodes', '$XDSDocumentEntryHealthcareFacilityTypeCode'],
    ['eventCodes', '$XDSDocumentEntryEventCodeList'],
    ['securityLabels', '$XDSDocumentEntryConfidentialityCode'],
    ['formatCodes', '$XDSDocumentEntryFormatCode'],
  ];
  const codeFilter: Partial<Record<CodeKey, readonly string[]>> = {};
  for (const [key, param] of codeFilters) {
    const c = codesOf(param);
    if (c) {
      codeFilter[key] = c;
    }
  }
  const authors = authorParam(query, '$XDSDocumentEntryAuthorPerson');
  const stable = stableEntriesAsked(query);
  const ranges: [string, DateBound['column'], '>=' | '<'][] = [
    ['$XDSDocumentEntryCreationTimeFrom', 'creation_time', '>='],
    ['$XDSDocumentEntryCreationTimeTo', 'creation_time', '<'],
    ['$XDSDocumentEntryServiceStartTimeFrom', 'service_start', '>='],
    ['$XDSDocumentEntryServiceStartTimeTo', 'service_start', '<'],
    ['$XDSDocumentEntryServiceStopTimeFrom', 'service_stop', '>='],
    ['$XDSDocumentEntryServiceStopTimeTo', 'service_stop', '<'],
  ];
  const dates: DateBound[] = [];
  for (const [param, column, op] of ranges) {
    const v = single(query, param);
    if (v === undefined) {
      continue;
    }
    const t = xdsTimeToFhir(v);
    const range = t === undefined ? undefined : dateRange(t.length === 10 ? `${t}T00:00:00Z` : t);
    if (!range) {
      throw new ParamIssue({
        errorCode: 'XDSRegistryError',
        code: 'XDS_QUERY_TIME_INVALID',
        message: `${param} is an XDS time (YYYY[MM[DD[hh[mm[ss]]]]]).`,
      });
    }
    dates.push({ column, op, at: range.start });
  }
  const ins = validateIns(patient.value, `urn:oid:${patient.oid}`);
  if (!ins.ok) {
    throw new DomainFailure(
      validationError([{ ...ins.error, location: ['patient.identifier'] }], 'invalid'),
    );
  }
  const filter: DocumentFilter = {
    // Only On-Demand entries asked: none (opendmp holds stable ones only); the search is still decided and traced.
    statuses: stable
      ? [
          ...(approved || archived ? ['current' as const] : []),
          ...(deprecated ? ['superseded' as const] : []),
        ]
      : [],
    // Approved and Archived asked together: archived or not (ITI-67 knows only one or the other).
    ...(approved && archived ? {} : { archived: archived && !approved }),
    ...codeFilter,
    ...(authors &&
      ('idNatPs' in authors
        ? { authorIds: authors.idNatPs }
        : { authorPersons: authors.patterns.map((p) => p.value) })),
    dates,
  };
  return {
    patient: { kind: 'ins', ins: ins.value.value, oid: ins.value.oid },
    filter,
    count: 1000,
  };
}

export function adhocQueryResponse(objects: XmlChunks, issues: readonly EbrimIssue[]): XmlChunks {
  const status =
    issues.length === 0
      ? RESPONSE_STATUS.success
      : objects.length > 0
        ? RESPONSE_STATUS.partial
        : RESPONSE_STATUS.failure;
  // rs is declared only where the answer uses it (its RegistryErrorList).
  return [
    `<query:AdhocQueryResponse xmlns:query="${NS.query}" xmlns:rim="${NS.rim}"${issues.length > 0 ? ` xmlns:rs="${NS.rs}"` : ''} status="${status}">`,
    registryErrorList(issues),
    objects.length > 0 ? '<rim:RegistryObjectList>' : '<rim:RegistryObjectList/>',
    ...objects,
    objects.length > 0 ? '</rim:RegistryObjectList>' : '',
    '</query:AdhocQueryResponse>',
  ];
}

// ---------------------------------------------------------------------------------------------
// Selection in a record's view (pure)

interface Association {
  readonly id: string;
  readonly type: string;
  readonly source: string;
  readonly target: string;
  readonly submissionSetStatus?: 'Original' | 'Reference';
}

/** What a query answers: documents, Lists and associations, each at most once, in that order. */
interface Selection {
  readonly documents: RegistryFactsRow[];
  readonly packages: RegistryPackage[];
  readonly associations: Association[];
}

function urn(id: string): string {
  return `urn:uuid:${id}`;
}

/** How answers name a document: its current entryUUID. */
function docUrn(d: Pick<RegistryFactsRow, 'entry_uuid'>): string {
  return urn(d.entry_uuid);
}

/** The documents of the view by every id that names them: logicalId, current and earlier entryUUIDs. */
function documentsByAnyId(view: RegistryView): Map<string, RegistryFactsRow> {
  const out = new Map<string, RegistryFactsRow>();
  for (const d of view.documents) {
    out.set(d.id, d);
    out.set(d.entry_uuid, d);
  }
  for (const [past, id] of view.pastEntries) {
    const d = out.get(id);
    if (d) {
      out.set(past, d);
    }
  }
  return out;
}

function assoc(
  type: string,
  source: string,
  target: string,
  submissionSetStatus?: 'Original' | 'Reference',
): Association {
  return {
    id: derivedId(`${type}|${source}|${target}`, 0),
    type,
    source: urn(source),
    target: urn(target),
    ...(submissionSetStatus !== undefined && { submissionSetStatus }),
  };
}

/** The association type of a relation the registry keeps in the documents' metadata. */
const RELATION_TYPE: Readonly<Record<RegistryView['relations'][number]['code'], string>> = {
  transforms: XDS.xfrm,
  appends: XDS.apnd,
  signs: XDS.signs,
};

/** A HasMember from a SubmissionSet to an association (XDS: the submission that made a Folder's membership). */
function memberOfSet(submissionSetId: string, member: Association): Association {
  return {
    id: derivedId(`${XDS.hasMember}|${submissionSetId}|${member.id}`, 0),
    type: XDS.hasMember,
    source: urn(submissionSetId),
    target: member.id,
  };
}

/**
 * Every association between visible objects of the view: HasMember of the Lists — SubmissionSet → DocumentEntry,
 * Folder → DocumentEntry, SubmissionSet → the Folder its submission created, SubmissionSet → (Folder → DocumentEntry)
 * for the memberships its submission made (registry-view.ts V5) —, RPLC of the replacements, XFRM / APND / signs of
 * the documents' other relations (when the view has them: {@link RELATIONS_ANSWERED}).
 */
function associationsOf(view: RegistryView): Association[] {
  const byId = new Map(view.documents.map((d) => [d.id, d]));
  const sets = new Set(view.packages.flatMap((p) => (p.kind === 'submissionSet' ? [p.id] : [])));
  const out: Association[] = [];
  for (const p of view.packages) {
    if (p.kind === 'folder' && p.submissionSetId !== undefined && sets.has(p.submissionSetId)) {
      out.push(assoc(XDS.hasMember, p.submissionSetId, p.id));
    }
    for (const m of p.members) {
      const member = assoc(
        XDS.hasMember,
        p.id,
        byId.get(m)?.entry_uuid ?? m,
        p.kind === 'submissionSet'
          ? byId.get(m)?.submission_set_id === p.id
            ? 'Original'
            : 'Reference'
          : undefined,
      );
      out.push(member);
      // The document entered the Folder with the submission that brought it.
      const by = p.kind === 'folder' ? byId.get(m)?.submission_set_id : undefined;
      if (by !== undefined && sets.has(by)) {
        out.push(memberOfSet(by, member));
      }
    }
  }
  for (const d of view.documents) {
    const replaced = d.replaces_id !== null ? byId.get(d.replaces_id) : undefined;
    if (replaced) {
      out.push(assoc(XDS.rplc, d.entry_uuid, replaced.entry_uuid));
    }
  }
  for (const r of view.relations) {
    const source = byId.get(r.source);
    const target = byId.get(r.target);
    if (source && target) {
      out.push(assoc(RELATION_TYPE[r.code], source.entry_uuid, target.entry_uuid));
    }
  }
  return out;
}

/**
 * The associations among `objects` (urn:uuid ids): those linking two of them, then those from one of them to one of
 * the former (SubmissionSet → (Folder → DocumentEntry)); in the order of `all`.
 */
function between(all: readonly Association[], objects: ReadonlySet<string>): Association[] {
  const direct = new Set(
    all.filter((a) => objects.has(a.source) && objects.has(a.target)).map((a) => a.id),
  );
  return all.filter((a) => direct.has(a.id) || (objects.has(a.source) && direct.has(a.target)));
}

function packageStatus(p: RegistryPackage): string {
  return p.status === 'current' ? XDS.approved : XDS.deprecated;
}

function documentsNamed(
  view: RegistryView,
  ids: { uuids: string[] } | { uniqueIds: string[] },
): RegistryFactsRow[] {
  if ('uuids' in ids) {
    const byAnyId = documentsByAnyId(view);
    const named = new Set(ids.uuids.flatMap((u) => byAnyId.get(u) ?? []));
    return view.documents.filter((d) => named.has(d));
  }
  const wanted = new Set(ids.uniqueIds);
  return view.documents.filter((d) => wanted.has(d.unique_id));
}

function packagesNamed(
  view: RegistryView,
  kind: RegistryPackage['kind'],
  ids: { uuids: string[] } | { uniqueIds: string[] },
): RegistryPackage[] {
  const wanted = new Set('uuids' in ids ? ids.uuids : ids.uniqueIds);
  return view.packages.filter(
    (p) => p.kind === kind && wanted.has('uuids' in ids ? p.id : p.uniqueId),
  );
}

/** $XDSDocumentEntryFormatCode / ConfidentialityCode / TypeCode / Type of GetAll and the …AndContents queries. */
function contentFilter(query: XElement): (d: RegistryFactsRow) => boolean {
  const format = codeParam(query, '$XDSDocumentEntryFormatCode');
  const conf = codeParam(query, '$XDSDocumentEntryConfidentialityCode');
  const type = codeParam(query, '$XDSDocumentEntryTypeCode');
  const stable = stableEntriesAsked(query);
  return (d) =>
    stable &&
    (!format || format.has(d.format_code)) &&
    (!conf || d.confidentiality.some((c) => conf.has(c))) &&
    (!type || type.has(d.type_code));
}

/**
 * GetSubmissionSetAndContents, GetFolderAndContents: the List, its DocumentEntries (filtered), a SubmissionSet's
 * Folders (those its submission created), and the HasMember associations among them — a SubmissionSet's to its
 * documents, Folders and the Folders' memberships it made, a Folder's to its documents (ITI TF-2a 3.18.4.1.2.3.7).
 */
function contents(
  view: RegistryView,
  p: RegistryPackage,
  keep: (d: RegistryFactsRow) => boolean,
): Selection {
  const byId = new Map(view.documents.map((d) => [d.id, d]));
  const docs = p.members.flatMap((m) => {
    const d = byId.get(m);
    return d && keep(d) ? [d] : [];
  });
  const folders =
    p.kind === 'submissionSet'
      ? view.packages.filter((f) => f.kind === 'folder' && f.submissionSetId === p.id)
      : [];
  const objects = new Set([urn(p.id), ...docs.map(docUrn), ...folders.map((f) => urn(f.id))]);
  const associations = between(
    associationsOf(view).filter((a) => a.type === XDS.hasMember),
    objects,
  );
  return { documents: docs, packages: [p, ...folders], associations };
}

type ViewQuery = (view: RegistryView) => Selection;

/** The stored queries answered from a record's view: where the record comes from, and what is selected. */
function viewQuery(
  queryId: string,
  query: XElement,
):
  | { readonly patient: { value: string; oid: string }; readonly select: ViewQuery }
  | { readonly locate: Locate; readonly select: ViewQuery }
  | undefined {
  const docStatus = (statuses: Set<string>) => (d: RegistryFactsRow) =>
    statuses.has(availabilityStatus(d.status, d.archived));
  switch (queryId) {
    case STORED_QUERY.FindSubmissionSets: {
      const patient = patientParam(query, '$XDSSubmissionSetPatientId');
      const statuses = statusParam(query, '$XDSSubmissionSetStatus');
      const sources = new Set(queryValues(query, '$XDSSubmissionSetSourceId').flat());
      const from = timeParam(query, '$XDSSubmissionSetSubmissionTimeFrom');
      const to = timeParam(query, '$XDSSubmissionSetSubmissionTimeTo');
      const authors = authorParam(query, '$XDSSubmissionSetAuthorPerson');
      const contentTypes = codeParam(query, '$XDSSubmissionSetContentType');
      return {
        patient,
        select: (view) => ({
          documents: [],
          packages: view.packages.filter(
            (p) =>
              p.kind === 'submissionSet' &&
              statuses.has(packageStatus(p)) &&
              (sources.size === 0 || (p.sourceId !== undefined && sources.has(p.sourceId))) &&
              (!from || submittedAt(p) >= from) &&
              (!to || submittedAt(p) < to) &&
              (!authors ||
                ('idNatPs' in authors
                  ? p.authorIds.some((a) => authors.idNatPs.includes(a))
                  : anyAuthorMatches(authors.patterns, authorPersons(submissionSetAuthors(p))))) &&
              (!contentTypes ||
                (p.contentTypeCode !== undefined && contentTypes.has(p.contentTypeCode))),
          ),
          associations: [],
        }),
      };
    }
    case STORED_QUERY.FindFolders: {
      const patient = patientParam(query, '$XDSFolderPatientId');
      const statuses = statusParam(query, '$XDSFolderStatus');
      const from = timeParam(query, '$XDSFolderLastUpdateTimeFrom');
      const to = timeParam(query, '$XDSFolderLastUpdateTimeTo');
      const codeList = codingParam(query, '$XDSFolderCodeList');
      return {
        patient,
        select: (view) => ({
          documents: [],
          packages: view.packages.filter(
            (p) =>
              p.kind === 'folder' &&
              statuses.has(packageStatus(p)) &&
              (!from || p.at >= from) &&
              (!to || p.at < to) &&
              (!codeList || p.codes.some((c) => codeList.some((w) => folderCodeMatches(c, w)))),
          ),
          associations: [],
        }),
      };
    }
    case STORED_QUERY.GetAll: {
      const patient = patientParam(query, '$patientId');
      const docStatuses = statusParam(query, '$XDSDocumentEntryStatus');
      const ssStatuses = statusParam(query, '$XDSSubmissionSetStatus');
      const folderStatuses = statusParam(query, '$XDSFolderStatus');
      const keep = contentFilter(query);
      return {
        patient,
        select: (view) => {
          const documents = view.documents.filter((d) => docStatus(docStatuses)(d) && keep(d));
          const packages = view.packages.filter((p) =>
            (p.kind === 'submissionSet' ? ssStatuses : folderStatuses).has(packageStatus(p)),
          );
          const ids = new Set([...documents.map(docUrn), ...packages.map((p) => urn(p.id))]);
          return { documents, packages, associations: between(associationsOf(view), ids) };
        },
      };
    }
    case STORED_QUERY.GetDocuments:
    case STORED_QUERY.GetDocumentsAndAssociations:
    case STORED_QUERY.GetRelatedDocuments: {
      const ids = idsParam(query, '$XDSDocumentEntryEntryUUID', '$XDSDocumentEntryUniqueId');
      const types =
        queryId === STORED_QUERY.GetRelatedDocuments
          ? new Set(queryValues(query, '$AssociationTypes').flat())
          : undefined;
      if (types?.size === 0) {
        throw missing('$AssociationTypes');
      }
      return {
        locate: { kind: 'document', ids },
        select: (view) => {
          const named = documentsNamed(view, ids);
          if (queryId === STORED_QUERY.GetDocuments) {
            return { documents: named, packages: [], associations: [] };
          }
          const touched = new Set(named.map(docUrn));
          const all = associationsOf(view).filter(
            (a) => touched.has(a.source) || touched.has(a.target),
          );
          if (queryId === STORED_QUERY.GetDocumentsAndAssociations) {
            return { documents: named, packages: [], associations: all };
          }
          // GetRelatedDocuments: the documents linked to the named ones by the asked association types.
          const related = all.filter(
            (a) => types?.has(a.type) === true && a.type !== XDS.hasMember,
          );
          if (related.length === 0) {
            return { documents: [], packages: [], associations: [] };
          }
          const linked = new Set(related.flatMap((a) => [a.source, a.target]));
          return {
            documents: view.documents.filter((d) => linked.has(docUrn(d))),
            packages: [],
            associations: related,
          };
        },
      };
    }
    case STORED_QUERY.GetFolders:
    case STORED_QUERY.GetFolderAndContents:
    case STORED_QUERY.GetSubmissionSetAndContents: {
      const kind =
        queryId === STORED_QUERY.GetSubmissionSetAndContents ? 'submissionSet' : 'folder';
      const ids =
        kind === 'folder'
          ? idsParam(query, '$XDSFolderEntryUUID', '$XDSFolderUniqueId')
          : idsParam(query, '$XDSSubmissionSetEntryUUID', '$XDSSubmissionSetUniqueId');
      const keep = contentFilter(query);
      return {
        locate: { kind: 'list', ids },
        select: (view) => {
          const named = packagesNamed(view, kind, ids);
          if (queryId === STORED_QUERY.GetFolders) {
            return { documents: [], packages: named, associations: [] };
          }
          const p = named[0];
          return p ? contents(view, p, keep) : { documents: [], packages: [], associations: [] };
        },
      };
    }
    case STORED_QUERY.GetAssociations:
    case STORED_QUERY.GetSubmissionSets: {
      const uuids = queryValues(query, '$uuid').flat().slice(0, 1000).map(bareUuid);
      if (uuids.length === 0) {
        throw missing('$uuid');
      }
      return {
        locate: { kind: 'any', ids: { uuids } },
        select: (view) => {
          // A document named by any of its ids is named by its current entryUUID, as associations name it.
          const byAnyId = documentsByAnyId(view);
          const named = new Set(
            uuids.map((u) => {
              const d = byAnyId.get(u);
              return d ? docUrn(d) : urn(u);
            }),
          );
          const touching = associationsOf(view).filter(
            (a) => named.has(a.source) || named.has(a.target),
          );
          if (queryId === STORED_QUERY.GetAssociations) {
            return { documents: [], packages: [], associations: touching };
          }
          const hasMember = touching.filter((a) => a.type === XDS.hasMember && named.has(a.target));
          const sets = new Set(hasMember.map((a) => a.source));
          return {
            documents: [],
            packages: view.packages.filter(
              (p) => p.kind === 'submissionSet' && sets.has(urn(p.id)),
            ),
            associations: hasMember.filter((a) =>
              view.packages.some((p) => p.kind === 'submissionSet' && urn(p.id) === a.source),
            ),
          };
        },
      };
    }
  }
  return undefined;
}

interface Locate {
  readonly kind: 'document' | 'list' | 'any';
  readonly ids: { uuids: string[] } | { uniqueIds: string[] };
}

/** The records holding the named objects (an id names one record; unknown ids name none). */
async function recordsOf(deps: DocumentDeps, where: Locate): Promise<string[]> {
  const found = new Set<string>();
  const refs = 'uuids' in where.ids ? where.ids.uuids : where.ids.uniqueIds;
  for (const ref of refs.slice(0, 100)) {
    const named = 'uuids' in where.ids ? { id: ref } : { uniqueId: ref };
    const kinds: ('document' | 'list')[] =
      where.kind === 'any' ? ['document', 'list'] : [where.kind];
    for (const kind of kinds) {
      const patientId = await locateRegistryObject(deps, { kind, ...named });
      if (patientId) {
        found.add(patientId);
        break;
      }
    }
  }
  return [...found];
}

// ---------------------------------------------------------------------------------------------
// Encoding

/**
 * A SubmissionSet's authors as its answer writes them and `$XDSSubmissionSetAuthorPerson` matches them: as the source
 * gave them (person with name, institution, role or specialty), else by their IdNat_PS alone (a SubmissionSet whose
 * source gave no more, or stored before they were kept).
 */
function submissionSetAuthors(p: RegistryPackage): readonly DocumentAuthor[] {
  return p.authors ?? p.authorIds.map((idNatPs) => ({ kind: 'practitioner', idNatPs }));
}

/** A SubmissionSet's submissionTime (its truth's time), the registry's time when it does not read as one. */
function submittedAt(p: RegistryPackage): Date {
  const ms = Date.parse(p.time);
  return Number.isNaN(ms) ? p.at : new Date(ms);
}

function packageEntry(
  deps: DocumentDeps,
  view: RegistryView,
  p: RegistryPackage,
): Parameters<typeof writeRegistryPackage>[1] {
  const contentType =
    p.contentTypeCode !== undefined ? conceptOf(deps, p.contentTypeCode) : undefined;
  return {
    kind: p.kind,
    id: p.id,
    uniqueId: p.uniqueId,
    patient: view.ins,
    status: packageStatus(p),
    ...(p.title !== undefined && { title: p.title }),
    ...(p.comments !== undefined && { comments: p.comments }),
    ...(p.kind === 'submissionSet'
      ? {
          submissionTime: p.time,
          ...(p.sourceId !== undefined && { sourceId: p.sourceId }),
          ...(contentType && { contentType }),
          authors: submissionSetAuthors(p),
        }
      : { lastUpdateTime: p.at.toISOString(), codes: folderCodes(deps, p) }),
    version: p.versionId,
  };
}

/**
 * A Folder's codeList as its answer writes it (Classifications like a DocumentEntry's codes): each code with its coding
 * scheme and display as sent; on a Folder stored before they were kept, each code with the scheme and display the
 * reference data give it when one value set has it, else left out (a Classification needs its codingScheme).
 */
function folderCodes(deps: DocumentDeps, p: RegistryPackage): Coding[] {
  return p.codes.flatMap((c) => {
    if (c.system !== '') {
      return [c];
    }
    for (const vs of deps.reference.valueSets.values()) {
      const known = vs.findByCode(c.code);
      if (known) {
        return [{ system: known.system, code: known.code, display: known.display }];
      }
    }
    return [];
  });
}

/** A code's coding in the reference data, when one value set has it (SubmissionSet contentTypeCode). */
function conceptOf(deps: DocumentDeps, code: string): Coding | undefined {
  for (const vs of deps.reference.valueSets.values()) {
    const c = vs.findByCode(code);
    if (c) {
      return { system: vs.oid ?? c.system, code: c.code, display: c.display };
    }
  }
  return undefined;
}

async function encode(
  deps: DocumentDeps,
  view: RegistryView,
  selection: Selection,
  leaf: boolean,
  repositoryUniqueId: string,
): Promise<XmlChunks> {
  const out: (string | Buffer)[] = [];
  if (!leaf) {
    for (const p of selection.packages) {
      out.push(objectRef(urn(p.id)));
    }
    for (const d of selection.documents) {
      out.push(objectRef(docUrn(d)));
    }
    for (const a of selection.associations) {
      out.push(objectRef(a.id));
    }
    return out;
  }
  const w = new XmlWriter();
  for (const p of selection.packages) {
    writeRegistryPackage(w, packageEntry(deps, view, p));
  }
  out.push(w.toString());
  out.push(
    ...(await extrinsicObjects(deps, view.patientId, selection.documents, repositoryUniqueId)),
  );
  for (const a of selection.associations) {
    out.push(
      association(
        a.type,
        a.source,
        a.target,
        a.id,
        a.submissionSetStatus !== undefined
          ? { SubmissionSetStatus: [a.submissionSetStatus] }
          : undefined,
      ),
    );
  }
  return out;
}

/**
 * The queries whose answer may hold XFRM, APND or signs associations: only they read the documents' relations (the
 * metadata of every document of the record).
 */
const RELATIONS_ANSWERED: ReadonlySet<string> = new Set([
  STORED_QUERY.GetAll,
  STORED_QUERY.GetAssociations,
  STORED_QUERY.GetDocumentsAndAssociations,
  STORED_QUERY.GetRelatedDocuments,
]);

/** ITI-18: the AdhocQueryResponse payload. */
export async function registryStoredQuery(
  deps: DocumentDeps,
  actor: Actor,
  request: XElement,
  repositoryUniqueId: string,
): Promise<XmlChunks> {
  const leaf = kid(request, NS.query, 'ResponseOption')?.attrs['returnType'] !== 'ObjectRef';
  const query = kid(request, NS.rim, 'AdhocQuery');
  const id = query?.attrs['id'];
  if (!query || id === undefined) {
    return adhocQueryResponse([], [storedQueryError('XDS_QUERY_MISSING', 'No AdhocQuery.')]);
  }
  try {
    if (id === STORED_QUERY.FindDocuments) {
      const search = findDocumentsSearch(query);
      const page = leaf
        ? await findDocumentsAs(deps, actor, search, (patientId, rows) =>
            extrinsicObjects(deps, patientId, rows, repositoryUniqueId),
          )
        : await findDocumentsAs(deps, actor, search, (_patientId, rows) =>
            Promise.resolve(rows.map((r) => objectRef(docUrn(r)))),
          );
      return adhocQueryResponse(page.entries, []);
    }
    const served = viewQuery(id, query);
    if (!served) {
      return adhocQueryResponse(
        [],
        [
          {
            errorCode: 'XDSUnknownStoredQuery',
            code: 'XDS_QUERY_UNKNOWN',
            message: 'This stored query is not one of ITI-18 (docs/xds.md lists them).',
          },
        ],
      );
    }
    // A query naming its patient is decided as a search of that record (a refusal says why, as ITI-67's); one
    // naming objects by id answers a refusal like a missing object.
    const views: RegistryView[] = [];
    const relations = RELATIONS_ANSWERED.has(id);
    if ('patient' in served) {
      const view = await registryView(
        deps,
        actor,
        { kind: 'ins', ins: served.patient.value, oid: served.patient.oid },
        { asMissing: false, relations },
      );
      if (view) {
        views.push(view);
      }
    } else {
      for (const patientId of await recordsOf(deps, served.locate)) {
        const view = await registryView(
          deps,
          actor,
          { kind: 'id', id: patientId },
          { asMissing: true, relations },
        );
        if (view) {
          views.push(view);
        }
      }
    }
    const objects: (string | Buffer)[] = [];
    for (const view of views) {
      const selection = served.select(view);
      objects.push(...(await encode(deps, view, selection, leaf, repositoryUniqueId)));
      await traceRegistryAnswer(deps, actor, view.patientId, {
        query: queryName(id),
        documentIds: selection.documents.map((d) => d.id),
        listIds: selection.packages.map((p) => p.id),
      });
    }
    return adhocQueryResponse(objects, []);
  } catch (e) {
    if (e instanceof ParamIssue) {
      return adhocQueryResponse([], [e.issue]);
    }
    if (e instanceof DomainFailure) {
      return adhocQueryResponse([], issueOfDomainError(e.error));
    }
    throw e;
  }
}

function queryName(id: string): string {
  return Object.entries(STORED_QUERY).find(([, v]) => v === id)?.[0] ?? id;
}

export { el };
