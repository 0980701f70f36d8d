import type { Actor } from '../../domain/access/actor.ts';
import { VISIBILITY_LABELS } from '../../domain/access/facts.ts';
import type { DomainIssue } from '../../domain/errors.ts';
import { DomainFailure, domainError, validationError } from '../../domain/errors.ts';
import { PDSM_IS_ARCHIVED_URL } from './pdsm-metadata.ts';
import { uniqueIdFromIdentifier } from '../../domain/documents/identifiers.ts';
import { isUuid } from '../../domain/identity/uuid.ts';
import type { DocumentRow } from '../../db/documents.repository.ts';
import type {
  ChangeOutcome,
  DocumentChange,
  DocumentName,
} from '../../services/documents/change.ts';
import { changeDocument, namedDocumentId } from '../../services/documents/change.ts';
import type { DocumentDeps } from '../../services/documents/context.ts';
import { servedResource } from './document-resource.ts';
import type { PatchOperation } from './json-patch.ts';
import { applyPatch, JsonPatchError, jsonEqual, readPatch } from './json-patch.ts';

/**
 * The FHIR adapter of the metadata change: PATCH /fhir/DocumentReference/{id} (JSON Patch), as PDSm does, read
 * into the neutral changes of the change use case (services/documents/change.ts), which decides and applies them.
 * A JSON Patch is written against the resource as served: the adapter applies it to the current version's
 * DocumentReference (the use case hands it the current entry once located), compares, and names the changes.
 * - paths: only `/securityLabel…` (add or remove the visibility labels MASQUE_PS, INVISIBLE_PATIENT,
 *   INVISIBLE_REPRESENTANTS_LEGAUX; the N/R/V level stays), `/extension…` (PDSm isArchived: archive / unarchive;
 *   other extensions stay) and `/status` (to `entered-in-error`: logical deletion, never served again); `test`
 *   operations anywhere. Any other path: DOC_PATCH_PATH_NOT_ALLOWED; another value: DOC_PATCH_VALUE_NOT_ALLOWED.
 * - who: decided by the access policy per change (document.set-visibility, document.archive, document.delete).
 * - versions: one PATCH = one new version of the document (meta.versionId + 1), one trace per change; a visibility or
 *   archive change is a new metadata version with a new entryUUID (the FHIR id; the logicalId identifier stays:
 *   ADR 0021). `If-Match: W/"<versionId>"` makes the change conditional (412 when stale).
 */
type Json = Record<string, unknown>;

const ALLOWED_ROOTS = ['/securityLabel', '/extension', '/status'];

function allowedPath(path: string): boolean {
  return ALLOWED_ROOTS.some((root) => path === root || path.startsWith(`${root}/`));
}

function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function isArchivedExtension(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as Json)['url'] === PDSM_IS_ARCHIVED_URL;
}

/** Codes of a securityLabel list; undefined when an entry is not a single known coding. */
function labelCodes(deps: DocumentDeps, labels: unknown[]): string[] | undefined {
  const out: string[] = [];
  const j58 = deps.reference.valueSets.get('J58') ?? deps.reference.valueSets.get('J08');
  for (const l of labels) {
    const codings = arr((l as Json | null)?.['coding']);
    const c = codings[0] as Json | undefined;
    const system = typeof c?.['system'] === 'string' ? c['system'] : '';
    const code = typeof c?.['code'] === 'string' ? c['code'] : '';
    if (codings.length !== 1 || !j58?.has(system, code)) {
      return undefined;
    }
    out.push(code);
  }
  return out;
}

function notAllowed(code: string, message: string, location: string): DomainIssue {
  return { code, message, location: [location] };
}

/** What the patch changes, from the served resource and the patched one. */
function changesOf(
  deps: DocumentDeps,
  before: Json,
  after: Json,
  currentLabels: readonly string[],
): DocumentChange[] {
  const issues: DomainIssue[] = [];
  const changes: DocumentChange[] = [];
  if (after['status'] !== before['status']) {
    if (after['status'] === 'entered-in-error') {
      changes.push({ kind: 'delete' });
    } else {
      issues.push(
        notAllowed(
          'DOC_PATCH_VALUE_NOT_ALLOWED',
          'status can only become entered-in-error (deletion).',
          'DocumentReference.status',
        ),
      );
    }
  }
  const otherBefore = arr(before['extension']).filter((e) => !isArchivedExtension(e));
  const otherAfter = arr(after['extension']).filter((e) => !isArchivedExtension(e));
  if (!jsonEqual(otherBefore, otherAfter)) {
    issues.push(
      notAllowed(
        'DOC_PATCH_VALUE_NOT_ALLOWED',
        'Only the PDSm isArchived extension may change.',
        'DocumentReference.extension',
      ),
    );
  }
  const archivedAfter = arr(after['extension']).filter(isArchivedExtension);
  const flag =
    archivedAfter.length === 0
      ? false
      : (archivedAfter[archivedAfter.length - 1] as Json)['valueBoolean'];
  if (typeof flag !== 'boolean' || archivedAfter.length > 1) {
    issues.push(
      notAllowed(
        'DOC_PATCH_VALUE_NOT_ALLOWED',
        'isArchived is one extension with a valueBoolean.',
        'DocumentReference.extension',
      ),
    );
  } else {
    const beforeExt = arr(before['extension']).find(isArchivedExtension) as Json | undefined;
    if (flag !== beforeExt?.['valueBoolean']) {
      changes.push({ kind: 'archive', archived: flag });
    }
  }
  if (!jsonEqual(before['securityLabel'], after['securityLabel'])) {
    const codes = labelCodes(deps, arr(after['securityLabel']));
    if (!codes) {
      issues.push(
        notAllowed(
          'DOC_PATCH_VALUE_NOT_ALLOWED',
          'securityLabel entries are single codings of JDV_J58 (N/R/V and the TRE_A07 visibility labels).',
          'DocumentReference.securityLabel',
        ),
      );
    } else {
      const level = (list: readonly string[]): string[] =>
        list.filter((c) => !(VISIBILITY_LABELS as readonly string[]).includes(c)).sort();
      if (!jsonEqual(level(codes), level(currentLabels))) {
        issues.push(
          notAllowed(
            'DOC_PATCH_VALUE_NOT_ALLOWED',
            'The confidentiality level (N/R/V) cannot change.',
            'DocumentReference.securityLabel',
          ),
        );
      }
      for (const label of VISIBILITY_LABELS) {
        const had = currentLabels.includes(label);
        const has = codes.includes(label);
        if (had !== has) {
          changes.push({ kind: 'visibility', label, operation: has ? 'set' : 'unset' });
        }
      }
    }
  }
  if (issues.length > 0) {
    throw new DomainFailure(validationError(issues, 'unprocessable'));
  }
  return changes;
}

/**
 * Issue 17 rule 13 (PDSm-for-DMP TD3.3a/b): the guide sets and lifts a visibility label by replacing
 * `/securityLabel/0` as a single slot — with a TRE_A07 label (MASQUE_PS, INVISIBLE_PATIENT…) to set it, with the
 * document's confidentiality code (N in the guide) to lift it. Served labels keep the N/R/V level first, so that
 * form is read for what it means: a label is added (the level stays), the level code lifts the one label carried
 * (none: nothing changes; several: DOC_PATCH_AMBIGUOUS, the caller names the one to remove by its index). Any other
 * operation, and a level code other than the document's (refused later: the level cannot change), apply literally.
 */
function dmpSlotForm(deps: DocumentDeps, op: PatchOperation, doc: Json): PatchOperation[] {
  if (op.op !== 'replace' || op.path !== '/securityLabel/0') {
    return [op];
  }
  const value = op.value as Json | null | undefined;
  const proposed = labelCodes(deps, [value]);
  const current = labelCodes(deps, arr(doc['securityLabel']));
  const code = proposed?.[0];
  if (code === undefined || !current) {
    return [op];
  }
  const isLabel = (c: string): boolean => (VISIBILITY_LABELS as readonly string[]).includes(c);
  if (isLabel(code)) {
    return current.includes(code) ? [] : [{ op: 'add', path: '/securityLabel/-', value }];
  }
  if (!current.filter((c) => !isLabel(c)).includes(code)) {
    return [op];
  }
  const carried = current.flatMap((c, i) => (isLabel(c) ? [i] : []));
  if (carried.length > 1) {
    throw new DomainFailure(
      domainError(
        'unprocessable',
        'DOC_PATCH_AMBIGUOUS',
        'The document carries several visibility labels: remove the one to lift by its index (remove /securityLabel/<i>).',
        ['/securityLabel/0'],
      ),
    );
  }
  return carried.map((i) => ({ op: 'remove' as const, path: `/securityLabel/${String(i)}` }));
}

/** The operations applied one by one, the PDSm-for-DMP slot form read as dmpSlotForm says. */
function applyOperations(deps: DocumentDeps, before: Json, operations: PatchOperation[]): Json {
  let doc = before;
  operations.forEach((op, index) => {
    try {
      doc = applyPatch(doc, dmpSlotForm(deps, op, doc));
    } catch (e) {
      if (e instanceof JsonPatchError) {
        throw new JsonPatchError(index, e.kind, e.message);
      }
      throw e;
    }
  });
  return doc;
}

export interface PatchOutcome {
  /** The new version as served; undefined once deleted (a deleted document is never served). */
  readonly resource?: Json;
  readonly versionId: number;
}

/** The operations of a JSON Patch body, refused before anything is read when they touch another path. */
function operationsOf(body: unknown): PatchOperation[] {
  let operations: PatchOperation[];
  try {
    operations = readPatch(body);
  } catch (e) {
    if (e instanceof JsonPatchError) {
      throw new DomainFailure(
        domainError('invalid', 'DOC_PATCH_INVALID', e.message, [`/${String(e.index)}`]),
      );
    }
    throw e;
  }
  const forbidden = operations.flatMap((op, i) =>
    op.op !== 'test' && (!allowedPath(op.path) || (op.from !== undefined && !allowedPath(op.from)))
      ? [
          notAllowed(
            'DOC_PATCH_PATH_NOT_ALLOWED',
            'Only /securityLabel, /extension (isArchived) and /status can change.',
            `/${String(i)}/path`,
          ),
        ]
      : [],
  );
  if (forbidden.length > 0) {
    throw new DomainFailure(validationError(forbidden, 'unprocessable'));
  }
  return operations;
}

/** The neutral changes a patch makes to an entry: the patch applied to the entry as served, compared. */
function patchChanges(
  deps: DocumentDeps,
  operations: PatchOperation[],
  base: string,
): (row: DocumentRow) => DocumentChange[] {
  return (row) => {
    const before = servedResource(row, base);
    let after: Json;
    try {
      after = applyOperations(deps, before, operations);
    } catch (e) {
      if (e instanceof JsonPatchError) {
        throw new DomainFailure(
          domainError(
            e.kind === 'test-failed' ? 'conflict' : 'unprocessable',
            e.kind === 'test-failed' ? 'DOC_PATCH_TEST_FAILED' : 'DOC_PATCH_INVALID',
            e.message,
            [`/${String(e.index)}`],
          ),
        );
      }
      throw e;
    }
    return changesOf(deps, before, after, row.confidentiality);
  };
}

function expectedVersionOf(ifMatch: string | undefined): { expectedVersion?: number } {
  if (ifMatch === undefined) {
    return {};
  }
  const expected = /^(?:W\/)?"?(\d+)"?$/.exec(ifMatch.trim())?.[1];
  return { expectedVersion: expected === undefined ? -1 : Number(expected) };
}

function served(outcome: ChangeOutcome, base: string): PatchOutcome {
  return {
    ...(outcome.row ? { resource: servedResource(outcome.row, base) } : {}),
    versionId: outcome.versionId,
  };
}

export async function patchDocument(
  deps: DocumentDeps,
  actor: Actor,
  id: string,
  body: unknown,
  ifMatch: string | undefined,
  base: string = deps.config.publicBaseUrl,
): Promise<PatchOutcome> {
  const operations = operationsOf(body);
  const outcome = await changeDocument(
    deps,
    actor,
    id,
    patchChanges(deps, operations, base),
    expectedVersionOf(ifMatch),
  );
  return served(outcome, base);
}

/**
 * PATCH /fhir/DocumentReference?identifier=<system>|<value> (PDSm-for-DMP TD3.3a–d: the document named by its
 * business identifier, the uniqueId, or by `urn:ietf:rfc:3986|urn:uuid:<entryUUID>`). Exactly one identifier;
 * one that names nothing, or a document the caller may not see, answers as a missing document (404).
 */
export async function patchDocumentByIdentifier(
  deps: DocumentDeps,
  actor: Actor,
  identifier: string | readonly string[] | undefined,
  body: unknown,
  ifMatch: string | undefined,
  base: string = deps.config.publicBaseUrl,
): Promise<PatchOutcome> {
  const raw = typeof identifier === 'string' ? identifier : undefined;
  if (raw === undefined || raw === '' || raw.includes(',')) {
    throw new DomainFailure(
      domainError(
        'invalid',
        'DOC_PATCH_IDENTIFIER_REQUIRED',
        'Name one document: identifier=urn:ietf:rfc:3986|urn:oid:<uniqueId> (or PATCH /fhir/DocumentReference/<id>).',
        ['identifier'],
      ),
    );
  }
  const bar = raw.indexOf('|');
  const system = bar < 0 ? undefined : raw.slice(0, bar) || undefined;
  const value = bar < 0 ? raw : raw.slice(bar + 1);
  const uniqueId = uniqueIdFromIdentifier(system, value);
  const entryUuid = /^urn:uuid:(.{36})$/i.exec(value)?.[1]?.toLowerCase();
  const name: DocumentName = {
    ...(uniqueId !== undefined ? { uniqueId } : {}),
    ...(isUuid(entryUuid) ? { id: entryUuid } : {}),
    asGiven: value,
  };
  return patchDocument(deps, actor, await namedDocumentId(deps, actor, name), body, ifMatch, base);
}
