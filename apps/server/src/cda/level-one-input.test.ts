import { describe, expect, it } from 'vitest';
import type { DocumentAuthor } from '../domain/documents/model.ts';
import { authorOf, cdaCodeOf, hl7TimeOf, levelOneInputOf } from './level-one-input.ts';
import type { LevelOneSource } from './level-one-input.ts';

const PATIENT = {
  ins: '158037505610143',
  insOid: '1.2.250.1.213.1.4.10',
  birthName: 'MARTIN',
  givenNames: ['Jean'],
  sex: 'male',
  birthDate: '1958-03-21',
};
const USER = { kind: 'person' as const, name: { family: 'SIMON', given: ['Claire'] } };

function source(metadata: LevelOneSource['metadata']): LevelOneSource {
  return {
    metadata,
    patient: PATIENT,
    fallback: USER,
    id: { root: '2.25.1' },
    now: new Date('2026-01-02T03:04:05Z'),
    hostName: 'opendmp',
    mediaType: 'application/pdf',
    content: new Uint8Array([1]),
  };
}

describe('levelOneInputOf (W1–W5)', () => {
  it.each([
    ['2026-03-10', '20260310'],
    ['2026-03', '202603'],
    ['2026-03-02T09:30:00+01:00', '20260302083000+0000'],
    ['not a date', undefined],
  ])('writes the FHIR time %s as the HL7 TS %s', (fhir, hl7) => {
    expect(hl7TimeOf(fhir)).toBe(hl7);
  });

  it('turns a code system URL into its OID, and gives up on a system without one', () => {
    expect(cdaCodeOf({ system: 'http://loinc.org', code: '11488-4', display: 'CR' })).toEqual({
      code: '11488-4',
      codeSystem: '2.16.840.1.113883.6.1',
      displayName: 'CR',
    });
    expect(cdaCodeOf({ system: 'https://example.org/codes', code: 'x' })).toBeUndefined();
  });

  it.each<[string, DocumentAuthor | undefined, string]>([
    ['no author: the acting user', undefined, 'person'],
    [
      'a professional with an IdNat_PS',
      { kind: 'practitioner', idNatPs: '899700366240' },
      'professional',
    ],
    ['a professional without one: the acting user', { kind: 'practitioner' }, 'person'],
    ['the patient', { kind: 'patient' }, 'patient'],
    ['a representative', { kind: 'related-person' }, 'person'],
    ['a device: the acting user', { kind: 'device', displayName: 'LPS' }, 'person'],
  ])('takes as author %s', (_label, author, kind) => {
    const a = authorOf(author, USER);
    expect(a.kind).toBe(kind);
    expect(a.name).toEqual(USER.name);
  });

  it('keeps the professional’s role and structure, and the level N/R/V among the labels', () => {
    const r = levelOneInputOf(
      source({
        type: { system: 'http://loinc.org', code: '11488-4' },
        confidentiality: [
          { system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' },
          { system: 'urn:oid:1.2.250.1.213.1.1.4.13', code: 'MASQUE_PS' },
        ],
        serviceStart: '2026-03-10',
        authors: [
          {
            kind: 'practitioner',
            idNatPs: '899700366240',
            role: { system: 'urn:oid:1.2.250.1.213.1.1.4.5', code: 'G15_10/SM54' },
            structure: { idNatStruct: '1750300000', name: 'Hôpital' },
          },
        ],
      }),
    );
    expect(r.ok && r.value.confidentiality).toBe('R');
    expect(r.ok && r.value.serviceStart).toBe('20260310');
    expect(r.ok && r.value.title).toBe('Document');
    expect(r.ok && r.value.author).toMatchObject({
      kind: 'professional',
      role: { code: 'G15_10/SM54', codeSystem: '1.2.250.1.213.1.1.4.5' },
      structure: { idNatStruct: '1750300000', name: 'Hôpital' },
    });
  });

  it('needs a type code (the header’s code): DOC_REQUIRED_MISSING without', () => {
    const r = levelOneInputOf(source({}));
    expect(r.ok ? [] : r.error.map((i) => i.code)).toEqual(['DOC_REQUIRED_MISSING']);
  });
});
