/**
 * Size and SHA-1 of document bytes (node:crypto), for domain/documents/content-check.ts.
 * SHA-1 because XDS and PDSm declare it (attachment.hash); it is compared, never trusted for security.
 */
import { createHash } from 'node:crypto';
import type { ContentDigest } from '../domain/documents/content-check.ts';

export function computeContentDigest(bytes: Uint8Array): ContentDigest {
  return { size: bytes.byteLength, sha1: createHash('sha1').update(bytes).digest('hex') };
}

/** Base64 (FHIR attachment.hash form) of a lower-case hex SHA-1. */
export function hexToBase64(hex: string): string {
  return Buffer.from(hex, 'hex').toString('base64');
}
