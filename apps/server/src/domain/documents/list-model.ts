/**
 * A stored SubmissionSet or Folder in the project's own terms (IHE XDS metadata), whatever interface it came
 * through: the record of truth of a List (issue 18 point 2, ADR 0029, docs/registry-model.md). Stored as the
 * `metadata` JSON of its row (submission_set, folder); its entryUUID is the row's `id`, its members (HasMember
 * associations) the rows of `list_entry` in position order. Some fields are copied to typed columns for queries
 * (unique_id, source_id, designation_code, author_ids; codes, title, status): the copies are written with it.
 *
 * Every encoding an interface serves (the FHIR List, http/fhir/list-resource.ts) is a pure function of this truth,
 * its row's version and time, its members, and what that interface's client sent that the model has no field for.
 */
import type { Actor } from '../access/actor.ts';
import type { Coding, DocumentAuthor } from './model.ts';
import type { FolderSubmission, SubmissionSetSubmission } from './submission.ts';

export type ListKind = 'submissionSet' | 'folder';

export interface ListMetadata {
  readonly kind: ListKind;
  /** XDS uniqueId: `<OID>`, `<OID>^<extension>` or a bare lower-case UUID (the registry's when none was given). */
  readonly uniqueId: string;
  /**
   * The record the List was submitted to (XDS patientId, by the record's id: its INS may change). A merge moves the
   * row to the surviving record and leaves this as it was (ADR 0016), as a document's subject.
   */
  readonly patientId: string;
  /** Availability as FHIR names it: `current` (XDS Approved) or, for a Folder, `retired`. */
  readonly status: string;
  readonly title?: string;
  /** XDS comments. */
  readonly comments?: string;
  /** XDS sourceId (SubmissionSet). */
  readonly sourceId?: string;
  /** XDS contentTypeCode, its code (SubmissionSet). */
  readonly contentTypeCode?: string;
  /** IdNat_PS of the authors (SubmissionSet). */
  readonly authorIdNatPs: readonly string[];
  /**
   * SubmissionSet: its authors as the source gave them (XDS author: person with name, institution, role or
   * specialty); absent when it gave none but IdNat_PS (FHIR, the registry's own SubmissionSet) and on the
   * SubmissionSets stored before they were kept.
   */
  readonly authors?: readonly DocumentAuthor[];
  /** XDS codeList, the codes (Folder). */
  readonly codeList: readonly string[];
  /**
   * XDS codeList as sent (Folder): each code with its coding scheme (`system`, as the source wrote it) and display
   * name when given. Absent on the Folders stored before it was kept (their codeList alone is known).
   */
  readonly codes?: readonly Coding[];
  /**
   * Folder: the entryUUID of the SubmissionSet whose submission created it (XDS HasMember SubmissionSet → Folder;
   * its memberships came with that submission too: SubmissionSet → (Folder → DocumentEntry)). Absent on the Folders
   * stored before it was kept (the registry then reads it from the Folder's documents).
   */
  readonly submissionSetId?: string;
  /**
   * XDS submissionTime (SubmissionSet) or lastUpdateTime (Folder), a FHIR dateTime: as the source gave it, else
   * the registry's time of the deposit.
   */
  readonly time: string;
}

/** The truth of a SubmissionSet the deposit stores (the one the registry makes when the submission has none). */
export function submissionSetMetadata(
  sent: SubmissionSetSubmission | undefined,
  facts: {
    readonly patientId: string;
    readonly uniqueId: string;
    readonly depositor: Actor;
    readonly now: string;
  },
): ListMetadata {
  return {
    kind: 'submissionSet',
    uniqueId: facts.uniqueId,
    patientId: facts.patientId,
    status: 'current',
    ...(sent?.title !== undefined && { title: sent.title }),
    ...(sent?.comments !== undefined && { comments: sent.comments }),
    ...(sent?.sourceId !== undefined && { sourceId: sent.sourceId }),
    ...(sent?.contentTypeCode !== undefined && { contentTypeCode: sent.contentTypeCode }),
    authorIdNatPs:
      sent?.authorIdNatPs ??
      (facts.depositor.kind === 'professional' ? [facts.depositor.idNatPs] : []),
    ...(sent?.authors !== undefined && sent.authors.length > 0 && { authors: sent.authors }),
    codeList: [],
    time: sent?.submissionTime ?? facts.now,
  };
}

/** The truth of a Folder the deposit stores. */
export function folderMetadata(
  sent: FolderSubmission,
  facts: {
    readonly patientId: string;
    readonly uniqueId: string;
    readonly now: string;
    /** The SubmissionSet of the submission creating the Folder. */
    readonly submissionSetId: string;
  },
): ListMetadata {
  return {
    kind: 'folder',
    uniqueId: facts.uniqueId,
    patientId: facts.patientId,
    status: 'current',
    ...(sent.title !== undefined && { title: sent.title }),
    ...(sent.comments !== undefined && { comments: sent.comments }),
    authorIdNatPs: [],
    codeList: (sent.codes ?? []).map((c) => c.code),
    ...(sent.codes !== undefined &&
      sent.codes.length > 0 && {
        codes: sent.codes.map((c) => ({
          system: c.system,
          code: c.code,
          ...(c.display !== undefined && { display: c.display }),
        })),
      }),
    submissionSetId: facts.submissionSetId,
    time: sent.lastUpdateTime ?? facts.now,
  };
}
