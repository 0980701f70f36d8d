/**
 * A submission to the document registry in the project's own terms (IHE XDS: a SubmissionSet, DocumentEntries with
 * their bytes, Folders and the Associations between them), whatever interface it came through. The FHIR API
 * (ITI-65 / ITI-105, http/fhir/provide-bundle.ts and publish.ts) and the SOAP API (ITI-41) map their requests to
 * it and call the one deposit use case (services/documents/deposit.ts).
 *
 * Rules the deposit checks on it (DOC_ASSOCIATION_INVALID otherwise, located on `Association[i]`):
 *  S1. Every entry key is unique across the submission.
 *  S2. HasMember goes from the SubmissionSet or a Folder to a DocumentEntry of the submission. Every DocumentEntry
 *      is a member of the SubmissionSet whether or not the submission says so (XDS requires it).
 *  S3. A document relation (RPLC, XFRM, APND, signs) goes from a DocumentEntry of the submission to a document of
 *      the registry, named by its id or its uniqueId.
 *  S4. A Folder's codeList has at most {@link LIST_CODES_MAX} codes, each code and coding scheme at most
 *      {@link CODING_TEXT_MAX} characters, a display name at most {@link CODING_DISPLAY_MAX} (DOC_LIST_TOO_LARGE,
 *      located on `Folder[i].codeList`).
 *  S5. A SubmissionSet has at most {@link LIST_AUTHORS_MAX} authors, each text of an author (id, name parts,
 *      institution, role) at most {@link CODING_TEXT_MAX} characters and at most {@link CODING_TEXT_MAX} of them
 *      (DOC_LIST_TOO_LARGE, located on `SubmissionSet.authors`).
 *
 * Issue locations (issue 18 point 4): the deposit roots an entry's issues at `DocumentEntry[i]`, `Folder[i]`,
 * `SubmissionSet` or `Association[i]` (the index in the request's own list), followed by the field of the neutral
 * model it concerns (`DocumentEntry[0].uniqueId`, `DocumentEntry[1].confidentiality[2]`, `DocumentEntry[0].content`,
 * `Folder[0].patient`: model.ts FIELD, {@link LIST_FIELD}); each interface maps them back to where the entry and the
 * field sat in its request ({@link ENTRY_ROOT}; FHIR: http/fhir/entry-locations.ts; SOAP: the ebRIM object's id).
 */
import type { DomainIssue } from '../errors.ts';
import type {
  Coding,
  DocumentAuthor,
  DocumentMetadataDraft,
  PatientIns,
  RelationCode,
} from './model.ts';

/**
 * The code system of a List's kind (IHE MHD `MHDlistTypes`: `submissionset`, `folder`), by which a search for
 * SubmissionSets and Folders (ITI-66) names the kind it wants.
 */
export const MHD_LIST_TYPES = 'https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes';

/** The XDS association types between a new DocumentEntry and a document of the registry. */
export type DocumentRelationKind = 'RPLC' | 'XFRM' | 'APND' | 'SIGNS';

export const RELATION_OF: Readonly<Record<DocumentRelationKind, RelationCode>> = {
  RPLC: 'replaces',
  XFRM: 'transforms',
  APND: 'appends',
  SIGNS: 'signs',
};

export const ASSOCIATION_OF: Readonly<Record<RelationCode, DocumentRelationKind>> = {
  replaces: 'RPLC',
  transforms: 'XFRM',
  appends: 'APND',
  signs: 'SIGNS',
};

/** A document already in the registry, named by its id (XDS entryUUID, FHIR id) or by its uniqueId. */
export interface RegistryDocumentRef {
  readonly id?: string;
  readonly uniqueId?: string;
}

export type Association =
  | {
      readonly kind: 'HasMember';
      /** Key of the SubmissionSet or of a Folder of the submission. */
      readonly source: string;
      /** Key of a DocumentEntry of the submission. */
      readonly target: string;
    }
  | {
      readonly kind: DocumentRelationKind;
      /** Key of the new DocumentEntry. */
      readonly source: string;
      readonly target: RegistryDocumentRef;
    };

/** One new document: its metadata (what the client gave; the CDA header fills the rest) and its bytes. */
export interface DocumentEntrySubmission {
  /** The submission's own name for the entry (XDS object id, FHIR fullUrl): associations use it. */
  readonly key: string;
  /** `relatesTo` is ignored here: relations come as associations. */
  readonly metadata: DocumentMetadataDraft;
  readonly bytes: Uint8Array;
  /** XDS referenceIdList (FHIR context.related): identifier values, searchable. */
  readonly referenceIds?: readonly string[];
  /**
   * The entry as its interface sent it, opaque to the core: the stored FHIR encoding keeps the client's own
   * extensions and context.related from it (until the stored truth is neutral, issue 18 point 2).
   */
  readonly asSent?: Readonly<Record<string, unknown>>;
}

export interface SubmissionSetSubmission {
  readonly key: string;
  readonly uniqueId?: string;
  /** XDS sourceId. */
  readonly sourceId?: string;
  /** XDS contentTypeCode (MHD designationType). */
  readonly contentTypeCode?: string;
  /** IdNat_PS of the authors; absent: the depositor when a professional. */
  readonly authorIdNatPs?: readonly string[];
  /** The authors as the interface gave them (XDS author: person with name, institution, role or specialty). */
  readonly authors?: readonly DocumentAuthor[];
  /** The patient the SubmissionSet names, when it names one (it must be the documents' patient). */
  readonly patient?: PatientIns;
  readonly title?: string;
  /** XDS comments. */
  readonly comments?: string;
  /** XDS submissionTime as the source gave it (FHIR dateTime); absent: the registry's time. */
  readonly submissionTime?: string;
  /**
   * As the interface sent it (opaque): what its encoding keeps of it that the model has no field for
   * (list-model.ts, the adapter's `listCarried`).
   */
  readonly asSent?: Readonly<Record<string, unknown>>;
}

export interface FolderSubmission {
  readonly key: string;
  readonly uniqueId?: string;
  readonly title?: string;
  readonly codes?: readonly Coding[];
  readonly patient?: PatientIns;
  /** XDS comments. */
  readonly comments?: string;
  /** The Folder's time as the source gave it (FHIR List.date); absent: the registry's time. */
  readonly lastUpdateTime?: string;
  readonly asSent?: Readonly<Record<string, unknown>>;
}

export interface DepositRequest {
  /** Absent: the registry makes one (ITI-105 Simplified Publish). */
  readonly submissionSet?: SubmissionSetSubmission;
  readonly documents: readonly DocumentEntrySubmission[];
  readonly folders: readonly FolderSubmission[];
  readonly associations: readonly Association[];
}

/** The fields of a SubmissionSet or Folder an issue may name (list-model.ts ListMetadata). */
export const LIST_FIELD = {
  uniqueId: 'uniqueId',
  patient: 'patient',
  codeList: 'codeList',
  authors: 'authors',
} as const;

/** Rule S4's bounds (a registry keeps what it is sent: hostile sizes are refused, not stored). */
export const LIST_CODES_MAX = 50;
export const CODING_TEXT_MAX = 256;
export const CODING_DISPLAY_MAX = 1024;
export const LIST_AUTHORS_MAX = 20;

/** Rule S5 on one author: its texts (any depth), counted and measured. */
function authorTooLarge(a: DocumentAuthor): boolean {
  const texts: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      texts.push(v);
    } else if (Array.isArray(v)) {
      v.forEach(walk);
    } else if (typeof v === 'object' && v !== null) {
      Object.values(v).forEach(walk);
    }
  };
  walk(a);
  return texts.length > CODING_TEXT_MAX || texts.some((t) => t.length > CODING_TEXT_MAX);
}

function codingTooLarge(c: Coding): boolean {
  return (
    c.code.length > CODING_TEXT_MAX ||
    c.system.length > CODING_TEXT_MAX ||
    (c.display?.length ?? 0) > CODING_DISPLAY_MAX
  );
}

/** Roots of the issue locations of a deposit (see the header). */
export const ENTRY_ROOT = {
  document: (index: number): string => `DocumentEntry[${String(index)}]`,
  folder: (index: number): string => `Folder[${String(index)}]`,
  submissionSet: 'SubmissionSet',
  association: (index: number): string => `Association[${String(index)}]`,
} as const;

/** The relation associations whose source is `key`, in request order. */
export function relationsOf(
  request: Pick<DepositRequest, 'associations'>,
  key: string,
): { readonly kind: DocumentRelationKind; readonly target: RegistryDocumentRef }[] {
  return request.associations.flatMap((a) =>
    a.kind !== 'HasMember' && a.source === key ? [{ kind: a.kind, target: a.target }] : [],
  );
}

/** The document keys a SubmissionSet or Folder has as members (HasMember), in request order. */
export function membersOf(request: Pick<DepositRequest, 'associations'>, key: string): string[] {
  return request.associations.flatMap((a) =>
    a.kind === 'HasMember' && a.source === key ? [a.target] : [],
  );
}

/** Rules S1–S5: the issues of a submission's structure (empty when sound). */
export function checkSubmission(request: DepositRequest): DomainIssue[] {
  const issues: DomainIssue[] = [];
  const documents = new Set<string>();
  const lists = new Set<string>();
  const keys = new Set<string>();
  const all = [
    ...request.documents.map((d, i) => [d.key, ENTRY_ROOT.document(i), 'doc'] as const),
    ...request.folders.map((f, i) => [f.key, ENTRY_ROOT.folder(i), 'list'] as const),
    ...(request.submissionSet
      ? [[request.submissionSet.key, ENTRY_ROOT.submissionSet, 'list'] as const]
      : []),
  ];
  for (const [key, root, kind] of all) {
    if (keys.has(key)) {
      issues.push({
        code: 'DOC_SUBMISSION_KEY_DUPLICATE',
        message: 'Two entries of the submission have the same key.',
        location: [root],
      });
    }
    keys.add(key);
    (kind === 'doc' ? documents : lists).add(key);
  }
  request.associations.forEach((a, i) => {
    const ok =
      a.kind === 'HasMember'
        ? lists.has(a.source) && documents.has(a.target)
        : documents.has(a.source) && (a.target.id !== undefined || a.target.uniqueId !== undefined);
    if (!ok) {
      issues.push({
        code: 'DOC_ASSOCIATION_INVALID',
        message:
          a.kind === 'HasMember'
            ? 'HasMember goes from the SubmissionSet or a Folder to a document of the submission.'
            : 'A document relation goes from a document of the submission to a document of the registry.',
        location: [ENTRY_ROOT.association(i)],
      });
    }
  });
  request.folders.forEach((f, i) => {
    const codes = f.codes ?? [];
    if (codes.length > LIST_CODES_MAX || codes.some(codingTooLarge)) {
      issues.push({
        code: 'DOC_LIST_TOO_LARGE',
        message: `A Folder's codeList has at most ${String(LIST_CODES_MAX)} codes, each code and codingScheme at most ${String(CODING_TEXT_MAX)} characters, its display name ${String(CODING_DISPLAY_MAX)}.`,
        location: [`${ENTRY_ROOT.folder(i)}.${LIST_FIELD.codeList}`],
      });
    }
  });
  const authors = request.submissionSet?.authors ?? [];
  if (authors.length > LIST_AUTHORS_MAX || authors.some(authorTooLarge)) {
    issues.push({
      code: 'DOC_LIST_TOO_LARGE',
      message: `A SubmissionSet has at most ${String(LIST_AUTHORS_MAX)} authors, each text of an author at most ${String(CODING_TEXT_MAX)} characters.`,
      location: [`${ENTRY_ROOT.submissionSet}.${LIST_FIELD.authors}`],
    });
  }
  return issues;
}
