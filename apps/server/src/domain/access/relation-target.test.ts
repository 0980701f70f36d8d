import { describe, expect, it } from 'vitest';
import type { ProfessionalActor } from './actor.ts';
import type { DocumentFacts, RecordFacts, Standing } from './facts.ts';
import {
  CONSENT,
  doc,
  INS,
  MATRIX,
  NONE,
  NOW,
  operator,
  outcome,
  patient,
  pro,
  PS,
  record,
} from './policy.fixtures.ts';
import { decideRelationTarget } from './relation-target.ts';

const MASKED = doc({ confidentiality: ['N', 'MASQUE_PS'] });

describe('which existing documents a deposit may name in relatesTo', () => {
  it.each([
    // name, actor, standing, document, record, outcome
    [
      'T1 an authorized professional names a visible document',
      pro(),
      CONSENT,
      doc(),
      record(),
      'ACCESS_GRANTED/consent',
    ],
    [
      'T2 the author without authorization names their own',
      pro({ idNatPs: PS.author }),
      NONE,
      doc(),
      record(),
      'ACCESS_GRANTED/author',
    ],
    [
      'T2 the author names their own masked document',
      pro({ idNatPs: PS.author }),
      NONE,
      MASKED,
      record(),
      'ACCESS_GRANTED/author',
    ],
    [
      'T3 an authorized non-author may not name a masked document',
      pro(),
      CONSENT,
      MASKED,
      record(),
      'ACCESS_MASKED',
    ],
    [
      'T3 a professional without authorization names nothing',
      pro({ idNatPs: PS.stranger }),
      NONE,
      doc(),
      record(),
      'ACCESS_NO_AUTHORIZATION',
    ],
    [
      'T3 nobody names a deleted document, not even its author',
      pro({ idNatPs: PS.author }),
      CONSENT,
      doc({ status: 'deleted' }),
      record(),
      'ACCESS_DELETED',
    ],
    [
      'T2 a blocked author still names their own (the deposit itself is refused)',
      pro({ idNatPs: PS.blocked }),
      CONSENT,
      doc({ authorIdNatPs: [PS.blocked] }),
      record(),
      'ACCESS_GRANTED/author',
    ],
    [
      'T1 the holder names a document of their record',
      patient,
      NONE,
      doc(),
      record(),
      'ACCESS_GRANTED/holder',
    ],
  ] as [
    string,
    ProfessionalActor | typeof patient,
    Standing,
    DocumentFacts,
    RecordFacts,
    string,
  ][])('%s', (_name, actor, standing, target, rec, expected) => {
    const decision = decideRelationTarget(
      { actor, ins: INS, record: rec, standing, matrix: MATRIX, now: NOW },
      target,
    );
    expect(outcome(decision)).toBe(expected);
  });

  it('T3 the operator names no clinical document', () => {
    const decision = decideRelationTarget(
      { actor: operator, ins: INS, record: record(), matrix: MATRIX, now: NOW },
      doc(),
    );
    expect(decision.allow).toBe(false);
  });
});
