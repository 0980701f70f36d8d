/**
 * Shared builders for the access-policy tests (not a test file itself). Uses the shipped default matrix, so
 * the tests also pin what the default grants.
 */
// eslint-disable-next-line no-restricted-imports -- test-only helper (never imported by production code)
import defaultMatrixJson from '../../../reference/access-matrix/default.json' with { type: 'json' };
import type {
  Actor,
  OperatorActor,
  PatientActor,
  ProfessionalActor,
  RepresentativeActor,
  SoftwareActor,
} from './actor.ts';
import type { Decision } from './decision.ts';
import type { DocumentFacts, NewDocumentFacts, RecordFacts, Standing } from './facts.ts';
import { parseAccessMatrix, type AccessMatrix } from './matrix.ts';
import type { Representation } from './representation.ts';
import { decideAccess, type AccessRequest } from './policy.ts';

function loadDefaultMatrix(): AccessMatrix {
  const parsed = parseAccessMatrix(defaultMatrixJson);
  if (!parsed.ok) {
    throw new Error(`default matrix invalid: ${JSON.stringify(parsed.error)}`);
  }
  return parsed.value;
}

export const MATRIX = loadDefaultMatrix();

export const INS = '180017512345698';
export const OTHER_INS = '280017512345612';
export const NOW = new Date('2025-03-15T10:00:00Z');

/** IdNat_PS of the cast. */
export const PS = {
  author: '810000000001',
  mt: '810000000002',
  consented: '810000000003',
  teamMember: '810000000004',
  stranger: '810000000005',
  blocked: '810000000006',
} as const;

export const STRUCT = {
  hospital: '1750300000',
  clinic: '1690000000',
} as const;

/** A professional; in an emergency mode, declared for the record INS unless `emergencyIns` says otherwise. */
export function pro(overrides: Partial<ProfessionalActor> = {}): ProfessionalActor {
  const actor: ProfessionalActor = {
    kind: 'professional',
    idNatPs: PS.consented,
    profession: '10',
    specialty: 'SM26',
    structure: STRUCT.clinic,
    mode: 'normal',
    ...overrides,
  };
  return actor.mode !== 'normal' && !('emergencyIns' in overrides)
    ? { ...actor, emergencyIns: INS }
    : actor;
}

export const patient: PatientActor = { kind: 'patient', ins: INS };
/** The representative's own identifier, registered on the record by default (issue 17 rule 1). */
export const REP_ID = '284067505600131';
export const REPRESENTATION: Representation = {
  identifier: REP_ID,
  start: new Date('2020-01-01T00:00:00Z'),
};
export const representative: RepresentativeActor = { kind: 'representative', ins: INS, id: REP_ID };
export const operator: OperatorActor = { kind: 'operator', id: 'cnam-ops' };
/** A structure's software (issue 17 rule 12), by default the hospital's feeding software. */
export function software(overrides: Partial<SoftwareActor> = {}): SoftwareActor {
  return {
    kind: 'software',
    id: 'lps-dpi',
    structure: STRUCT.hospital,
    profile: 'deposit',
    ...overrides,
  };
}

export function record(overrides: Partial<RecordFacts> = {}): RecordFacts {
  return {
    status: 'active',
    isMinor: false,
    blockedIdNatPs: [PS.blocked],
    medecinTraitantIdNatPs: PS.mt,
    emergencyObjections: { bris_de_glace: false, centre_15: false },
    representations: [REPRESENTATION],
    ...overrides,
  };
}

/** A current CR d'hospitalisation (34112-3, class 10) written by PS.author at the hospital. */
export function doc(overrides: Partial<DocumentFacts> = {}): DocumentFacts {
  return {
    typeCode: '34112-3',
    classCode: '10',
    authorIdNatPs: [PS.author],
    authorStructures: [STRUCT.hospital],
    depositorIdNatPs: PS.author,
    depositorKind: 'professional',
    confidentiality: ['N'],
    status: 'current',
    depositedAt: new Date('2025-01-10T09:00:00Z'),
    ...overrides,
  };
}

export function newDoc(overrides: Partial<NewDocumentFacts> = {}): NewDocumentFacts {
  return {
    typeCode: '34112-3',
    classCode: '10',
    authorIdNatPs: [PS.author],
    authorStructures: [STRUCT.hospital],
    confidentiality: ['N'],
    ...overrides,
  };
}

export const CONSENT: Standing = { kind: 'consent' };
export const NONE: Standing = { kind: 'none' };
export function careTeam(structure: string = STRUCT.hospital, patientObjected = false): Standing {
  return { kind: 'care-team', structure, patientObjected };
}

export interface Facts {
  readonly record?: RecordFacts | undefined;
  readonly standing?: Standing;
  readonly now?: Date;
  readonly ins?: string;
}

/**
 * decideAccess with the defaults above: active record, default matrix, NOW, standing none; for a representative,
 * the record of a minor (their representation is live only until the majority).
 */
export function decide(actor: Actor, request: AccessRequest, facts: Facts = {}): Decision {
  return decideAccess({
    actor,
    ins: facts.ins ?? INS,
    record:
      'record' in facts
        ? facts.record
        : record(actor.kind === 'representative' ? { isMinor: true } : {}),
    standing: facts.standing ?? NONE,
    matrix: MATRIX,
    now: facts.now ?? NOW,
    ...request,
  });
}

/** `ACCESS_GRANTED/via` or the deny reason: compact to compare in tables. */
export function outcome(decision: Decision): string {
  if (decision.allow) {
    return decision.via === undefined ? 'ACCESS_GRANTED' : `ACCESS_GRANTED/${decision.via}`;
  }
  return decision.reason;
}

export const read = (document: DocumentFacts = doc()): AccessRequest => ({
  action: 'document.read',
  document,
});
