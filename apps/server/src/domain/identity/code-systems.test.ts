import { describe, expect, it } from 'vitest';
import {
  CS,
  canonicalSystem,
  codingScheme,
  sameSystem,
  systemOid,
  systemUrl,
} from './code-systems.ts';

const NOS = 'https://mos.esante.gouv.fr/NOS/';

/** Every spelling in a row must give the same key, and systemUrl(key) must be the URL to emit. */
const EQUIVALENT: readonly {
  name: string;
  key: string;
  url: string;
  spellings: readonly string[];
}[] = [
  {
    name: 'LOINC',
    key: '2.16.840.1.113883.6.1',
    url: 'http://loinc.org',
    spellings: [
      'http://loinc.org',
      'urn:oid:2.16.840.1.113883.6.1',
      '2.16.840.1.113883.6.1',
      `${NOS}TRE_A04-Loinc/FHIR/TRE-A04-Loinc`,
    ],
  },
  {
    name: 'TRE_A03 class',
    key: '1.2.250.1.213.1.1.4.1',
    url: `${NOS}TRE_A03-ClasseDocument/FHIR/TRE-A03-ClasseDocument`,
    spellings: ['1.2.250.1.213.1.1.4.1', 'urn:oid:1.2.250.1.213.1.1.4.1'],
  },
  {
    name: 'TRE_A05 complementary types',
    key: '1.2.250.1.213.1.1.4.12',
    url: `${NOS}TRE_A05-TypeDocComplementaire/FHIR/TRE-A05-TypeDocComplementaire`,
    spellings: ['urn:oid:1.2.250.1.213.1.1.4.12'],
  },
  {
    name: 'TRE_A06 CI-SIS formats',
    key: '1.2.250.1.213.1.1.4.2.282',
    url: `${NOS}TRE_A06-FormatCodeComplementaire/FHIR/TRE-A06-FormatCodeComplementaire`,
    spellings: ['1.2.250.1.213.1.1.4.2.282'],
  },
  {
    name: 'TRE_A11 IHE formats',
    key: '1.3.6.1.4.1.19376.1.2.3',
    url: `${NOS}TRE_A11-IheFormatCode/FHIR/TRE-A11-IheFormatCode`,
    spellings: [
      'http://ihe.net/fhir/ihe.formatcode.fhir/CodeSystem/formatcode',
      'urn:oid:1.3.6.1.4.1.19376.1.2.3',
    ],
  },
  {
    name: 'TRE_A07 visibility, both spellings',
    key: '1.2.250.1.213.1.1.4.13',
    url: `${NOS}TRE_A07-StatutVisibiliteDocument/FHIR/TRE-A07-StatutVisibiliteDocument`,
    spellings: [
      `${NOS}TRE_A07-StatusVisibiliteDocument/FHIR/TRE-A07-StatusVisibiliteDocument`,
      'http://mos.esante.gouv.fr/NOS/TRE_A07-StatutVisibiliteDocument/FHIR/TRE-A07-StatutVisibiliteDocument',
      '1.2.250.1.213.1.1.4.13',
    ],
  },
  {
    name: 'HL7 confidentiality',
    key: '2.16.840.1.113883.5.25',
    url: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality',
    spellings: [
      'urn:oid:2.16.840.1.113883.5.25',
      `${NOS}TRE_A08-HL7Confidentiality/FHIR/TRE-A08-HL7Confidentiality`,
    ],
  },
  {
    name: 'TRE_R02 activity sector',
    key: '1.2.250.1.71.4.2.4',
    url: `${NOS}TRE_R02-SecteurActivite/FHIR/TRE-R02-SecteurActivite`,
    spellings: ['1.2.250.1.71.4.2.4'],
  },
  {
    name: 'TRE_A00 non-PS producer',
    key: '1.2.250.1.213.1.1.4.6',
    url: `${NOS}TRE_A00-ProducteurDocNonPS/FHIR/TRE-A00-ProducteurDocNonPS`,
    spellings: ['urn:oid:1.2.250.1.213.1.1.4.6'],
  },
  {
    name: 'practice setting (TRE_A01)',
    key: '1.2.250.1.213.1.1.4.9',
    url: `${NOS}TRE_A01-CadreExercice/FHIR/TRE-A01-CadreExercice`,
    spellings: ['1.2.250.1.213.1.1.4.9'],
  },
  {
    name: 'TRE_G15 professions',
    key: '1.2.250.1.71.1.2.7',
    url: `${NOS}TRE_G15-ProfessionSante/FHIR/TRE-G15-ProfessionSante`,
    spellings: ['urn:oid:1.2.250.1.71.1.2.7'],
  },
  {
    name: 'TRE_R01 savoir-faire',
    key: '1.2.250.1.71.4.2.5',
    url: `${NOS}TRE_R01-EnsembleSavoirFaire-CISIS/FHIR/TRE-R01-EnsembleSavoirFaire-CISIS`,
    spellings: ['1.2.250.1.71.4.2.5'],
  },
  {
    name: 'TRE_R248 access mode',
    key: '1.2.250.1.213.1.1.4.248',
    url: `${NOS}TRE_R248-ModeAcces/FHIR/TRE-R248-ModeAcces`,
    spellings: ['urn:oid:1.2.250.1.213.1.1.4.248'],
  },
  {
    name: 'TRE_A09 DICOM UIDs',
    key: '1.2.840.10008.2.6.1',
    url: `${NOS}TRE_A09-DICOMuidRegistry/FHIR/TRE-A09-DICOMuidRegistry`,
    spellings: ['http://dicom.nema.org/resources/ontology/DCMUID'],
  },
  {
    name: 'TRE_A10 URN (pseudo-OID)',
    key: 'URN',
    url: `${NOS}TRE_A10-NomenclatureURN/FHIR/TRE-A10-NomenclatureURN`,
    spellings: ['URN', 'urn:oid:URN'],
  },
  {
    name: 'TRE_A12 ASTM (pseudo-OID)',
    key: 'ASTM',
    url: `${NOS}TRE_A12-NomenclatureASTM/FHIR/TRE-A12-NomenclatureASTM`,
    spellings: ['ASTM'],
  },
];

describe('canonicalSystem / systemUrl', () => {
  it.each(EQUIVALENT)('$name', ({ key, url, spellings }) => {
    for (const s of [url, ...spellings]) {
      expect(canonicalSystem(s), s).toBe(key);
      expect(canonicalSystem(` ${s} `), s).toBe(key);
    }
    expect(systemUrl(key)).toBe(url);
    for (const s of spellings) {
      expect(systemUrl(s)).toBe(url);
    }
  });

  it.each([
    ['unknown OID keeps its digits', 'urn:oid:1.2.3.4', '1.2.3.4', 'urn:oid:1.2.3.4'],
    [
      'unknown URL kept as is',
      'https://example.org/cs',
      'https://example.org/cs',
      'https://example.org/cs',
    ],
    ['bad OID not stripped', 'urn:oid:1.2.x', 'urn:oid:1.2.x', 'urn:oid:1.2.x'],
    [
      'unknown NOS TRE kept as is',
      `${NOS}TRE_Z99-Inconnu/FHIR/TRE-Z99-Inconnu`,
      `${NOS}TRE_Z99-Inconnu/FHIR/TRE-Z99-Inconnu`,
      `${NOS}TRE_Z99-Inconnu/FHIR/TRE-Z99-Inconnu`,
    ],
  ] as const)('%s', (_name, input, key, url) => {
    expect(canonicalSystem(input)).toBe(key);
    expect(systemUrl(key)).toBe(url);
  });

  it('distinguishes different systems', () => {
    expect(sameSystem('http://loinc.org', CS.TRE_A05_TYPE_DOC_COMPLEMENTAIRE)).toBe(false);
    expect(sameSystem('1.2.250.1.213.1.1.4.1', '1.2.250.1.213.1.1.4.12')).toBe(false);
    expect(sameSystem('http://loinc.org', 'urn:oid:2.16.840.1.113883.6.1')).toBe(true);
  });

  it('gives the XDS codingScheme / OID', () => {
    expect(codingScheme('http://loinc.org')).toBe('2.16.840.1.113883.6.1');
    expect(codingScheme(`${NOS}TRE_A10-NomenclatureURN/FHIR/TRE-A10-NomenclatureURN`)).toBe('URN');
    expect(
      codingScheme('https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes'),
    ).toBeUndefined();
    expect(systemOid('ASTM')).toBeUndefined();
    expect(systemOid('http://snomed.info/sct')).toBe('2.16.840.1.113883.6.96');
  });

  it('CS constants are keys', () => {
    for (const key of Object.values(CS)) {
      expect(canonicalSystem(systemUrl(key))).toBe(key);
    }
  });
});
