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
  await auditDenial(deps, actor, patientId, {
    action: traceAction,
    reasonCode: decision.reason,
    ...(options.entityType !== undefined ? { entityType: options.entityType } : {}),
    ...(options.entityId !== undefined ? { entityId: options.entityId } : {}),
  });
  throw new DomainFailure(denialError(decision, options.addressedById));
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
