/**
 * The `repository` service (issue 19): ITI-41 Provide and Register Document Set-b and ITI-43 Retrieve Document Set,
 * served by the same deposit and retrieval use cases as ITI-65 and ITI-68 (services/documents/provide.ts, read.ts):
 * one store, one policy, one trace chain.
 *
 * ITI-41, in order (all or nothing: the core writes the whole submission in one transaction, or nothing):
 * R1. The SubmitObjectsRequest is read (xds/ebrim.ts); each ExtrinsicObject has its Document (XDSMissingDocument) and
 *     each Document its ExtrinsicObject (XDSMissingDocumentMetadata); a Document is inline base64 or an MTOM part.
 * R2. One SubmissionSet, whose patient is every entry's and folder's (XDSPatientIdDoesNotMatch); HasMember
 *     associations from it name the entries and folders; RPLC / XFRM / APND / signs associations from an entry name
 *     the document it relates to by its entryUUID (`urn:uuid:<id>`).
 * R3. Each entry's metadata must be complete (XDS requires every field; XDSRegistryMetadataError otherwise).
 * R4. Until the neutral deposit of issue 18 lands, the entries are handed to the core as the DocumentReference /
 *     List shapes its deposit reads (the bridge below): the same rules run — CDA validation, derivation and agreement
 *     with the header, codes against the DMP's value sets, the access policy, unique ids, replacement. The authors
 *     and legal authenticator are the CDA header's (the documents are CDA only); the ebRIM author slots are read
 *     but not yet compared with them (docs/xds.md, differences).
 *
 * ITI-43: each DocumentRequest names a DocumentUniqueId (and our RepositoryUniqueId); each document is decided and
 * traced as an ITI-68 retrieval; one the caller may not see answers like a missing one (XDSDocumentUniqueIdError).
 * Several documents: each answered or refused on its own (PartialSuccess).
 */
import { randomUUID } from 'node:crypto';
import type { Actor } from '../../domain/access/actor.ts';
import { completeDraft, type DocumentMetadata } from '../../domain/documents/model.ts';
import { toDocumentReference } from '../../domain/documents/to-document-reference.ts';
import { DomainFailure } from '../../domain/errors.ts';
import { contentIdOfUniqueId } from '../../xds/lookup.ts';
import type { DocumentDeps } from '../../services/documents/context.ts';
import { provideDocuments } from '../../services/documents/provide.ts';
import type { ProvideEntry, ProvideRequest } from '../../services/documents/provide-bundle.ts';
import { retrieveContent } from '../../services/documents/read.ts';
import {
  EbrimFailure,
  readSubmitObjects,
  registryErrorList,
  registryResponse,
  RESPONSE_STATUS,
  XDS,
  type EbDocumentEntry,
  type EbPackage,
  type EbrimIssue,
} from '../../xds/ebrim.ts';
import { cidOf } from '../../xds/mtom.ts';
import { el, esc, kid, kids, NS, textOf, type XElement } from '../../xds/xml.ts';
import { issueOfDomainError } from './errors.ts';

const MHD_LIST_TYPES = 'https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes';
const NIL_UUID = '00000000-0000-4000-8000-000000000000';

type Json = Record<string, unknown>;

function metadataError(code: string, message: string, location?: string): EbrimIssue {
  return {
    errorCode: 'XDSRegistryMetadataError',
    code,
    message,
    ...(location !== undefined && { location }),
  };
}

/** The bytes of each xdsb:Document by the id of its ExtrinsicObject (inline base64 or MTOM part). */
function documentBytes(
  request: XElement,
  attachments: ReadonlyMap<string, Buffer>,
  issues: EbrimIssue[],
): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const d of kids(request, NS.xdsb, 'Document')) {
    const id = d.attrs['id'] ?? '';
    let bytes: Buffer | undefined;
    if (d.xop !== undefined) {
      const cid = cidOf(d.xop);
      bytes = cid === undefined ? undefined : attachments.get(cid);
      if (!bytes) {
        issues.push({
          errorCode: 'XDSMissingDocument',
          code: 'XDS_MTOM_PART_MISSING',
          message: 'A Document names an MTOM part the message does not carry.',
          location: id,
        });
        continue;
      }
    } else {
      const text = d.text.replace(/\s+/g, '');
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
        issues.push(metadataError('XDS_DOCUMENT_BASE64_INVALID', 'A Document is not base64.', id));
        continue;
      }
      bytes = Buffer.from(text, 'base64');
    }
    if (out.has(id)) {
      issues.push(metadataError('XDS_DOCUMENT_DUPLICATE', 'Two Documents have the same id.', id));
    }
    out.set(id, bytes);
  }
  return out;
}

const RELATION: Readonly<Record<string, 'replaces' | 'transforms' | 'appends' | 'signs'>> = {
  [XDS.rplc]: 'replaces',
  [XDS.xfrm]: 'transforms',
  [XDS.apnd]: 'appends',
  [XDS.signs]: 'signs',
};

function bareUuid(id: string): string | undefined {
  const m = /^urn:uuid:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i.exec(id);
  return m?.[1]?.toLowerCase();
}

function listResource(
  pkg: EbPackage,
  members: readonly string[],
  patient: { value: string; oid: string },
): Json {
  return {
    resourceType: 'List',
    status: 'current',
    mode: 'working',
    code: {
      coding: [
        { system: MHD_LIST_TYPES, code: pkg.kind === 'submissionSet' ? 'submissionset' : 'folder' },
      ],
    },
    subject: { reference: `Patient?identifier=urn:oid:${patient.oid}|${patient.value}` },
    ...(pkg.submissionTime !== undefined && { date: pkg.submissionTime }),
    ...(pkg.title !== undefined && { title: pkg.title }),
    ...(pkg.uniqueId !== undefined && {
      identifier: [{ use: 'usual', system: 'urn:ietf:rfc:3986', value: `urn:oid:${pkg.uniqueId}` }],
    }),
    entry: members.map((m) => ({ item: { reference: m } })),
  };
}

/** An entry's DocumentReference as the core's deposit reads it (rule R4). */
function documentResource(
  meta: DocumentMetadata,
  relatesTo: readonly { code: 'replaces' | 'transforms' | 'appends' | 'signs'; target: string }[],
): Json {
  const full = toDocumentReference(meta, {
    id: 'x',
    status: 'current',
    relatesTo,
  });
  // Authors and the legal authenticator are taken from the CDA header by the core (the documents are CDA only):
  // an XDS author may be a device or a person without IdNat_PS, which the FHIR reading of authors refuses.
  const dropped = new Set(['id', 'meta', 'contained', 'author', 'authenticator']);
  const rest: Json = Object.fromEntries(Object.entries(full).filter(([k]) => !dropped.has(k)));
  const contained = full['contained'] as Json[];
  return {
    ...rest,
    contained: contained.filter((c) => c['id'] === 'source-patient'),
    subject: { reference: `Patient?identifier=urn:oid:${meta.patient.oid}|${meta.patient.value}` },
  };
}

export interface Iti41Outcome {
  readonly status: number;
  readonly payload: string;
  readonly documentIds: readonly string[];
}

/** ITI-41 (rules R1–R4): the RegistryResponse to send. */
export async function provideAndRegister(
  deps: DocumentDeps,
  actor: Actor,
  request: XElement,
  attachments: ReadonlyMap<string, Buffer>,
): Promise<Iti41Outcome> {
  const failure = (issues: readonly EbrimIssue[]): Iti41Outcome => ({
    status: 200,
    payload: registryResponse(issues),
    documentIds: [],
  });
  const issues: EbrimIssue[] = [];
  let so;
  try {
    so = readSubmitObjects(kid(request, NS.lcm, 'SubmitObjectsRequest') as XElement);
  } catch (e) {
    if (e instanceof EbrimFailure) {
      return failure(e.issues);
    }
    throw e;
  }
  const bytes = documentBytes(request, attachments, issues);
  for (const d of so.documents) {
    if (!bytes.has(d.id)) {
      issues.push({
        errorCode: 'XDSMissingDocument',
        code: 'XDS_DOCUMENT_MISSING',
        message: 'A DocumentEntry has no Document in the request.',
        location: d.id,
      });
    }
  }
  for (const id of bytes.keys()) {
    if (!so.documents.some((d) => d.id === id)) {
      issues.push({
        errorCode: 'XDSMissingDocumentMetadata',
        code: 'XDS_DOCUMENT_METADATA_MISSING',
        message: 'A Document has no DocumentEntry.',
        location: id,
      });
    }
  }
  const ss = so.submissionSet;
  if (!ss) {
    issues.push(
      metadataError('XDS_SUBMISSION_SET_MISSING', 'The submission has no SubmissionSet.'),
    );
  } else if (!ss.patient) {
    issues.push(
      metadataError(
        'XDS_SUBMISSION_SET_PATIENT_MISSING',
        'The SubmissionSet has no patientId.',
        ss.id,
      ),
    );
  }
  if (so.documents.length === 0) {
    issues.push(metadataError('XDS_NO_DOCUMENT', 'The submission has no DocumentEntry.'));
  }
  const metas = new Map<string, DocumentMetadata>();
  for (const d of so.documents) {
    const complete = completeDraft(d.draft);
    if (!complete.ok) {
      for (const i of complete.error) {
        issues.push(
          metadataError(
            i.code,
            i.message.replace('Required metadata missing', `${d.id}: missing`),
            d.id,
          ),
        );
      }
      continue;
    }
    const p = complete.value.patient;
    if (ss?.patient && (p.value !== ss.patient.value || p.oid !== ss.patient.oid)) {
      issues.push({
        errorCode: 'XDSPatientIdDoesNotMatch',
        code: 'XDS_PATIENT_ID_MISMATCH',
        message: 'A DocumentEntry names another patient than its SubmissionSet.',
        location: d.id,
      });
    }
    metas.set(d.id, complete.value);
  }
  for (const f of so.folders) {
    if (
      ss?.patient &&
      f.patient &&
      (f.patient.value !== ss.patient.value || f.patient.oid !== ss.patient.oid)
    ) {
      issues.push({
        errorCode: 'XDSPatientIdDoesNotMatch',
        code: 'XDS_PATIENT_ID_MISMATCH',
        message: 'A Folder names another patient than its SubmissionSet.',
        location: f.id,
      });
    }
  }
  // Associations (R2).
  const docIds = new Set(so.documents.map((d) => d.id));
  const folderIds = new Set(so.folders.map((f) => f.id));
  const ssMembers: string[] = [];
  const folderMembers = new Map<string, string[]>(so.folders.map((f) => [f.id, []]));
  const relations = new Map<
    string,
    { code: 'replaces' | 'transforms' | 'appends' | 'signs'; target: string }[]
  >();
  for (const a of so.associations) {
    if (a.type === XDS.hasMember) {
      if (ss && a.source === ss.id && (docIds.has(a.target) || folderIds.has(a.target))) {
        ssMembers.push(a.target);
      } else if (folderIds.has(a.source) && docIds.has(a.target)) {
        folderMembers.get(a.source)?.push(a.target);
      } else if (ss && a.source === ss.id) {
        // SubmissionSet → Association (folder membership) or an existing object: kept as metadata only.
        continue;
      } else {
        issues.push(
          metadataError(
            'XDS_ASSOCIATION_INVALID',
            'A HasMember association links unknown objects.',
            a.id,
          ),
        );
      }
    } else if (RELATION[a.type] !== undefined && docIds.has(a.source)) {
      const target = bareUuid(a.target);
      if (!target) {
        issues.push(
          metadataError(
            'XDS_ASSOCIATION_TARGET_INVALID',
            'A document relation names its target by entryUUID (urn:uuid:…).',
            a.id,
          ),
        );
        continue;
      }
      const list = relations.get(a.source) ?? [];
      list.push({ code: RELATION[a.type] as 'replaces', target: `DocumentReference/${target}` });
      relations.set(a.source, list);
    } else {
      issues.push(
        metadataError(
          'XDS_ASSOCIATION_UNSUPPORTED',
          'This association type is not supported here.',
          a.id,
        ),
      );
    }
  }
  for (const d of so.documents) {
    if (ss && !ssMembers.includes(d.id)) {
      issues.push(
        metadataError(
          'XDS_NOT_IN_SUBMISSION_SET',
          'A DocumentEntry is not a member of the SubmissionSet.',
          d.id,
        ),
      );
    }
  }
  if (issues.length > 0 || !ss?.patient) {
    return failure(issues);
  }

  // R4: the core's deposit.
  const keyOf = (id: string): string => `urn:opendmp:xds:${id}`;
  const docs = so.documents.map((d: EbDocumentEntry) => ({
    resource: documentResource(metas.get(d.id) as DocumentMetadata, relations.get(d.id) ?? []),
    bytes: bytes.get(d.id) as Buffer,
    root: `ExtrinsicObject[${d.id}]`,
    key: keyOf(d.id),
  }));
  const entries: ProvideEntry[] = [
    { kind: 'submission-set' },
    ...docs.map((d) => ({ kind: 'document' as const, key: d.key })),
    ...so.folders.map((_f, index) => ({ kind: 'folder' as const, index })),
  ];
  const provide: ProvideRequest = {
    documents: docs,
    submissionSet: {
      resource: listResource(ss, ssMembers.filter((m) => docIds.has(m)).map(keyOf), ss.patient),
      root: `RegistryPackage[${ss.id}]`,
      memberKeys: ssMembers.filter((m) => docIds.has(m)).map(keyOf),
    },
    folders: so.folders.map((f) => {
      const members = (folderMembers.get(f.id) ?? []).map(keyOf);
      return {
        resource: listResource(f, members, ss.patient as { value: string; oid: string }),
        root: `RegistryPackage[${f.id}]`,
        memberKeys: members,
      };
    }),
    supersedes: [],
    entries,
  };
  try {
    const result = await provideDocuments(deps, actor, provide);
    return {
      status: 200,
      payload: registryResponse([]),
      documentIds: [...result.documents.values()].map((d) => d.id),
    };
  } catch (e) {
    if (e instanceof DomainFailure) {
      return failure(issueOfDomainError(e.error));
    }
    throw e;
  }
}

export interface RetrievedDocument {
  readonly uniqueId: string;
  readonly repositoryUniqueId: string;
  readonly mimeType: string;
  readonly bytes: Buffer;
}

/** ITI-43: the documents retrieved and the errors of those refused. */
export async function retrieveDocumentSet(
  deps: DocumentDeps,
  actor: Actor,
  request: XElement,
  repositoryUniqueId: string,
): Promise<{ documents: RetrievedDocument[]; issues: EbrimIssue[] }> {
  const out: RetrievedDocument[] = [];
  const issues: EbrimIssue[] = [];
  const requests = kids(request, NS.xdsb, 'DocumentRequest');
  if (requests.length > 100) {
    issues.push(metadataError('XDS_RETRIEVE_TOO_MANY', 'At most 100 documents per request.'));
    return { documents: out, issues };
  }
  for (const r of requests) {
    const uniqueId = textOf(kid(r, NS.xdsb, 'DocumentUniqueId')) ?? '';
    const repo = textOf(kid(r, NS.xdsb, 'RepositoryUniqueId')) ?? '';
    if (repo !== repositoryUniqueId) {
      issues.push({
        errorCode: 'XDSUnknownRepositoryId',
        code: 'XDS_REPOSITORY_UNKNOWN',
        message: `This repository is ${repositoryUniqueId}.`,
        location: uniqueId,
      });
      continue;
    }
    try {
      const contentId = await contentIdOfUniqueId(deps.sql, uniqueId);
      // A miss goes through the retrieval too, so that it is traced and answered as any missing document.
      const content = await retrieveContent(deps, actor, contentId ?? NIL_UUID);
      out.push({ uniqueId, repositoryUniqueId, mimeType: content.mimeType, bytes: content.bytes });
    } catch (e) {
      if (e instanceof DomainFailure) {
        issues.push(
          ...issueOfDomainError(e.error, uniqueId).map((i) =>
            e.error.kind === 'not-found' || e.error.kind === 'forbidden'
              ? { ...i, errorCode: 'XDSDocumentUniqueIdError' as const }
              : i,
          ),
        );
        continue;
      }
      throw e;
    }
  }
  return { documents: out, issues };
}

/** The RetrieveDocumentSetResponse; documents inline (base64) or as MTOM parts (`cid`). */
export function retrieveResponse(
  documents: readonly RetrievedDocument[],
  issues: readonly EbrimIssue[],
  mtom: boolean,
): { payload: string; attachments: { id: string; mimeType: string; bytes: Buffer }[] } {
  const attachments: { id: string; mimeType: string; bytes: Buffer }[] = [];
  const status =
    issues.length === 0
      ? RESPONSE_STATUS.success
      : documents.length === 0
        ? RESPONSE_STATUS.failure
        : RESPONSE_STATUS.partial;
  const body = documents.map((d) => {
    let content: string;
    if (mtom) {
      const id = `${randomUUID()}@opendmp`;
      attachments.push({ id, mimeType: d.mimeType, bytes: d.bytes });
      content = el('xop:Include', { 'xmlns:xop': NS.xop, href: `cid:${encodeURIComponent(id)}` });
    } else {
      content = d.bytes.toString('base64');
    }
    return el(
      'xdsb:DocumentResponse',
      {},
      el('xdsb:RepositoryUniqueId', {}, esc(d.repositoryUniqueId)),
      el('xdsb:DocumentUniqueId', {}, esc(d.uniqueId)),
      el('xdsb:mimeType', {}, esc(d.mimeType)),
      el('xdsb:Document', {}, content),
    );
  });
  const payload = el(
    'xdsb:RetrieveDocumentSetResponse',
    { 'xmlns:xdsb': NS.xdsb, 'xmlns:rs': NS.rs },
    el('rs:RegistryResponse', { status }, registryErrorList(issues)),
    body,
  );
  return { payload, attachments };
}
