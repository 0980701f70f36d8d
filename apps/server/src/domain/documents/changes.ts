import type { VisibilityLabel } from '../access/facts.ts';

/**
 * The neutral change of a document's metadata (XDS metadata update: visibility, archive, deletion). The use case is
 * services/documents/change.ts; the FHIR JSON Patch (http/fhir/document-patch.ts) and the XDS ITI-57 adapter
 * (http/xds/registry-update.ts) read their requests into these changes.
 */
export type DocumentChange =
  | { readonly kind: 'delete' }
  | { readonly kind: 'archive'; readonly archived: boolean }
  | {
      readonly kind: 'visibility';
      readonly label: VisibilityLabel;
      readonly operation: 'set' | 'unset';
    };

/** Why two sets of changes of one document cannot make one metadata version together. */
export type ChangeClash = 'STATUS' | 'VISIBILITY';

/**
 * The changes several parts of one request make to ONE document, merged into the one list that makes its one new
 * metadata version (an ITI-57 Update Document Set that masks a document and archives it names it twice: by its
 * DocumentEntry's lid and by the UpdateAvailabilityStatus association's target). Rules:
 *  M1. The changes keep the order they were given in (the order of their traces); a change given twice counts once.
 *  M2. The document has one availability status: two different status changes (archive and unarchive, archive and
 *      delete) clash (`STATUS`).
 *  M3. One visibility flag is set or unset, not both (`VISIBILITY`).
 */
export function mergeChanges(
  parts: readonly (readonly DocumentChange[])[],
): { readonly changes: DocumentChange[] } | { readonly clash: ChangeClash; readonly part: number } {
  const out: DocumentChange[] = [];
  let status: DocumentChange | undefined;
  const flags = new Map<VisibilityLabel, 'set' | 'unset'>();
  for (const [part, changes] of parts.entries()) {
    for (const change of changes) {
      if (change.kind === 'visibility') {
        const seen = flags.get(change.label);
        if (seen === change.operation) {
          continue;
        }
        if (seen !== undefined) {
          return { clash: 'VISIBILITY', part };
        }
        flags.set(change.label, change.operation);
      } else {
        if (status !== undefined && sameStatus(status, change)) {
          continue;
        }
        if (status !== undefined) {
          return { clash: 'STATUS', part };
        }
        status = change;
      }
      out.push(change);
    }
  }
  return { changes: out };
}

function sameStatus(a: DocumentChange, b: DocumentChange): boolean {
  return (
    a.kind === b.kind &&
    (a.kind !== 'archive' || (b.kind === 'archive' && a.archived === b.archived))
  );
}
