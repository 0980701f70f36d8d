import { enforceOnRecord } from './refusal.ts';
import type { Actor } from '../domain/access/actor.ts';
import type { AccessRequest } from '../domain/access/policy.ts';
import { isLiveRepresentation, majorityAt } from '../domain/access/representation.ts';
import type { PatientRef } from '../domain/access/patient-ref.ts';
import { domainError, DomainFailure, type DomainError } from '../domain/errors.ts';
import { isUuid } from '../domain/identity/uuid.ts';
import type { RecordRow } from '../db/records.repository.ts';
import * as reps from '../db/representation.repository.ts';
import type { RepresentationRow } from '../db/representation.repository.ts';
import { isMinor } from './access-facts.ts';
import { audit } from './audit.ts';
import { resolveRecord } from './consent.ts';
import { refusedAsMissing } from './record-existence.ts';
import type { Deps } from './deps.ts';

/**
 * Legal representation as a fact of the record (issue 17 rule 1; domain/access/representation.ts RP1–RP3):
 *  LR1. The operator registers a representation on a minor's record (`record.manage register-representative`):
 *       the representative's own identifier (what their token carries as `id`), a name, a relation, a start
 *       (default now) and an optional end, before the 18th birthday. One registration in force per identifier.
 *  LR2. The operator ends one early (`end-representative`); it is kept, ended, so the holder sees past ones.
 *  LR3. The holder, a live representative and the operator list them (`representation.read`); professionals never.
 *  LR4. Everything is traced (`representation.register`, `representation.end`, `representation.read`), denials
 *       too; a representative without a live registration is answered as if the record did not exist.
 */
export interface RepresentationInput {
  readonly patient: PatientRef;
  readonly identifierSystem: string | null;
  readonly identifier: string;
  readonly name: string;
  readonly relation: string | null;
  readonly start: Date | null;
  readonly end: Date | null;
}

/**
 * The fields of the input an issue names (issue 18 point 4); each adapter locates them on its own request (FHIR:
 * http/fhir/operation-locations.ts).
 */
export const REPRESENTATION_FIELD = {
  identifier: 'identifier',
  start: 'start',
  end: 'end',
} as const satisfies Readonly<Record<string, keyof RepresentationInput>>;

export const REC_NOT_FOUND = domainError('not-found', 'REC_NOT_FOUND', 'No such record.');
const REP_NOT_FOUND = domainError('not-found', 'REP_NOT_FOUND', 'No such RelatedPerson.');

/** What a denial becomes: the caller who may not know the record exists is told it does not. */
function denialError(reason: string, message: string): DomainError {
  return reason === 'ACCESS_NOT_REPRESENTATIVE' ||
    reason === 'ACCESS_NOT_HOLDER' ||
    reason === 'ACCESS_NO_RECORD'
    ? REC_NOT_FOUND
    : domainError('forbidden', reason, message);
}

async function enforce(
  deps: Deps,
  actor: Actor,
  row: RecordRow,
  request: AccessRequest,
  traceAction: string,
): Promise<void> {
  await enforceOnRecord(deps, actor, row, request, { action: traceAction }, (d) =>
    denialError(d.reason, d.message),
  );
}

function unprocessable(code: string, message: string, location: string): DomainFailure {
  return new DomainFailure(domainError('unprocessable', code, message, [location]));
}

/** LR1. */
export async function registerRepresentation(
  deps: Deps,
  actor: Actor,
  input: RepresentationInput,
): Promise<{ row: RepresentationRow; record: RecordRow }> {
  const record = await resolveRecord(deps, input.patient);
  await enforce(
    deps,
    actor,
    record,
    { action: 'record.manage', operation: 'register-representative' },
    'representation.register',
  );
  const now = deps.clock.now();
  const start = input.start ?? now;
  const majority = majorityAt(record.birth_date);
  if (!isMinor(record.birth_date, start)) {
    throw unprocessable(
      'REP_HOLDER_NOT_MINOR',
      `The holder is of age on ${start.toISOString().slice(0, 10)}: a legal representation of a minor ends at the 18th birthday (${majority.toISOString().slice(0, 10)}).`,
      REPRESENTATION_FIELD.start,
    );
  }
  if (input.end !== null && input.end.getTime() <= start.getTime()) {
    throw unprocessable(
      'REP_PERIOD_INVALID',
      'The end of the representation must come after its start.',
      REPRESENTATION_FIELD.end,
    );
  }
  const id = deps.ids();
  const inserted = await deps.sql.begin(async (tx) => {
    const ok = await reps.insertRepresentation(tx, {
      patientId: record.patient_id,
      id,
      name: input.name,
      relation: input.relation,
      identifierSystem: input.identifierSystem,
      identifier: input.identifier,
      startsAt: start,
      endsAt: input.end,
      registeredAt: now,
      registeredBy: actor.kind === 'operator' ? actor.id : actor.kind,
    });
    if (ok) {
      await audit(tx, deps, actor, record.patient_id, {
        action: 'representation.register',
        outcome: 'success',
        entityType: 'RelatedPerson',
        entityId: id,
        detail: { relation: input.relation },
      });
    }
    return ok;
  });
  if (!inserted) {
    throw new DomainFailure(
      domainError(
        'conflict',
        'REP_ALREADY_REGISTERED',
        'This representative is already registered on the record: end that registration first.',
        [REPRESENTATION_FIELD.identifier],
      ),
    );
  }
  const row = await reps.findRepresentation(deps.sql, record.patient_id, id);
  if (!row) {
    throw new Error('registered representation not found');
  }
  return { row, record };
}

/** LR3: every registration of the record, ended ones included. */
export async function listRepresentations(
  deps: Deps,
  actor: Actor,
  ref: PatientRef,
): Promise<{ record: RecordRow; rows: RepresentationRow[] }> {
  const record = await resolveRecord(deps, ref);
  // Named by its id, a record the caller may not know of answers like a missing one (issue 16).
  await enforce(
    deps,
    actor,
    record,
    { action: 'representation.read' },
    'representation.read',
  ).catch(refusedAsMissing(actor, record, ref));
  const rows = await reps.findRepresentations(deps.sql, record.patient_id);
  await deps.sql.begin(async (tx) => {
    await audit(tx, deps, actor, record.patient_id, {
      action: 'representation.read',
      outcome: 'success',
      entityType: 'Patient',
      entityId: record.patient_id,
      detail: { count: rows.length },
    });
  });
  return { record, rows };
}

/** LR2: ends a registration now (the operator); ending an ended one changes nothing. */
export async function endRepresentation(
  deps: Deps,
  actor: Actor,
  patientId: string,
  id: string,
): Promise<{ row: RepresentationRow; record: RecordRow }> {
  const record = await resolveRecord(deps, { kind: 'id', id: patientId });
  await enforce(
    deps,
    actor,
    record,
    { action: 'record.manage', operation: 'end-representative' },
    'representation.end',
  );
  const current = isUuid(id)
    ? await reps.findRepresentation(deps.sql, record.patient_id, id)
    : undefined;
  if (!current) {
    throw new DomainFailure(REP_NOT_FOUND);
  }
  const now = deps.clock.now();
  await deps.sql.begin(async (tx) => {
    const ended = await reps.endRepresentation(
      tx,
      record.patient_id,
      id,
      now,
      actor.kind === 'operator' ? actor.id : actor.kind,
    );
    if (ended) {
      await audit(tx, deps, actor, record.patient_id, {
        action: 'representation.end',
        outcome: 'success',
        entityType: 'RelatedPerson',
        entityId: id,
      });
    }
  });
  const row = await reps.findRepresentation(deps.sql, record.patient_id, id);
  return { row: row ?? current, record };
}

/** Whether a registration is in force at `now` on `record` (for the FHIR `active` element). */
export function isActive(row: RepresentationRow, record: RecordRow, now: Date): boolean {
  const ends = [row.ends_at, row.ended_at].filter((d): d is Date => d !== null);
  const end = ends.length > 0 ? new Date(Math.min(...ends.map((d) => d.getTime()))) : undefined;
  return (
    row.identifier !== null &&
    isLiveRepresentation(
      { identifier: row.identifier, start: row.starts_at, end },
      isMinor(record.birth_date, now),
      now,
    )
  );
}
