import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadReferenceData, nosKey } from './value-sets.ts';

// Reads the shipped files (apps/server/reference/value-sets) once per process.
const ref = loadReferenceData();
const vs = (id: string) => {
  const v = ref.valueSets.get(id);
  if (!v) {
    throw new Error(`value set ${id} not loaded`);
  }
  return v;
};

const NOS = 'https://mos.esante.gouv.fr/NOS/';
const LOINC = 'http://loinc.org';
const A03 = `${NOS}TRE_A03-ClasseDocument/FHIR/TRE-A03-ClasseDocument`;
const A05 = `${NOS}TRE_A05-TypeDocComplementaire/FHIR/TRE-A05-TypeDocComplementaire`;
const A07 = `${NOS}TRE_A07-StatutVisibiliteDocument/FHIR/TRE-A07-StatutVisibiliteDocument`;
const A07_STATUS = `${NOS}TRE_A07-StatusVisibiliteDocument/FHIR/TRE-A07-StatusVisibiliteDocument`;
const A11 = `${NOS}TRE_A11-IheFormatCode/FHIR/TRE-A11-IheFormatCode`;
const IHE_FORMAT = 'http://ihe.net/fhir/ihe.formatcode.fhir/CodeSystem/formatcode';
const V3_CONF = 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality';

describe('loadReferenceData: what the shipped files give', () => {
  it.each([
    ['J01', 396],
    ['J02', 69],
    ['J04', 12],
    ['J06', 13],
    ['J07', 114],
    ['J08', 6],
    ['J10', 89],
    ['J11', 37],
    ['J48', 54],
    ['J57', 12],
    ['J58', 6],
    ['J59', 100],
    ['J60', 62],
    ['J61', 68],
    ['J65', 395],
    ['J66', 102],
    ['J231', 3],
    ['G15', 30],
    ['R01', 244],
    ['R248', 3],
    ['A07', 5],
    ['HL7_CONF', 6],
  ] as const)('%s has %i concepts', (id, count) => {
    expect(vs(id).id).toBe(id);
    expect(vs(id).concepts).toHaveLength(count);
  });

  it('loads exactly the expected keys', () => {
    expect([...ref.valueSets.keys()].sort()).toEqual(
      [
        'A07',
        'G15',
        'HL7_CONF',
        'J01',
        'J02',
        'J04',
        'J06',
        'J07',
        'J08',
        'J10',
        'J11',
        'J231',
        'J48',
        'J57',
      ]
        .concat(['J58', 'J59', 'J60', 'J61', 'J65', 'J66', 'R01', 'R248'])
        .sort(),
    );
  });

  it('keeps OIDs and canonical URLs', () => {
    expect(vs('J66').oid).toBe('1.2.250.1.213.1.1.5.7');
    expect(vs('J66').url).toBe(`${NOS}JDV_J66-TypeCode-DMP/FHIR/JDV-J66-TypeCode-DMP`);
    expect(vs('J57').oid).toBe('1.2.250.1.213.1.1.5.6');
    expect(vs('J07').oid).toBe('1.2.250.1.213.1.1.5.471');
    // SVS file: the FHIR canonical the NOS publishes (matches the PDSm bindings)
    expect(vs('J07').url).toBe(`${NOS}JDV_J07-XdsTypeCode-CISIS/FHIR/JDV-J07-XdsTypeCode-CISIS`);
    expect(vs('J60').oid).toBe('1.2.250.1.213.1.1.5.8');
    expect(vs('G15').oid).toBe('1.2.250.1.71.1.2.7');
  });

  it('is cached', () => {
    expect(loadReferenceData()).toBe(ref);
  });
});

describe('J66 (typeCode DMP): every code found with the systems clients send', () => {
  it.each(vs('J66').concepts.map((c) => [c.code, c.system] as const))('%s', (code, system) => {
    const j66 = vs('J66');
    const spellings =
      system === LOINC
        ? [
            LOINC,
            'urn:oid:2.16.840.1.113883.6.1',
            '2.16.840.1.113883.6.1',
            `${NOS}TRE_A04-Loinc/FHIR/TRE-A04-Loinc`,
          ]
        : system === A05
          ? [A05, 'urn:oid:1.2.250.1.213.1.1.4.12', '1.2.250.1.213.1.1.4.12']
          : [
              'ASTM',
              'urn:oid:ASTM',
              `${NOS}TRE_A12-NomenclatureASTM/FHIR/TRE-A12-NomenclatureASTM`,
            ];
    for (const s of spellings) {
      expect(j66.has(s, code), s).toBe(true);
    }
    expect(j66.findByCode(code)?.system).toBe(system);
  });

  // DocumentReference.type codings of the PDSm / PDSM4DMP example instances
  // (ansforge IG-fhir-partage-de-documents-de-sante and IG-FHIR-PDSM4DMP-EEDS, main/ig/*.json).
  it.each(['11488-4', '15507-7', '34133-9', '57833-6', '60591-5'])(
    'PDSm example type %s',
    (code) => {
      expect(vs('J66').find(LOINC, code)?.system).toBe(LOINC);
    },
  );

  it('does not take a LOINC code under another system', () => {
    expect(vs('J66').has(A05, '11488-4')).toBe(false);
    expect(vs('J66').has(LOINC, 'DOCPAT01')).toBe(false);
  });
});

describe('other metadata value sets, with the codings of the PDSm examples', () => {
  it.each([
    ['J57', A03, '10', true],
    ['J57', A03, '11', true],
    ['J57', 'urn:oid:1.2.250.1.213.1.1.4.1', '60', true],
    ['J57', A03, '99', false], // in J06 (CI-SIS) only
    ['J06', A03, '99', true],
    ['J57', A03, '03', false], // used by one example, not a class
    [
      'J57',
      `${NOS}TRE_A10-NomenclatureURN/FHIR/TRE-A10-NomenclatureURN`,
      'urn:oid:1.3.6.1.4.1.19376.1.2.1.1.1',
      true,
    ],
    ['J58', V3_CONF, 'N', true],
    ['J58', '2.16.840.1.113883.5.25', 'V', true],
    ['J58', V3_CONF, 'L', false],
    ['HL7_CONF', V3_CONF, 'L', true],
    ['J58', A07, 'MASQUE_PS', true],
    ['J58', A07_STATUS, 'INVISIBLE_PATIENT', true],
    ['J58', '1.2.250.1.213.1.1.4.13', 'INVISIBLE_REPRESENTANTS_LEGAUX', true],
    ['J58', A07_STATUS, 'N', false], // an example puts N under TRE_A07
    ['J58', A07, 'MASQUE_PT', false], // in the code system, not in the DMP value set
    ['A07', A07_STATUS, 'MASQUE_PT', true],
    ['J60', IHE_FORMAT, 'urn:ihe:iti:xds-sd:pdf:2008', true],
    ['J60', A11, 'urn:ihe:iti:xds-sd:pdf:2008', true],
    ['J60', '1.3.6.1.4.1.19376.1.2.3', 'urn:ihe:lab:xd-lab:2008', true],
    ['J60', IHE_FORMAT, 'urn:ihe:iti:xds:2017:mimeTypeSufficient', false], // PDSM4DMP examples; not a DMP format
    ['J60', '1.2.250.1.213.1.1.4.2.282', 'urn:asip:ci-sis:vsm:2012', true],
    [
      'J60',
      'http://dicom.nema.org/resources/ontology/DCMUID',
      '1.2.840.10008.5.1.4.1.1.88.59',
      true,
    ],
    ['J60', 'URN', 'http://www.w3.org/2000/09/xmldsig#', true],
    ['J61', `${NOS}TRE_R02-SecteurActivite/FHIR/TRE-R02-SecteurActivite`, 'SA01', true],
    ['J61', '1.2.250.1.71.4.2.4', 'SA05', true],
    ['J61', 'http://snomed.info/sct', '35971002', false], // IHE example facility type
    ['J61', '1.2.250.1.213.1.1.4.6', 'EXP_PATIENT', true],
    ['J04', `${NOS}TRE_A01-CadreExercice/FHIR/TRE-A01-CadreExercice`, 'ETABLISSEMENT', true],
    ['J04', '1.2.250.1.213.1.1.4.6', 'EXP_PATIENT', true],
    ['J59', '1.2.250.1.71.4.2.4', 'SA07', true],
    ['J231', '1.2.250.1.213.1.1.4.347', 'urn:ihe:iti:xds:2013:accession', true],
    ['R248', '1.2.250.1.213.1.1.4.248', 'bris_de_glace', true],
    ['R248', 'urn:oid:1.2.250.1.213.1.1.4.248', 'centre_15', true],
    ['J65', '1.2.250.1.71.1.2.7', '10', true],
    ['J01', '1.2.250.1.213.1.1.4.5', 'G15_10/SM26', true],
  ] as const)('%s has %s#%s: %s', (id, system, code, expected) => {
    expect(vs(id).has(system, code)).toBe(expected);
  });

  it('returns concepts with the URL to emit and the display', () => {
    expect(vs('J58').find('urn:oid:1.2.250.1.213.1.1.4.13', 'MASQUE_PS')).toEqual({
      system: A07,
      code: 'MASQUE_PS',
      display: 'Masqué aux professionnels de santé',
    });
    expect(vs('J07').find('2.16.840.1.113883.6.1', '11488-4')?.system).toBe(LOINC);
  });

  it('findByCode is undefined when a code is in two systems (J59 11)', () => {
    expect(vs('J59').concepts.filter((c) => c.code === '11')).toHaveLength(2);
    expect(vs('J59').findByCode('11')).toBeUndefined();
    expect(vs('J59').findByCode('SA07')?.display).toBe('Cabinet individuel');
    expect(vs('J59').findByCode('nope')).toBeUndefined();
  });
});

describe('association tables', () => {
  it('ASS_X16: every J66 type has a J57 class', () => {
    for (const c of vs('J66').concepts) {
      const cls = ref.typeToClassDmp.get(c.code);
      expect(cls, c.code).toBeDefined();
      expect(vs('J57').findByCode(cls ?? ''), `${c.code} → ${cls}`).toBeDefined();
    }
  });

  it('ASS_X04 (newest, the SVS file of 2024-09-27) covers J07', () => {
    expect(ref.typeToClassCisis.size).toBe(130);
    expect(ref.typeToClassCisis.get('101881-1')).toBe('52'); // only in the newer copy
    for (const c of vs('J07').concepts) {
      expect(ref.typeToClassCisis.has(c.code), c.code).toBe(true);
    }
  });

  it.each([
    ['dmp', '11488-4', '10'],
    ['dmp', '60591-5', '11'],
    ['dmp', '57833-6', '42'],
    ['dmp', 'REMB', '60'],
    ['dmp', 'DOCPAT08', '11'],
    ['dmp', 'E1762', 'urn:oid:1.3.6.1.4.1.19376.1.2.1.1.1'],
    ['cisis', 'FEUILLE-DE-STYLE', '99'],
  ] as const)('%s %s → %s', (table, type, cls) => {
    expect((table === 'dmp' ? ref.typeToClassDmp : ref.typeToClassCisis).get(type)).toBe(cls);
  });

  it('ASS_A11: template → format', () => {
    expect(ref.templateToFormat.get('1.2.250.1.213.1.1.1.13')).toBe('urn:asip:ci-sis:vsm:2012');
    expect(ref.templateToFormat.get('1.3.6.1.4.1.19376.1.3.3')).toBe('urn:ihe:lab:xd-lab:2008');
    expect(ref.templateToFormat.has('1.3.6.1.4.1.19376.1.2.20')).toBe(false);
    expect(ref.templateToFormats.get('1.3.6.1.4.1.19376.1.2.20')).toEqual([
      'urn:ihe:iti:xds-sd:pdf:2008',
      'urn:ihe:iti:xds-sd:text:2008',
      'urn:ihe:iti-fr:xds-sd:jpeg:2010',
      'urn:ihe:iti-fr:xds-sd:rtf:2010',
      'urn:ihe:iti-fr:xds-sd:tiff:2010',
    ]);
    expect([...ref.associations.keys()].sort()).toEqual(['A11', 'X04', 'X16']);
  });
});

describe('nosKey', () => {
  it.each([
    ['JDV_J07_XdsTypeCode_CISIS', 'J07'],
    ['JDV_J66-TypeCode-DMP', 'J66'],
    ['JDV_J231_XdsTypesIdentifiantsReferenceId_DMP', 'J231'],
    ['TRE_R248_ModeAcces', 'R248'],
    ['TRE_G15-ProfessionSante', 'G15'],
    ['ASS_X16_CorrespondanceType_Classe_DMP', 'X16'],
    ['JDV_HL7_Confidentiality_CISIS', 'HL7_CONF'],
    ['SomethingElse', 'SomethingElse'],
  ] as const)('%s → %s', (name, key) => {
    expect(nosKey({ name })).toBe(key);
  });
});

describe('load errors', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) {
      rmSync(d, { recursive: true, force: true });
    }
  });
  const dirWith = (files: Record<string, string>): string => {
    const dir = mkdtempSync(join(tmpdir(), 'opendmp-vs-'));
    dirs.push(dir);
    for (const [name, text] of Object.entries(files)) {
      writeFileSync(join(dir, name), text);
    }
    return dir;
  };
  const vsJson = (date: string, codes: string[]) =>
    JSON.stringify({
      resourceType: 'ValueSet',
      name: 'JDV_J99_Test',
      date,
      compose: {
        include: [{ system: 'http://loinc.org', concept: codes.map((code) => ({ code })) }],
      },
    });

  it('keeps the newest copy of a table', () => {
    const data = loadReferenceData(
      dirWith({ 'a.json': vsJson('2020-01-01', ['1-1']), 'b.json': vsJson('2024-01-01', ['2-2']) }),
    );
    expect(data.valueSets.get('J99')?.concepts.map((c) => c.code)).toEqual(['2-2']);
  });

  it.each([
    [
      'same date twice',
      { 'a.json': vsJson('2020-01-01', ['1-1']), 'b.json': vsJson('2020-01-01', ['2-2']) },
    ],
    ['invalid JSON', { 'a.json': '{' }],
    ['malformed XML', { 'a.xml': '<a><b></a>' }],
    ['unknown XML root', { 'a.xml': '<a/>' }],
    [
      'include by filter',
      {
        'a.json': JSON.stringify({
          resourceType: 'ValueSet',
          compose: { include: [{ system: 'x', filter: [] }] },
        }),
      },
    ],
    [
      'FSH include codes from',
      { 'a.fsh': 'ValueSet: JDV_J98_X\n* include codes from system http://loinc.org\n' },
    ],
    ['FSH unknown alias', { 'a.fsh': 'ValueSet: JDV_J98_X\n* $nope#1 "one"\n' }],
    [
      'ASS mapping one source to two targets',
      {
        'a.json': JSON.stringify({
          resourceType: 'ConceptMap',
          name: 'ASS_X16_Test',
          group: [
            {
              source: 'http://loinc.org',
              target: 'x',
              element: [{ code: '1', target: [{ code: 'a' }, { code: 'b' }] }],
            },
          ],
        }),
      },
    ],
  ] as const)('fails on %s', (_name, files) => {
    expect(() => loadReferenceData(dirWith(files))).toThrow();
  });
});
