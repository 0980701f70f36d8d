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
 * R3. The submission goes to the one deposit use case (services/documents/deposit.ts, issue 18) as the registry's own
 *     DepositRequest: the same rules run as for ITI-65 — CDA validation, what the entry leaves out derived from the
 *     header and what it gives checked against it, codes against the DMP's value sets, the access policy, unique ids,
 *     replacement. The core's issues, located on DocumentEntry[i] / Folder[i] / Association[i], come back with the
 *     ebRIM object's id as their location.
 * R5. The submission set's XAdES signature (IHE DSG, ADR 0030, xds/submission-signature.ts): a DocumentEntry of the
 *     DSG classCode or formatCode is the signature document; it is verified against the certificates registered for
 *     the depositing structure (the VIHF's), over the SubmissionSet's uniqueId and every other document's bytes, then
 *     set aside with its HasMember and `signs` associations (it is not deposited). A bad, unregistered, revoked or
 *     wrapped signature refuses the whole submission (RegistryErrorList, XDS_SIGNATURE_* in codeContext), nothing
 *     written; two signature documents, or none when the operator requires one, too.
 *
 * ITI-43: each DocumentRequest names a DocumentUniqueId (and our RepositoryUniqueId); each document is decided and
 * traced as an ITI-68 retrieval; one the caller may not see answers like a missing one (XDSDocumentUniqueIdError).
 * Several documents: each answered or refused on its own (PartialSuccess).
 */
import { randomUUID } from 'node:crypto';
import type { Actor } from '../../domain/access/actor.ts';
import type {
  Association,
  DepositRequest,
  DocumentRelationKind,
} from '../../domain/documents/submission.ts';
import { DomainFailure } from '../../domain/errors.ts';
import { contentIdOfUniqueId } from '../../xds/lookup.ts';
import type { DocumentDeps } from '../../services/documents/context.ts';
import { deposit } from '../../services/documents/deposit.ts';
import { retrieveContent } from '../../services/documents/read.ts';
import {
  EbrimFailure,
  readSubmitObjects,
  registryErrorList,
  registryResponse,
  RESPONSE_STATUS,
  XDS,
  type EbrimIssue,
} from '../../xds/ebrim.ts';
import { cidOf } from '../../xds/mtom.ts';
import {
  isSignatureEntry,
  SubmissionSignatureFailure,
  verifySubmissionSignature,
} from '../../xds/submission-signature.ts';
import type { CertificateLookup } from '../../xds/vihf.ts';
import { el, esc, kid, kids, NS, textOf, type XElement } from '../../xds/xml.ts';
import { issueOfDomainError } from './errors.ts';

const NIL_UUID = '00000000-0000-4000-8000-000000000000';

function metadataError(code: string, message: string, location?: string): EbrimIssue {
  return {
    errorCode: 'XDSRegistryMetadataError',
    code,
    message,
    ...(location !== undefined && { location }),
  };
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * The bytes of an inline xdsb:Document: its text without white space, which must be base64 — characters of the base64
 * alphabet, then at most two `=` (the schema's base64Binary check is not enough: libxml2 skips characters outside the
 * alphabet, and Node.js decodes the URL-safe one too) — else undefined. A text as Node.js writes base64 (no white
 * space, canonical padding: most clients') is recognized by encoding its bytes again, without the RegExp's walk
 * (0.05 ms a 10 KB CDA): the same bytes, the same verdict.
 */
export function inlineDocumentBytes(text: string): Buffer | undefined {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.toString('base64') === text) {
    return bytes;
  }
  const bare = text.replace(/\s+/g, '');
  return BASE64.test(bare) ? Buffer.from(bare, 'base64') : undefined;
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
      bytes = inlineDocumentBytes(d.text);
      if (!bytes) {
        issues.push(metadataError('XDS_DOCUMENT_BASE64_INVALID', 'A Document is not base64.', id));
        continue;
      }
    }
    if (out.has(id)) {
      issues.push(metadataError('XDS_DOCUMENT_DUPLICATE', 'Two Documents have the same id.', id));
    }
    out.set(id, bytes);
  }
  return out;
}

function signatureError(code: string, message: string, location?: string): EbrimIssue {
  return metadataError(code, message, location);
}

const RELATION: Readonly<Record<string, DocumentRelationKind>> = {
  [XDS.rplc]: 'RPLC',
  [XDS.xfrm]: 'XFRM',
  [XDS.apnd]: 'APND',
  [XDS.signs]: 'SIGNS',
};

function bareUuid(id: string): string | undefined {
  const m = /^urn:uuid:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i.exec(id);
  return m?.[1]?.toLowerCase();
}

/** How ITI-41 checks the submission set's signature (rule R5). */
export interface SubmissionSignaturePolicy {
  /** The operator requires one (OPENDMP_XDS_REQUIRE_SUBMISSION_SIGNATURE). */
  readonly required: boolean;
  /** The depositing structure: the VIHF's Identifiant_Structure. */
  readonly structure: string;
  readonly certificates: CertificateLookup;
  readonly now: Date;
  /** RSA-SHA1 and SHA-1 digests accepted (ADR 0034; OPENDMP_XDS_REFUSE_SHA1_SIGNATURES refuses them). */
  readonly sha1: boolean;
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
  signing: SubmissionSignaturePolicy,
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
  for (const d of so.documents) {
    const p = d.draft.patient;
    if (p && ss?.patient && (p.value !== ss.patient.value || p.oid !== ss.patient.oid)) {
      issues.push({
        errorCode: 'XDSPatientIdDoesNotMatch',
        code: 'XDS_PATIENT_ID_MISMATCH',
        message: 'A DocumentEntry names another patient than its SubmissionSet.',
        location: d.id,
      });
    }
  }
  for (const f of so.folders) {
    const p = f.patient;
    if (p && ss?.patient && (p.value !== ss.patient.value || p.oid !== ss.patient.oid)) {
      issues.push({
        errorCode: 'XDSPatientIdDoesNotMatch',
        code: 'XDS_PATIENT_ID_MISMATCH',
        message: 'A Folder names another patient than its SubmissionSet.',
        location: f.id,
      });
    }
  }
  // R5: the submission set's signature document, verified and then set aside (not deposited).
  const signatures = so.documents.filter((d) => isSignatureEntry(d.draft));
  const signatureId = signatures.length === 1 ? signatures[0]?.id : undefined;
  if (signatures.length > 1) {
    return failure([
      signatureError(
        'XDS_SIGNATURE_DUPLICATE',
        'A submission carries one signature document at most.',
        signatures[1]?.id,
      ),
    ]);
  } else if (signatures.length === 0 && signing.required) {
    issues.push(
      signatureError(
        'XDS_SIGNATURE_REQUIRED',
        "This registry requires the submission set's XAdES signature (an IHE DSG signature document).",
        ss?.id,
      ),
    );
  }
  const entries = so.documents.filter((d) => d.id !== signatureId);
  if (signatureId !== undefined && issues.length === 0 && ss) {
    const signed = bytes.get(signatureId) as Buffer;
    try {
      verifySubmissionSignature(
        signed,
        {
          submissionSetUniqueId: ss.uniqueId ?? '',
          documents: entries.map((d) => ({
            uniqueId: d.draft.uniqueId ?? '',
            bytes: bytes.get(d.id) as Buffer,
          })),
        },
        await signing.certificates.byStructure(signing.structure),
        signing.now,
        { sha1: signing.sha1 },
      );
    } catch (e) {
      if (e instanceof SubmissionSignatureFailure) {
        return failure([signatureError(e.code, e.message, signatureId)]);
      }
      throw e;
    }
  }
  // Associations (R2).
  const docIds = new Set(entries.map((d) => d.id));
  const folderIds = new Set(so.folders.map((f) => f.id));
  const associations: Association[] = [];
  const objectOfAssociation: string[] = [];
  for (const a of so.associations) {
    if (
      signatureId !== undefined &&
      (a.target === signatureId || (a.type === XDS.signs && a.source === signatureId))
    ) {
      // The signature's membership and its `signs` association to the SubmissionSet (R5).
      continue;
    }
    if (a.type === XDS.hasMember) {
      if ((a.source === ss?.id || folderIds.has(a.source)) && docIds.has(a.target)) {
        associations.push({ kind: 'HasMember', source: a.source, target: a.target });
        objectOfAssociation.push(a.id);
      } else if (a.source === ss?.id) {
        // SubmissionSet → Folder, or → an Association (a Folder's membership): the registry keeps them as its model
        // says (a Folder is the SubmissionSet's of the submission creating it, its memberships that submission's:
        // list-model.ts submissionSetId), ITI-18 answers them (http/xds/registry.ts associationsOf).
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
    } else if (RELATION[a.type] !== undefined) {
      const target = bareUuid(a.target);
      if (!target || !docIds.has(a.source)) {
        issues.push(
          metadataError(
            'XDS_ASSOCIATION_TARGET_INVALID',
            'A document relation goes from a new DocumentEntry to a registry document named by its entryUUID (urn:uuid:…).',
            a.id,
          ),
        );
        continue;
      }
      associations.push({
        kind: RELATION[a.type] as DocumentRelationKind,
        source: a.source,
        target: { id: target },
      });
      objectOfAssociation.push(a.id);
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
  if (issues.length > 0 || !ss?.patient) {
    return failure(issues);
  }

  // R4: the core's deposit, on the registry's own submission.
  const submission: DepositRequest = {
    submissionSet: {
      key: ss.id,
      ...(ss.uniqueId !== undefined && { uniqueId: ss.uniqueId }),
      ...(ss.sourceId !== undefined && { sourceId: ss.sourceId }),
      ...(ss.contentType !== undefined && { contentTypeCode: ss.contentType.code }),
      // Its authors as given; their IdNat_PS index it (none given: the depositor, list-model.ts).
      ...(ss.authors.length > 0 && {
        authors: ss.authors,
        authorIdNatPs: ss.authors.flatMap((a) => (a.idNatPs !== undefined ? [a.idNatPs] : [])),
      }),
      patient: ss.patient,
      ...(ss.title !== undefined && { title: ss.title }),
      ...(ss.comments !== undefined && { comments: ss.comments }),
      ...(ss.submissionTime !== undefined && { submissionTime: ss.submissionTime }),
    },
    documents: entries.map((d) => ({
      key: d.id,
      metadata: d.draft,
      bytes: bytes.get(d.id) as Buffer,
    })),
    folders: so.folders.map((f) => ({
      key: f.id,
      ...(f.uniqueId !== undefined && { uniqueId: f.uniqueId }),
      ...(f.title !== undefined && { title: f.title }),
      ...(f.comments !== undefined && { comments: f.comments }),
      codes: f.codes,
      ...(f.patient !== undefined && { patient: f.patient }),
    })),
    associations,
  };
  // The core locates its issues on DocumentEntry[i], Folder[i], SubmissionSet, Association[i]: the ebRIM ids.
  const objectOf = (location: string | undefined): string | undefined => {
    const m = /^(DocumentEntry|Folder|Association)\[(\d+)\]/.exec(location ?? '');
    if (m) {
      const i = Number(m[2]);
      return m[1] === 'DocumentEntry'
        ? entries[i]?.id
        : m[1] === 'Folder'
          ? so.folders[i]?.id
          : objectOfAssociation[i];
    }
    return location?.startsWith('SubmissionSet') ? ss.id : undefined;
  };
  try {
    const result = await deposit(deps, actor, submission);
    return {
      status: 200,
      payload: registryResponse([]),
      documentIds: [...result.documents.values()].map((d) => d.id),
    };
  } catch (e) {
    if (e instanceof DomainFailure) {
      const issues = e.error.issues && e.error.issues.length > 0 ? e.error.issues : [e.error];
      return failure(
        issues.flatMap((i) =>
          issueOfDomainError({ ...e.error, ...i, issues: [i] }, objectOf(i.location?.[0])),
        ),
      );
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
      const contentId = await contentIdOfUniqueId(deps.sql, deps.caches, uniqueId);
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
