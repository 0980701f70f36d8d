/**
 * Issue 17 rule 12: a structure's software ("authentification indirecte") deposits documents authored by its
 * structure's professionals, finds and manages its structure's documents, and consults nothing; its profile
 * (deposit vs consultation) is part of the actor and of the decision.
 */
import { describe, expect, it } from 'vitest';
import type { AccessRequest } from './policy.ts';
import {
  CONSENT,
  decide,
  doc,
  newDoc,
  outcome,
  PS,
  record,
  software,
  STRUCT,
} from './policy.fixtures.ts';

const hospital = software();
const consulting = software({ profile: 'consultation' });
const clinic = software({ structure: STRUCT.clinic, id: 'lps-clinic' });

const own = doc();
const other = doc({ authorIdNatPs: ['810000000099'], authorStructures: [STRUCT.clinic] });

describe('a structure software (issue 17 rule 12)', () => {
  const cases: [string, ReturnType<typeof software>, AccessRequest, string][] = [
    [
      'asks whether the record exists (TD0.2)',
      hospital,
      { action: 'record.status' },
      'ACCESS_GRANTED',
    ],
    [
      'deposits what its professionals authored',
      hospital,
      { action: 'document.deposit', document: newDoc() },
      'ACCESS_GRANTED/author',
    ],
    [
      'may not deposit what another structure authored',
      clinic,
      { action: 'document.deposit', document: newDoc() },
      'ACCESS_NOT_AUTHOR',
    ],
    [
      'may not deposit the reimbursement history (class 60)',
      hospital,
      { action: 'document.deposit', document: newDoc({ classCode: '60' }) },
      'ACCESS_DEPOSIT_CLASS_NOT_ALLOWED',
    ],
    [
      'may not deposit for a professional the patient blocked',
      hospital,
      { action: 'document.deposit', document: newDoc({ authorIdNatPs: [PS.blocked] }) },
      'ACCESS_BLOCKED',
    ],
    [
      'may not label an adult’s document invisible to representatives',
      hospital,
      {
        action: 'document.deposit',
        document: newDoc({ confidentiality: ['N', 'INVISIBLE_REPRESENTANTS_LEGAUX'] }),
      },
      'ACCESS_VISIBILITY_NOT_ALLOWED',
    ],
    [
      'looks for its structure’s documents',
      hospital,
      { action: 'document.search-own' },
      'ACCESS_GRANTED/author',
    ],
    [
      'finds its structure’s document',
      hospital,
      { action: 'document.find-own', document: own },
      'ACCESS_GRANTED/author',
    ],
    [
      'does not find another structure’s document (looks missing)',
      hospital,
      { action: 'document.find-own', document: other },
      'ACCESS_NOT_STRUCTURE_DOCUMENT',
    ],
    [
      'replaces its structure’s document',
      hospital,
      { action: 'document.replace', document: own, replacement: newDoc() },
      'ACCESS_GRANTED/author',
    ],
    [
      'does not replace another structure’s document',
      hospital,
      { action: 'document.replace', document: other, replacement: newDoc() },
      'ACCESS_NOT_STRUCTURE_DOCUMENT',
    ],
    [
      'archives its structure’s document',
      hospital,
      { action: 'document.archive', document: own },
      'ACCESS_GRANTED/author',
    ],
    [
      'deletes its structure’s document',
      hospital,
      { action: 'document.delete', document: own },
      'ACCESS_GRANTED/author',
    ],
    [
      'does not delete another structure’s document',
      hospital,
      { action: 'document.delete', document: other },
      'ACCESS_NOT_STRUCTURE_DOCUMENT',
    ],
    [
      'does not touch a deleted document',
      hospital,
      { action: 'document.archive', document: doc({ status: 'deleted' }) },
      'ACCESS_DELETED',
    ],
    [
      'masks its structure’s document at the patient’s request',
      hospital,
      { action: 'document.set-visibility', document: own, label: 'MASQUE_PS', operation: 'set' },
      'ACCESS_GRANTED/author',
    ],
    [
      'with the deposit profile, does not search',
      hospital,
      { action: 'document.search' },
      'ACCESS_SOFTWARE_DEPOSIT_ONLY',
    ],
    [
      'with the deposit profile, does not read even its own document',
      hospital,
      { action: 'document.read', document: own },
      'ACCESS_SOFTWARE_DEPOSIT_ONLY',
    ],
    [
      'with the deposit profile, does not read the profile',
      hospital,
      { action: 'profile.read' },
      'ACCESS_SOFTWARE_DEPOSIT_ONLY',
    ],
    [
      'with the consultation profile, still does not search on its own',
      consulting,
      { action: 'document.search' },
      'ACCESS_SOFTWARE_NO_CONSULTATION',
    ],
    [
      'with the consultation profile, still does not read on its own',
      consulting,
      { action: 'document.read', document: own },
      'ACCESS_SOFTWARE_NO_CONSULTATION',
    ],
    [
      'does not declare a consent',
      hospital,
      { action: 'consent.declare' },
      'ACCESS_ACTION_NOT_PERMITTED',
    ],
    [
      'does not read the access history',
      hospital,
      { action: 'audit.read' },
      'ACCESS_ACTION_NOT_PERMITTED',
    ],
    [
      'does not manage the record',
      hospital,
      { action: 'record.manage', operation: 'close' },
      'REC_NOT_HOLDER',
    ],
  ];

  it.each(cases)('%s', (_name, actor, request, expected) => {
    // A consent standing changes nothing: the software is never "authorized" to consult.
    expect(outcome(decide(actor, request, { standing: CONSENT }))).toBe(expected);
  });

  it('deposits nothing on a closed or missing record', () => {
    const deposit: AccessRequest = { action: 'document.deposit', document: newDoc() };
    expect(outcome(decide(hospital, deposit, { record: record({ status: 'closed' }) }))).toBe(
      'ACCESS_RECORD_CLOSED',
    );
    expect(outcome(decide(hospital, deposit, { record: undefined }))).toBe('ACCESS_NO_RECORD');
  });

  it('labels a minor’s document invisible to the representatives', () => {
    const deposit: AccessRequest = {
      action: 'document.deposit',
      document: newDoc({ confidentiality: ['N', 'INVISIBLE_REPRESENTANTS_LEGAUX'] }),
    };
    expect(outcome(decide(hospital, deposit, { record: record({ isMinor: true }) }))).toBe(
      'ACCESS_GRANTED/author',
    );
  });
});
