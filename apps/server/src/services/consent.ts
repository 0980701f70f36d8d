import { enforceOnRecord } from './refusal.ts';
import type { Actor } from '../domain/access/actor.ts';
import { actorId } from '../domain/access/actor.ts';
import type { ConsentOperation } from '../domain/access/policy.ts';
import { decideAccess } from '../domain/access/policy.ts';
import type { ConsentIntent } from '../domain/access/consent-intent.ts';
import type { PatientRef } from '../domain/access/patient-ref.ts';
import type { DomainError } from '../domain/errors.ts';
import { domainError, DomainFailure } from '../domain/errors.ts';
import { bareOid, validateIns } from '../domain/identity/ins.ts';
import { deny } from '../domain/access/decision.ts';
import { assertInsSystemAllowed } from './ins-system.ts';
import type { ConsentRow } from '../db/consent.repository.ts';
import * as consents from '../db/consent.repository.ts';
import type { RecordRow } from '../db/records.repository.ts';
import * as records from '../db/records.repository.ts';
import * as recordIds from '../db/record-ids.repository.ts';
import { findProfessionals } from '../db/directory.repository.ts';
import {
  checkMedecinTraitant,
  validateMedecinTraitantId,
} from '../domain/records/medecin-traitant.ts';
import { loadAccessContext } from './access-facts.ts';
import { audit, auditDenial } from './audit.ts';
import type { Deps } from './deps.ts';
import { mayTellExistence } from './record-existence.ts';
import { isUuid } from '../domain/identity/uuid.ts';

const NOT_FOUND = domainError('not-found', 'REC_NOT_FOUND', 'No such record.');

/** Resolves a patient reference (INS or Patient/{id}) to its record, or fails with 400/404. */
export async function resolveRecord(deps: Deps, ref: PatientRef): Promise<RecordRow> {
  if (ref.kind === 'id') {
    const row = await records.findRecord(deps.sql, ref.id);
    if (!row) {
      throw new DomainFailure(NOT_FOUND);
    }
    return row;
  }
  const checked = validateIns(ref.value, ref.system ? bareOid(ref.system) : undefined);
  if (!checked.ok) {
    throw new DomainFailure({ ...checked.error, kind: 'invalid' });
  }
  assertInsSystemAllowed(deps.config, checked.value.oid);
  const row = await records.findRecordByIns(deps.sql, checked.value.value);
  if (!row) {
    throw new DomainFailure(NOT_FOUND);
  }
  return row;
}

function operationFor(
  intent: ConsentIntent['kind'] | ConsentRow['kind'],
  ending: boolean,
): ConsentOperation {
  switch (intent) {
    case 'authorization':
      return ending ? 'remove' : 'add';
    case 'block':
      return ending ? 'unblock' : 'block';
    case 'emergency-objection':
      return ending ? 'accept-emergency' : 'object-emergency';
    case 'care-team-objection':
      return ending ? 'accept-care-team' : 'object-care-team';
  }
}

function denied(reason: string, message: string): DomainError {
  if (reason === 'ACCESS_NOT_REPRESENTATIVE') {
    return NOT_FOUND; // issue 17 rule 1: answered like a missing record
  }
  return domainError(
    reason === 'ACCESS_RECORD_CLOSED' ? 'unprocessable' : 'forbidden',
    reason,
    message,
  );
}

/** Decides, traces a denial, and throws it. */
async function enforce(
  deps: Deps,
  actor: Actor,
  row: RecordRow,
  request:
    { action: 'consent.declare' } | { action: 'consent.manage'; operation: ConsentOperation },
  traceAction: string,
): Promise<void> {
  await enforceOnRecord(deps, actor, row, request, { action: traceAction }, (d) =>
    denied(d.reason, d.message),
  );
}

function intentTrace(intent: ConsentIntent): string {
  return `consent.${intent.kind}`;
}

/**
 * POST /fhir/Consent: a professional's software declares the patient's consent (for the caller or the caller's
 * structure); the patient or representative adds an authorization, blocks a professional, objects to a care
 * team or to an emergency mode. Idempotent: the same active consent is returned, not duplicated.
 */
export async function declareConsent(
  deps: Deps,
  actor: Actor,
  declared: { readonly patient: PatientRef; readonly intent: ConsentIntent },
): Promise<{ row: ConsentRow; record: RecordRow; created: boolean }> {
  const { intent } = declared;
  const row = await resolveRecord(deps, declared.patient);
  const traceAction = intentTrace(intent);
  if (actor.kind === 'professional') {
    const own =
      intent.kind === 'authorization' &&
      ((intent.actorKind === 'professional' && intent.actorId === actor.idNatPs) ||
        (intent.actorKind === 'structure' &&
          actor.structure !== undefined &&
          intent.actorId === actor.structure));
    if (!own) {
      const e = domainError(
        'forbidden',
        'CONSENT_ACTOR_NOT_CALLER',
        'A professional declares consent only for themselves or the structure they act from.',
        ['intent.actorId'],
      );
      await auditDenial(deps, actor, row.patient_id, { action: traceAction, reasonCode: e.code });
      throw new DomainFailure(e);
    }
    await enforce(deps, actor, row, { action: 'consent.declare' }, traceAction);
  } else {
    await enforce(
      deps,
      actor,
      row,
      { action: 'consent.manage', operation: operationFor(intent.kind, false) },
      traceAction,
    );
  }
  const now = deps.clock.now();
  const days = deps.config.authorizationDays;
  // On Citus the consent's id is drawn into the record's shard: its locator is written beside the record (ADR 0035).
  const id = await recordIds.idOnRecordShard(deps.sql, row.patient_id, deps.ids);
  const result = await deps.sql.begin(async (tx) => {
    // Lock the record first (the trace will): inserting a row referencing it first would take a share lock
    // that two concurrent writers could then both try to upgrade — a deadlock.
    await records.lockRecord(tx, row.patient_id);
    const inserted = await consents.insertConsent(tx, {
      patientId: row.patient_id,
      id,
      kind: intent.kind,
      actorKind:
        intent.kind === 'authorization'
          ? intent.actorKind
          : intent.kind === 'block'
            ? 'professional'
            : intent.kind === 'care-team-objection'
              ? 'structure'
              : null,
      actorId:
        intent.kind === 'authorization'
          ? intent.actorId
          : intent.kind === 'block'
            ? intent.idNatPs
            : intent.kind === 'care-team-objection'
              ? intent.structure
              : null,
      purpose: intent.kind === 'emergency-objection' ? intent.mode : null,
      createdAt: now,
      createdByKind: actor.kind,
      createdBy: actorId(actor),
      secret: actor.kind === 'professional' && actor.secret === true,
      expiresAt:
        intent.kind === 'authorization' && days > 0
          ? new Date(now.getTime() + days * 86_400_000)
          : null,
    });
    await audit(tx, deps, actor, row.patient_id, {
      action: traceAction,
      outcome: 'success',
      entityType: 'Consent',
      entityId: inserted.row.id,
      detail: {
        created: inserted.created,
        subject: inserted.row.actor_id,
        purpose: inserted.row.purpose,
      },
    });
    await deps.notify?.(tx, {
      type: traceAction,
      patientId: row.patient_id,
      actor,
      consentId: inserted.row.id,
    });
    return inserted;
  });
  return { ...result, record: row };
}

/** DELETE /fhir/Consent/{id}: the patient removes an authorization, unblocks, accepts an emergency mode or a team. */
export async function endConsent(deps: Deps, actor: Actor, id: string): Promise<void> {
  const consent = isUuid(id) ? await consents.findConsentById(deps.sql, id) : undefined;
  const row = consent ? await records.findRecord(deps.sql, consent.patient_id) : undefined;
  if (!consent || !row) {
    throw new DomainFailure(domainError('not-found', 'CONSENT_NOT_FOUND', 'No such Consent.'));
  }
  const traceAction = `consent.${consent.kind}.end`;
  const { context } = await loadAccessContext(deps.sql, deps, actor, row);
  const decision = decideAccess({
    ...context,
    action: 'consent.manage',
    operation: operationFor(consent.kind, true),
  });
  if (!decision.allow) {
    await auditDenial(deps, actor, row.patient_id, {
      action: traceAction,
      reasonCode: decision.reason,
      entityType: 'Consent',
      entityId: id,
    });
    // Those who may not manage this record's consents learn nothing about it.
    throw new DomainFailure(domainError('not-found', 'CONSENT_NOT_FOUND', 'No such Consent.'));
  }
  await deps.sql.begin(async (tx) => {
    await records.lockRecord(tx, row.patient_id);
    const ended = await consents.endConsent(
      tx,
      row.patient_id,
      id,
      deps.clock.now(),
      actorId(actor),
    );
    await audit(tx, deps, actor, row.patient_id, {
      action: traceAction,
      outcome: 'success',
      entityType: 'Consent',
      entityId: id,
      detail: { changed: ended, subject: consent.actor_id, purpose: consent.purpose },
    });
    if (ended) {
      await deps.notify?.(tx, {
        type: traceAction,
        patientId: row.patient_id,
        actor,
        consentId: id,
      });
    }
  });
}

/** Lists a record's consents (active by default) for the holder, representative or operator. */
export async function listConsents(
  deps: Deps,
  actor: Actor,
  ref: PatientRef,
  includeInactive: boolean,
): Promise<{ record: RecordRow; rows: ConsentRow[] }> {
  const row = await resolveRecord(deps, ref);
  const { context } = await loadAccessContext(deps.sql, deps, actor, row);
  const decision = decideAccess({ ...context, action: 'consent.manage', operation: 'list' });
  if (!decision.allow) {
    await auditDenial(deps, actor, row.patient_id, {
      action: 'consent.list',
      reasonCode: decision.reason,
    });
    // Named by its id, a record the caller may not know of answers like a missing one (issue 16).
    throw mayTellExistence(actor, row, ref)
      ? new DomainFailure(denied(decision.reason, decision.message))
      : new DomainFailure(NOT_FOUND);
  }
  const found = await consents.findConsents(deps.sql, row.patient_id, includeInactive);
  // Issue 17 rule 2: an authorization declared in connexion secrète is not shown to the representatives.
  const rows = found.filter((c) => visibleToCaller(actor, c));
  await deps.sql.begin(async (tx) => {
    await audit(tx, deps, actor, row.patient_id, {
      action: 'consent.list',
      outcome: 'success',
      detail: { count: rows.length },
    });
  });
  return { record: row, rows };
}

/** A consent declared in connexion secrète is hidden from the representatives (issue 17 rule 2). */
function visibleToCaller(actor: Actor, consent: ConsentRow): boolean {
  return !(actor.kind === 'representative' && consent.secret === true);
}

/** Reads one consent (same rule as listing). */
export async function readConsentById(
  deps: Deps,
  actor: Actor,
  id: string,
): Promise<{ record: RecordRow; row: ConsentRow }> {
  const consent = isUuid(id) ? await consents.findConsentById(deps.sql, id) : undefined;
  const record = consent ? await records.findRecord(deps.sql, consent.patient_id) : undefined;
  if (!consent || !record) {
    throw new DomainFailure(domainError('not-found', 'CONSENT_NOT_FOUND', 'No such Consent.'));
  }
  const { context } = await loadAccessContext(deps.sql, deps, actor, record);
  const listed = decideAccess({ ...context, action: 'consent.manage', operation: 'list' });
  const decision =
    listed.allow && !visibleToCaller(actor, consent) ? deny('ACCESS_INVISIBLE') : listed;
  if (!decision.allow) {
    await auditDenial(deps, actor, record.patient_id, {
      action: 'consent.read',
      reasonCode: decision.reason,
      entityType: 'Consent',
      entityId: id,
    });
    throw new DomainFailure(domainError('not-found', 'CONSENT_NOT_FOUND', 'No such Consent.'));
  }
  return { record, row: consent };
}

/**
 * Issue 17 rule 3: the médecin traitant named is a valid person IdNat_PS of a médecin (TRE_G15 10) known to the
 * directory (domain/records/medecin-traitant.ts). A refusal is traced with its code; nothing is stored.
 */
async function requireMedecin(
  deps: Deps,
  actor: Actor,
  patientId: string,
  idNatPs: string,
): Promise<void> {
  const id = validateMedecinTraitantId(idNatPs);
  const issue = id.ok
    ? checkMedecinTraitant((await findProfessionals(deps.sql, [idNatPs])).get(idNatPs))
    : id.error;
  if (issue) {
    await auditDenial(deps, actor, patientId, {
      action: 'record.medecin-traitant',
      reasonCode: issue.code,
    });
    const kind = issue.code.startsWith('ID_') ? 'invalid' : 'unprocessable';
    throw new DomainFailure({ ...issue, kind });
  }
}

/** Sets or clears the médecin traitant (patient, representative or operator). */
export async function setMedecinTraitant(
  deps: Deps,
  actor: Actor,
  patientId: string,
  idNatPs: string | null,
): Promise<RecordRow> {
  const row = isUuid(patientId) ? await records.findRecord(deps.sql, patientId) : undefined;
  if (!row) {
    throw new DomainFailure(NOT_FOUND);
  }
  const { context } = await loadAccessContext(deps.sql, deps, actor, row);
  const decision = decideAccess({
    ...context,
    action: 'consent.manage',
    operation: 'set-medecin-traitant',
  });
  if (!decision.allow) {
    await auditDenial(deps, actor, row.patient_id, {
      action: 'record.medecin-traitant',
      reasonCode: decision.reason,
    });
    throw new DomainFailure(
      actor.kind === 'professional' ? denied(decision.reason, decision.message) : NOT_FOUND,
    );
  }
  if (idNatPs !== null) {
    await requireMedecin(deps, actor, row.patient_id, idNatPs);
  }
  await deps.sql.begin(async (tx) => {
    await records.lockRecord(tx, row.patient_id);
    await records.setGeneralPractitioner(tx, row.patient_id, idNatPs);
    await audit(tx, deps, actor, row.patient_id, {
      action: 'record.medecin-traitant',
      outcome: 'success',
      entityType: 'Patient',
      entityId: row.patient_id,
      detail: { medecinTraitant: idNatPs },
    });
  });
  const updated = await records.findRecord(deps.sql, row.patient_id);
  if (!updated) {
    throw new DomainFailure(NOT_FOUND);
  }
  return updated;
}
