import { refuseDenial } from '../refusal.ts';
import type { Actor } from '../../domain/access/actor.ts';
import type { Decision, Deny } from '../../domain/access/decision.ts';
import type { DocumentFacts, DocumentStatus } from '../../domain/access/facts.ts';
import type { AccessContext } from '../../domain/access/policy.ts';
import type { DomainError } from '../../domain/errors.ts';
import { domainError, DomainFailure } from '../../domain/errors.ts';
import type { Db } from '../../db/client.ts';
import type { DocumentFactsRow } from '../../db/documents.repository.ts';
import type { RecordRow } from '../../db/records.repository.ts';
import { loadAccessContext } from '../access-facts.ts';
import { loadAccessMatrix } from '../access-matrix.ts';
import { auditDenial } from '../audit.ts';
import type { Deps } from '../deps.ts';

/** The policy's view of a stored document. */
export function documentFacts(row: DocumentFactsRow): DocumentFacts {
  const status: DocumentStatus =
    row.status === 'deleted' ? 'deleted' : row.archived ? 'archived' : row.status;
  return {
    typeCode: row.type_code,
    classCode: row.class_code,
    authorIdNatPs: row.author_ids,
    authorStructures: row.author_structures,
    confidentiality: row.confidentiality,
    depositorKind: row.depositor_kind,
    depositorIdNatPs: row.depositor_kind === 'professional' ? row.depositor_id : undefined,
    status,
    depositedAt: row.deposited_at,
  };
}

/** The policy context for `actor` on a record; `row` undefined when no record exists for `ins`. */
export async function accessContext(
  db: Db,
  deps: Deps,
  actor: Actor,
  ins: string,
  row: RecordRow | undefined,
): Promise<AccessContext> {
  if (row) {
    return (await loadAccessContext(db, deps, actor, row)).context;
  }
  return { actor, ins, record: undefined, matrix: loadAccessMatrix(), now: deps.clock.now() };
}

export const DOCUMENT_NOT_FOUND: DomainError = domainError(
  'not-found',
  'DOC_NOT_FOUND',
  'No such document is available to you.',
);

/**
 * Denials on a document addressed by id that may be told to the caller: they come only once the caller could read
 * the document (the policy refuses a non-author who may not read it as if they had read it), or they concern the
 * new content, so they tell nothing about whether the addressed document exists.
 */
const TOLD_WHEN_ADDRESSED: ReadonlySet<string> = new Set([
  'ACCESS_NOT_AUTHOR',
  'ACCESS_DEPOSIT_CLASS_NOT_ALLOWED',
  'ACCESS_VISIBILITY_NOT_ALLOWED',
]);

/**
 * The error a denial becomes. On a document addressed by id (read, retrieve, patch, replace target), every denial
 * but those of {@link TOLD_WHEN_ADDRESSED} — a hidden document, another person's record, no authorization, a
 * blocked professional, a closed record… — looks exactly like a missing document (issue 16: a 403 said "it
 * exists"). Otherwise record-level reasons keep their ACCESS_* code: a closed record is 422, the rest 403.
 */
export function denialError(decision: Deny, addressedById: boolean): DomainError {
  if (addressedById && !TOLD_WHEN_ADDRESSED.has(decision.reason)) {
    return DOCUMENT_NOT_FOUND;
  }
  // Issue 17 rule 1: to a representative without a live registration, the record does not exist.
  if (decision.reason === 'ACCESS_NO_RECORD' || decision.reason === 'ACCESS_NOT_REPRESENTATIVE') {
    return domainError(
      'unprocessable',
      'DOC_PATIENT_UNKNOWN',
      'No record exists for this patient: create it first (or check the INS).',
    );
  }
  if (decision.reason === 'ACCESS_RECORD_CLOSED') {
    return domainError(
      'unprocessable',
      'DOC_RECORD_CLOSED',
      'The record is closed: it accepts no document and no access.',
    );
  }
  return domainError('forbidden', decision.reason, decision.message);
}

/** Traces a denial (own transaction) and throws its error. */
export async function refuse(
  deps: Deps,
  actor: Actor,
  patientId: string | null,
  traceAction: string,
  decision: Deny,
  options: { addressedById: boolean; entityType?: string; entityId?: string },
): Promise<never> {
  try {
    return await refuseDenial(
      deps,
      actor,
      patientId,
      decision,
      {
        action: traceAction,
        ...(options.entityType !== undefined ? { entityType: options.entityType } : {}),
        ...(options.entityId !== undefined ? { entityId: options.entityId } : {}),
      },
      denialError(decision, options.addressedById),
    );
  } catch (failure) {
    if (failure instanceof DomainFailure) {
      traced.add(failure);
    }
    throw failure;
  }
}

/** Failures whose denial or miss is already traced (by {@link refuse} or {@link tracingMisses}). */
const traced = new WeakSet<DomainFailure>();

/** DOC_NOT_FOUND for a denial its caller has already traced (so that {@link tracingMisses} does not again). */
export function deniedAsMissing(): DomainFailure {
  const failure = new DomainFailure(DOCUMENT_NOT_FOUND);
  traced.add(failure);
  return failure;
}

/**
 * Runs a request that addresses one resource by id (read, retrieve, patch of a document; read of a List) and,
 * when it ends in DOC_NOT_FOUND that no denial trace explains — nothing has that id, or not for this caller's
 * record —, traces the attempt on the system chain before answering. A refused document (traced on its record's
 * chain by {@link refuse}) and a missing one then both answer after one durable write: the time of the answer no
 * longer tells them apart (issue 16, item 8: a refusal took ×3 the time of a miss), and ids tried in vain are
 * visible to the operator. The id asked is kept (at most 64 characters: it passed the input gate).
 */
export async function tracingMisses<T>(
  deps: Deps,
  actor: Actor,
  traceAction: string,
  entityType: string,
  id: string,
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (
      error instanceof DomainFailure &&
      error.error.code === DOCUMENT_NOT_FOUND.code &&
      !traced.has(error)
    ) {
      await auditDenial(deps, actor, null, {
        action: traceAction,
        reasonCode: DOCUMENT_NOT_FOUND.code,
        entityType,
        entityId: id.slice(0, 64),
      });
      traced.add(error);
    }
    throw error;
  }
}

/** Throws (after tracing) unless the decision allows. */
export async function enforce(
  deps: Deps,
  actor: Actor,
  patientId: string | null,
  traceAction: string,
  decision: Decision,
  options: { addressedById: boolean; entityType?: string; entityId?: string },
): Promise<void> {
  if (!decision.allow) {
    await refuse(deps, actor, patientId, traceAction, decision, options);
  }
}
