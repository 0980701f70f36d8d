/**
 * Patient (holder) and legal representative: "sees everything but deleted and still-invisible documents;
 * representative: the same, minus INVISIBLE_REPRESENTANTS_LEGAUX" (product.md §2), INVISIBLE_PATIENT lifting
 * by itself one month after deposit, and the holder's own actions.
 */
import { describe, expect, it } from 'vitest';
import type { PatientActor, RepresentativeActor } from './actor.ts';
import type { DocumentFacts } from './facts.ts';
import {
  decide,
  doc,
  INS,
  NOW,
  OTHER_INS,
  outcome,
  patient,
  read,
  record,
  representative,
} from './policy.fixtures.ts';
import type { AccessRequest, ConsentOperation, RecordOperation } from './policy.ts';

const deposited = new Date('2025-03-01T08:30:00Z');
const invisible = doc({ confidentiality: ['INVISIBLE_PATIENT'], depositedAt: deposited });
const hiddenFromReps = doc({ confidentiality: ['INVISIBLE_REPRESENTANTS_LEGAUX'] });
const minor = record({ isMinor: true });

describe('what the patient and the representatives read', () => {
  const cases: readonly (readonly [string, DocumentFacts, Date, string, string])[] = [
    ['plain document', doc(), NOW, 'ACCESS_GRANTED/holder', 'ACCESS_GRANTED/representative'],
    [
      'masked from professionals',
      doc({ confidentiality: ['MASQUE_PS'] }),
      NOW,
      'ACCESS_GRANTED/holder',
      'ACCESS_GRANTED/representative',
    ],
    [
      'superseded',
      doc({ status: 'superseded' }),
      NOW,
      'ACCESS_GRANTED/holder',
      'ACCESS_GRANTED/representative',
    ],
    [
      'archived',
      doc({ status: 'archived' }),
      NOW,
      'ACCESS_GRANTED/holder',
      'ACCESS_GRANTED/representative',
    ],
    ['deleted', doc({ status: 'deleted' }), NOW, 'ACCESS_DELETED', 'ACCESS_DELETED'],
    [
      'INVISIBLE_PATIENT, 2 weeks after deposit',
      invisible,
      new Date('2025-03-15T08:30:00Z'),
      'ACCESS_INVISIBLE',
      'ACCESS_INVISIBLE',
    ],
    [
      'INVISIBLE_PATIENT, one second before one month',
      invisible,
      new Date('2025-04-01T08:29:59Z'),
      'ACCESS_INVISIBLE',
      'ACCESS_INVISIBLE',
    ],
    [
      'INVISIBLE_PATIENT, exactly one month after deposit',
      invisible,
      new Date('2025-04-01T08:30:00Z'),
      'ACCESS_GRANTED/holder',
      'ACCESS_GRANTED/representative',
    ],
    [
      'INVISIBLE_PATIENT, two months after deposit',
      invisible,
      new Date('2025-05-01T00:00:00Z'),
      'ACCESS_GRANTED/holder',
      'ACCESS_GRANTED/representative',
    ],
    [
      'INVISIBLE_PATIENT deposited 31 January, on 28 February (month end)',
      doc({
        confidentiality: ['INVISIBLE_PATIENT'],
        depositedAt: new Date('2025-01-31T12:00:00Z'),
      }),
      new Date('2025-02-28T12:00:00Z'),
      'ACCESS_GRANTED/holder',
      'ACCESS_GRANTED/representative',
    ],
    [
      'INVISIBLE_PATIENT with an unreadable deposit date stays hidden',
      doc({ confidentiality: ['INVISIBLE_PATIENT'], depositedAt: new Date('not a date') }),
      NOW,
      'ACCESS_INVISIBLE',
      'ACCESS_INVISIBLE',
    ],
    [
      'INVISIBLE_REPRESENTANTS_LEGAUX (a minor’s document)',
      hiddenFromReps,
      NOW,
      'ACCESS_GRANTED/holder',
      'ACCESS_INVISIBLE',
    ],
    [
      'INVISIBLE_REPRESENTANTS_LEGAUX + INVISIBLE_PATIENT lifted',
      doc({
        confidentiality: ['INVISIBLE_PATIENT', 'INVISIBLE_REPRESENTANTS_LEGAUX'],
        depositedAt: new Date('2024-01-01T00:00:00Z'),
      }),
      NOW,
      'ACCESS_GRANTED/holder',
      'ACCESS_INVISIBLE',
    ],
  ];

  it.each(cases)('%s: patient → %s', (_name, document, now, forPatient) => {
    expect(outcome(decide(patient, read(document), { record: minor, now }))).toBe(forPatient);
  });
  it.each(cases)('%s: representative → %s', (_name, document, now, _p, forRep) => {
    expect(outcome(decide(representative, read(document), { record: minor, now }))).toBe(forRep);
  });
});

describe('only their own record', () => {
  const actors: readonly (readonly [string, PatientActor | RepresentativeActor])[] = [
    ['patient', patient],
    ['representative', representative],
  ];
  const actions: readonly AccessRequest[] = [
    { action: 'record.status' },
    { action: 'document.search' },
    read(),
    { action: 'audit.read' },
    { action: 'consent.manage', operation: 'block' },
    { action: 'record.manage', operation: 'close' },
    { action: 'profile.read' },
  ];
  it.each(actors)('%s of another INS is refused on every action', (_n, actor) => {
    for (const request of actions) {
      // The record's own actions answer with the record API's code (policy.records.test.ts).
      expect(outcome(decide(actor, request, { ins: OTHER_INS }))).toBe(
        request.action === 'record.status' || request.action === 'record.manage'
          ? 'REC_NOT_HOLDER'
          : 'ACCESS_NOT_HOLDER',
      );
    }
  });
  it.each(actors)('%s: no record for their INS', (_n, actor) => {
    expect(outcome(decide(actor, { action: 'document.search' }, { record: undefined }))).toBe(
      'ACCESS_NO_RECORD',
    );
  });
  it('does not reveal whether another INS has a record', () => {
    expect(
      outcome(decide(patient, { action: 'record.status' }, { ins: OTHER_INS, record: undefined })),
    ).toBe('REC_NOT_HOLDER');
    expect(
      outcome(decide(patient, { action: 'record.status' }, { ins: OTHER_INS, record: record() })),
    ).toBe('REC_NOT_HOLDER');
  });
});

describe('closed record, holder side', () => {
  const closed = record({ status: 'closed' });
  const table: readonly (readonly [AccessRequest, string])[] = [
    [{ action: 'record.status' }, 'ACCESS_GRANTED/holder'],
    [{ action: 'audit.read' }, 'ACCESS_GRANTED/holder'],
    [{ action: 'record.manage', operation: 'reopen' }, 'ACCESS_GRANTED/holder'],
    [{ action: 'consent.manage', operation: 'list' }, 'ACCESS_GRANTED/holder'],
    [{ action: 'consent.manage', operation: 'block' }, 'ACCESS_RECORD_CLOSED'],
    [{ action: 'document.search' }, 'ACCESS_RECORD_CLOSED'],
    [read(), 'ACCESS_RECORD_CLOSED'],
    [{ action: 'profile.read' }, 'ACCESS_RECORD_CLOSED'],
    [{ action: 'profile.write' }, 'ACCESS_RECORD_CLOSED'],
    [{ action: 'document.archive', document: doc() }, 'ACCESS_RECORD_CLOSED'],
    [
      {
        action: 'document.deposit',
        document: {
          typeCode: 'EXPPAT_2',
          classCode: '90',
          authorIdNatPs: [],
          authorStructures: [],
          confidentiality: [],
        },
      },
      'ACCESS_RECORD_CLOSED',
    ],
  ];
  it.each(table)('%o → %s', (request, expected) => {
    expect(outcome(decide(patient, request, { record: closed }))).toBe(expected);
  });
});

describe('holder actions on the record, consents and profile', () => {
  const consentOps: readonly ConsentOperation[] = [
    'list',
    'add',
    'remove',
    'block',
    'unblock',
    'object-emergency',
    'accept-emergency',
    'object-care-team',
    'accept-care-team',
    'set-medecin-traitant',
  ];
  it.each(consentOps)('consent.manage %s: patient and representative may', (operation) => {
    expect(outcome(decide(patient, { action: 'consent.manage', operation }))).toBe(
      'ACCESS_GRANTED/holder',
    );
    expect(outcome(decide(representative, { action: 'consent.manage', operation }))).toBe(
      'ACCESS_GRANTED/representative',
    );
  });

  const recordOps: readonly (readonly [RecordOperation, string])[] = [
    ['close', 'ACCESS_GRANTED/holder'],
    ['reopen', 'ACCESS_GRANTED/holder'],
    ['request-purge', 'ACCESS_GRANTED/holder'],
    ['create', 'REC_OPERATOR_ONLY'],
    ['purge', 'REC_OPERATOR_ONLY'],
    ['register-representative', 'ACCESS_ACTION_NOT_PERMITTED'],
  ];
  it.each(recordOps)('record.manage %s → %s', (operation, expected) => {
    expect(outcome(decide(patient, { action: 'record.manage', operation }))).toBe(expected);
  });

  it.each([
    [{ action: 'audit.read' }, 'ACCESS_GRANTED/holder'],
    [{ action: 'profile.read' }, 'ACCESS_GRANTED/holder'],
    [{ action: 'profile.write' }, 'ACCESS_GRANTED/holder'],
    [{ action: 'document.search' }, 'ACCESS_GRANTED/holder'],
    [{ action: 'consent.declare' }, 'ACCESS_ACTION_NOT_PERMITTED'],
  ] as const)('%o → %s', (request, expected) => {
    expect(outcome(decide(patient, request))).toBe(expected);
  });
});

describe('holder writes on documents', () => {
  const patientDoc = doc({
    typeCode: 'EXPPAT_2',
    classCode: '90',
    authorIdNatPs: [],
    authorStructures: [],
    depositorKind: 'patient',
  });
  const byRep = { ...patientDoc, depositorKind: 'representative' as const };
  const upload = (typeCode: string, classCode: string, confidentiality: string[] = []) => ({
    action: 'document.deposit' as const,
    document: { typeCode, classCode, authorIdNatPs: [], authorStructures: [], confidentiality },
  });

  it.each([
    ['advance directives, class 90', upload('EXPPAT_3', '90'), 'ACCESS_GRANTED/holder'],
    [
      'imaging uploaded by the patient (DOCPAT04, class 31)',
      upload('DOCPAT04', '31'),
      'ACCESS_GRANTED/holder',
    ],
    ['a hospital report', upload('34112-3', '10'), 'ACCESS_DEPOSIT_CLASS_NOT_ALLOWED'],
    ['reimbursement data', upload('REMB', '60'), 'ACCESS_DEPOSIT_CLASS_NOT_ALLOWED'],
    [
      'patient document masked at deposit',
      upload('EXPPAT_2', '90', ['MASQUE_PS']),
      'ACCESS_GRANTED/holder',
    ],
    [
      'patient document with INVISIBLE_PATIENT',
      upload('EXPPAT_2', '90', ['INVISIBLE_PATIENT']),
      'ACCESS_VISIBILITY_NOT_ALLOWED',
    ],
    [
      'patient document with INVISIBLE_REPRESENTANTS_LEGAUX',
      upload('EXPPAT_2', '90', ['INVISIBLE_REPRESENTANTS_LEGAUX']),
      'ACCESS_VISIBILITY_NOT_ALLOWED',
    ],
  ] as const)('patient deposits %s → %s', (_n, request, expected) => {
    expect(outcome(decide(patient, request))).toBe(expected);
  });

  it('representative deposits a patient document', () => {
    expect(outcome(decide(representative, upload('EXPPAT_2', '90')))).toBe(
      'ACCESS_GRANTED/representative',
    );
  });

  it.each([
    ['patient replaces their own upload', patient, patientDoc, 'ACCESS_GRANTED/holder'],
    ['patient replaces an upload of the representative', patient, byRep, 'ACCESS_GRANTED/holder'],
    [
      'representative replaces the patient’s upload',
      representative,
      patientDoc,
      'ACCESS_GRANTED/representative',
    ],
    [
      'patient replaces a professional’s report (not the author)',
      patient,
      doc(),
      'ACCESS_NOT_AUTHOR',
    ],
    [
      'patient replaces a deleted upload',
      patient,
      { ...patientDoc, status: 'deleted' as const },
      'ACCESS_DELETED',
    ],
  ] as const)('%s → %s', (_n, actor, document, expected) => {
    const replacement = upload('EXPPAT_2', '90').document;
    expect(outcome(decide(actor, { action: 'document.replace', document, replacement }))).toBe(
      expected,
    );
  });

  it.each([
    ['archive', 'patient', doc(), 'ACCESS_GRANTED/holder'],
    ['delete', 'patient', doc(), 'ACCESS_GRANTED/holder'],
    ['delete', 'patient', doc({ status: 'archived' }), 'ACCESS_GRANTED/holder'],
    ['delete', 'patient', doc({ status: 'deleted' }), 'ACCESS_DELETED'],
    ['delete', 'patient', invisible, 'ACCESS_INVISIBLE'],
    ['archive', 'representative', doc(), 'ACCESS_GRANTED/representative'],
    ['delete', 'representative', hiddenFromReps, 'ACCESS_INVISIBLE'],
  ] as const)('%s by the %s → %s', (what, who, document, expected) => {
    const actor = who === 'patient' ? patient : representative;
    const action = what === 'archive' ? 'document.archive' : 'document.delete';
    expect(outcome(decide(actor, { action, document }, { record: minor }))).toBe(expected);
  });
});

describe('holder and visibility labels', () => {
  it.each([
    ['patient', 'MASQUE_PS', 'set', doc(), 'ACCESS_GRANTED/holder'],
    [
      'patient',
      'MASQUE_PS',
      'unset',
      doc({ confidentiality: ['MASQUE_PS'] }),
      'ACCESS_GRANTED/holder',
    ],
    ['representative', 'MASQUE_PS', 'set', doc(), 'ACCESS_GRANTED/representative'],
    ['representative', 'MASQUE_PS', 'set', hiddenFromReps, 'ACCESS_INVISIBLE'],
    ['patient', 'MASQUE_PS', 'set', invisible, 'ACCESS_INVISIBLE'],
    ['patient', 'MASQUE_PS', 'set', doc({ status: 'deleted' }), 'ACCESS_DELETED'],
    ['patient', 'INVISIBLE_PATIENT', 'set', doc(), 'ACCESS_VISIBILITY_NOT_ALLOWED'],
    ['patient', 'INVISIBLE_REPRESENTANTS_LEGAUX', 'set', doc(), 'ACCESS_VISIBILITY_NOT_ALLOWED'],
    [
      'patient',
      'INVISIBLE_REPRESENTANTS_LEGAUX',
      'unset',
      hiddenFromReps,
      'ACCESS_VISIBILITY_NOT_ALLOWED',
    ],
    [
      'representative',
      'INVISIBLE_REPRESENTANTS_LEGAUX',
      'unset',
      hiddenFromReps,
      'ACCESS_INVISIBLE',
    ],
  ] as const)('%s %s %s → %s', (who, label, operation, document, expected) => {
    const actor = who === 'patient' ? patient : representative;
    const request = { action: 'document.set-visibility', document, label, operation } as const;
    expect(outcome(decide(actor, request, { record: minor }))).toBe(expected);
  });

  it('uses the INS of the record, not a name, to recognise the holder', () => {
    expect(outcome(decide({ kind: 'patient', ins: INS, name: 'Someone' }, read()))).toBe(
      'ACCESS_GRANTED/holder',
    );
  });
});
