import type { Db } from './client.ts';

export type ConsentKind = 'authorization' | 'block' | 'emergency-objection' | 'care-team-objection';

export interface ConsentRow {
  patient_id: string;
  id: string;
  kind: ConsentKind;
  actor_kind: 'professional' | 'structure' | null;
  actor_id: string | null;
  purpose: 'bris_de_glace' | 'centre_15' | null;
  status: 'active' | 'inactive';
  created_at: Date;
  created_by_kind: string;
  created_by: string;
  expires_at: Date | null;
  ended_at: Date | null;
  ended_by: string | null;
  /** Declared by a professional in connexion secrète (migration 0041, issue 17 rule 2). */
  secret?: boolean;
}

export async function findActiveConsents(db: Db, patientId: string): Promise<ConsentRow[]> {
  return db<
    ConsentRow[]
  >`SELECT * FROM consent WHERE patient_id = ${patientId} AND status = 'active'
    ORDER BY created_at DESC`;
}

export async function findConsents(
  db: Db,
  patientId: string,
  includeInactive: boolean,
): Promise<ConsentRow[]> {
  return includeInactive
    ? db<
        ConsentRow[]
      >`SELECT * FROM consent WHERE patient_id = ${patientId} ORDER BY created_at DESC`
    : findActiveConsents(db, patientId);
}

/**
 * A consent by its id alone: its record from resource_locator (migration 0073), then the consent on that record (two
 * statements of one shard each on Citus, where `consent WHERE id = …` went to every shard; ADR 0027).
 */
export async function findConsentById(db: Db, id: string): Promise<ConsentRow | undefined> {
  const [located] = await db<{ patient_id: string }[]>`
    SELECT patient_id FROM resource_locator WHERE id = ${id} AND kind = 'Consent'`;
  if (!located) {
    return undefined;
  }
  const [row] = await db<
    ConsentRow[]
  >`SELECT * FROM consent WHERE patient_id = ${located.patient_id} AND id = ${id}`;
  return row;
}

export interface NewConsent {
  patientId: string;
  id: string;
  kind: ConsentKind;
  actorKind: 'professional' | 'structure' | null;
  actorId: string | null;
  purpose: 'bris_de_glace' | 'centre_15' | null;
  createdAt: Date;
  createdByKind: string;
  createdBy: string;
  expiresAt: Date | null;
  /** Declared in connexion secrète (issue 17 rule 2): left out of the representatives' list. */
  secret?: boolean;
}

/** Inserts an active consent, or returns the existing active one with the same meaning (idempotent). */
export async function insertConsent(
  db: Db,
  c: NewConsent,
): Promise<{ row: ConsentRow; created: boolean }> {
  const existing = await db<ConsentRow[]>`SELECT * FROM consent WHERE patient_id = ${c.patientId}
    AND kind = ${c.kind} AND status = 'active'
    AND coalesce(actor_kind, '') = ${c.actorKind ?? ''} AND coalesce(actor_id, '') = ${c.actorId ?? ''}
    AND coalesce(purpose, '') = ${c.purpose ?? ''} FOR UPDATE`;
  if (existing[0]) {
    return { row: existing[0], created: false };
  }
  const [row] = await db<
    ConsentRow[]
  >`INSERT INTO consent (patient_id, id, kind, actor_kind, actor_id, purpose, status,
      created_at, created_by_kind, created_by, expires_at, secret)
    VALUES (${c.patientId}, ${c.id}, ${c.kind}, ${c.actorKind}, ${c.actorId}, ${c.purpose}, 'active', ${c.createdAt},
      ${c.createdByKind}, ${c.createdBy}, ${c.expiresAt}, ${c.secret ?? false})
    RETURNING *`;
  if (!row) {
    throw new Error('consent insert returned nothing');
  }
  await db`INSERT INTO resource_locator (id, patient_id, kind) VALUES (${c.id}, ${c.patientId}, 'Consent')`;
  return { row, created: true };
}

export async function endConsent(
  db: Db,
  patientId: string,
  id: string,
  at: Date,
  by: string,
): Promise<boolean> {
  const rows = await db`UPDATE consent SET status = 'inactive', ended_at = ${at}, ended_by = ${by}
    WHERE patient_id = ${patientId} AND id = ${id} AND status = 'active' RETURNING id`;
  return rows.length > 0;
}

/** Ends the active consents of a kind for an actor or purpose (unblock, accept an emergency mode…). */
export async function endConsentsMatching(
  db: Db,
  patientId: string,
  kind: ConsentKind,
  actorId: string | null,
  purpose: string | null,
  at: Date,
  by: string,
): Promise<string[]> {
  const rows = await db<
    { id: string }[]
  >`UPDATE consent SET status = 'inactive', ended_at = ${at}, ended_by = ${by}
    WHERE patient_id = ${patientId} AND kind = ${kind} AND status = 'active'
      AND coalesce(actor_id, '') = ${actorId ?? ''} AND coalesce(purpose, '') = ${purpose ?? ''}
    RETURNING id`;
  return rows.map((r) => r.id);
}
