import type { Actor } from '../domain/access/actor.ts';
import type { Grant, RecordFacts, Standing } from '../domain/access/facts.ts';
import { NO_STANDING, resolveStanding } from '../domain/access/facts.ts';
import type { AccessContext } from '../domain/access/policy.ts';
import type { Representation } from '../domain/access/representation.ts';
import type { RepresentationRow } from '../db/representation.repository.ts';
import { findRepresentations } from '../db/representation.repository.ts';
import type { Db } from '../db/client.ts';
import type { ConsentRow } from '../db/consent.repository.ts';
import { findActiveConsents } from '../db/consent.repository.ts';
import type { RecordRow, RecordWithConsents } from '../db/records.repository.ts';
import { loadAccessMatrix } from './access-matrix.ts';
import type { Deps } from './deps.ts';

/** Age of majority (France): 18 full years. */
export function isMinor(birthDate: string, now: Date): boolean {
  const [y, m, d] = birthDate.split('-').map(Number) as [number, number, number];
  const eighteenth = Date.UTC(y + 18, m - 1, d);
  return now.getTime() < eighteenth;
}

/** Pure: the policy's record facts from the record row and its active consents. */
export function recordFactsOf(
  row: RecordRow,
  consents: readonly ConsentRow[],
  now: Date,
): RecordFacts {
  return {
    status: row.status,
    isMinor: isMinor(row.birth_date, now),
    blockedIdNatPs: consents
      .filter((c) => c.kind === 'block' && c.actor_id)
      .map((c) => c.actor_id as string),
    medecinTraitantIdNatPs: row.general_practitioner ?? undefined,
    emergencyObjections: {
      bris_de_glace: consents.some(
        (c) => c.kind === 'emergency-objection' && c.purpose === 'bris_de_glace',
      ),
      centre_15: consents.some(
        (c) => c.kind === 'emergency-objection' && c.purpose === 'centre_15',
      ),
    },
  };
}

/** Pure: the registrations as the policy sees them (those without identity match nobody and are left out). */
export function representationsOf(rows: readonly RepresentationRow[]): Representation[] {
  const out: Representation[] = [];
  for (const r of rows) {
    if (r.identifier === null) {
      continue;
    }
    const ends = [r.ends_at, r.ended_at].filter((d): d is Date => d !== null);
    const end = ends.length > 0 ? new Date(Math.min(...ends.map((d) => d.getTime()))) : undefined;
    out.push({ identifier: r.identifier, start: r.starts_at, end });
  }
  return out;
}

/** Pure: authorizations as policy grants (a care-team grant carries the patient's objection to that team). */
export function grantsOf(consents: readonly ConsentRow[]): Grant[] {
  const objected = new Set(
    consents.filter((c) => c.kind === 'care-team-objection').map((c) => c.actor_id),
  );
  const grants: Grant[] = [];
  for (const c of consents) {
    if (c.kind !== 'authorization' || !c.actor_id) {
      continue;
    }
    const expiresAt = c.expires_at ?? undefined;
    grants.push(
      c.actor_kind === 'structure'
        ? {
            kind: 'care-team',
            structure: c.actor_id,
            patientObjected: objected.has(c.actor_id),
            expiresAt,
          }
        : { kind: 'professional', idNatPs: c.actor_id, expiresAt },
    );
  }
  return grants;
}

export interface LoadedAccess {
  readonly context: AccessContext;
  readonly consents: readonly ConsentRow[];
  readonly grants: readonly Grant[];
}

/**
 * The policy context for `actor` on the record `ins` names: its facts loaded when `row` exists, none when no record
 * exists for `ins` (or the request names none: NO_RECORD_INS).
 */
export async function accessContextOf(
  db: Db,
  deps: Pick<Deps, 'clock'>,
  actor: Actor,
  ins: string,
  row: RecordRow | undefined,
): Promise<AccessContext> {
  if (row) {
    return { ...(await loadAccessContext(db, deps, actor, row)).context, ins };
  }
  return { actor, ins, record: undefined, matrix: loadAccessMatrix(), now: deps.clock.now() };
}

/** Loads everything the policy needs to decide on `actor`'s requests about this record. */
export async function loadAccessContext(
  db: Db,
  deps: Pick<Deps, 'clock'>,
  actor: Actor,
  row: RecordRow,
): Promise<LoadedAccess> {
  const now = deps.clock.now();
  // A row read with findRecordWithConsents carries them already (one statement instead of two).
  const consents =
    'active_consents' in row
      ? (row as RecordWithConsents).active_consents
      : await findActiveConsents(db, row.patient_id);
  const grants = grantsOf(consents);
  const standing: Standing =
    actor.kind === 'professional' ? resolveStanding(actor, grants, now) : NO_STANDING;
  const facts = recordFactsOf(row, consents, now);
  // Issue 17 rule 1: a representative is decided on the registrations of the record, read afresh.
  const record: RecordFacts =
    actor.kind === 'representative' && actor.ins === row.ins
      ? {
          ...facts,
          representations: representationsOf(await findRepresentations(db, row.patient_id)),
        }
      : facts;
  return {
    context: {
      actor,
      ins: row.ins,
      record,
      standing,
      matrix: loadAccessMatrix(),
      now,
    },
    consents,
    grants,
  };
}
