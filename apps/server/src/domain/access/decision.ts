/**
 * What the access policy answers: allow (with the ground of access) or deny (with a stable reason code and a
 * message that never reveals what the denial hides). Codes are part of the API contract: never rename one,
 * only add.
 */

/** The ground on which an access is granted; drives traces and notifications (emergency → notify). */
export type AccessVia =
  | 'author'
  | 'consent'
  | 'care-team'
  | 'medecin-traitant'
  | 'emergency'
  | 'holder'
  | 'representative'
  | 'operator';

export type AllowReason = 'ACCESS_GRANTED';

export type DenyReason =
  /** No record exists for that INS (never used to answer a patient about another INS). */
  | 'ACCESS_NO_RECORD'
  /** A patient or representative addressed a record other than their own / the represented person's. */
  | 'ACCESS_NOT_HOLDER'
  /**
   * A representative token with no live registration on the record naming the token's own identifier (issue 17
   * rule 1: none registered, not yet started, ended, or the holder came of age). Answered as a missing record.
   */
  | 'ACCESS_NOT_REPRESENTATIVE'
  /** A professional in connexion secrète deposited on a minor's record without INVISIBLE_REPRESENTANTS_LEGAUX. */
  | 'ACCESS_SECRET_LABEL_REQUIRED'
  /** Rule 1: the record is closed. */
  | 'ACCESS_RECORD_CLOSED'
  /** Rule 2: the patient blocked this professional (beats any consent, any mode). */
  | 'ACCESS_BLOCKED'
  /** Rule 3: no declared consent, no care-team authorization (or the patient objected), not médecin traitant. */
  | 'ACCESS_NO_AUTHORIZATION'
  /** Rule 4: the access matrix does not open this document type/class to the caller's profession. */
  | 'ACCESS_MATRIX_DENIED'
  /** Rule 5: MASQUE_PS, and the caller is neither the author nor the médecin traitant. */
  | 'ACCESS_MASKED'
  /** Rule 5: INVISIBLE_PATIENT (under a month old) or INVISIBLE_REPRESENTANTS_LEGAUX. */
  | 'ACCESS_INVISIBLE'
  /** A deleted document is never served. */
  | 'ACCESS_DELETED'
  /** Emergency mode the patient objected to. */
  | 'ACCESS_EMERGENCY_OBJECTED'
  /** bris_de_glace without a written justification. */
  | 'ACCESS_EMERGENCY_JUSTIFICATION_REQUIRED'
  /** centre_15 by someone who is not a regulator médecin. */
  | 'ACCESS_CENTRE15_NOT_REGULATOR'
  /** An emergency mode declared for another record (issue 17 rule 6: emergency access is per patient). */
  | 'ACCESS_EMERGENCY_OTHER_RECORD'
  /** The operator asked for clinical content or clinical metadata. */
  | 'ACCESS_OPERATOR_NO_CLINICAL'
  /** Replace/archive/delete/visibility change/deposit by someone who is not (acting for) the author. */
  | 'ACCESS_NOT_AUTHOR'
  /** Deposit of a class this kind of depositor may not deposit (60 operator only, 90 patient only). */
  | 'ACCESS_DEPOSIT_CLASS_NOT_ALLOWED'
  /** A visibility label this caller may not set or lift (now, or on this record). */
  | 'ACCESS_VISIBILITY_NOT_ALLOWED'
  /** This kind of actor never performs this action (e.g. a professional reading the audit trail). */
  | 'ACCESS_ACTION_NOT_PERMITTED'
  /** Issue 17 rule 12: a structure's software with the deposit ("alimentation") profile asked to consult. */
  | 'ACCESS_SOFTWARE_DEPOSIT_ONLY'
  /**
   * Issue 17 rule 12: a structure's software with the consultation profile asked to consult on its own: consultation
   * goes through the professional's own token.
   */
  | 'ACCESS_SOFTWARE_NO_CONSULTATION'
  /** Issue 17 rule 12: a structure's software addressed a document not authored from its structure (hidden). */
  | 'ACCESS_NOT_STRUCTURE_DOCUMENT'
  /**
   * Record management (record.manage) that only the operator performs: create, opposition, purge, assign-nir, merge
   * (the record API's code since issue 2).
   */
  | 'REC_OPERATOR_ONLY'
  /** Closing, reopening, requesting deletion, reading the record or its status: not the caller's own record. */
  | 'REC_NOT_HOLDER'
  /** The holder side closes its record with the reason holder-request only. */
  | 'REC_CLOSURE_REASON_OPERATOR_ONLY'
  /** Notifications (inbox.read) addressed to someone else: another record's, or a record named by a professional. */
  | 'NOTIF_NOT_RECIPIENT';

export type DecisionReason = AllowReason | DenyReason;

export type Decision =
  | { readonly allow: true; readonly reason: AllowReason; readonly via?: AccessVia }
  | { readonly allow: false; readonly reason: DenyReason; readonly message: string };

export type Deny = Extract<Decision, { allow: false }>;

/**
 * Denials that concern one document and must look exactly like "no such document" to the caller (same 404,
 * not counted in totals or paging): the reason goes to the trace, never to the response.
 */
export const DOCUMENT_HIDING_REASONS: ReadonlySet<DenyReason> = new Set<DenyReason>([
  'ACCESS_DELETED',
  'ACCESS_MASKED',
  'ACCESS_INVISIBLE',
  'ACCESS_MATRIX_DENIED',
  'ACCESS_NOT_STRUCTURE_DOCUMENT',
]);

/** Whether the denial must be presented as a missing document. */
export function hidesDocument(decision: Decision): boolean {
  return !decision.allow && DOCUMENT_HIDING_REASONS.has(decision.reason);
}

const UNAVAILABLE_DOCUMENT = 'No such document is available to you.';

const MESSAGES: Readonly<Record<DenyReason, string>> = {
  ACCESS_NO_RECORD: 'No record exists for this patient.',
  ACCESS_NOT_HOLDER:
    'You may only act on your own record or on the record of the person you represent.',
  ACCESS_NOT_REPRESENTATIVE: 'No record exists for this patient.',
  ACCESS_SECRET_LABEL_REQUIRED:
    'In connexion secrète, documents on a minor’s record are invisible to the legal representatives.',
  ACCESS_RECORD_CLOSED: 'The record is closed.',
  ACCESS_BLOCKED: 'The patient has blocked your access to their record.',
  ACCESS_NO_AUTHORIZATION:
    'You are not authorized on this record: declare the patient’s consent, or act from an authorized care team.',
  ACCESS_MATRIX_DENIED: UNAVAILABLE_DOCUMENT,
  ACCESS_MASKED: UNAVAILABLE_DOCUMENT,
  ACCESS_INVISIBLE: UNAVAILABLE_DOCUMENT,
  ACCESS_DELETED: UNAVAILABLE_DOCUMENT,
  ACCESS_EMERGENCY_OBJECTED: 'The patient has objected to this emergency access mode.',
  ACCESS_EMERGENCY_JUSTIFICATION_REQUIRED:
    'Break-the-glass access requires a written justification in the access request.',
  ACCESS_CENTRE15_NOT_REGULATOR: 'Centre 15 access is reserved to SAMU regulator physicians.',
  ACCESS_EMERGENCY_OTHER_RECORD:
    'Your emergency access was declared for another patient’s record: declare it, with its justification, for this one.',
  ACCESS_OPERATOR_NO_CLINICAL: 'The operator has access to administrative data only.',
  ACCESS_NOT_AUTHOR:
    'Only the author of the document (or their structure, for a deposit) may do this.',
  ACCESS_DEPOSIT_CLASS_NOT_ALLOWED: 'You may not deposit a document of this class.',
  ACCESS_VISIBILITY_NOT_ALLOWED: 'You may not change this visibility setting.',
  ACCESS_ACTION_NOT_PERMITTED: 'This action is not available to you.',
  ACCESS_SOFTWARE_DEPOSIT_ONLY:
    'This software has the deposit profile: it deposits and manages its structure’s documents and consults nothing.',
  ACCESS_SOFTWARE_NO_CONSULTATION:
    'A structure’s software consults nothing on its own: consult with the professional’s own token.',
  ACCESS_NOT_STRUCTURE_DOCUMENT: UNAVAILABLE_DOCUMENT,
  REC_OPERATOR_ONLY: 'Only the operator may do this.',
  REC_NOT_HOLDER: 'Only the holder or the operator may do this.',
  REC_CLOSURE_REASON_OPERATOR_ONLY: 'The holder closes with reason holder-request.',
  NOTIF_NOT_RECIPIENT: 'You may only read the notifications addressed to you.',
};

export const GRANTED: Decision = Object.freeze({ allow: true, reason: 'ACCESS_GRANTED' });

/** One frozen decision per ground: a search decides on each of a record's documents and allocates none. */
const GRANTED_VIA: Readonly<Record<AccessVia, Decision>> = Object.freeze({
  author: grantedVia('author'),
  consent: grantedVia('consent'),
  'care-team': grantedVia('care-team'),
  'medecin-traitant': grantedVia('medecin-traitant'),
  emergency: grantedVia('emergency'),
  holder: grantedVia('holder'),
  representative: grantedVia('representative'),
  operator: grantedVia('operator'),
});

function grantedVia(via: AccessVia): Decision {
  return Object.freeze({ allow: true, reason: 'ACCESS_GRANTED', via });
}

export function allow(via?: AccessVia): Decision {
  return via === undefined ? GRANTED : GRANTED_VIA[via];
}

export function deny(reason: DenyReason): Deny {
  return { allow: false, reason, message: MESSAGES[reason] };
}
