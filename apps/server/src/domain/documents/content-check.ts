/**
 * Size and hash of the document bytes: computed by the server (shell: validation/content-digest.ts),
 * compared here with what the client declared (product.md §2: "Hash (SHA-1, as XDS requires) and size
 * are computed by the server and checked against what the client sent").
 *
 * Rules: a declared size must equal the byte count (DOC_SIZE_MISMATCH); a declared hash must equal the
 * SHA-1 (DOC_HASH_MISMATCH). Nothing declared, nothing compared: the computed values are then recorded.
 */
import type { DomainIssue } from '../errors.ts';
import type { DocumentMetadata, DocumentMetadataDraft } from './model.ts';
import { FIELD } from './model.ts';

/** What the server measured on the bytes. */
export interface ContentDigest {
  readonly size: number;
  /** SHA-1, lower-case hex. */
  readonly sha1: string;
}

export function checkContent(
  meta: Pick<DocumentMetadataDraft, 'size' | 'hash'>,
  computed: ContentDigest,
): DomainIssue[] {
  const out: DomainIssue[] = [];
  if (meta.size !== undefined && meta.size !== computed.size) {
    out.push({
      code: 'DOC_SIZE_MISMATCH',
      message: `attachment.size (${meta.size}) differs from the size of the document received (${computed.size} bytes)`,
      location: [FIELD.size],
    });
  }
  if (meta.hash !== undefined && meta.hash.toLowerCase() !== computed.sha1.toLowerCase()) {
    out.push({
      code: 'DOC_HASH_MISMATCH',
      message: 'attachment.hash differs from the SHA-1 of the document received',
      location: [FIELD.hash],
    });
  }
  return out;
}

/** The metadata with the server's size and hash (to store once checkContent found nothing). */
export function withContentDigest(
  meta: DocumentMetadata,
  computed: ContentDigest,
): DocumentMetadata {
  return { ...meta, size: computed.size, hash: computed.sha1.toLowerCase() };
}
