import { describe, expect, it } from 'vitest';
import { parseCda } from '../validation/cda.ts';
import { buildCnamHr } from './cnam-hr.ts';
import type { CnamHrInput, CnamHrLine } from './cnam-hr.ts';

const LINES: CnamHrLine[] = [
  {
    careDate: '2025-03-02',
    kind: 'NGAP',
    code: 'G',
    label: 'CONSULTATION MEDECINE GENERALE',
    quantity: '1',
    executantId: '810001000008',
    executantProfession: '10',
    prescriberId: null,
    structureId: '1750600009',
    amountCents: 1875,
  },
  {
    careDate: '2025-03-03',
    kind: 'CIP13',
    code: '3400935673220',
    label: 'LUDEAL CPR3/21 <& "quotes">',
    quantity: '2',
    executantId: '810001000032',
    executantProfession: '21',
    prescriberId: '810001000008',
    structureId: '1750400004',
    amountCents: 532,
  },
  {
    careDate: '2025-01-10',
    kind: 'CCAM',
    code: 'ZBQK002',
    label: 'Radiographie du thorax',
    quantity: '1',
    executantId: null,
    executantProfession: null,
    prescriberId: null,
    structureId: null,
    amountCents: 1995,
  },
  {
    careDate: '2024-12-01',
    kind: 'BIO',
    code: '1208',
    label: 'T.S.H. (SANG)',
    quantity: '1',
    executantId: null,
    executantProfession: null,
    prescriberId: null,
    structureId: null,
    amountCents: 810,
  },
];

function input(over: Partial<CnamHrInput> = {}): CnamHrInput {
  return {
    id: { root: '2.25.1234567890' },
    setId: { root: '2.25.987654321' },
    version: 1,
    effectiveTime: new Date('2025-06-15T10:00:00Z'),
    patient: {
      ins: '158037505610143',
      insOid: '1.2.250.1.213.1.4.10',
      birthName: 'MARTIN',
      givenNames: ['Jean', 'Pierre'],
      sex: 'male',
      birthDate: '1958-03-21',
    },
    lines: LINES,
    period: { from: '2023-06-15', to: '2025-06-15' },
    ...over,
  };
}

describe('CNAM-HR generator', () => {
  it('produces a document valid against the ANS-extended CDA schema, with the header the metadata needs', () => {
    const xml = buildCnamHr(
      input({
        names: {
          professional: (id) => (id === '810001000008' ? 'Dr Paul GENERALISTE' : undefined),
        },
      }),
    );
    const parsed = parseCda(Buffer.from(xml, 'utf8'));
    expect(parsed.ok ? [] : parsed.error).toEqual([]);
    if (!parsed.ok) {
      return;
    }
    expect(parsed.value.code).toMatchObject({ code: 'REMB', codeSystem: '1.2.250.1.213.1.1.4.12' });
    expect(parsed.value.ins).toEqual({ value: '158037505610143', oid: '1.2.250.1.213.1.4.10' });
    expect(parsed.value.templateIds).toContainEqual({
      root: '1.2.250.1.213.1.1.1.36',
      extension: '2021.01',
    });
    expect(parsed.value.serviceEvents[0]).toMatchObject({ low: '20241201', high: '20250303' });
    expect(parsed.value.healthCareFacilityCode?.code).toBe('SA24');
    expect(xml).toContain('Dr Paul GENERALISTE');
    expect(xml).toContain('LUDEAL CPR3/21 &lt;&amp; &quot;quotes&quot;&gt;');
    // newest first within a section
    expect(xml.indexOf('03/03/2025')).toBeGreaterThan(0);
  });

  it('is valid with no lines, and names the replaced version', () => {
    const xml = buildCnamHr(input({ lines: [], version: 2, previous: { root: '2.25.1111' } }));
    const parsed = parseCda(Buffer.from(xml, 'utf8'));
    expect(parsed.ok ? [] : parsed.error).toEqual([]);
    if (!parsed.ok) {
      return;
    }
    expect(parsed.value.relatedDocuments).toEqual([
      { typeCode: 'RPLC', ids: [{ root: '2.25.1111' }] },
    ]);
    expect(parsed.value.versionNumber).toBe(2);
    expect(xml.match(/Aucune donnée de remboursement connue dans la période/g)).toHaveLength(4);
  });
});
