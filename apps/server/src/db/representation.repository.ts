import type { Db } from './client.ts';

/** A row of legal_representative (migrations 0001, 0040). */
export interface RepresentationRow {
  patient_id: string;
  id: string;
  name: string;
  relation: string | null;
  identifier_system: string | null;
  identifier: string | null;
  starts_at: Date;
  ends_at: Date | null;
  registered_at: Date;
  registered_by: string;
  ended_at: Date | null;
  ended_by: string | null;
}

const COLUMNS = `patient_id, id, name, relation, identifier_system, identifier, starts_at, ends_at,
  registered_at, registered_by, ended_at, ended_by`;

/** Every registration of the record, ended ones included, oldest first. */
export async function findRepresentations(
  sql: Db,
  patientId: string,
): Promise<RepresentationRow[]> {
  return sql.unsafe<RepresentationRow[]>(
    `SELECT ${COLUMNS} FROM legal_representative WHERE patient_id = $1 ORDER BY starts_at, id`,
    [patientId],
    { prepare: true },
  );
}

export async function findRepresentation(
  sql: Db,
  patientId: string,
  id: string,
): Promise<RepresentationRow | undefined> {
  const [row] = await sql.unsafe<RepresentationRow[]>(
    `SELECT ${COLUMNS} FROM legal_representative WHERE patient_id = $1 AND id = $2`,
    [patientId, id],
    { prepare: true },
  );
  return row;
}

export interface NewRepresentation {
  patientId: string;
  id: string;
  name: string;
  relation: string | null;
  identifierSystem: string | null;
  identifier: string;
  startsAt: Date;
  endsAt: Date | null;
  registeredAt: Date;
  registeredBy: string;
}

/**
 * Inserts a registration; false when one in force already names that identifier on the record. Moves the record's
 * version, so that facts remembered before (and their access tag, ADR 0009) are not used again.
 */
export async function insertRepresentation(tx: Db, r: NewRepresentation): Promise<boolean> {
  const rows =
    await tx`INSERT INTO legal_representative (patient_id, id, name, relation, identifier_system,
      identifier, starts_at, ends_at, registered_at, registered_by)
    VALUES (${r.patientId}, ${r.id}, ${r.name}, ${r.relation}, ${r.identifierSystem}, ${r.identifier},
      ${r.startsAt}, ${r.endsAt}, ${r.registeredAt}, ${r.registeredBy})
    ON CONFLICT (patient_id, identifier) WHERE identifier IS NOT NULL AND ended_at IS NULL DO NOTHING
    RETURNING id`;
  if (rows.length === 0) {
    return false;
  }
  await tx`UPDATE patient_record SET version = version + 1 WHERE patient_id = ${r.patientId}`;
  return true;
}

/** Ends a registration in force now; false when it was already ended. Moves the record's version. */
export async function endRepresentation(
  tx: Db,
  patientId: string,
  id: string,
  at: Date,
  by: string,
): Promise<boolean> {
  const rows = await tx`UPDATE legal_representative SET ended_at = ${at}, ended_by = ${by}
    WHERE patient_id = ${patientId} AND id = ${id} AND ended_at IS NULL RETURNING id`;
  if (rows.length === 0) {
    return false;
  }
  await tx`UPDATE patient_record SET version = version + 1 WHERE patient_id = ${patientId}`;
  return true;
}

/** Gives a registration made without identity (before migration 0040) its representative's identifier. */
export async function completeRepresentation(
  tx: Db,
  patientId: string,
  id: string,
  identifierSystem: string | null,
  identifier: string,
): Promise<void> {
  await tx`UPDATE legal_representative SET identifier_system = ${identifierSystem}, identifier = ${identifier}
    WHERE patient_id = ${patientId} AND id = ${id} AND identifier IS NULL`;
  await tx`UPDATE patient_record SET version = version + 1 WHERE patient_id = ${patientId}`;
}
