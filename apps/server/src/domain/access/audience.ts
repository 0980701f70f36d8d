/**
 * Explanations derived from the policy, never re-implemented beside it: every answer here is computed by
 * calling decideAccess, so what a screen shows is what is enforced.
 * - explainDocumentAudience: the patient portal's "who can see this document" screen;
 * - describeProfessionalStanding: the caller's standing in the TD0.2 answer (GET /fhir/Patient?identifier=…).
 */
import type { AccessMode, ProfessionalActor } from './actor.ts';
import type { AccessVia, Decision, DenyReason } from './decision.ts';
import type { DocumentFacts, RecordFacts, RecordStatus, Standing } from './facts.ts';
import { DEFAULT_PROFESSION_SYSTEM, type AccessMatrix, type AccessMatrixRow } from './matrix.ts';
import { decideAccess, isMedecinTraitant, type AccessContext } from './policy.ts';

/** A professional known to the record (declared consent, médecin traitant, author…). */
export interface AudienceProfessional {
  readonly idNatPs: string;
  readonly profession: string;
  readonly professionSystem?: string;
  readonly specialty?: string;
  /** The structure they act from (care-team authorizations apply to it). */
  readonly structure?: string;
  readonly name?: string;
  /** Their standing on the record, as resolveStanding gives it. */
  readonly standing: Standing;
}

export interface AudienceInput {
  readonly ins: string;
  readonly record: RecordFacts;
  readonly document: DocumentFacts;
  readonly matrix: AccessMatrix;
  readonly now: Date;
  /**
   * Professionals to list individually: those holding a declared consent, the médecin traitant, the
   * document's authors. Whoever is not listed is covered by `professions` / `careTeams`.
   */
  readonly professionals: readonly AudienceProfessional[];
  /** Structures whose care team holds an authorization on the record. */
  readonly careTeams: readonly { readonly structure: string; readonly patientObjected: boolean }[];
}

export interface ProfessionRef {
  readonly system: string;
  readonly profession: string;
  readonly specialty?: string;
  readonly label?: string;
}

export interface ProfessionalAudience {
  readonly idNatPs: string;
  readonly name?: string;
  readonly decision: Decision;
}

export interface EmergencyAudience {
  /** Some professional could read the document now in this mode. */
  readonly possible: boolean;
  /** The matrix rows that could (for centre_15: médecin rows, regulators only). */
  readonly professions: readonly ProfessionRef[];
  /** Why nobody could, when `possible` is false (e.g. ACCESS_EMERGENCY_OBJECTED, ACCESS_MASKED). */
  readonly reason?: DenyReason;
}

export interface DocumentAudience {
  /** Each listed professional with the decision the policy takes for them now (normal mode). */
  readonly professionals: readonly ProfessionalAudience[];
  /** For each authorized care team, the professions of its members that can read the document. */
  readonly careTeams: readonly {
    readonly structure: string;
    readonly professions: readonly ProfessionRef[];
  }[];
  /** Each matrix row and whether a professional of it, once authorized, can read the document. */
  readonly professions: readonly (ProfessionRef & { readonly allowed: boolean })[];
  readonly emergency: {
    readonly bris_de_glace: EmergencyAudience;
    readonly centre_15: EmergencyAudience;
  };
  /** The patient sees it now. */
  readonly patient: boolean;
  /** The legal representatives see it now. */
  readonly representatives: boolean;
}

/** An IdNat that no real professional has (IdNat_PS are digits): probes are never author, MT or blocked. */
const PROBE_ID = 'audience-probe';

function refOf(row: AccessMatrixRow): ProfessionRef {
  return {
    system: row.system,
    profession: row.profession,
    ...(row.specialty !== undefined ? { specialty: row.specialty } : {}),
    ...(row.label !== undefined ? { label: row.label } : {}),
  };
}

function probeActor(
  row: AccessMatrixRow,
  mode: AccessMode,
  extra: Partial<ProfessionalActor> = {},
): ProfessionalActor {
  return {
    kind: 'professional',
    idNatPs: PROBE_ID,
    profession: row.profession,
    ...(row.system !== DEFAULT_PROFESSION_SYSTEM ? { professionSystem: row.system } : {}),
    ...(row.specialty !== undefined ? { specialty: row.specialty } : {}),
    mode,
    ...extra,
  };
}

function emergencyAudience(
  rows: readonly AccessMatrixRow[],
  decide: (row: AccessMatrixRow) => Decision,
): EmergencyAudience {
  const professions: ProfessionRef[] = [];
  let reason: DenyReason | undefined;
  for (const row of rows) {
    const decision = decide(row);
    if (decision.allow) {
      professions.push(refOf(row));
    } else {
      reason ??= decision.reason;
    }
  }
  if (professions.length > 0) {
    return { possible: true, professions };
  }
  return { possible: false, professions, reason: reason ?? 'ACCESS_MATRIX_DENIED' };
}

/**
 * Who can read a document now, by the same rules that enforce it.
 * @param input - the record, the document, the matrix, the clock, and the professionals/care teams to list
 * @returns per-professional decisions, per-care-team and per-profession openings, emergency reachability,
 *   and whether the patient and the representatives see it
 */
export function explainDocumentAudience(input: AudienceInput): DocumentAudience {
  const base = {
    ins: input.ins,
    record: input.record,
    matrix: input.matrix,
    now: input.now,
  };
  const read = (ctx: Pick<AccessContext, 'actor' | 'standing'>): Decision =>
    decideAccess({ ...base, ...ctx, action: 'document.read', document: input.document });
  const rows = input.matrix.rows;

  const professionals = input.professionals.map((p): ProfessionalAudience => {
    const actor: ProfessionalActor = {
      kind: 'professional',
      idNatPs: p.idNatPs,
      profession: p.profession,
      ...(p.professionSystem !== undefined ? { professionSystem: p.professionSystem } : {}),
      ...(p.specialty !== undefined ? { specialty: p.specialty } : {}),
      ...(p.structure !== undefined ? { structure: p.structure } : {}),
      mode: 'normal',
    };
    return {
      idNatPs: p.idNatPs,
      ...(p.name !== undefined ? { name: p.name } : {}),
      decision: read({ actor, standing: p.standing }),
    };
  });

  const careTeams = input.careTeams.map((team) => ({
    structure: team.structure,
    professions: rows
      .filter(
        (row) =>
          read({
            actor: probeActor(row, 'normal', { structure: team.structure }),
            standing: {
              kind: 'care-team',
              structure: team.structure,
              patientObjected: team.patientObjected,
            },
          }).allow,
      )
      .map(refOf),
  }));

  const professions = rows.map((row) => ({
    ...refOf(row),
    allowed: read({ actor: probeActor(row, 'normal'), standing: { kind: 'consent' } }).allow,
  }));

  const bris_de_glace = emergencyAudience(rows, (row) =>
    read({
      actor: probeActor(row, 'bris_de_glace', {
        reason: 'audience probe',
        emergencyIns: input.ins,
      }),
    }),
  );
  const regulatorRows = rows.filter(
    (row) => row.system === DEFAULT_PROFESSION_SYSTEM && row.profession === '10',
  );
  const centre_15 = emergencyAudience(regulatorRows, (row) =>
    read({
      actor: probeActor(row, 'centre_15', { regulator: true, emergencyIns: input.ins }),
    }),
  );

  return {
    professionals,
    careTeams,
    professions,
    emergency: { bris_de_glace, centre_15 },
    patient: read({ actor: { kind: 'patient', ins: input.ins } }).allow,
    // Whether a representative registered on the record of a minor would see it (issue 17 rule 1).
    representatives: decideAccess({
      ...base,
      record: {
        ...input.record,
        isMinor: true,
        representations: [{ identifier: 'audience probe', start: new Date(0) }],
      },
      actor: { kind: 'representative', ins: input.ins, id: 'audience probe' },
      action: 'document.read',
      document: input.document,
    }).allow,
  };
}

/** The calling professional's standing on a record, as the TD0.2 answer states it. */
export interface ProfessionalStandingSummary {
  readonly recordExists: boolean;
  readonly recordStatus?: RecordStatus;
  readonly blocked: boolean;
  readonly medecinTraitant: boolean;
  /** May consult the record in normal mode (own consent, care team, or médecin traitant). */
  readonly authorized: boolean;
  readonly via?: AccessVia;
  /** The normal-mode decision on document.search (the reason when not authorized). */
  readonly decision: Decision;
  /**
   * Whether each emergency mode would let this caller in (bris de glace assuming they give a justification;
   * centre 15 only for a regulator médecin) — false when the patient objected or blocked them.
   */
  readonly emergency: { readonly bris_de_glace: boolean; readonly centre_15: boolean };
}

/**
 * Summarizes a professional's standing on a record by asking decideAccess (document.search) in each mode.
 */
export function describeProfessionalStanding(
  ctx: Omit<AccessContext, 'actor'> & { readonly actor: ProfessionalActor },
): ProfessionalStandingSummary {
  const { actor, record } = ctx;
  const search = (a: ProfessionalActor): Decision =>
    decideAccess({ ...ctx, actor: a, action: 'document.search' });
  const decision = search({ ...actor, mode: 'normal' });
  const justification = (actor.reason ?? '').trim() !== '' ? actor.reason : 'justification';
  return {
    recordExists: record !== undefined,
    ...(record ? { recordStatus: record.status } : {}),
    blocked: record?.blockedIdNatPs.includes(actor.idNatPs) ?? false,
    medecinTraitant: record !== undefined && isMedecinTraitant(actor, record),
    authorized: decision.allow,
    ...(decision.allow && decision.via !== undefined ? { via: decision.via } : {}),
    decision,
    emergency: {
      bris_de_glace: search({
        ...actor,
        mode: 'bris_de_glace',
        reason: justification,
        emergencyIns: ctx.ins,
      }).allow,
      centre_15: search({ ...actor, mode: 'centre_15', emergencyIns: ctx.ins }).allow,
    },
  };
}
