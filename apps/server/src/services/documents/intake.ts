import type { Config } from '../../config.ts';
import type { DomainIssue, ErrorKind } from '../../domain/errors.ts';
import { DomainFailure, domainError, validationError } from '../../domain/errors.ts';
import type { DocumentMetadata, DocumentMetadataDraft } from '../../domain/documents/model.ts';
import { atEntry, completeDraft, FIELD } from '../../domain/documents/model.ts';
import { checkContent, withContentDigest } from '../../domain/documents/content-check.ts';
import { deriveFromCda } from '../../domain/documents/derive-from-cda.ts';
import { validateMetadataCodes } from '../../domain/documents/metadata-codes.ts';
import type { ReferenceData } from '../../reference/value-sets.ts';
import { parseCda } from '../../validation/cda.ts';
import type { CdaRecordTarget } from '../../domain/documents/cda-header.ts';
import { computeContentDigest } from '../../validation/content-digest.ts';
import {
  CDA_MEDIA_TYPES,
  checkCdaContent,
  checkLevelOneBody,
  expectsCda,
  looksLikeXml,
  mediaTypeOf,
} from '../../domain/documents/cda-only.ts';

/**
 * Validation of one submitted document (its metadata draft and its bytes), before any database work. The interface
 * read the draft from its request before (FHIR: PDSm reading of subject, authors, hash form…, http/fhir/).
 * Order (the first stage that fails stops, with all its issues): size limit (413) → server-computed size and SHA-1 against the declared ones → CDA-only content (issue 17 rule 9:
 * a bare PDF, JPEG or text is refused, DOC_CDA_REQUIRED) → CDA: XSD validation, the XDS-SD format's level 1 body,
 * then derivation of what the client left out and agreement with the header → required metadata
 * → codes against the value sets.
 */
export interface Submission {
  /** The entry's key in the submission (domain/documents/submission.ts). */
  readonly key: string;
  readonly bytes: Uint8Array;
  /** Root of the entry's issue locations (`DocumentEntry[i]`, mapped back by the interface). */
  readonly root: string;
  /** XDS referenceIdList values. */
  readonly referenceIds: readonly string[];
  /** The entry as its interface sent it (opaque; the stored FHIR encoding keeps the client's extensions). */
  readonly asSent: Readonly<Record<string, unknown>> | undefined;
}

export interface PreparedDocument {
  readonly submission: Submission;
  /** Complete, checked metadata, with the server's size and hash. */
  readonly metadata: DocumentMetadata;
  readonly sha1: Buffer;
  readonly isCda: boolean;
  /**
   * Whether metadata.relatesTo is what the client sent (true), or was only read from the CDA header
   * (relatedDocument): a relation the client sent must resolve; one read from the header is kept only when its
   * target is in the record.
   */
  readonly relationsFromClient: boolean;
  /** Milliseconds spent parsing and validating the CDA (0 when not a CDA). */
  readonly cdaMs: number;
  /** The CDA header's patients (empty when not a CDA), compared with the record once it is loaded. */
  readonly cdaRecordTargets: readonly CdaRecordTarget[];
}

export interface IntakeOptions {
  readonly reference: ReferenceData;
  readonly config: Pick<Config, 'maxDocumentBytes'>;
}

/** XML content is a CDA R2 document for the DMP (every XML format of JDV_J60 is a CDA format). */
export function isCdaContent(mime: string | undefined, bytes: Uint8Array): boolean {
  return mime !== undefined ? CDA_MEDIA_TYPES.has(mediaTypeOf(mime)) : looksLikeXml(bytes);
}

function fail(kind: ErrorKind, issues: readonly DomainIssue[], root: string): never {
  throw new DomainFailure(validationError(atEntry(issues, root), kind));
}

export function prepareDocument(
  submission: Submission,
  draft: DocumentMetadataDraft,
  options: IntakeOptions,
): PreparedDocument {
  const { root, bytes } = submission;

  if (bytes.byteLength > options.config.maxDocumentBytes) {
    throw new DomainFailure(
      domainError(
        'too-large',
        'DOC_TOO_LARGE',
        `The document is ${String(bytes.byteLength)} bytes; the limit is ${String(options.config.maxDocumentBytes)} bytes.`,
        [`${root}.${FIELD.content}`],
      ),
    );
  }
  const digest = computeContentDigest(bytes);
  const mismatch = checkContent(draft, digest);
  if (mismatch.length > 0) {
    fail('unprocessable', mismatch, root);
  }

  let metadata: DocumentMetadata;
  let cdaMs = 0;
  let cdaRecordTargets: readonly CdaRecordTarget[] = [];
  // Issue 17 rule 9 (domain/documents/cda-only.ts): a document is a CDA R2 document, a file wrapped in a CDA N1.
  const formatCode = draft.format?.code;
  const notCda = checkCdaContent({
    ...(draft.mimeType !== undefined ? { contentType: draft.mimeType } : {}),
    ...(formatCode !== undefined ? { formatCode } : {}),
    bytes,
  });
  if (notCda.length > 0) {
    fail('unprocessable', notCda, root);
  }
  const cda = expectsCda(formatCode) || isCdaContent(draft.mimeType, bytes);
  if (cda) {
    const started = performance.now();
    const parsed = parseCda(bytes);
    cdaMs = performance.now() - started;
    if (!parsed.ok) {
      fail(
        'unprocessable',
        parsed.error.map((i) => ({
          ...i,
          location: i.location ?? [FIELD.content],
        })),
        root,
      );
    }
    cdaRecordTargets = parsed.value.recordTargets;
    const derived = deriveFromCda(draft, parsed.value, options.reference);
    if (!derived.ok) {
      fail('unprocessable', derived.error, root);
    }
    metadata = derived.value;
    const body = checkLevelOneBody(metadata.format.code, parsed.value.body);
    if (body.length > 0) {
      fail('unprocessable', body, root);
    }
  } else {
    const complete = completeDraft(draft);
    if (!complete.ok) {
      fail('unprocessable', complete.error, root);
    }
    metadata = complete.value;
  }
  const codes = validateMetadataCodes(metadata, options.reference);
  if (codes.length > 0) {
    fail('unprocessable', codes, root);
  }
  return {
    submission,
    metadata: withContentDigest(metadata, digest),
    sha1: Buffer.from(digest.sha1, 'hex'),
    isCda: cda,
    relationsFromClient: (draft.relatesTo?.length ?? 0) > 0,
    cdaMs,
    cdaRecordTargets,
  };
}
