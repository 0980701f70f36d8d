/**
 * The access policy: one pure, total function deciding every action on a record, deny by default.
 * Sources: product.md §2 ("Documents", "Visibility", "Who may read"), issue 4; CSP L1111-15 to -19,
 * R1111-46 to -53 as summarized in dmp-domain-facts.md.
 *
 * Consultation by a professional (record.status excepted), in this order:
 * - R1 the record is active (a closed record allows no professional access);
 * - R2 the professional is not blocked by the patient — a block beats a consent declared later, the
 *   médecin traitant status, authorship and every emergency mode;
 * - R3 normal mode: own declared consent, or the care team of the structure they act from (unless the patient
 *   objected to it), or médecin traitant — a médecin (TRE_G15 10 in the token) whose IdNat_PS (8 + RPPS or
 *   0 + ADELI) is the one named on the record (issue 17 rule 3; the name itself is checked against the
 *   directory when it is set). Emergency modes replace R3 by "the patient has not objected to that
 *   mode": `bris_de_glace` (any professional) needs a non-empty written justification; `centre_15` needs a
 *   regulator médecin: profession 10 (TRE_G15) with `regulator: true` on the actor (Pro Santé Connect claim
 *   Acces_Regulation_Medicale = VRAI, which only says they may regulate: the mode is declared per access, issue
 *   17 rule 7). An emergency mode applies to one record only, the one it was declared for (`emergencyIns`,
 *   issue 17 rule 6): on any other record every action is refused (ACCESS_EMERGENCY_OTHER_RECORD). The author
 *   of a document is not exempt from R3;
 * - R4 the access matrix opens the document's type/class to their profession (specialty row first); the
 *   author always passes R4 for their own documents;
 * - R5 visibility: MASQUE_PS hides the document from every professional but its author and the médecin
 *   traitant, in every mode including emergencies. INVISIBLE_* labels do not concern professionals.
 * - A deleted document is never served, to anyone. Superseded and archived documents are readable by whoever
 *   may read them (hiding archived documents from a default search is a search filter, not an access rule).
 *
 * Legal representative (issue 17 rule 1): only through a live representation registered on the record that names
 * the token's own identifier (domain/access/representation.ts: from its start until its end or the minor's 18th
 * birthday); otherwise nothing (ACCESS_NOT_REPRESENTATIVE, answered as a missing record).
 * Connexion secrète (issue 17 rule 2, L1111-5): a professional in secret mode deposits on a minor's record only
 * documents labelled INVISIBLE_REPRESENTANTS_LEGAUX (ACCESS_SECRET_LABEL_REQUIRED otherwise; the shell adds it).
 *
 * Patient (holder) and legal representative: only their own / the represented person's record; see every
 * document except deleted ones and those INVISIBLE_PATIENT for less than one calendar month after deposit;
 * a representative also never sees INVISIBLE_REPRESENTANTS_LEGAUX documents. A closed record serves no
 * document: the holder may still read its status and audit trail, list authorizations and reopen it.
 *
 * Operator: administrative actions only — record status and lifecycle, audit trail, médecin traitant, deposit
 * and management of the reimbursement history it deposited (class 60). Never document content, clinical
 * metadata, search, the medical profile or visibility labels.
 *
 * Record management (product.md §1, §2; record.manage, record.read, record.status):
 * - M1 the operator creates records, registers and lifts oppositions, closes (any reason), reopens, purges, takes
 *   deletion requests, reads the record with its identity traits, gives a record created under an NIA its NIR and
 *   merges two records of one person (issue 17 rule 11), registers and ends legal representations (rule 1) —
 *   whether the record exists is the use case's answer, not a refusal;
 * - M2 the holder — or the legal representative — closes their own record (reason holder-request only:
 *   REC_CLOSURE_REASON_OPERATOR_ONLY), reopens it, requests its deletion, reads it and asks whether it exists;
 * - M3 a professional, or a structure's software, only asks whether a record exists and its status (TD0.2; a
 *   professional in an emergency mode only about the record that mode was declared for);
 * - M4 anything else is refused: the operator's operations with REC_OPERATOR_ONLY, the others with REC_NOT_HOLDER
 *   (the record API's codes), a representation by anyone but the operator with ACCESS_ACTION_NOT_PERMITTED.
 *
 * Notifications (inbox.read, issue 5): the patient reads the notifications addressed to the patient of their own
 * record, a legal representative those addressed to the representatives of the represented person's record; a
 * professional reads only their own (addressed to them as médecin traitant), across records, and never names a
 * record (NOTIF_NOT_RECIPIENT); nobody else, the operator included (ACCESS_ACTION_NOT_PERMITTED). Whose inbox it
 * is follows from the actor (domain/notifications/inbox-access.ts inboxOwnerOf).
 *
 * A structure's software (issue 17 rule 12, "authentification indirecte"; PDSM4DMP td02 NB2, td3.3c NB1): asks
 * whether a record exists; deposits documents authored from its structure (not class 60; not for a blocked
 * author); finds (by uniqueId or authorship), replaces, archives, deletes and relabels its structure's documents
 * — another structure's look missing (ACCESS_NOT_STRUCTURE_DOCUMENT); consults nothing, whatever its profile
 * (ACCESS_SOFTWARE_DEPOSIT_ONLY for the deposit profile, ACCESS_SOFTWARE_NO_CONSULTATION for the consultation
 * profile, whose consultations go through the professional's own token).
 *
 * Writes:
 * - deposit needs no authorization, but a blocked professional may not deposit; the depositor is an author
 *   or acts from an author's structure; professionals may not deposit class 60 (operator only); the
 *   patient/representative deposits patient documents only (class 90, or a DOCPATxx type); labels at deposit: the author may
 *   set MASQUE_PS and INVISIBLE_PATIENT, and INVISIBLE_REPRESENTANTS_LEGAUX only on a minor's record; the
 *   patient may set MASQUE_PS; the operator sets none;
 * - replace: only the author (the holder side for documents the patient or representative deposited, the
 *   operator for its own class 60 documents); the replacement must itself pass the deposit rules;
 * - archive (and unarchive) / delete: the author, or the patient / representative for any document they see;
 * - visibility: MASQUE_PS set/unset by the patient or representative at any time, and by a professional at
 *   the patient's request (TD3.3a, issue 17 rule 4): the author, or a professional authorized on the record
 *   (consent, care team, médecin traitant — not an emergency mode) who may read the document;
 *   INVISIBLE_PATIENT set and lifted by the author; INVISIBLE_REPRESENTANTS_LEGAUX set by the author
 *   on a minor's record, lifted by the author.
 * Own documents (TD3.1b, TD3.3c NB1, issue 17 rule 5): a professional without an authorization may look for the
 * documents they wrote or deposited (document.search-own: an active record that has not blocked them; then
 * document.find-own per document: only their own, never deleted ones) so that their software can replace,
 * archive or delete them; nothing else of the record, and no document content, is reached this way.
 * "Author" = the professional's IdNat_PS is among the document's authors; for a document authored by a
 * structure only (no individual author), a professional acting from that structure (CSP R1111-49: a hidden
 * item stays visible to the establishment that deposited it).
 */
import type {
  Actor,
  OperatorActor,
  PatientActor,
  ProfessionalActor,
  RepresentativeActor,
  SoftwareActor,
} from './actor.ts';
import { allow, deny, GRANTED, type AccessVia, type Decision, type Deny } from './decision.ts';
import {
  hasLabel,
  isStillInvisibleToPatient,
  NO_STANDING,
  type DocumentFacts,
  type NewDocumentFacts,
  type RecordFacts,
  type Standing,
  type VisibilityLabel,
} from './facts.ts';
import {
  DEFAULT_PROFESSION_SYSTEM,
  matrixAllows,
  type AccessMatrix,
  type DocumentKind,
} from './matrix.ts';
import { mayActAsMedecinTraitant } from '../records/medecin-traitant.ts';
import type { ClosureReason } from '../records/lifecycle.ts';
import { liveRepresentationOf } from './representation.ts';

export type ConsentOperation =
  | 'list'
  | 'add'
  | 'remove'
  | 'block'
  | 'unblock'
  | 'object-emergency'
  | 'accept-emergency'
  | 'object-care-team'
  | 'accept-care-team'
  | 'set-medecin-traitant';

export type RecordOperation =
  | 'create'
  /** Register or lift an opposition to the creation of a record (its INS may have no record). */
  | 'opposition'
  | 'close'
  | 'reopen'
  | 'request-purge'
  | 'purge'
  /** Issue 17 rule 11: give a record created under an NIA its NIR. */
  | 'assign-nir'
  /** Issue 17 rule 11: merge another record into this one. */
  | 'merge'
  /** Issue 17 rule 1: the operator registers or ends a legal representation. */
  | 'register-representative'
  | 'end-representative';

/** M1/M4: the record operations only the operator performs, refused to anyone else with REC_OPERATOR_ONLY. */
const OPERATOR_ONLY: ReadonlySet<RecordOperation> = new Set<RecordOperation>([
  'create',
  'opposition',
  'purge',
  'assign-nir',
  'merge',
]);

/**
 * The `ins` of a request that addresses no record: a record's creation or an opposition before the INS is read, a
 * caller's own inbox. Nobody's INS: the holder side is never "own" on it.
 */
export const NO_RECORD_INS = '';

/** What is asked; one variant per action. */
export type AccessRequest =
  | { readonly action: 'record.status' }
  /**
   * The record's identity traits (birth name, used name, first names, sex, birth date) in the TD0.2 answer, for
   * identity vigilance (issue 17 rule 8): the holder side, the operator, and a professional who may consult the
   * record (the same grounds as document.search); never a structure's software.
   */
  | { readonly action: 'record.identity' }
  | { readonly action: 'document.search' }
  | { readonly action: 'document.read'; readonly document: DocumentFacts }
  /** TD3.1b: a professional looks for the documents they deposited, without an authorization (issue 17 rule 5). */
  | { readonly action: 'document.search-own' }
  /** One document of such a search: found only when it is the caller's own (its metadata, not its content). */
  | { readonly action: 'document.find-own'; readonly document: DocumentFacts }
  | { readonly action: 'document.deposit'; readonly document: NewDocumentFacts }
  | {
      readonly action: 'document.replace';
      readonly document: DocumentFacts;
      readonly replacement: NewDocumentFacts;
    }
  | { readonly action: 'document.archive'; readonly document: DocumentFacts }
  | { readonly action: 'document.delete'; readonly document: DocumentFacts }
  | {
      readonly action: 'document.set-visibility';
      readonly document: DocumentFacts;
      readonly label: VisibilityLabel;
      readonly operation: 'set' | 'unset';
    }
  | { readonly action: 'consent.declare' }
  | { readonly action: 'consent.manage'; readonly operation: ConsentOperation }
  | { readonly action: 'audit.read' }
  /** Who represents the holder (issue 17 rule 1): the holder side and the operator. */
  | { readonly action: 'representation.read' }
  | {
      readonly action: 'record.manage';
      readonly operation: RecordOperation;
      /** For `close`: the reason given (the holder side closes with holder-request only). */
      readonly closureReason?: ClosureReason;
    }
  /** The record itself with its identity traits (FHIR Patient read): the holder side and the operator (M1, M2). */
  | { readonly action: 'record.read' }
  /**
   * The notifications addressed to the caller: of the record `ins` names, or of their own inbox when `ins` is
   * NO_RECORD_INS (reading one notification or marking it read is decided the same way, then its recipient checked).
   */
  | { readonly action: 'inbox.read' }
  | {
      readonly action: 'profile.read';
      /** A profile section judged as its own type (e.g. advance directives EXPPAT_3 / 90). */
      readonly section?: DocumentKind;
    }
  | { readonly action: 'profile.write' }
  /**
   * Issue 21 point 5: a professional records in the profile a vaccination they gave (an Immunization they author).
   * Allowed on the grounds that let them read the profile (consent, care team, médecin traitant — not an emergency
   * mode, which reads and writes nothing of the patient's own) and when their matrix row opens the profile document.
   */
  | { readonly action: 'profile.record-vaccination' };

export type AccessAction = AccessRequest['action'];

/** Who asks, about which record, with which facts already loaded. */
export interface AccessContext {
  readonly actor: Actor;
  /** INS of the record addressed. */
  readonly ins: string;
  /** The record; `undefined` when none exists for `ins`. */
  readonly record: RecordFacts | undefined;
  /** The calling professional's authorization (see resolveStanding); ignored for other actors. */
  readonly standing?: Standing;
  readonly matrix: AccessMatrix;
  readonly now: Date;
}

export type AccessInput = AccessContext & AccessRequest;

type Grounds = { readonly allow: true; readonly via: AccessVia } | Deny;

/** The grounds of a consultation, one frozen object each (decided for every document of a search). */
const VIA: Readonly<Record<'consent' | 'care-team' | 'medecin-traitant' | 'emergency', Grounds>> =
  Object.freeze({
    consent: Object.freeze({ allow: true, via: 'consent' }),
    'care-team': Object.freeze({ allow: true, via: 'care-team' }),
    'medecin-traitant': Object.freeze({ allow: true, via: 'medecin-traitant' }),
    emergency: Object.freeze({ allow: true, via: 'emergency' }),
  });

/** Compile-time exhaustiveness; at run time an unknown action or operation is denied. */
function unknownRequest(_value: never): Deny {
  return deny('ACCESS_ACTION_NOT_PERMITTED');
}

/** Whether a record operation is a legal representation's (decided with the other consents-like actions). */
function isRepresentationOperation(operation: RecordOperation): boolean {
  return operation === 'register-representative' || operation === 'end-representative';
}

/**
 * M3/M4 for a professional or a structure's software: record management and the record itself are refused with the
 * record API's codes (a representation is refused with the other actions they never perform).
 */
function notTheHolder(operation: RecordOperation | undefined): Deny {
  return operation !== undefined && OPERATOR_ONLY.has(operation)
    ? deny('REC_OPERATOR_ONLY')
    : deny('REC_NOT_HOLDER');
}

// ---------------------------------------------------------------------------------------------------------
// Professionals

function isBlocked(actor: ProfessionalActor, record: RecordFacts): boolean {
  return record.blockedIdNatPs.includes(actor.idNatPs);
}

/**
 * The médecin traitant named on the record, and a médecin: TRE_G15 profession 10 in the token, a person's
 * IdNat_PS (domain/records/medecin-traitant.ts MT5). Anyone else naming the same string gets no standing.
 */
export function isMedecinTraitant(actor: ProfessionalActor, record: RecordFacts): boolean {
  return mayActAsMedecinTraitant(actor, record.medecinTraitantIdNatPs);
}

/** Author of the document, or a member of the authoring structure when no individual author is named. */
export function isAuthor(
  actor: Pick<ProfessionalActor, 'idNatPs' | 'structure'>,
  doc: Pick<NewDocumentFacts, 'authorIdNatPs' | 'authorStructures'>,
): boolean {
  if (doc.authorIdNatPs.includes(actor.idNatPs)) {
    return true;
  }
  return (
    doc.authorIdNatPs.length === 0 &&
    actor.structure !== undefined &&
    doc.authorStructures.includes(actor.structure)
  );
}

/**
 * The caller's own document (TD3.1b, TD3.3c NB1): they are its author (isAuthor), or the professional who
 * deposited it.
 */
export function isOwnDocument(
  actor: Pick<ProfessionalActor, 'idNatPs' | 'structure'>,
  doc: DocumentFacts,
): boolean {
  return (
    isAuthor(actor, doc) ||
    (doc.depositorKind === 'professional' && doc.depositorIdNatPs === actor.idNatPs)
  );
}

/**
 * A document the patient side may deposit: class 90 ("documents déposés par le patient"), or one of the
 * TRE_A05 patient types DOCPAT01–09, which ASS_X16 files under other classes (DOCPAT04 imagerie → 31…).
 */
export function isPatientDocumentKind(
  doc: Pick<NewDocumentFacts, 'typeCode' | 'classCode'>,
): boolean {
  return doc.classCode === '90' || /^DOCPAT[0-9]{2}$/.test(doc.typeCode);
}

/**
 * Issue 17 rule 6: an emergency mode and its justification apply to the one record they were declared for; in
 * normal mode, always true.
 */
export function emergencyAppliesTo(actor: ProfessionalActor, ins: string): boolean {
  return actor.mode === 'normal' || actor.emergencyIns === ins;
}

/** A médecin (TRE_G15 10) whose identity provider vouches for SAMU regulation. */
export function isRegulatorPhysician(actor: ProfessionalActor): boolean {
  return (
    actor.regulator === true &&
    actor.profession === '10' &&
    (actor.professionSystem ?? DEFAULT_PROFESSION_SYSTEM) === DEFAULT_PROFESSION_SYSTEM
  );
}

/** R1–R3 (or their emergency replacement) for a professional who wants to consult the record. */
function consultationGrounds(
  actor: ProfessionalActor,
  record: RecordFacts | undefined,
  standing: Standing,
): Grounds {
  if (!record) {
    return deny('ACCESS_NO_RECORD');
  }
  if (record.status !== 'active') {
    return deny('ACCESS_RECORD_CLOSED');
  }
  if (isBlocked(actor, record)) {
    return deny('ACCESS_BLOCKED');
  }
  switch (actor.mode) {
    case 'normal': {
      if (standing.kind === 'consent') {
        return VIA['consent'];
      }
      if (
        standing.kind === 'care-team' &&
        !standing.patientObjected &&
        actor.structure !== undefined &&
        standing.structure === actor.structure
      ) {
        return VIA['care-team'];
      }
      if (isMedecinTraitant(actor, record)) {
        return VIA['medecin-traitant'];
      }
      return deny('ACCESS_NO_AUTHORIZATION');
    }
    case 'bris_de_glace': {
      if ((actor.reason ?? '').trim() === '') {
        return deny('ACCESS_EMERGENCY_JUSTIFICATION_REQUIRED');
      }
      if (record.emergencyObjections.bris_de_glace) {
        return deny('ACCESS_EMERGENCY_OBJECTED');
      }
      return VIA['emergency'];
    }
    case 'centre_15': {
      if (!isRegulatorPhysician(actor)) {
        return deny('ACCESS_CENTRE15_NOT_REGULATOR');
      }
      if (record.emergencyObjections.centre_15) {
        return deny('ACCESS_EMERGENCY_OBJECTED');
      }
      return VIA['emergency'];
    }
  }
  return unknownRequest(actor.mode);
}

function professionalReadsDocument(
  actor: ProfessionalActor,
  record: RecordFacts | undefined,
  standing: Standing,
  matrix: AccessMatrix,
  doc: DocumentFacts,
): Decision {
  const grounds = consultationGrounds(actor, record, standing);
  if (!grounds.allow) {
    return grounds;
  }
  if (doc.status === 'deleted') {
    return deny('ACCESS_DELETED');
  }
  const author = isAuthor(actor, doc);
  if (
    !author &&
    !matrixAllows(
      matrix,
      { system: actor.professionSystem, profession: actor.profession, specialty: actor.specialty },
      doc,
    )
  ) {
    return deny('ACCESS_MATRIX_DENIED');
  }
  if (hasLabel(doc, 'MASQUE_PS') && !author && !(record && isMedecinTraitant(actor, record))) {
    return deny('ACCESS_MASKED');
  }
  if (grounds.via === 'emergency') {
    return allow('emergency');
  }
  return allow(author ? 'author' : grounds.via);
}

/**
 * A professional who is not the author of an existing document is refused as if they had tried to read it
 * when they may not read it (so a hidden document stays indistinguishable from a missing one), and with
 * ACCESS_NOT_AUTHOR otherwise.
 */
function nonAuthorDenial(
  actor: ProfessionalActor,
  record: RecordFacts | undefined,
  standing: Standing,
  matrix: AccessMatrix,
  doc: DocumentFacts,
): Deny {
  const read = professionalReadsDocument(actor, record, standing, matrix, doc);
  return read.allow ? deny('ACCESS_NOT_AUTHOR') : read;
}

/** Active record, not blocked: the preconditions of every write by a professional. */
function professionalMayWrite(
  actor: ProfessionalActor,
  record: RecordFacts | undefined,
): Deny | undefined {
  if (!record) {
    return deny('ACCESS_NO_RECORD');
  }
  if (record.status !== 'active') {
    return deny('ACCESS_RECORD_CLOSED');
  }
  if (isBlocked(actor, record)) {
    return deny('ACCESS_BLOCKED');
  }
  return undefined;
}

/**
 * TD3.3a: MASQUE_PS set or lifted by a professional at the patient's request — the author (no authorization
 * needed: an "alimentation" software manages its own documents), or a professional authorized on the record
 * (own consent, care team, médecin traitant) who may read the document. An emergency access is no
 * authorization: it reads, it does not change what the patient decided. A document the caller may not read
 * stays hidden (the read denial is returned).
 */
function professionalMasks(
  actor: ProfessionalActor,
  record: RecordFacts,
  standing: Standing,
  matrix: AccessMatrix,
  doc: DocumentFacts,
): Decision {
  if (isAuthor(actor, doc)) {
    return allow('author');
  }
  const read = professionalReadsDocument(actor, record, standing, matrix, doc);
  if (!read.allow) {
    return read;
  }
  return read.via === 'emergency' ? deny('ACCESS_VISIBILITY_NOT_ALLOWED') : read;
}

function professionalDeposits(
  actor: ProfessionalActor,
  record: RecordFacts,
  doc: NewDocumentFacts,
): Decision {
  if (doc.classCode === '60') {
    return deny('ACCESS_DEPOSIT_CLASS_NOT_ALLOWED');
  }
  const author = doc.authorIdNatPs.includes(actor.idNatPs);
  const fromAuthorStructure =
    actor.structure !== undefined && doc.authorStructures.includes(actor.structure);
  if (!author && !fromAuthorStructure) {
    return deny('ACCESS_NOT_AUTHOR');
  }
  if (hasLabel(doc, 'INVISIBLE_REPRESENTANTS_LEGAUX') && !record.isMinor) {
    return deny('ACCESS_VISIBILITY_NOT_ALLOWED');
  }
  if (actor.secret === true && record.isMinor && !hasLabel(doc, 'INVISIBLE_REPRESENTANTS_LEGAUX')) {
    // Issue 17 rule 2 (L1111-5): the shell adds the label; a deposit that lacks it is refused, never stored.
    return deny('ACCESS_SECRET_LABEL_REQUIRED');
  }
  return allow('author');
}

function decideProfessional(input: AccessInput, actor: ProfessionalActor): Decision {
  const { record, matrix } = input;
  const standing = input.standing ?? NO_STANDING;
  // Whatever the mode: record management is not theirs (M4), their inbox is theirs across records.
  if (input.action === 'record.manage' && !isRepresentationOperation(input.operation)) {
    return notTheHolder(input.operation);
  }
  if (input.action === 'record.read') {
    return notTheHolder(undefined);
  }
  if (input.action === 'inbox.read') {
    return input.ins === NO_RECORD_INS ? GRANTED : deny('NOTIF_NOT_RECIPIENT');
  }
  if (!emergencyAppliesTo(actor, input.ins)) {
    return deny('ACCESS_EMERGENCY_OTHER_RECORD');
  }
  switch (input.action) {
    case 'record.status':
      // TD0.2: any authenticated professional may ask, whatever the record's state or their standing.
      return GRANTED;
    case 'record.identity':
    case 'document.search': {
      const grounds = consultationGrounds(actor, record, standing);
      return grounds.allow ? allow(grounds.via) : grounds;
    }
    case 'document.read':
      return professionalReadsDocument(actor, record, standing, matrix, input.document);
    case 'document.search-own': {
      const pre = professionalMayWrite(actor, record);
      return pre ?? allow('author');
    }
    case 'document.find-own': {
      const pre = professionalMayWrite(actor, record);
      if (pre) {
        return pre;
      }
      if (input.document.status === 'deleted') {
        return deny('ACCESS_DELETED');
      }
      return isOwnDocument(actor, input.document)
        ? allow('author')
        : deny('ACCESS_NO_AUTHORIZATION');
    }
    case 'profile.record-vaccination': {
      const grounds = consultationGrounds(actor, record, standing);
      if (!grounds.allow) {
        return grounds;
      }
      if (actor.mode !== 'normal') {
        return deny('ACCESS_NO_AUTHORIZATION');
      }
      const row = {
        system: actor.professionSystem,
        profession: actor.profession,
        specialty: actor.specialty,
      };
      if (!matrixAllows(matrix, row, matrix.profileDocument)) {
        return deny('ACCESS_MATRIX_DENIED');
      }
      return allow(grounds.via);
    }
    case 'profile.read': {
      const grounds = consultationGrounds(actor, record, standing);
      if (!grounds.allow) {
        return grounds;
      }
      const who = {
        system: actor.professionSystem,
        profession: actor.profession,
        specialty: actor.specialty,
      };
      if (!matrixAllows(matrix, who, input.section ?? matrix.profileDocument)) {
        return deny('ACCESS_MATRIX_DENIED');
      }
      return allow(grounds.via);
    }
    case 'document.deposit': {
      const pre = professionalMayWrite(actor, record);
      if (pre || !record) {
        return pre ?? deny('ACCESS_NO_RECORD');
      }
      return professionalDeposits(actor, record, input.document);
    }
    case 'document.replace': {
      const pre = professionalMayWrite(actor, record);
      if (pre || !record) {
        return pre ?? deny('ACCESS_NO_RECORD');
      }
      if (input.document.status === 'deleted') {
        return deny('ACCESS_DELETED');
      }
      if (!isAuthor(actor, input.document)) {
        return nonAuthorDenial(actor, record, standing, matrix, input.document);
      }
      return professionalDeposits(actor, record, input.replacement);
    }
    case 'document.archive':
    case 'document.delete': {
      const pre = professionalMayWrite(actor, record);
      if (pre) {
        return pre;
      }
      if (input.document.status === 'deleted') {
        return deny('ACCESS_DELETED');
      }
      return isAuthor(actor, input.document)
        ? allow('author')
        : nonAuthorDenial(actor, record, standing, matrix, input.document);
    }
    case 'document.set-visibility': {
      const pre = professionalMayWrite(actor, record);
      if (pre || !record) {
        return pre ?? deny('ACCESS_NO_RECORD');
      }
      if (input.document.status === 'deleted') {
        return deny('ACCESS_DELETED');
      }
      const label = input.label;
      if (label === 'MASQUE_PS') {
        return professionalMasks(actor, record, standing, matrix, input.document);
      }
      if (!isAuthor(actor, input.document)) {
        return nonAuthorDenial(actor, record, standing, matrix, input.document);
      }
      switch (label) {
        case 'INVISIBLE_PATIENT':
          return allow('author');
        case 'INVISIBLE_REPRESENTANTS_LEGAUX':
          return input.operation === 'unset' || record.isMinor
            ? allow('author')
            : deny('ACCESS_VISIBILITY_NOT_ALLOWED');
      }
      return unknownRequest(label);
    }
    case 'consent.declare': {
      const pre = professionalMayWrite(actor, record);
      return pre ?? GRANTED;
    }
    case 'consent.manage':
    case 'audit.read':
    case 'representation.read':
    case 'record.manage':
    case 'profile.write':
      return deny('ACCESS_ACTION_NOT_PERMITTED');
  }
  return unknownRequest(input);
}

// ---------------------------------------------------------------------------------------------------------
// Patient (holder) and legal representative

type HolderSide = PatientActor | RepresentativeActor;

/** Whether the holder side sees this document now (deleted and invisible documents are hidden). */
function holderSees(actor: HolderSide, doc: DocumentFacts, now: Date): Deny | undefined {
  if (doc.status === 'deleted') {
    return deny('ACCESS_DELETED');
  }
  if (isStillInvisibleToPatient(doc, now)) {
    return deny('ACCESS_INVISIBLE');
  }
  if (actor.kind === 'representative' && hasLabel(doc, 'INVISIBLE_REPRESENTANTS_LEGAUX')) {
    return deny('ACCESS_INVISIBLE');
  }
  return undefined;
}

function holderDeposits(doc: NewDocumentFacts): Deny | undefined {
  if (!isPatientDocumentKind(doc)) {
    return deny('ACCESS_DEPOSIT_CLASS_NOT_ALLOWED');
  }
  if (hasLabel(doc, 'INVISIBLE_PATIENT') || hasLabel(doc, 'INVISIBLE_REPRESENTANTS_LEGAUX')) {
    return deny('ACCESS_VISIBILITY_NOT_ALLOWED');
  }
  return undefined;
}

function decideHolderSide(input: AccessInput, actor: HolderSide): Decision {
  const via: AccessVia = actor.kind === 'patient' ? 'holder' : 'representative';
  const own = actor.ins === input.ins;
  // M2/M4 first: the operator's operations are nobody else's; the record's own actions answer REC_NOT_HOLDER.
  if (input.action === 'record.manage') {
    if (OPERATOR_ONLY.has(input.operation)) {
      return deny('REC_OPERATOR_ONLY');
    }
    if (!own && !isRepresentationOperation(input.operation)) {
      return deny('REC_NOT_HOLDER');
    }
  }
  if ((input.action === 'record.read' || input.action === 'record.status') && !own) {
    return deny('REC_NOT_HOLDER');
  }
  if (input.action === 'record.status' && !input.record) {
    // Whether their own record exists: the answer is that none does.
    return allow(via);
  }
  if (input.action === 'inbox.read') {
    return own || input.ins === NO_RECORD_INS ? allow(via) : deny('NOTIF_NOT_RECIPIENT');
  }
  if (!own) {
    return deny('ACCESS_NOT_HOLDER');
  }
  const { record, now } = input;
  if (!record) {
    return deny('ACCESS_NO_RECORD');
  }
  if (
    actor.kind === 'representative' &&
    liveRepresentationOf(actor.id, record.representations ?? [], record.isMinor, now) === undefined
  ) {
    // Issue 17 rule 1: representation is registered on the record, not asserted by the token.
    return deny('ACCESS_NOT_REPRESENTATIVE');
  }
  const active = record.status === 'active';
  switch (input.action) {
    case 'record.status':
    case 'record.identity':
    case 'record.read':
    case 'audit.read':
    case 'representation.read':
      // The access history stays readable on a closed record. Entries about documents the caller does not
      // see must be filtered by the shell with document.read decisions.
      return allow(via);
    case 'record.manage': {
      const operation = input.operation;
      switch (operation) {
        case 'close':
          return input.closureReason === undefined || input.closureReason === 'holder-request'
            ? allow(via)
            : deny('REC_CLOSURE_REASON_OPERATOR_ONLY');
        case 'reopen':
        case 'request-purge':
          return allow(via);
        case 'register-representative':
        case 'end-representative':
          return deny('ACCESS_ACTION_NOT_PERMITTED');
        case 'create':
        case 'opposition':
        case 'purge':
        case 'assign-nir':
        case 'merge':
          // Refused above, whoever's record it is.
          return deny('REC_OPERATOR_ONLY');
      }
      return unknownRequest(operation);
    }
    case 'consent.manage':
      if (!active && input.operation !== 'list') {
        return deny('ACCESS_RECORD_CLOSED');
      }
      return allow(via);
    case 'consent.declare':
    case 'document.search-own':
    case 'document.find-own':
    case 'profile.record-vaccination':
      return deny('ACCESS_ACTION_NOT_PERMITTED');
    case 'document.search':
    case 'profile.read':
    case 'profile.write':
      return active ? allow(via) : deny('ACCESS_RECORD_CLOSED');
    case 'document.read':
    case 'document.archive':
    case 'document.delete': {
      if (!active) {
        return deny('ACCESS_RECORD_CLOSED');
      }
      return holderSees(actor, input.document, now) ?? allow(via);
    }
    case 'document.deposit': {
      if (!active) {
        return deny('ACCESS_RECORD_CLOSED');
      }
      return holderDeposits(input.document) ?? allow(via);
    }
    case 'document.replace': {
      if (!active) {
        return deny('ACCESS_RECORD_CLOSED');
      }
      const hidden = holderSees(actor, input.document, now);
      if (hidden) {
        return hidden;
      }
      const kind = input.document.depositorKind;
      if (kind !== 'patient' && kind !== 'representative') {
        return deny('ACCESS_NOT_AUTHOR');
      }
      return holderDeposits(input.replacement) ?? allow(via);
    }
    case 'document.set-visibility': {
      if (!active) {
        return deny('ACCESS_RECORD_CLOSED');
      }
      const hidden = holderSees(actor, input.document, now);
      if (hidden) {
        return hidden;
      }
      return input.label === 'MASQUE_PS' ? allow(via) : deny('ACCESS_VISIBILITY_NOT_ALLOWED');
    }
  }
  return unknownRequest(input);
}

// ---------------------------------------------------------------------------------------------------------
// Operator

function decideOperator(input: AccessInput & { readonly actor: OperatorActor }): Decision {
  const { record } = input;
  const via: AccessVia = 'operator';
  switch (input.action) {
    case 'record.status':
    case 'record.identity':
    case 'record.read':
      return allow(via);
    case 'record.manage':
      // M1: whether the record exists is the use case's answer, not a refusal — but a representation is
      // registered on an existing record only (issue 17 rule 1).
      return record || !isRepresentationOperation(input.operation)
        ? allow(via)
        : deny('ACCESS_NO_RECORD');
    case 'inbox.read':
      return deny('ACCESS_ACTION_NOT_PERMITTED');
    case 'audit.read':
    case 'representation.read':
      return record ? allow(via) : deny('ACCESS_NO_RECORD');
    case 'consent.manage':
      if (input.operation !== 'set-medecin-traitant') {
        return deny('ACCESS_ACTION_NOT_PERMITTED');
      }
      if (!record) {
        return deny('ACCESS_NO_RECORD');
      }
      return record.status === 'active' ? allow(via) : deny('ACCESS_RECORD_CLOSED');
    case 'consent.declare':
      return deny('ACCESS_ACTION_NOT_PERMITTED');
    case 'document.deposit':
    case 'document.replace': {
      if (!record) {
        return deny('ACCESS_NO_RECORD');
      }
      if (record.status !== 'active') {
        return deny('ACCESS_RECORD_CLOSED');
      }
      if (input.action === 'document.replace') {
        if (input.document.depositorKind !== 'operator' || input.document.classCode !== '60') {
          return deny('ACCESS_OPERATOR_NO_CLINICAL');
        }
        if (input.document.status === 'deleted') {
          return deny('ACCESS_DELETED');
        }
      }
      const doc = input.action === 'document.replace' ? input.replacement : input.document;
      if (doc.classCode !== '60') {
        return deny('ACCESS_DEPOSIT_CLASS_NOT_ALLOWED');
      }
      if (doc.confidentiality.some((c) => c === 'MASQUE_PS' || c.startsWith('INVISIBLE_'))) {
        return deny('ACCESS_VISIBILITY_NOT_ALLOWED');
      }
      return allow(via);
    }
    case 'document.archive':
    case 'document.delete': {
      if (!record) {
        return deny('ACCESS_NO_RECORD');
      }
      if (record.status !== 'active') {
        return deny('ACCESS_RECORD_CLOSED');
      }
      if (input.document.depositorKind !== 'operator' || input.document.classCode !== '60') {
        return deny('ACCESS_OPERATOR_NO_CLINICAL');
      }
      return input.document.status === 'deleted' ? deny('ACCESS_DELETED') : allow(via);
    }
    case 'document.search':
    case 'document.read':
    case 'document.search-own':
    case 'document.find-own':
    case 'document.set-visibility':
    case 'profile.read':
    case 'profile.write':
    case 'profile.record-vaccination':
      return deny('ACCESS_OPERATOR_NO_CLINICAL');
  }
  return unknownRequest(input);
}

// ---------------------------------------------------------------------------------------------------------
// A structure's software (issue 17 rule 12)

/** A document of the software's structure: authored from it (its professionals, or the structure itself). */
export function isStructureDocument(
  actor: Pick<SoftwareActor, 'structure'>,
  doc: Pick<NewDocumentFacts, 'authorStructures'>,
): boolean {
  return doc.authorStructures.includes(actor.structure);
}

function softwareDeposits(
  actor: SoftwareActor,
  record: RecordFacts,
  doc: NewDocumentFacts,
): Decision {
  if (doc.classCode === '60') {
    return deny('ACCESS_DEPOSIT_CLASS_NOT_ALLOWED');
  }
  if (!isStructureDocument(actor, doc)) {
    return deny('ACCESS_NOT_AUTHOR');
  }
  if (doc.authorIdNatPs.some((id) => record.blockedIdNatPs.includes(id))) {
    // A professional the patient blocked deposits nothing, directly or through their structure's software.
    return deny('ACCESS_BLOCKED');
  }
  if (hasLabel(doc, 'INVISIBLE_REPRESENTANTS_LEGAUX') && !record.isMinor) {
    return deny('ACCESS_VISIBILITY_NOT_ALLOWED');
  }
  return allow('author');
}

/** The software's own documents: existing, not deleted, of its structure; anything else looks missing. */
function softwareOwns(actor: SoftwareActor, doc: DocumentFacts): Deny | undefined {
  if (doc.status === 'deleted') {
    return deny('ACCESS_DELETED');
  }
  return isStructureDocument(actor, doc) ? undefined : deny('ACCESS_NOT_STRUCTURE_DOCUMENT');
}

/**
 * A structure's software ("authentification indirecte"): deposits what its structure's professionals authored,
 * finds and manages (replace, archive, delete, visibility) its structure's documents — an "alimentation" software
 * needs no authorization for that (PDSM4DMP td02 NB2, td3.3c NB1) — and consults nothing, whatever its profile:
 * the profile only says why (ACCESS_SOFTWARE_DEPOSIT_ONLY, ACCESS_SOFTWARE_NO_CONSULTATION).
 */
function decideSoftware(input: AccessInput, actor: SoftwareActor): Decision {
  const { record } = input;
  const open: Deny | undefined = !record
    ? deny('ACCESS_NO_RECORD')
    : record.status !== 'active'
      ? deny('ACCESS_RECORD_CLOSED')
      : undefined;
  switch (input.action) {
    case 'record.status':
      // TD0.2: whether the record exists and is open, before a deposit.
      return GRANTED;
    case 'record.identity':
    case 'document.search':
    case 'document.read':
    case 'profile.read':
      return actor.profile === 'deposit'
        ? deny('ACCESS_SOFTWARE_DEPOSIT_ONLY')
        : deny('ACCESS_SOFTWARE_NO_CONSULTATION');
    case 'record.manage':
      return isRepresentationOperation(input.operation)
        ? deny('ACCESS_ACTION_NOT_PERMITTED')
        : notTheHolder(input.operation);
    case 'record.read':
      return notTheHolder(undefined);
    case 'consent.declare':
    case 'consent.manage':
    case 'audit.read':
    case 'representation.read':
    case 'inbox.read':
    case 'profile.write':
    case 'profile.record-vaccination':
      return deny('ACCESS_ACTION_NOT_PERMITTED');
    case 'document.search-own':
      return open ?? allow('author');
    case 'document.find-own':
    case 'document.archive':
    case 'document.delete':
      return open ?? softwareOwns(actor, input.document) ?? allow('author');
    case 'document.deposit':
      if (open || !record) {
        return open ?? deny('ACCESS_NO_RECORD');
      }
      return softwareDeposits(actor, record, input.document);
    case 'document.replace':
      if (open || !record) {
        return open ?? deny('ACCESS_NO_RECORD');
      }
      return (
        softwareOwns(actor, input.document) ?? softwareDeposits(actor, record, input.replacement)
      );
    case 'document.set-visibility': {
      if (open || !record) {
        return open ?? deny('ACCESS_NO_RECORD');
      }
      const notOwn = softwareOwns(actor, input.document);
      if (notOwn) {
        return notOwn;
      }
      return input.label === 'INVISIBLE_REPRESENTANTS_LEGAUX' &&
        input.operation === 'set' &&
        !record.isMinor
        ? deny('ACCESS_VISIBILITY_NOT_ALLOWED')
        : allow('author');
    }
  }
  return unknownRequest(input);
}

/**
 * Decides one action by one actor on one record (and, for document actions, one document).
 * Pure and total: every input yields a decision; anything not explicitly allowed is denied.
 * @param input - the actor, the request (action + its target) and the facts already loaded
 * @returns allow with the ground of access, or deny with a stable ACCESS_* reason and a non-leaking message
 */
export function decideAccess(input: AccessInput): Decision {
  const actor = input.actor;
  switch (actor.kind) {
    case 'professional':
      return decideProfessional(input, actor);
    case 'patient':
    case 'representative':
      return decideHolderSide(input, actor);
    case 'operator':
      return decideOperator({ ...input, actor });
    case 'software':
      return decideSoftware(input, actor);
  }
  return unknownRequest(actor);
}
