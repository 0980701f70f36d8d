import type { Actor } from '../access/actor.ts';

/**
 * One traced event (product.md §2 "Traceability"). Holds identifiers only, never clinical content.
 * The hash chain (per record) is computed over `canonicalAuditPayload`, so its field order is part of the format:
 * add fields only at the end, never reorder.
 */
export type AuditOutcome = 'success' | 'denied' | 'failure';

export interface AuditRecord {
  readonly id: string;
  readonly recordedAt: Date;
  readonly action: string;
  readonly outcome: AuditOutcome;
  readonly reasonCode: string | null;
  readonly actorKind: Actor['kind'] | 'system';
  readonly actorId: string;
  readonly actorName: string | null;
  readonly actorProfession: string | null;
  readonly actorSpecialty: string | null;
  readonly actorStructure: string | null;
  readonly accessMode: string | null;
  readonly justification: string | null;
  readonly entityType: string | null;
  readonly entityId: string | null;
  readonly detail: Readonly<Record<string, string | number | boolean | null>>;
}

export interface AuditInput {
  readonly action: string;
  readonly outcome: AuditOutcome;
  readonly reasonCode?: string | null;
  readonly entityType?: string | null;
  readonly entityId?: string | null;
  readonly detail?: Readonly<Record<string, string | number | boolean | null>>;
}

export const SYSTEM_ACTOR = { kind: 'system', id: 'opendmp' } as const;

/** Builds the audit record of `input` done by `actor` at `at`; `id` is supplied by the caller (no randomness here). */
export function buildAuditRecord(
  actor: Actor | typeof SYSTEM_ACTOR,
  input: AuditInput,
  at: Date,
  id: string,
): AuditRecord {
  const base = {
    id,
    recordedAt: at,
    action: input.action,
    outcome: input.outcome,
    reasonCode: input.reasonCode ?? null,
    entityType: input.entityType ?? null,
    entityId: input.entityId ?? null,
    // Keys whose value is undefined are dropped: jsonb cannot store them, and the hash must match what is stored.
    detail: Object.fromEntries(
      Object.entries(input.detail ?? {}).filter(([, v]) => v !== undefined),
    ),
  };
  switch (actor.kind) {
    case 'professional':
      return {
        ...base,
        actorKind: 'professional',
        actorId: actor.idNatPs,
        actorName: actor.name ?? null,
        actorProfession: actor.profession,
        actorSpecialty: actor.specialty ?? null,
        actorStructure: actor.structure ?? null,
        accessMode: actor.mode,
        justification: actor.mode === 'bris_de_glace' ? (actor.reason ?? null) : null,
        // Issue 17 rule 2: traces of a connexion secrète are left out of the representatives' view. Rule 12: how
        // strongly the professional was authenticated.
        ...((actor.secret === true ||
          actor.authStrength !== undefined ||
          actor.client !== undefined) && {
          detail: {
            ...base.detail,
            ...(actor.secret === true && { secret: true }),
            ...(actor.authStrength !== undefined && { authStrength: actor.authStrength }),
            // Issue 19: the channel (SOAP with a VIHF) and the software, with its homologation number.
            ...(actor.client !== undefined && { channel: actor.client.channel }),
            ...(actor.client?.software !== undefined && { software: actor.client.software }),
            ...(actor.client?.homologation !== undefined && {
              homologation: actor.client.homologation,
            }),
          },
        }),
      };
    case 'software':
      // Issue 17 rule 12: a structure's software acting on its own (authentification indirecte).
      return {
        ...base,
        actorKind: 'software',
        actorId: actor.id,
        actorName: actor.name ?? null,
        actorProfession: null,
        actorSpecialty: null,
        actorStructure: actor.structure,
        accessMode: null,
        justification: null,
        detail: {
          ...base.detail,
          softwareProfile: actor.profile,
          // Issue 19: a deposit-only software calling the SOAP services with a VIHF.
          ...(actor.client !== undefined && { channel: actor.client.channel }),
          ...(actor.client?.homologation !== undefined && {
            homologation: actor.client.homologation,
          }),
        },
      };
    case 'patient':
    case 'representative':
      return {
        ...base,
        actorKind: actor.kind,
        actorId: actor.ins,
        actorName: actor.name ?? null,
        // Issue 17 rule 1: which registered representative acted (their own identifier).
        ...(actor.kind === 'representative' &&
          actor.id !== undefined && { detail: { ...base.detail, representative: actor.id } }),
        actorProfession: null,
        actorSpecialty: null,
        actorStructure: null,
        accessMode: null,
        justification: null,
      };
    case 'operator':
    case 'system':
      return {
        ...base,
        actorKind: actor.kind,
        actorId: actor.id,
        actorName: actor.kind === 'operator' ? (actor.name ?? null) : null,
        actorProfession: null,
        actorSpecialty: null,
        actorStructure: null,
        accessMode: null,
        justification: null,
      };
  }
}

/** The event's stored columns (table audit_event / system_audit_event), besides scope, seq and hashes. */
export function auditColumns(r: AuditRecord) {
  return {
    id: r.id,
    recorded_at: r.recordedAt,
    action: r.action,
    outcome: r.outcome,
    reason_code: r.reasonCode,
    actor_kind: r.actorKind,
    actor_id: r.actorId,
    actor_name: r.actorName,
    actor_profession: r.actorProfession,
    actor_specialty: r.actorSpecialty,
    actor_structure: r.actorStructure,
    access_mode: r.accessMode,
    justification: r.justification,
    entity_type: r.entityType,
    entity_id: r.entityId,
    detail: r.detail,
  };
}

/**
 * Version of the canonical form new links are written with (column `canon`, migration 0020; ADR 0013):
 *  1. recorded_at as `toISOString()`, to the millisecond (links written before migration 0020);
 *  2. recorded_at to the microsecond, as PostgreSQL stores it (`2026-01-01T00:00:00.123000Z`), so that moving a
 *     stored time by 1 µs changes the hash.
 * The two texts of one instant differ, so a link cannot be passed off as the other version.
 */
export const AUDIT_CANON = 2;

/** recorded_at as canonical form 2 writes it: UTC, six fractional digits (a Date holds milliseconds). */
export function canonicalTime(at: Date): string {
  return at.toISOString().replace(/Z$/, '000Z');
}

/**
 * The exact text hashed into the chain: stable field order, ISO time, sorted detail keys.
 * `time`: the recorded_at text of the link's version (default: version 2 of `r.recordedAt`).
 */
export function canonicalAuditPayload(
  scope: string,
  seq: bigint | number,
  r: AuditRecord,
  time: string = canonicalTime(r.recordedAt),
): string {
  return `[${JSON.stringify(scope)},${JSON.stringify(String(seq))},${canonicalAuditTail(r, time)}`;
}

/**
 * The canonical payload after its scope and seq (the text after `["scope","seq",`): what the database function
 * append_record_audit completes once it knows the seq (migration 0012).
 */
export function canonicalAuditTail(
  r: AuditRecord,
  time: string = canonicalTime(r.recordedAt),
): string {
  const detail = Object.keys(r.detail)
    .sort()
    .map((k) => [k, r.detail[k] ?? null]);
  return JSON.stringify([
    r.id,
    time,
    r.action,
    r.outcome,
    r.reasonCode,
    r.actorKind,
    r.actorId,
    r.actorName,
    r.actorProfession,
    r.actorSpecialty,
    r.actorStructure,
    r.accessMode,
    r.justification,
    r.entityType,
    r.entityId,
    detail,
  ]).slice(1);
}
