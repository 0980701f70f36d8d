import type { Actor } from '../domain/access/actor.ts';
import { actorId } from '../domain/access/actor.ts';
import type { DomainError } from '../domain/errors.ts';
import { domainError, DomainFailure, validationError } from '../domain/errors.ts';
import { INS_OID, validateIns } from '../domain/identity/ins.ts';
import { decideNirAssignment, NIR_FIELD } from '../domain/identity/nir-assignment.ts';
import { assertInsSystemAllowed } from './ins-system.ts';
import type { ClosureReason } from '../domain/records/lifecycle.ts';
import { purgeDue, transition } from '../domain/records/lifecycle.ts';
import type { PatientClaim, PatientInput } from '../domain/records/patient-input.ts';
import { checkPatientInput, PATIENT_FIELD } from '../domain/records/patient-input.ts';
import type { Deny } from '../domain/access/decision.ts';
import type { AccessRequest } from '../domain/access/policy.ts';
import { decideAccess, NO_RECORD_INS } from '../domain/access/policy.ts';
import { accessContextOf } from './access-facts.ts';
import { enforceDecision, refuseDenial } from './refusal.ts';
import type { RecordRow } from '../db/records.repository.ts';
import * as records from '../db/records.repository.ts';
import { SYSTEM_ACTOR } from '../domain/audit/audit-record.ts';
import { notePurge } from './audit-anchor.ts';
import { audit } from './audit.ts';
import type { Deps } from './deps.ts';
import { isUuid } from '../domain/identity/uuid.ts';
import { unregisteredRepresentative } from './representative-gate.ts';

/**
 * Tables keyed by patient_id that the purge empties (besides the record, its representatives and traces, and the
 * look-up tables, which records.purgeRecord empties by their own keys).
 */
export const PATIENT_TABLES: string[] = [
  // documents (0003), children before parents
  'list_entry',
  'document_past_entry', // 0082
  'document',
  'folder',
  'submission_set',
  'document_content',
  'record_data_key',
  // notifications (0005)
  'outbox',
  'inbox',
  'notification_preference',
  'document_visibility_notice',
  'consent', // 0004: was missing, a record with a consent could not be purged
];

/** A record-management refusal as the record API answers it: 403 with the policy's code (REC_*, ACCESS_*). */
const forbidden = (denial: Deny): DomainError =>
  domainError('forbidden', denial.reason, denial.message);

/**
 * Decided by the access policy (decideAccess record.manage, M1–M4) on the record's facts — none for a creation or an
 * opposition, which name no record yet —, a denial traced under `traceAction`.
 */
async function checkPermission(
  deps: Deps,
  actor: Actor,
  request: AccessRequest,
  row: RecordRow | null,
  traceAction: string,
): Promise<void> {
  if (await unregisteredRepresentative(deps, actor, row, traceAction)) {
    throw new DomainFailure(REC_NOT_FOUND);
  }
  const context = await accessContextOf(
    deps.sql,
    deps,
    actor,
    row?.ins ?? NO_RECORD_INS,
    row ?? undefined,
  );
  await enforceDecision(
    deps,
    actor,
    row?.patient_id ?? null,
    decideAccess({ ...context, ...request }),
    { action: traceAction },
    forbidden,
  );
}

/**
 * Creates a record for an INS, unless it has a registered opposition or a record already exists. `claim` is the
 * request as its interface read it (FHIR: http/fhir/patient-reading.ts); its issues name the claim's fields.
 */
export async function createRecord(
  deps: Deps,
  actor: Actor,
  claim: PatientClaim,
): Promise<RecordRow> {
  await checkPermission(
    deps,
    actor,
    { action: 'record.manage', operation: 'create' },
    null,
    'record.create',
  );
  const now = deps.clock.now();
  const parsed = checkPatientInput(claim, now.toISOString().slice(0, 10));
  if (!parsed.ok) {
    throw new DomainFailure(validationError(parsed.error));
  }
  const input: PatientInput = parsed.value;
  // Named as the claim's INS (PATIENT_FIELD), as rules P1–P3 name it; the interface locates it on its request.
  assertInsSystemAllowed(deps.config, input.ins.oid, [PATIENT_FIELD.ins]);
  const patientId = deps.ids();
  const outcome = await deps.sql.begin(async (tx) => {
    if (await records.findOpposition(tx, input.ins.value)) {
      await audit(tx, deps, actor, null, {
        action: 'record.create',
        outcome: 'denied',
        reasonCode: 'REC_OPPOSITION',
        entityType: 'ins',
        entityId: input.ins.value,
      });
      return domainError(
        'unprocessable',
        'REC_OPPOSITION',
        'The holder of this INS has registered an opposition to the creation of a record; no record is created.',
      );
    }
    const created = await records.insertRecord(tx, {
      patientId,
      ins: input.ins.value,
      insOid: input.ins.oid,
      birthName: input.birthName,
      usedName: input.usedName ?? null,
      givenNames: input.givenNames,
      sex: input.sex,
      birthDate: input.birthDate,
      birthPlace: input.birthPlace,
      createdAt: now,
      createdBy: actorId(actor),
    });
    if (!created) {
      return domainError(
        'conflict',
        'REC_ALREADY_EXISTS',
        'A record already exists for this INS (reopen it if closed).',
      );
    }
    await audit(tx, deps, actor, patientId, {
      action: 'record.create',
      outcome: 'success',
      entityType: 'Patient',
      entityId: patientId,
    });
    return null;
  });
  if (outcome) {
    throw new DomainFailure(outcome);
  }
  const row = await records.findRecord(deps.sql, patientId);
  if (!row) {
    throw new Error('record vanished after creation');
  }
  return row;
}

export type OppositionAction = 'register' | 'lift';

/** Registers or lifts an opposition to record creation. Registering closes an existing active record. */
export async function setOpposition(
  deps: Deps,
  actor: Actor,
  insValue: string,
  oid: string | undefined,
  action: OppositionAction,
): Promise<{ changed: boolean; closedRecord: boolean }> {
  await checkPermission(
    deps,
    actor,
    { action: 'record.manage', operation: 'opposition' },
    null,
    `opposition.${action}`,
  );
  const checked = validateIns(insValue, oid);
  if (!checked.ok) {
    throw new DomainFailure({ ...checked.error, kind: 'invalid' });
  }
  assertInsSystemAllowed(deps.config, checked.value.oid);
  const ins = checked.value.value;
  const now = deps.clock.now();
  return deps.sql.begin(async (tx) => {
    const patientId = (await records.findPatientIdByIns(tx, ins)) ?? null;
    let changed: boolean;
    let closedRecord = false;
    if (action === 'register') {
      changed = await records.insertOpposition(tx, ins, now, actorId(actor));
      if (patientId) {
        const row = await records.lockRecord(tx, patientId);
        if (row && row.status === 'active') {
          const next = transition(records.stateOf(row), {
            type: 'close',
            reason: 'holder-request',
            at: now,
          });
          if (next.ok) {
            await records.updateRecordState(tx, patientId, next.value, 'opposition registered');
            await audit(tx, deps, actor, patientId, {
              action: 'record.close',
              outcome: 'success',
              entityType: 'Patient',
              entityId: patientId,
              detail: { reason: 'holder-request', cause: 'opposition' },
            });
            closedRecord = true;
          }
        }
      }
    } else {
      changed = await records.deleteOpposition(tx, ins);
    }
    await audit(tx, deps, actor, patientId, {
      action: `opposition.${action}`,
      outcome: 'success',
      entityType: 'ins',
      entityId: ins,
      detail: { changed },
    });
    return { changed, closedRecord };
  });
}

const REC_NOT_FOUND = domainError('not-found', 'REC_NOT_FOUND', 'No such record.');

async function loadRecord(deps: Deps, patientId: string): Promise<RecordRow> {
  const row = isUuid(patientId) ? await records.findRecord(deps.sql, patientId) : undefined;
  if (!row) {
    throw new DomainFailure(domainError('not-found', 'REC_NOT_FOUND', 'No such record.'));
  }
  return row;
}

export type RecordChange =
  | { readonly type: 'close'; readonly reason: ClosureReason; readonly comment: string | null }
  | { readonly type: 'reopen' }
  | { readonly type: 'request-deletion' };

/** Close, reopen or request deletion, by the operator or the holder. */
export async function changeRecord(
  deps: Deps,
  actor: Actor,
  patientId: string,
  change: RecordChange,
): Promise<RecordRow> {
  const current = await loadRecord(deps, patientId);
  const traceAction = `record.${change.type}`;
  // Someone who is neither the holder nor the operator is refused as if the record did not exist (issue 16).
  await checkPermission(
    deps,
    actor,
    change.type === 'close'
      ? { action: 'record.manage', operation: 'close', closureReason: change.reason }
      : {
          action: 'record.manage',
          operation: change.type === 'reopen' ? 'reopen' : 'request-purge',
        },
    current,
    traceAction,
  ).catch((error: unknown) => {
    throw error instanceof DomainFailure && error.error.code === 'REC_NOT_HOLDER'
      ? new DomainFailure(REC_NOT_FOUND)
      : error;
  });
  const now = deps.clock.now();
  const failure = await deps.sql.begin(async (tx) => {
    const row = await records.lockRecord(tx, patientId);
    if (!row) {
      return domainError('not-found', 'REC_NOT_FOUND', 'No such record.');
    }
    const event =
      change.type === 'close'
        ? ({ type: 'close', reason: change.reason, at: now } as const)
        : change.type === 'reopen'
          ? ({ type: 'reopen', at: now, byOperator: actor.kind === 'operator' } as const)
          : ({ type: 'request-deletion', at: now } as const);
    // Issue 17 rule 11: a record absorbed by a merge stays as it is (its INS resolve to the survivor, ADR 0016).
    const next = row.merged_into
      ? ({
          ok: false,
          error: { code: 'REC_MERGED', message: 'This record was merged into another record.' },
        } as const)
      : transition(records.stateOf(row), event);
    if (!next.ok) {
      await audit(tx, deps, actor, patientId, {
        action: traceAction,
        outcome: 'failure',
        reasonCode: next.error.code,
      });
      return domainError(
        next.error.code === 'REC_REOPEN_DEATH_OPERATOR_ONLY' ? 'forbidden' : 'conflict',
        next.error.code,
        next.error.message,
      );
    }
    await records.updateRecordState(
      tx,
      patientId,
      next.value,
      change.type === 'close' ? change.comment : row.closure_comment,
    );
    await audit(tx, deps, actor, patientId, {
      action: traceAction,
      outcome: 'success',
      entityType: 'Patient',
      entityId: patientId,
      detail: change.type === 'close' ? { reason: change.reason } : {},
    });
    return null;
  });
  if (failure) {
    throw new DomainFailure(failure);
  }
  return loadRecord(deps, patientId);
}

/**
 * Issue 17 rule 11: the operator gives a record created under an NIA its NIR (domain/identity/nir-assignment.ts).
 * The record keeps its id, documents, consents, notifications and traces; the NIR becomes its INS and the NIA keeps
 * resolving to it. Traced `record.assign-nir` (success, or failure with its code); a refusal changes nothing.
 */
export async function assignNir(
  deps: Deps,
  actor: Actor,
  patientId: string,
  identifier: { readonly value: string; readonly system: string | undefined },
): Promise<RecordRow> {
  const traceAction = 'record.assign-nir';
  const current = await loadRecord(deps, patientId);
  await checkPermission(
    deps,
    actor,
    { action: 'record.manage', operation: 'assign-nir' },
    current,
    traceAction,
  );
  const checked = validateIns(identifier.value, identifier.system ?? INS_OID.NIR);
  if (!checked.ok) {
    throw new DomainFailure({
      ...checked.error,
      kind: 'invalid',
      location: [NIR_FIELD],
    });
  }
  assertInsSystemAllowed(deps.config, checked.value.oid, [NIR_FIELD]);
  const now = deps.clock.now();
  const failure = await deps.sql.begin(async (tx) => {
    const row = await records.lockRecord(tx, patientId);
    if (!row) {
      return REC_NOT_FOUND;
    }
    const decided = decideNirAssignment({ ins: row.ins, insOid: row.ins_oid }, checked.value);
    const refusal = decided.ok
      ? (await records.assignNir(tx, patientId, decided.value, now))
        ? null
        : domainError(
            'conflict',
            'REC_INS_EXISTS',
            'This NIR already names another record: merge the two records instead.',
          )
      : decided.error;
    await audit(tx, deps, actor, patientId, {
      action: traceAction,
      outcome: refusal ? 'failure' : 'success',
      reasonCode: refusal?.code ?? null,
      entityType: 'Patient',
      entityId: patientId,
      detail: { formerSystem: row.ins_oid, system: checked.value.oid },
    });
    return refusal;
  });
  if (failure) {
    throw new DomainFailure(failure);
  }
  return loadRecord(deps, patientId);
}

/** Reads a record for its holder, representative or the operator (with traits). Traced. */
export async function readRecord(deps: Deps, actor: Actor, patientId: string): Promise<RecordRow> {
  const row = await loadRecord(deps, patientId);
  if (await unregisteredRepresentative(deps, actor, row, 'record.read')) {
    throw new DomainFailure(REC_NOT_FOUND);
  }
  const context = await accessContextOf(deps.sql, deps, actor, row.ins, row);
  const decision = decideAccess({ ...context, action: 'record.read' });
  if (!decision.allow) {
    // Indistinguishable from a missing record for those who may not see it.
    await refuseDenial(
      deps,
      actor,
      row.patient_id,
      decision,
      { action: 'record.read' },
      REC_NOT_FOUND,
    );
  }
  await deps.sql.begin(async (tx) => {
    await audit(tx, deps, actor, row.patient_id, {
      action: 'record.read',
      outcome: 'success',
      entityType: 'Patient',
      entityId: row.patient_id,
    });
  });
  return row;
}

/** TD0.2: does a record exist for this INS, and in which state. Traced on the record when there is one. */
export async function lookupRecord(
  deps: Deps,
  actor: Actor,
  insValue: string,
  oid: string | undefined,
): Promise<RecordRow | null> {
  const checked = validateIns(insValue, oid);
  if (!checked.ok) {
    throw new DomainFailure({ ...checked.error, kind: 'invalid', location: ['identifier'] });
  }
  assertInsSystemAllowed(deps.config, checked.value.oid, ['identifier']);
  const ins = checked.value.value;
  const found = (await records.findRecordByIns(deps.sql, ins)) ?? null;
  // Issue 17 rule 1: to a representative without a live registration, the record does not exist.
  const row = (await unregisteredRepresentative(deps, actor, found, 'record.status'))
    ? null
    : found;
  // Decided on the INS asked for (an NIA still names the record given its NIR, issue 17 rule 11).
  const context = await accessContextOf(deps.sql, deps, actor, ins, row ?? undefined);
  await enforceDecision(
    deps,
    actor,
    row?.patient_id ?? null,
    decideAccess({ ...context, action: 'record.status' }),
    { action: 'record.status' },
    forbidden,
  );
  await deps.sql.begin(async (tx) => {
    await audit(tx, deps, actor, row?.patient_id ?? null, {
      action: 'record.status',
      outcome: 'success',
      entityType: row ? 'Patient' : 'ins',
      entityId: row ? row.patient_id : ins,
      detail: { found: row !== null },
    });
  });
  return row;
}

/** The purge job: deletes records whose retention expired or whose deletion was requested. */
export async function purgeDueRecords(deps: Deps, batch = 500): Promise<{ purged: number }> {
  let purged = 0;
  let after: string | null = null;
  for (;;) {
    const ids = await records.findClosedRecordIds(deps.sql, batch, after);
    if (ids.length === 0) {
      break;
    }
    after = ids[ids.length - 1] ?? null;
    for (const id of ids) {
      let done: boolean;
      try {
        done = await deps.sql.begin(async (tx) => {
          const row = await records.lockRecord(tx, id);
          if (!row) {
            return false;
          }
          const now = deps.clock.now();
          const due = purgeDue(records.stateOf(row), now);
          if (!due) {
            return false;
          }
          // Signed, outside the database, before the commit (ADR 0013): the anchors then know this record was
          // purged by the service and not erased.
          if (deps.anchors?.privateKey) {
            notePurge(deps.anchors, row.patient_id, due, now);
          }
          // The database checks the record's state again and writes the tombstone.
          const reason = await records.purgeRecord(tx, row, now, PATIENT_TABLES);
          await audit(tx, deps, SYSTEM_ACTOR, null, {
            action: 'record.purge',
            outcome: 'success',
            entityType: 'Patient',
            entityId: row.patient_id,
            detail: { reason },
          });
          return true;
        });
      } catch (e) {
        if ((e as { code?: unknown }).code !== 'ODP01') {
          throw e;
        }
        // Not due by the database's rule (a calendar edge): the next run tries again.
        deps.log.warn({ patientId: id }, 'purge refused by the database: record not due yet');
        done = false;
      }
      if (done) {
        purged++;
      }
    }
  }
  return { purged };
}

/**
 * The INS system of each record, by patient id, as the bare OID of the INS's system (issue 17 rule 11: never
 * assumed); each interface writes it in its own form (FHIR: `urn:oid:…`).
 */
export async function insOidsOfRecords(
  deps: Deps,
  patientIds: readonly string[],
): Promise<Map<string, string>> {
  return records.findInsOids(deps.sql, [...new Set(patientIds)]);
}

/** The INS system of a record, as a bare OID; undefined once purged. */
export async function insOidOfRecord(deps: Deps, patientId: string): Promise<string | undefined> {
  const row = await records.findRecord(deps.sql, patientId);
  return row?.ins_oid;
}
