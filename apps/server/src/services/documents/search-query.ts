import type { DocumentFilter } from '../../db/documents.repository.ts';
import { isUuid } from '../../domain/identity/uuid.ts';

/**
 * The registry core's searches, in its own terms (issue 18 point 1): each interface reads its query into them at its
 * edge — the FHIR API's ITI-67 / ITI-66 parameters in http/fhir/search-params.ts, the SOAP API's ITI-18 slots in
 * http/xds/registry.ts — and the core decides, pages and traces them the same way whoever asked.
 */

/** The record searched: by INS (value and bare OID of its system) or by the record's id. */
export type PatientSelector =
  | { readonly kind: 'ins'; readonly ins: string; readonly oid: string }
  | { readonly kind: 'id'; readonly id: string };

/** A page of a record's documents (XDS FindDocuments, MHD ITI-67). */
export interface DocumentSearch {
  readonly patient: PatientSelector;
  readonly filter: DocumentFilter;
  readonly count: number;
  /** Where the previous page stopped ({@link decodeCursor} of its next-page token). */
  readonly cursor?: { readonly at: number; readonly id: string };
}

export const DEFAULT_COUNT = 100;
export const MAX_COUNT = 1000;

/** The opaque next-page token of a page that stopped at (at, id). */
export function encodeCursor(at: Date, id: string): string {
  return `${String(at.getTime())}_${id}`;
}

/** A next-page token read back; undefined when it is not one. */
export function decodeCursor(token: string): DocumentSearch['cursor'] {
  const m = /^(\d{1,16})_(.{36})$/.exec(token);
  return m?.[1] !== undefined && isUuid(m[2]) ? { at: Number(m[1]), id: m[2] } : undefined;
}

/** One bound on an instant: `>=` at, or `<` at. */
export interface InstantBound {
  readonly op: '>=' | '<';
  readonly at: Date;
}

/**
 * An identifier a List must have, in the registry's terms (read by the interface from its own form of it): any of
 * the List's XDS uniqueIds in `uniqueIds`, a uniqueId `<OID>^<extension>` whose extension is `uniqueIdExtension`, or
 * the List's entryUUID in `entryUuids`. `carried`: the identifier as the interface names it, for the identifiers that
 * only its encoding keeps (a FHIR client's own, beside the uniqueId: `deps.encodings.listCarriesIdentifier`, ADR
 * 0033).
 */
export interface ListIdentifier {
  readonly uniqueIds: readonly string[];
  readonly uniqueIdExtension?: string;
  readonly entryUuids: readonly string[];
  readonly carried: { readonly system?: string; readonly value: string };
}

/**
 * A page of a record's SubmissionSets and Folders (MHD ITI-66). Each filter narrows the answer, and is decided on the
 * List's neutral truth (ListMetadata, ADR 0033): `kinds` (none: both), `statuses` (any of them: the registry's
 * availability status), `dates` (each group of bounds holds on the List's time: a SubmissionSet's submission time,
 * a Folder's last update), `identifiers` (any of them), `related` (a visible member has one of these
 * referenceIdList values). `offset` is where the previous page stopped.
 */
export interface ListSearch {
  readonly patient: PatientSelector;
  readonly kinds?: ReadonlySet<'submissionSet' | 'folder'>;
  readonly statuses: readonly string[];
  readonly dates: readonly (readonly InstantBound[])[];
  readonly identifiers: readonly ListIdentifier[];
  readonly related: readonly string[];
  readonly count: number;
  readonly offset: number;
}
