import { describe, expect, it } from 'vitest';
import { metadataFromCda } from '../domain/documents/derive-from-cda.ts';
import { loadReferenceData } from '../reference/value-sets.ts';
import { parseCda } from '../validation/cda.ts';
import type { CdaHeader } from '../validation/cda.ts';
import type { LevelOneInput } from './level-one.ts';
import { buildLevelOneCda, levelOneContent } from './level-one.ts';

const PDF = Buffer.from('%PDF-1.4\n% a scanned letter\n%%EOF\n', 'latin1');

function input(over: Partial<LevelOneInput> = {}): LevelOneInput {
  return {
    id: { root: '2.25.4242' },
    type: { code: '11488-4', codeSystem: '2.16.840.1.113883.6.1', displayName: 'Consultation' },
    title: 'Compte rendu <de> consultation & suivi',
    effectiveTime: new Date('2025-06-15T10:00:00Z'),
    confidentiality: 'N',
    languageCode: 'fr-FR',
    patient: {
      ins: '158037505610143',
      insOid: '1.2.250.1.213.1.4.10',
      birthName: 'MARTIN',
      givenNames: ['Jean', 'Paul'],
      sex: 'male',
      birthDate: '1958-03-21',
    },
    author: {
      kind: 'professional',
      idNatPs: '899700366240',
      name: { family: 'DUPONT', given: ['Marie'] },
      role: { code: 'G15_10/SM54', codeSystem: '1.2.250.1.213.1.1.4.5' },
      structure: { idNatStruct: '1750000000', name: 'Cabinet Dupont' },
    },
    serviceStart: '20250614',
    practiceSetting: { code: 'AMBULATOIRE', codeSystem: '1.2.250.1.213.1.1.4.9' },
    facilityType: { code: 'SA07', codeSystem: '1.2.250.1.71.4.2.4' },
    hostName: 'opendmp',
    mediaType: 'application/pdf',
    content: PDF,
    ...over,
  };
}

function parsed(bytes: Uint8Array): CdaHeader {
  const r = parseCda(bytes);
  if (!r.ok) {
    throw new Error(JSON.stringify(r.error));
  }
  return r.value;
}

describe('buildLevelOneCda', () => {
  it('wraps the file in a CDA N1 valid against the ANS schema, the bytes intact in the nonXMLBody', () => {
    const cda = buildLevelOneCda(input());
    const h = parsed(cda);
    expect(h.body).toEqual({ kind: 'nonXML', mediaType: 'application/pdf', representation: 'B64' });
    expect(levelOneContent(cda)?.equals(PDF)).toBe(true);
    expect(h.title).toBe('Compte rendu <de> consultation & suivi');
    expect(h.templateIds).toContainEqual({ root: '1.3.6.1.4.1.19376.1.2.20' });
  });

  it('carries the record, the author and the metadata the user chose, as the deposit reads them back', () => {
    const h = parsed(buildLevelOneCda(input({ replaces: { root: '2.25.41' } })));
    expect(h.ins).toEqual({ value: '158037505610143', oid: '1.2.250.1.213.1.4.10' });
    expect(h.recordTargets[0]).toMatchObject({ gender: 'M', birthTime: '19580321' });
    expect(h.authors[0]).toMatchObject({
      idNatPs: '899700366240',
      role: { code: 'G15_10/SM54' },
      organization: { name: 'Cabinet Dupont' },
    });
    const meta = metadataFromCda(h, loadReferenceData());
    expect(meta.format?.code).toBe('urn:ihe:iti:xds-sd:pdf:2008');
    expect(meta.mimeType).toBe('text/xml');
    expect(meta.type?.code).toBe('11488-4');
    expect(meta.facilityType?.code).toBe('SA07');
    expect(meta.practiceSetting?.code).toBe('AMBULATOIRE');
    expect(meta.serviceStart).toBe('2025-06-14');
    expect(meta.relatesTo).toEqual([{ code: 'replaces', targetUniqueId: '2.25.41' }]);
  });

  it.each([
    ['the patient', { kind: 'patient' as const, name: { family: 'MARTIN', given: ['Jean'] } }],
    ['another person, unnamed', { kind: 'person' as const }],
  ])('is schema-valid with %s as author', (_label, author) => {
    const h = parsed(
      buildLevelOneCda(
        input({
          author,
          mediaType: 'image/jpeg',
          content: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]),
        }),
      ),
    );
    expect(h.body).toMatchObject({ kind: 'nonXML', mediaType: 'image/jpeg' });
  });
});
