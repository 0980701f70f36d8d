import type { Actor } from '../../domain/access/actor.ts';
import type { DomainIssue } from '../../domain/errors.ts';
import { DomainFailure, domainError, validationError } from '../../domain/errors.ts';
import type { PatientIns } from './pdsm-metadata.ts';
import { readDocumentReference, rebaseIssues } from './pdsm-metadata.ts';
import type {
  Association,
  DepositRequest,
  DocumentEntrySubmission,
  FolderSubmission,
} from '../../domain/documents/submission.ts';
import { ASSOCIATION_OF, ENTRY_ROOT } from '../../domain/documents/submission.ts';
import { locatedInRequest } from './entry-locations.ts';
import { UUID_SOURCE } from '../../domain/identity/uuid.ts';
import type { DocumentDeps } from '../../services/documents/context.ts';
import type { DepositResult } from '../../services/documents/deposit.ts';
import { deposit, recordInsByIds } from '../../services/documents/deposit.ts';
import { relatedIdentifierValues } from './document-resource.ts';
import { validateFhirResource } from '../../validation/fhir-schema.ts';
import {
  listAuthorIds,
  listComments,
  listDesignation,
  listPatient,
  listSourceId,
  listUniqueId,
} from './list-reading.ts';
import type { DocumentSubmission, ListSubmission, ProvideRequest } from './provide-bundle.ts';
import { checkBundleSize, decodeBase64, readProvideBundle } from './provide-bundle.ts';

/**
 * The FHIR adapter of the deposit: ITI-65 (transaction Bundle) and ITI-105 (one DocumentReference with its data)
 * read into the registry's own submission (domain/documents/submission.ts) and handed to the one deposit use case
 * (services/documents/deposit.ts); the issues it raises, located on the submission's entries, are located back on
 * the FHIR request (FHIRPath).
 */
type Json = Record<string, unknown>;

function checkStructure(body: unknown, type: 'Bundle' | 'DocumentReference'): Json {
  const issues = validateFhirResource(body, type);
  if (issues.length > 0) {
    throw new DomainFailure(validationError(issues, 'invalid'));
  }
  return body as Json;
}

const PATIENT_REF = /^Patient\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;
const DOCUMENT_REFERENCE = new RegExp(`^(?:.*/)?DocumentReference/(${UUID_SOURCE})$`);

function subjectReference(resource: Json): string | undefined {
  const subject = resource['subject'];
  const ref =
    typeof subject === 'object' && subject !== null ? (subject as Json)['reference'] : undefined;
  return typeof ref === 'string' ? ref : undefined;
}

/** The records named by `Patient/<id>` subjects, loaded up front so that reading stays synchronous. */
async function patientResolver(
  deps: DocumentDeps,
  resources: readonly Json[],
): Promise<(reference: string) => PatientIns | undefined> {
  const ids = resources.flatMap((r) => {
    const m = PATIENT_REF.exec(subjectReference(r) ?? '');
    return m?.[1] ? [m[1].toLowerCase()] : [];
  });
  const known = await recordInsByIds(deps, ids);
  return (reference) => {
    const m = /^Patient\/(.*)$/.exec(reference);
    return m?.[1] !== undefined && m[1] === m[1].toLowerCase() ? known.get(m[1]) : undefined;
  };
}

/** A submission read from a FHIR request, with where each of its entries sat in that request. */
interface ReadSubmission {
  readonly request: DepositRequest;
  /** Neutral root (`DocumentEntry[0]`, `SubmissionSet`…) → FHIRPath root in the request. */
  readonly roots: ReadonlyMap<string, string>;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

async function readSubmission(
  deps: DocumentDeps,
  provided: ProvideRequest,
): Promise<ReadSubmission> {
  const resolve = await patientResolver(deps, [
    ...provided.documents.map((d) => d.resource),
    ...(provided.submissionSet ? [provided.submissionSet.resource] : []),
    ...provided.folders.map((f) => f.resource),
  ]);
  const roots = new Map<string, string>();
  const associations: Association[] = [];
  const documents = provided.documents.map((d: DocumentSubmission, i): DocumentEntrySubmission => {
    roots.set(ENTRY_ROOT.document(i), d.root);
    const read = readDocumentReference(d.resource, deps.reference, {
      resolvePatientReference: resolve,
    });
    if (!read.ok) {
      throw new DomainFailure(validationError(rebaseIssues(read.error, d.root), 'unprocessable'));
    }
    const { relatesTo, ...metadata } = read.value;
    (relatesTo ?? []).forEach((r, j) => {
      roots.set(ENTRY_ROOT.association(associations.length), `${d.root}.relatesTo[${String(j)}]`);
      const id =
        r.target === undefined ? undefined : (DOCUMENT_REFERENCE.exec(r.target)?.[1] ?? r.target);
      associations.push({
        kind: ASSOCIATION_OF[r.code],
        source: d.key,
        target: {
          ...(id !== undefined ? { id } : {}),
          ...(r.targetUniqueId !== undefined ? { uniqueId: r.targetUniqueId } : {}),
        },
      });
    });
    return {
      key: d.key,
      metadata,
      bytes: d.bytes,
      referenceIds: relatedIdentifierValues(d.resource),
      asSent: d.resource,
    };
  });

  const issues: DomainIssue[] = [];
  const listPatientOf = (l: ListSubmission): { patient?: PatientIns } => {
    const ins = listPatient(l.resource, l.root, resolve);
    if (!ins.ok) {
      issues.push(ins.error);
      return {};
    }
    return ins.value ? { patient: ins.value } : {};
  };
  const members = (l: ListSubmission): void => {
    for (const m of l.memberKeys) {
      roots.set(ENTRY_ROOT.association(associations.length), `${l.root}.entry`);
      associations.push({ kind: 'HasMember', source: l.key, target: m });
    }
  };
  const ss = provided.submissionSet;
  roots.set(ENTRY_ROOT.submissionSet, ss?.root ?? 'List');
  const submissionSet = ss
    ? {
        key: ss.key,
        ...optional('uniqueId', listUniqueId(ss.resource)),
        ...optional('sourceId', listSourceId(ss.resource)),
        ...optional('contentTypeCode', listDesignation(ss.resource)),
        authorIdNatPs: listAuthorIds(ss.resource),
        ...listPatientOf(ss),
        ...optional('title', str(ss.resource['title'])),
        ...optional('comments', listComments(ss.resource)),
        ...optional('submissionTime', str(ss.resource['date'])),
        asSent: ss.resource,
      }
    : undefined;
  if (ss) {
    members(ss);
  }
  const folders = provided.folders.map((f, i): FolderSubmission => {
    roots.set(ENTRY_ROOT.folder(i), f.root);
    members(f);
    return {
      key: f.key,
      ...optional('uniqueId', listUniqueId(f.resource)),
      ...optional('title', str(f.resource['title'])),
      ...optional('comments', listComments(f.resource)),
      ...optional('lastUpdateTime', str(f.resource['date'])),
      ...listPatientOf(f),
      asSent: f.resource,
    };
  });
  if (issues.length > 0) {
    throw new DomainFailure(validationError(issues, 'unprocessable'));
  }
  return {
    request: {
      ...(submissionSet ? { submissionSet } : {}),
      documents,
      folders,
      associations,
    },
    roots,
  };
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value !== undefined ? { [key]: value } : {}) as { [P in K]?: string };
}

/** Runs a deposit use case on a submission read from a FHIR request, its issues located back on that request. */
async function depositRead(
  read: ReadSubmission,
  run: (request: DepositRequest) => Promise<DepositResult>,
): Promise<DepositResult> {
  try {
    return await run(read.request);
  } catch (e) {
    if (e instanceof DomainFailure) {
      throw new DomainFailure(locatedInRequest(e.error, (r) => read.roots.get(r) ?? r));
    }
    throw e;
  }
}

/** ITI-65 Provide Document Bundle. */
export async function provideBundle(
  deps: DocumentDeps,
  actor: Actor,
  body: unknown,
  contents?: ReadonlyMap<string, Buffer>,
): Promise<{ request: ProvideRequest; result: DepositResult }> {
  checkBundleSize(body);
  const bundle = checkStructure(body, 'Bundle');
  const request = readProvideBundle(bundle, contents);
  const read = await readSubmission(deps, request);
  return {
    request,
    result: await depositRead(read, (r) => deposit(deps, actor, r)),
  };
}

/** One DocumentReference with its data in attachment.data (ITI-105) read into a submission. */
async function readPublished(
  deps: DocumentDeps,
  body: unknown,
  contents: ReadonlyMap<string, Buffer> | undefined,
): Promise<ReadSubmission> {
  const resource = checkStructure(body, 'DocumentReference');
  const content = Array.isArray(resource['content']) ? (resource['content'] as Json[]) : [];
  const attachment = (content[0]?.['attachment'] ?? {}) as Json;
  if (attachment['data'] === undefined) {
    throw new DomainFailure(
      domainError(
        'unprocessable',
        'DOC_CONTENT_MISSING',
        'ITI-105 carries the document in content[0].attachment.data (base64).',
        ['DocumentReference.content[0].attachment.data'],
      ),
    );
  }
  const bytes = decodeBase64(
    attachment['data'],
    'DocumentReference.content[0].attachment.data',
    contents,
  );
  const request: ProvideRequest = {
    documents: [{ resource, bytes, root: 'DocumentReference', key: 'document' }],
    folders: [],
    supersedes: [],
    entries: [{ kind: 'document', key: 'document' }],
  };
  return readSubmission(deps, request);
}

/** ITI-105 Simplified Publish: the content travels in attachment.data; the server makes the SubmissionSet. */
export async function publishDocument(
  deps: DocumentDeps,
  actor: Actor,
  body: unknown,
  contents?: ReadonlyMap<string, Buffer>,
): Promise<DepositResult> {
  const read = await readPublished(deps, body, contents);
  return depositRead(read, (r) => deposit(deps, actor, r));
}
