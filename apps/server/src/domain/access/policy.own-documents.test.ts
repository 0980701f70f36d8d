/**
 * Issue 17 rule 5 (TD3.1b, TD3.3c NB1): a professional finds the documents they wrote or deposited without an
 * authorization, so that their software can replace, archive or delete them — and nothing else of the record.
 */
import { describe, expect, it } from 'vitest';
import type { ProfessionalActor } from './actor.ts';
import type { DocumentFacts, RecordFacts } from './facts.ts';
import {
  CONSENT,
  decide,
  doc,
  NONE,
  operator,
  outcome,
  patient,
  pro,
  PS,
  record,
  STRUCT,
} from './policy.fixtures.ts';

const author = pro({ idNatPs: PS.author, structure: STRUCT.hospital });
const stranger = pro({ idNatPs: PS.stranger });
const secretary = pro({ idNatPs: PS.teamMember, structure: STRUCT.hospital, profession: '10' });

describe('document.search-own', () => {
  it.each<[string, ProfessionalActor, RecordFacts | undefined, string]>([
    ['a professional without any authorization', stranger, record(), 'ACCESS_GRANTED/author'],
    ['on a closed record', stranger, record({ status: 'closed' }), 'ACCESS_RECORD_CLOSED'],
    ['a blocked professional', pro({ idNatPs: PS.blocked }), record(), 'ACCESS_BLOCKED'],
    ['no record', stranger, undefined, 'ACCESS_NO_RECORD'],
  ])('%s → %s', (_n, actor, rec, expected) => {
    expect(outcome(decide(actor, { action: 'document.search-own' }, { record: rec }))).toBe(
      expected,
    );
  });

  it('is not for the holder side nor the operator', () => {
    expect(outcome(decide(patient, { action: 'document.search-own' }))).toBe(
      'ACCESS_ACTION_NOT_PERMITTED',
    );
    expect(outcome(decide(operator, { action: 'document.search-own' }))).toBe(
      'ACCESS_OPERATOR_NO_CLINICAL',
    );
  });
});

describe('document.find-own', () => {
  const find = (actor: ProfessionalActor, document: DocumentFacts, rec = record()) =>
    outcome(
      decide(actor, { action: 'document.find-own', document }, { record: rec, standing: NONE }),
    );
  it.each<[string, ProfessionalActor, DocumentFacts, string]>([
    ['the author', author, doc(), 'ACCESS_GRANTED/author'],
    [
      'the author, masked document',
      author,
      doc({ confidentiality: ['N', 'MASQUE_PS'] }),
      'ACCESS_GRANTED/author',
    ],
    ['the author, archived document', author, doc({ status: 'archived' }), 'ACCESS_GRANTED/author'],
    [
      'the author, superseded version',
      author,
      doc({ status: 'superseded' }),
      'ACCESS_GRANTED/author',
    ],
    ['the author, deleted document', author, doc({ status: 'deleted' }), 'ACCESS_DELETED'],
    [
      'the professional who deposited for the author (not themselves an author)',
      secretary,
      doc({ depositorIdNatPs: PS.teamMember }),
      'ACCESS_GRANTED/author',
    ],
    [
      'a member of the authoring structure of a document with no individual author',
      secretary,
      doc({ authorIdNatPs: [], depositorIdNatPs: undefined }),
      'ACCESS_GRANTED/author',
    ],
    [
      'a colleague of the author’s structure, neither author nor depositor',
      secretary,
      doc(),
      'ACCESS_NO_AUTHORIZATION',
    ],
    ['someone else', stranger, doc(), 'ACCESS_NO_AUTHORIZATION'],
    [
      'a document the patient deposited',
      stranger,
      doc({ depositorKind: 'patient', depositorIdNatPs: undefined, authorIdNatPs: [] }),
      'ACCESS_NO_AUTHORIZATION',
    ],
  ])('%s → %s', (_n, actor, document, expected) => {
    expect(find(actor, document)).toBe(expected);
  });

  it('refuses a blocked author and a closed record', () => {
    expect(find(pro({ idNatPs: PS.blocked }), doc({ authorIdNatPs: [PS.blocked] }))).toBe(
      'ACCESS_BLOCKED',
    );
    expect(find(author, doc(), record({ status: 'closed' }))).toBe('ACCESS_RECORD_CLOSED');
  });

  it('gives no content: reading the document itself still needs an authorization', () => {
    expect(outcome(decide(author, { action: 'document.read', document: doc() }))).toBe(
      'ACCESS_NO_AUTHORIZATION',
    );
    expect(
      outcome(decide(author, { action: 'document.read', document: doc() }, { standing: CONSENT })),
    ).toBe('ACCESS_GRANTED/author');
  });
});
