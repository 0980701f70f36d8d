/**
 * Professionals' writes (product.md §2 "Documents" and "Visibility", issue 4 items 2 and 4): deposit,
 * replace, archive, delete, visibility labels, consent declaration; and what professionals may never do.
 */
import { describe, expect, it } from 'vitest';
import type { ProfessionalActor } from './actor.ts';
import type {
  DocumentFacts,
  NewDocumentFacts,
  RecordFacts,
  Standing,
  VisibilityLabel,
} from './facts.ts';
import {
  careTeam,
  CONSENT,
  decide,
  doc,
  INS,
  newDoc,
  NONE,
  outcome,
  pro,
  PS,
  record,
  STRUCT,
} from './policy.fixtures.ts';
import type { AccessRequest } from './policy.ts';

const author = pro({ idNatPs: PS.author, structure: STRUCT.hospital });
const colleague = pro({ idNatPs: PS.teamMember, structure: STRUCT.hospital });
const minor = record({ isMinor: true });

describe('deposit', () => {
  const deposit = (document: NewDocumentFacts): AccessRequest => ({
    action: 'document.deposit',
    document,
  });
  it.each([
    ['author without any authorization', author, newDoc(), record(), 'ACCESS_GRANTED/author'],
    [
      'author with no structure',
      pro({ idNatPs: PS.author, structure: undefined }),
      newDoc(),
      record(),
      'ACCESS_GRANTED/author',
    ],
    [
      'establishment depositor acting from the author’s structure',
      colleague,
      newDoc(),
      record(),
      'ACCESS_GRANTED/author',
    ],
    [
      'someone else from another structure',
      pro({ idNatPs: PS.stranger }),
      newDoc(),
      record(),
      'ACCESS_NOT_AUTHOR',
    ],
    [
      'blocked author',
      pro({ idNatPs: PS.blocked }),
      newDoc({ authorIdNatPs: [PS.blocked] }),
      record(),
      'ACCESS_BLOCKED',
    ],
    [
      'blocked author, even with a consent declared after the block',
      pro({ idNatPs: PS.blocked }),
      newDoc({ authorIdNatPs: [PS.blocked] }),
      record(),
      'ACCESS_BLOCKED',
    ],
    ['closed record', author, newDoc(), record({ status: 'closed' }), 'ACCESS_RECORD_CLOSED'],
    ['no record', author, newDoc(), undefined, 'ACCESS_NO_RECORD'],
    [
      'reimbursement data (operator only)',
      author,
      newDoc({ typeCode: 'REMB', classCode: '60' }),
      record(),
      'ACCESS_DEPOSIT_CLASS_NOT_ALLOWED',
    ],
    [
      'a patient questionnaire, class 90',
      author,
      newDoc({ typeCode: '74465-6', classCode: '90' }),
      record(),
      'ACCESS_GRANTED/author',
    ],
    [
      'masked at the patient’s request',
      author,
      newDoc({ confidentiality: ['MASQUE_PS'] }),
      record(),
      'ACCESS_GRANTED/author',
    ],
    [
      'invisible to the patient',
      author,
      newDoc({ confidentiality: ['INVISIBLE_PATIENT'] }),
      record(),
      'ACCESS_GRANTED/author',
    ],
    [
      'invisible to representatives, minor',
      author,
      newDoc({ confidentiality: ['INVISIBLE_REPRESENTANTS_LEGAUX'] }),
      minor,
      'ACCESS_GRANTED/author',
    ],
    [
      'invisible to representatives, adult',
      author,
      newDoc({ confidentiality: ['INVISIBLE_REPRESENTANTS_LEGAUX'] }),
      record(),
      'ACCESS_VISIBILITY_NOT_ALLOWED',
    ],
    [
      'dentist depositing a type the matrix closes to dentists (deposit is not a read)',
      pro({ idNatPs: PS.author, profession: '40' }),
      newDoc({ typeCode: '15508-5' }),
      record(),
      'ACCESS_GRANTED/author',
    ],
  ] as const)('%s → %s', (_n, actor, document, rec, expected) => {
    expect(outcome(decide(actor, deposit(document), { record: rec, standing: NONE }))).toBe(
      expected,
    );
  });
});

describe('replace', () => {
  const replace = (
    document: DocumentFacts,
    replacement: NewDocumentFacts = newDoc(),
  ): AccessRequest => ({
    action: 'document.replace',
    document,
    replacement,
  });
  it.each([
    ['the author', author, doc(), newDoc(), CONSENT, 'ACCESS_GRANTED/author'],
    ['the author without authorization', author, doc(), newDoc(), NONE, 'ACCESS_GRANTED/author'],
    [
      'the author, a masked document',
      author,
      doc({ confidentiality: ['MASQUE_PS'] }),
      newDoc(),
      NONE,
      'ACCESS_GRANTED/author',
    ],
    [
      'an authorized non-author who sees the document',
      pro(),
      doc(),
      newDoc(),
      CONSENT,
      'ACCESS_NOT_AUTHOR',
    ],
    [
      'the author’s colleague (depositor) is not the author',
      colleague,
      doc(),
      newDoc(),
      CONSENT,
      'ACCESS_NOT_AUTHOR',
    ],
    ['the médecin traitant', pro({ idNatPs: PS.mt }), doc(), newDoc(), NONE, 'ACCESS_NOT_AUTHOR'],
    [
      'a non-author who may not see the masked document',
      pro(),
      doc({ confidentiality: ['MASQUE_PS'] }),
      newDoc(),
      CONSENT,
      'ACCESS_MASKED',
    ],
    [
      'an unauthorized non-author',
      pro({ idNatPs: PS.stranger }),
      doc(),
      newDoc(),
      NONE,
      'ACCESS_NO_AUTHORIZATION',
    ],
    [
      'the author, a deleted document',
      author,
      doc({ status: 'deleted' }),
      newDoc(),
      CONSENT,
      'ACCESS_DELETED',
    ],
    [
      'the author, replacement of class 60',
      author,
      doc(),
      newDoc({ classCode: '60', typeCode: 'REMB' }),
      CONSENT,
      'ACCESS_DEPOSIT_CLASS_NOT_ALLOWED',
    ],
    [
      'the author, replacement not written by them',
      pro({ idNatPs: PS.author, structure: STRUCT.clinic }),
      doc(),
      newDoc({ authorIdNatPs: [PS.stranger], authorStructures: [STRUCT.hospital] }),
      CONSENT,
      'ACCESS_NOT_AUTHOR',
    ],
    [
      'structure-authored document, member of that structure',
      colleague,
      doc({ authorIdNatPs: [] }),
      newDoc({ authorIdNatPs: [] }),
      NONE,
      'ACCESS_GRANTED/author',
    ],
  ] as const)('by %s → %s', (_n, actor, document, replacement, standing, expected) => {
    expect(outcome(decide(actor, replace(document, replacement), { standing }))).toBe(expected);
  });

  it('is refused to a blocked author', () => {
    const blockedAuthor = record({ blockedIdNatPs: [PS.author] });
    expect(outcome(decide(author, replace(doc()), { record: blockedAuthor }))).toBe(
      'ACCESS_BLOCKED',
    );
  });
});

describe('archive and delete', () => {
  const cases: readonly (readonly [
    string,
    ProfessionalActor,
    DocumentFacts,
    Standing,
    RecordFacts,
    string,
  ])[] = [
    ['the author', author, doc(), NONE, record(), 'ACCESS_GRANTED/author'],
    [
      'the author, archived document',
      author,
      doc({ status: 'archived' }),
      NONE,
      record(),
      'ACCESS_GRANTED/author',
    ],
    [
      'the author, superseded document',
      author,
      doc({ status: 'superseded' }),
      NONE,
      record(),
      'ACCESS_GRANTED/author',
    ],
    [
      'the author, deleted document',
      author,
      doc({ status: 'deleted' }),
      NONE,
      record(),
      'ACCESS_DELETED',
    ],
    [
      'the author, closed record',
      author,
      doc(),
      NONE,
      record({ status: 'closed' }),
      'ACCESS_RECORD_CLOSED',
    ],
    [
      'a blocked author',
      author,
      doc(),
      NONE,
      record({ blockedIdNatPs: [PS.author] }),
      'ACCESS_BLOCKED',
    ],
    ['an authorized reader', pro(), doc(), CONSENT, record(), 'ACCESS_NOT_AUTHOR'],
    [
      'the médecin traitant, masked document',
      pro({ idNatPs: PS.mt }),
      doc({ confidentiality: ['MASQUE_PS'] }),
      NONE,
      record(),
      'ACCESS_NOT_AUTHOR',
    ],
    [
      'a care-team member, masked document',
      colleague,
      doc({ confidentiality: ['MASQUE_PS'] }),
      careTeam(),
      record(),
      'ACCESS_MASKED',
    ],
  ];
  for (const action of ['document.archive', 'document.delete'] as const) {
    it.each(cases)(`${action} by %s → %s`, (_n, actor, document, standing, rec, expected) => {
      expect(outcome(decide(actor, { action, document }, { standing, record: rec }))).toBe(
        expected,
      );
    });
  }
});

describe('visibility labels set by professionals', () => {
  const cases: readonly (readonly [
    string,
    ProfessionalActor,
    VisibilityLabel,
    'set' | 'unset',
    RecordFacts,
    string,
  ])[] = [
    ['author', author, 'MASQUE_PS', 'set', record(), 'ACCESS_GRANTED/author'],
    ['author', author, 'MASQUE_PS', 'unset', record(), 'ACCESS_GRANTED/author'],
    ['author', author, 'INVISIBLE_PATIENT', 'set', record(), 'ACCESS_GRANTED/author'],
    ['author', author, 'INVISIBLE_PATIENT', 'unset', record(), 'ACCESS_GRANTED/author'],
    ['author', author, 'INVISIBLE_REPRESENTANTS_LEGAUX', 'set', minor, 'ACCESS_GRANTED/author'],
    [
      'author',
      author,
      'INVISIBLE_REPRESENTANTS_LEGAUX',
      'set',
      record(),
      'ACCESS_VISIBILITY_NOT_ALLOWED',
    ],
    [
      'author',
      author,
      'INVISIBLE_REPRESENTANTS_LEGAUX',
      'unset',
      record(),
      'ACCESS_GRANTED/author',
    ],
    [
      'author on a closed record',
      author,
      'INVISIBLE_PATIENT',
      'unset',
      record({ status: 'closed' }),
      'ACCESS_RECORD_CLOSED',
    ],
    [
      'médecin traitant',
      pro({ idNatPs: PS.mt }),
      'INVISIBLE_PATIENT',
      'unset',
      record(),
      'ACCESS_NOT_AUTHOR',
    ],
    [
      'médecin traitant',
      pro({ idNatPs: PS.mt }),
      'MASQUE_PS',
      'unset',
      record(),
      'ACCESS_GRANTED/medecin-traitant',
    ],
    [
      'unauthorized stranger',
      pro({ idNatPs: PS.stranger }),
      'INVISIBLE_PATIENT',
      'set',
      record(),
      'ACCESS_NO_AUTHORIZATION',
    ],
  ];
  it.each(cases)('%s: %s %s → %s', (_n, actor, label, operation, rec, expected) => {
    const request: AccessRequest = {
      action: 'document.set-visibility',
      document: doc(),
      label,
      operation,
    };
    expect(outcome(decide(actor, request, { record: rec }))).toBe(expected);
  });

  it('refuses any label change on a deleted document', () => {
    const request: AccessRequest = {
      action: 'document.set-visibility',
      document: doc({ status: 'deleted' }),
      label: 'INVISIBLE_PATIENT',
      operation: 'unset',
    };
    expect(outcome(decide(author, request))).toBe('ACCESS_DELETED');
  });
});

describe('MASQUE_PS set and lifted by professionals at the patient’s request (TD3.3a, issue 17 rule 4)', () => {
  const maskedDoc = doc({ confidentiality: ['N', 'MASQUE_PS'] });
  const bdg = (p: ProfessionalActor): ProfessionalActor => ({
    ...p,
    mode: 'bris_de_glace',
    reason: 'Patient inconscient',
    emergencyIns: INS,
  });
  const cases: readonly (readonly [
    string,
    ProfessionalActor,
    Standing,
    DocumentFacts,
    'set' | 'unset',
    string,
  ])[] = [
    [
      'the author, without any authorization, masks',
      author,
      NONE,
      doc(),
      'set',
      'ACCESS_GRANTED/author',
    ],
    ['the author unmasks', author, NONE, maskedDoc, 'unset', 'ACCESS_GRANTED/author'],
    ['the author in bris de glace', bdg(author), NONE, doc(), 'set', 'ACCESS_GRANTED/author'],
    [
      'a colleague of the authoring structure (not author: an individual is named)',
      colleague,
      NONE,
      doc(),
      'set',
      'ACCESS_NO_AUTHORIZATION',
    ],
    [
      'a professional with a declared consent masks',
      pro(),
      CONSENT,
      doc(),
      'set',
      'ACCESS_GRANTED/consent',
    ],
    ['a care-team member masks', colleague, careTeam(), doc(), 'set', 'ACCESS_GRANTED/care-team'],
    [
      'a care team the patient objected to',
      colleague,
      careTeam(STRUCT.hospital, true),
      doc(),
      'set',
      'ACCESS_NO_AUTHORIZATION',
    ],
    [
      'the médecin traitant masks',
      pro({ idNatPs: PS.mt }),
      NONE,
      doc(),
      'set',
      'ACCESS_GRANTED/medecin-traitant',
    ],
    [
      'the médecin traitant unmasks (they see masked documents)',
      pro({ idNatPs: PS.mt }),
      NONE,
      maskedDoc,
      'unset',
      'ACCESS_GRANTED/medecin-traitant',
    ],
    [
      'a consented professional cannot unmask what is hidden from them',
      pro(),
      CONSENT,
      maskedDoc,
      'unset',
      'ACCESS_MASKED',
    ],
    [
      'a consented professional whose profession the matrix keeps out',
      pro({ profession: '40', specialty: undefined }),
      CONSENT,
      doc({ typeCode: '15508-5' }),
      'set',
      'ACCESS_MATRIX_DENIED',
    ],
    [
      'a professional without authorization',
      pro({ idNatPs: PS.stranger }),
      NONE,
      doc(),
      'set',
      'ACCESS_NO_AUTHORIZATION',
    ],
    [
      'a professional in bris de glace (an emergency is no authorization)',
      bdg(pro({ idNatPs: PS.stranger })),
      NONE,
      doc(),
      'set',
      'ACCESS_VISIBILITY_NOT_ALLOWED',
    ],
    [
      'a blocked professional with a consent',
      pro({ idNatPs: PS.blocked }),
      CONSENT,
      doc(),
      'set',
      'ACCESS_BLOCKED',
    ],
    ['on a deleted document', author, NONE, doc({ status: 'deleted' }), 'set', 'ACCESS_DELETED'],
  ];
  it.each(cases)('%s → %s', (_n, actor, standing, document, operation, expected) => {
    const request: AccessRequest = {
      action: 'document.set-visibility',
      document,
      label: 'MASQUE_PS',
      operation,
    };
    expect(outcome(decide(actor, request, { standing }))).toBe(expected);
  });

  it('a nurse named as médecin traitant has no standing to unmask', () => {
    const nurse = pro({ idNatPs: PS.mt, profession: '60', specialty: undefined });
    const request: AccessRequest = {
      action: 'document.set-visibility',
      document: maskedDoc,
      label: 'MASQUE_PS',
      operation: 'unset',
    };
    expect(outcome(decide(nurse, request))).toBe('ACCESS_NO_AUTHORIZATION');
  });
});

describe('consent declaration and other professional actions', () => {
  it.each([
    [
      'a professional without authorization',
      pro({ idNatPs: PS.stranger }),
      record(),
      'ACCESS_GRANTED',
    ],
    [
      'a blocked professional (403 with a clear reason)',
      pro({ idNatPs: PS.blocked }),
      record(),
      'ACCESS_BLOCKED',
    ],
    ['closed record', pro(), record({ status: 'closed' }), 'ACCESS_RECORD_CLOSED'],
    ['no record', pro(), undefined, 'ACCESS_NO_RECORD'],
  ] as const)('consent.declare by %s → %s', (_n, actor, rec, expected) => {
    expect(outcome(decide(actor, { action: 'consent.declare' }, { record: rec }))).toBe(expected);
  });

  it.each([
    { action: 'audit.read' },
    { action: 'consent.manage', operation: 'list' },
    { action: 'consent.manage', operation: 'remove' },
    { action: 'record.manage', operation: 'register-representative' },
    { action: 'profile.write' },
  ] as const)('a professional may never %o', (request) => {
    expect(outcome(decide(pro(), request, { standing: CONSENT }))).toBe(
      'ACCESS_ACTION_NOT_PERMITTED',
    );
  });

  it.each([
    ['unauthorized', pro({ idNatPs: PS.stranger }), record()],
    ['blocked', pro({ idNatPs: PS.blocked }), record()],
    ['on a closed record', pro(), record({ status: 'closed' })],
    ['with no record', pro(), undefined],
  ] as const)('any professional may ask the record status (TD0.2): %s', (_n, actor, rec) => {
    expect(outcome(decide(actor, { action: 'record.status' }, { record: rec }))).toBe(
      'ACCESS_GRANTED',
    );
  });

  it.each([
    ['consented médecin', pro(), CONSENT, undefined, 'ACCESS_GRANTED/consent'],
    [
      'unauthorized médecin',
      pro({ idNatPs: PS.stranger }),
      NONE,
      undefined,
      'ACCESS_NO_AUTHORIZATION',
    ],
    ['médecin du travail', pro({ specialty: 'SM25' }), CONSENT, undefined, 'ACCESS_MATRIX_DENIED'],
    [
      'ambulancier (class 11 open)',
      pro({ profession: '36', specialty: undefined }),
      CONSENT,
      undefined,
      'ACCESS_GRANTED/consent',
    ],
    [
      'social worker (class 11 closed)',
      pro({ profession: '41', professionSystem: 'TRE_R94' }),
      CONSENT,
      undefined,
      'ACCESS_MATRIX_DENIED',
    ],
    [
      'dentist, advance-directives section of the profile',
      pro({ profession: '40', specialty: undefined }),
      CONSENT,
      { typeCode: 'EXPPAT_3', classCode: '90' },
      'ACCESS_MATRIX_DENIED',
    ],
  ] as const)('profile.read by %s → %s', (_n, actor, standing, section, expected) => {
    const request: AccessRequest = section
      ? { action: 'profile.read', section }
      : { action: 'profile.read' };
    expect(outcome(decide(actor, request, { standing }))).toBe(expected);
  });
});
