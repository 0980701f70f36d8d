/**
 * The facts the access policy decides on, loaded by the shell before calling it (db/access-facts…).
 * Pure data and small pure helpers; no I/O, no clock (the caller passes `now`).
 */
import type { Actor, ProfessionalActor } from './actor.ts';
import type { Representation } from './representation.ts';

export type RecordStatus = 'active' | 'closed';

/** Per-mode emergency objections registered by the patient (a deny Consent on TRE_R248 purpose). */
export interface EmergencyObjections {
  readonly bris_de_glace: boolean;
  readonly centre_15: boolean;
}

/** The record addressed by the request. A purged or never-created record is `undefined`, not a status. */
export interface RecordFacts {
  readonly status: RecordStatus;
  /** The holder is a minor (INVISIBLE_REPRESENTANTS_LEGAUX may be set). */
  readonly isMinor: boolean;
  /** IdNat_PS of the professionals the patient blocked. */
  readonly blockedIdNatPs: readonly string[];
  /** IdNat_PS of the médecin traitant DMP, when one is set. */
  readonly medecinTraitantIdNatPs?: string | undefined;
  readonly emergencyObjections: EmergencyObjections;
  /**
   * The legal representations registered on the record (issue 17 rule 1), live or not: loaded for a
   * representative caller; absent = none (a representative is then granted nothing).
   */
  readonly representations?: readonly Representation[];
}

/**
 * A professional's authorization on the record (rule 3), resolved for the calling professional:
 * their own declared consent, or an authorization held by the care team of the structure they act from.
 */
export type Standing =
  | { readonly kind: 'consent' }
  | { readonly kind: 'care-team'; readonly structure: string; readonly patientObjected: boolean }
  | { readonly kind: 'none' };

export const NO_STANDING: Standing = { kind: 'none' };

/** One authorization as stored: a professional's declared consent, or a structure's care-team authorization. */
export type Grant =
  | {
      readonly kind: 'professional';
      readonly idNatPs: string;
      readonly expiresAt?: Date | undefined;
    }
  | {
      readonly kind: 'care-team';
      readonly structure: string;
      /** The patient, once informed, objected to access by this care team. */
      readonly patientObjected: boolean;
      readonly expiresAt?: Date | undefined;
    };

/** Visibility labels of TRE_A07 that the policy enforces (beside N/R/V, which it ignores). */
export const VISIBILITY_LABELS = [
  'MASQUE_PS',
  'INVISIBLE_PATIENT',
  'INVISIBLE_REPRESENTANTS_LEGAUX',
] as const;

export type VisibilityLabel = (typeof VISIBILITY_LABELS)[number];

export type DocumentStatus = 'current' | 'superseded' | 'archived' | 'deleted';

export type DepositorKind = Actor['kind'];

/** Metadata of a document being deposited (or the replacement in a replace). */
export interface NewDocumentFacts {
  /** J66 type code (LOINC or TRE_A05), bare code. */
  readonly typeCode: string;
  /** J57 class code. */
  readonly classCode: string;
  readonly authorIdNatPs: readonly string[];
  /** IdNat_Struct of the authors' structures. */
  readonly authorStructures: readonly string[];
  /** Confidentiality codes (N/R/V and TRE_A07 labels), bare codes. */
  readonly confidentiality: readonly string[];
}

/** A stored document's access-relevant metadata. */
export interface DocumentFacts extends NewDocumentFacts {
  readonly depositorIdNatPs?: string | undefined;
  /** Who deposited it: a professional, the patient, a representative, or the operator (class 60). */
  readonly depositorKind: DepositorKind;
  readonly status: DocumentStatus;
  readonly depositedAt: Date;
}

export function hasLabel(
  doc: Pick<NewDocumentFacts, 'confidentiality'>,
  label: VisibilityLabel,
): boolean {
  return doc.confidentiality.includes(label);
}

/** Days after deposit at which the patient is told an invisible document awaits (R1111-53). */
export const INVISIBLE_PATIENT_NOTICE_DAYS = 14;

function addUtcMonths(date: Date, months: number): Date {
  const y = date.getUTCFullYear();
  const m = date.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  const result = new Date(date.getTime());
  result.setUTCDate(1);
  result.setUTCMonth(m);
  result.setUTCDate(Math.min(date.getUTCDate(), lastDay));
  return result;
}

/** When INVISIBLE_PATIENT lifts by itself: one calendar month after deposit (31 Jan → 28/29 Feb). */
export function invisiblePatientLiftsAt(depositedAt: Date): Date {
  return addUtcMonths(depositedAt, 1);
}

/** When the patient is told that an invisible document awaits: two weeks after deposit. */
export function invisiblePatientNoticeAt(depositedAt: Date): Date {
  return new Date(depositedAt.getTime() + INVISIBLE_PATIENT_NOTICE_DAYS * 86_400_000);
}

/**
 * Whether INVISIBLE_PATIENT still hides the document at `now`. An unreadable date keeps it hidden
 * (deny by default).
 */
export function isStillInvisibleToPatient(
  doc: Pick<DocumentFacts, 'confidentiality' | 'depositedAt'>,
  now: Date,
): boolean {
  if (!hasLabel(doc, 'INVISIBLE_PATIENT')) {
    return false;
  }
  return !(now.getTime() >= invisiblePatientLiftsAt(doc.depositedAt).getTime());
}

/**
 * The calling professional's standing among the record's grants at `now`: their own consent first, then the
 * care team of the structure they act from. Expired grants are ignored.
 */
export function resolveStanding(
  actor: Pick<ProfessionalActor, 'idNatPs' | 'structure'>,
  grants: readonly Grant[],
  now: Date,
): Standing {
  const live = grants.filter(
    (g) => g.expiresAt === undefined || now.getTime() < g.expiresAt.getTime(),
  );
  if (live.some((g) => g.kind === 'professional' && g.idNatPs === actor.idNatPs)) {
    return { kind: 'consent' };
  }
  const teams = live.filter(
    (g): g is Extract<Grant, { kind: 'care-team' }> =>
      g.kind === 'care-team' && actor.structure !== undefined && g.structure === actor.structure,
  );
  const team = teams.find((g) => !g.patientObjected) ?? teams[0];
  if (team) {
    return { kind: 'care-team', structure: team.structure, patientObjected: team.patientObjected };
  }
  return NO_STANDING;
}
