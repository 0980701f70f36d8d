import type { DomainIssue } from '../../domain/errors.ts';
import { DomainFailure, domainError, validationError } from '../../domain/errors.ts';
import { IssueList } from '../../domain/issue-list.ts';
import { MHD_LIST_TYPES } from '../../domain/documents/submission.ts';
import { jsonObject as obj } from '../../domain/json.ts';

/**
 * ITI-65 Provide Document Bundle → what to store. Rules (IHE MHD, PDSm comprehensive profile):
 * - P1 Bundle.type is `transaction` (DOC_BUNDLE_NOT_TRANSACTION).
 * - P2 entries: DocumentReference, Binary and List (code `submissionset` or `folder` of MHDlistTypes), all POST;
 *   exactly one SubmissionSet List and at least one DocumentReference (DOC_BUNDLE_SUBMISSION_SET,
 *   DOC_BUNDLE_NO_DOCUMENT). PDSm's replacement example also carries a FHIRPath Patch (Parameters, PATCH
 *   `DocumentReference/<id>`) setting the replaced document's status to `superseded`: accepted when a
 *   DocumentReference of the same bundle replaces that document (the server supersedes it anyway), refused
 *   otherwise. Any other entry: DOC_BUNDLE_ENTRY_UNSUPPORTED.
 * - P3 fullUrls are unique (DOC_BUNDLE_FULLURL_DUPLICATE); `urn:uuid:` references resolve inside the bundle:
 *   attachment.url → a Binary entry (or the content is in attachment.data), List.entry.item → a DocumentReference
 *   entry (DOC_BUNDLE_REFERENCE_UNRESOLVED). Each Binary belongs to exactly one DocumentReference
 *   (DOC_BUNDLE_BINARY_UNUSED / DOC_BUNDLE_BINARY_SHARED).
 * - P4 a Binary's contentType fills the attachment's when absent; both given, they must agree
 *   (DOC_BINARY_CONTENT_TYPE_MISMATCH).
 * - P5 a bundle holds at most MAX_BUNDLE_ENTRIES entries (413 DOC_BUNDLE_TOO_MANY_ENTRIES), checked before
 *   anything else is read or validated; the issues of one step are capped (domain/issue-list.ts).
 */
type Json = Record<string, unknown>;

export { MHD_LIST_TYPES };

/** Entries of one provide bundle at most (rule P5): a submission is a few documents with their lists. */
export const MAX_BUNDLE_ENTRIES = 1000;

/** Rule P5, on the body as received (before any structural validation). */
export function checkBundleSize(body: unknown): void {
  const entries = obj(body)?.['entry'];
  if (Array.isArray(entries) && entries.length > MAX_BUNDLE_ENTRIES) {
    throw new DomainFailure(
      domainError(
        'too-large',
        'DOC_BUNDLE_TOO_MANY_ENTRIES',
        `A provide bundle holds at most ${String(MAX_BUNDLE_ENTRIES)} entries; this one has ${String(entries.length)}.`,
        ['Bundle.entry'],
      ),
    );
  }
}

export interface ListSubmission {
  readonly resource: Json;
  readonly root: string;
  /** fullUrl of the entry (or a generated key). */
  readonly key: string;
  /** fullUrls of the DocumentReference entries the List names, in order. */
  readonly memberKeys: readonly string[];
}

export interface DocumentSubmission {
  /** The DocumentReference as sent. */
  readonly resource: Json;
  readonly bytes: Uint8Array;
  /** FHIRPath root of the DocumentReference in the request (`DocumentReference`, `Bundle.entry[1].resource`). */
  readonly root: string;
  /** fullUrl of the entry (or a generated key), to resolve List members. */
  readonly key: string;
}

export type ProvideEntry =
  | { readonly kind: 'document'; readonly key: string }
  | { readonly kind: 'binary'; readonly documentKey: string }
  | { readonly kind: 'submission-set' }
  | { readonly kind: 'folder'; readonly index: number }
  | { readonly kind: 'supersede'; readonly targetId: string };

export interface ProvideRequest {
  readonly documents: readonly DocumentSubmission[];
  /** Absent for ITI-105: the server makes one. */
  readonly submissionSet?: ListSubmission;
  readonly folders: readonly ListSubmission[];
  /** Document ids the bundle explicitly marks superseded (PATCH entries). */
  readonly supersedes: readonly { readonly targetId: string; readonly root: string }[];
  /** Per request entry, what it became (the response has one entry per request entry, in order). */
  readonly entries: readonly ProvideEntry[];
}

function listKind(list: Json): 'submissionset' | 'folder' | undefined {
  const codings = obj(list['code'])?.['coding'];
  for (const c of Array.isArray(codings) ? codings : []) {
    const coding = obj(c);
    if (
      coding?.['system'] === MHD_LIST_TYPES &&
      (coding['code'] === 'submissionset' || coding['code'] === 'folder')
    ) {
      return coding['code'];
    }
  }
  return undefined;
}

function memberRefs(list: Json): string[] {
  const entries = list['entry'];
  return (Array.isArray(entries) ? entries : []).flatMap((e) => {
    const ref = obj(obj(e)?.['item'])?.['reference'];
    return typeof ref === 'string' ? [ref] : [];
  });
}

/** The target id of a PDSm "mark superseded" FHIRPath Patch, or undefined when it is anything else. */
function supersedeTarget(resource: Json, request: Json): string | undefined {
  const url = typeof request['url'] === 'string' ? request['url'] : '';
  const m = /^DocumentReference\/([A-Za-z0-9.-]{1,64})$/.exec(url);
  const params = resource['parameter'];
  if (!m || !Array.isArray(params) || params.length !== 1) {
    return undefined;
  }
  const parts = obj(params[0])?.['part'];
  const byName = new Map<string, Json>();
  for (const p of Array.isArray(parts) ? parts : []) {
    const part = obj(p);
    if (typeof part?.['name'] === 'string') {
      byName.set(part['name'], part);
    }
  }
  const ok =
    obj(params[0])?.['name'] === 'operation' &&
    byName.get('type')?.['valueCode'] === 'replace' &&
    byName.get('path')?.['valueString'] === 'DocumentReference.status' &&
    byName.get('value')?.['valueCode'] === 'superseded';
  return ok ? m[1] : undefined;
}

function issue(code: string, message: string, location: string): DomainIssue {
  return { code, message, location: [location] };
}

/** Splits and cross-checks a transaction Bundle (rules P1–P4). Throws DomainFailure on the first broken rule set. */
export function readProvideBundle(
  bundle: Json,
  decoded?: ReadonlyMap<string, Buffer>,
): ProvideRequest {
  checkBundleSize(bundle);
  if (bundle['type'] !== 'transaction') {
    throw new DomainFailure(
      domainError(
        'invalid',
        'DOC_BUNDLE_NOT_TRANSACTION',
        'ITI-65 needs a Bundle of type transaction.',
        ['Bundle.type'],
      ),
    );
  }
  const rawEntries = Array.isArray(bundle['entry']) ? (bundle['entry'] as unknown[]) : [];
  const issues = new IssueList();
  const binaries = new Map<string, { resource: Json; index: number }>();
  const docs: { resource: Json; index: number; key: string }[] = [];
  const lists: { resource: Json; index: number; kind: 'submissionset' | 'folder' }[] = [];
  const patches: { targetId: string; index: number }[] = [];
  const seen = new Set<string>();
  const kinds: (
    | { kind: 'doc'; key: string }
    | { kind: 'binary'; key: string }
    | { kind: 'list'; index: number }
    | { kind: 'patch'; targetId: string }
  )[] = [];

  rawEntries.forEach((raw, i) => {
    const at = `Bundle.entry[${String(i)}]`;
    const entry = obj(raw) ?? {};
    const resource = obj(entry['resource']);
    const request = obj(entry['request']) ?? {};
    const fullUrl = typeof entry['fullUrl'] === 'string' ? entry['fullUrl'] : `entry-${String(i)}`;
    if (seen.has(fullUrl)) {
      issues.push(
        issue(
          'DOC_BUNDLE_FULLURL_DUPLICATE',
          'Two entries have the same fullUrl.',
          `${at}.fullUrl`,
        ),
      );
    }
    seen.add(fullUrl);
    const type = resource?.['resourceType'];
    const method = request['method'];
    if (!resource) {
      issues.push(issue('DOC_BUNDLE_ENTRY_UNSUPPORTED', 'Each entry must carry a resource.', at));
      return;
    }
    if (type === 'Parameters' && method === 'PATCH') {
      const targetId = supersedeTarget(resource, request);
      if (targetId === undefined) {
        issues.push(
          issue(
            'DOC_BUNDLE_ENTRY_UNSUPPORTED',
            'The only PATCH accepted in a provide bundle marks a replaced DocumentReference superseded.',
            at,
          ),
        );
        return;
      }
      patches.push({ targetId, index: i });
      kinds.push({ kind: 'patch', targetId });
      return;
    }
    if (
      method !== 'POST' ||
      (type !== 'DocumentReference' && type !== 'Binary' && type !== 'List')
    ) {
      issues.push(
        issue(
          'DOC_BUNDLE_ENTRY_UNSUPPORTED',
          'A provide bundle holds POST entries of DocumentReference, Binary and List (SubmissionSet, Folder).',
          `${at}.request`,
        ),
      );
      return;
    }
    if (type === 'Binary') {
      binaries.set(fullUrl, { resource, index: i });
      kinds.push({ kind: 'binary', key: fullUrl });
    } else if (type === 'DocumentReference') {
      docs.push({ resource, index: i, key: fullUrl });
      kinds.push({ kind: 'doc', key: fullUrl });
    } else {
      const kind = listKind(resource);
      if (!kind) {
        issues.push(
          issue(
            'DOC_LIST_CODE_UNKNOWN',
            `A List in a provide bundle has code submissionset or folder (${MHD_LIST_TYPES}).`,
            `${at}.resource.code`,
          ),
        );
        return;
      }
      lists.push({ resource, index: i, kind });
      kinds.push({ kind: 'list', index: lists.length - 1 });
    }
  });
  if (issues.length > 0) {
    throw new DomainFailure(validationError(issues.toArray(), 'unprocessable'));
  }

  const submissionSets = lists.filter((l) => l.kind === 'submissionset');
  if (submissionSets.length !== 1) {
    issues.push(
      issue(
        'DOC_BUNDLE_SUBMISSION_SET',
        'A provide bundle holds exactly one SubmissionSet List.',
        'Bundle.entry',
      ),
    );
  }
  if (docs.length === 0) {
    issues.push(
      issue(
        'DOC_BUNDLE_NO_DOCUMENT',
        'A provide bundle holds at least one DocumentReference.',
        'Bundle.entry',
      ),
    );
  }

  const usedBinaries = new Map<string, string>();
  const documents: DocumentSubmission[] = [];
  const binaryOwner = new Map<string, string>();
  for (const d of docs) {
    const root = `Bundle.entry[${String(d.index)}].resource`;
    const contents = Array.isArray(d.resource['content'])
      ? (d.resource['content'] as unknown[])
      : [];
    const attachment = obj(obj(contents[0])?.['attachment']) ?? {};
    const url = attachment['url'];
    let bytes: Buffer | undefined;
    const sent = { ...d.resource };
    if (attachment['data'] !== undefined) {
      bytes = decodeBase64(attachment['data'], `${root}.content[0].attachment.data`, decoded);
    } else if (typeof url === 'string' && binaries.has(url)) {
      const binary = binaries.get(url) as { resource: Json; index: number };
      if (usedBinaries.has(url)) {
        issues.push(
          issue(
            'DOC_BUNDLE_BINARY_SHARED',
            'Two DocumentReferences point to the same Binary.',
            `${root}.content[0].attachment.url`,
          ),
        );
        continue;
      }
      usedBinaries.set(url, d.key);
      binaryOwner.set(url, d.key);
      bytes = decodeBase64(
        binary.resource['data'],
        `Bundle.entry[${String(binary.index)}].resource.data`,
        decoded,
      );
      const binaryType = binary.resource['contentType'];
      const declared = attachment['contentType'];
      if (declared === undefined && typeof binaryType === 'string') {
        sent['content'] = [
          { ...obj(contents[0]), attachment: { ...attachment, contentType: binaryType } },
          ...contents.slice(1),
        ];
      } else if (
        typeof binaryType === 'string' &&
        typeof declared === 'string' &&
        binaryType !== declared
      ) {
        issues.push(
          issue(
            'DOC_BINARY_CONTENT_TYPE_MISMATCH',
            'attachment.contentType differs from the contentType of its Binary.',
            `${root}.content[0].attachment.contentType`,
          ),
        );
        continue;
      }
    } else {
      issues.push(
        issue(
          'DOC_BUNDLE_REFERENCE_UNRESOLVED',
          'attachment.url must be the fullUrl of a Binary entry of the bundle (or give the content in attachment.data).',
          `${root}.content[0].attachment.url`,
        ),
      );
      continue;
    }
    documents.push({ resource: sent, bytes, root, key: d.key });
  }
  for (const [url, b] of binaries) {
    if (!usedBinaries.has(url)) {
      issues.push(
        issue(
          'DOC_BUNDLE_BINARY_UNUSED',
          'A Binary entry is not the content of any DocumentReference.',
          `Bundle.entry[${String(b.index)}]`,
        ),
      );
    }
  }

  const docKeys = new Set(docs.map((d) => d.key));
  const folderKeys = new Set(
    lists.filter((l) => l.kind === 'folder').map((l) => entryKey(rawEntries, l.index)),
  );
  const listSubmissions = lists.map((l): ListSubmission => {
    const root = `Bundle.entry[${String(l.index)}].resource`;
    const members = memberRefs(l.resource);
    members.forEach((m, j) => {
      // A SubmissionSet may also list the bundle's folders; only DocumentReferences become members.
      if (!docKeys.has(m) && !folderKeys.has(m)) {
        issues.push(
          issue(
            'DOC_BUNDLE_REFERENCE_UNRESOLVED',
            'List.entry.item must reference a DocumentReference (or Folder) entry of the bundle.',
            `${root}.entry[${String(j)}].item`,
          ),
        );
      }
    });
    return {
      resource: l.resource,
      root,
      key: entryKey(rawEntries, l.index),
      memberKeys: members.filter((m) => docKeys.has(m)),
    };
  });

  const replacedIds = new Set(
    docs.flatMap((d) => {
      const rel = Array.isArray(d.resource['relatesTo'])
        ? (d.resource['relatesTo'] as unknown[])
        : [];
      return rel.flatMap((r) => {
        const ref = obj(obj(r)?.['target'])?.['reference'];
        return obj(r)?.['code'] === 'replaces' && typeof ref === 'string'
          ? [ref.replace(/^DocumentReference\//, '')]
          : [];
      });
    }),
  );
  for (const p of patches) {
    if (!replacedIds.has(p.targetId)) {
      issues.push(
        issue(
          'DOC_BUNDLE_ENTRY_UNSUPPORTED',
          'A PATCH marking a document superseded needs a DocumentReference of the bundle that replaces it.',
          `Bundle.entry[${String(p.index)}]`,
        ),
      );
    }
  }
  if (issues.length > 0) {
    throw new DomainFailure(validationError(issues.toArray(), 'unprocessable'));
  }

  const submissionSet = listSubmissions.find((_l, i) => lists[i]?.kind === 'submissionset');
  let folderCount = 0;
  const entries: ProvideEntry[] = kinds.map((k): ProvideEntry => {
    switch (k.kind) {
      case 'doc':
        return { kind: 'document', key: k.key };
      case 'binary':
        return { kind: 'binary', documentKey: binaryOwner.get(k.key) ?? '' };
      case 'patch':
        return { kind: 'supersede', targetId: k.targetId };
      case 'list':
        return lists[k.index]?.kind === 'submissionset'
          ? { kind: 'submission-set' }
          : { kind: 'folder', index: folderCount++ };
    }
  });
  return {
    documents,
    ...(submissionSet ? { submissionSet } : {}),
    folders: listSubmissions.filter((_l, i) => lists[i]?.kind === 'folder'),
    supersedes: patches.map((p) => ({
      targetId: p.targetId,
      root: `Bundle.entry[${String(p.index)}]`,
    })),
    entries,
  };
}

function entryKey(entries: readonly unknown[], index: number): string {
  const e = obj(entries[index]);
  return typeof e?.['fullUrl'] === 'string' ? e['fullUrl'] : `entry-${String(index)}`;
}

/**
 * Decodes FHIR base64Binary; refuses anything else (DOC_CONTENT_NOT_BASE64). A content the body reader already
 * decoded (http/json-body.ts, a placeholder in `data`) is taken from `contents`.
 */
export function decodeBase64(
  data: unknown,
  location: string,
  contents?: ReadonlyMap<string, Buffer>,
): Buffer {
  const decoded = typeof data === 'string' ? contents?.get(data) : undefined;
  if (decoded !== undefined) {
    return decoded;
  }
  if (typeof data !== 'string' || !/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(data)) {
    throw new DomainFailure(
      domainError('invalid', 'DOC_CONTENT_NOT_BASE64', 'The document content must be base64.', [
        location,
      ]),
    );
  }
  return Buffer.from(data, 'base64');
}
