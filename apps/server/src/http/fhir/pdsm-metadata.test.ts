import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalSystem } from '../../domain/identity/code-systems.ts';
import { loadReferenceData } from '../../reference/value-sets.ts';
import { validateFhirResource } from '../../validation/fhir-schema.ts';
import type { CdaHeader } from '../../domain/documents/cda-header.ts';
import type {
  Coding,
  DocumentMetadata,
  DocumentMetadataDraft,
  ReferenceTables,
} from './pdsm-metadata.ts';
import {
  authorIdNatPs,
  authorStructureIds,
  cdaTimeToFhir,
  checkContent,
  completeDraft,
  confidentialityLevel,
  deriveFromCda,
  fromDocumentReference,
  readDocumentReference,
  readDocumentReferenceDraft,
  rebaseIssues,
  toDocumentReference,
  uniqueIdFromCdaId,
  uniqueIdFromIdentifier,
  uniqueIdToIdentifier,
  validateMetadataCodes,
  visibilityFlags,
} from './pdsm-metadata.ts';

const ref = loadReferenceData();

const NOS = 'https://mos.esante.gouv.fr/NOS/';
const A03 = `${NOS}TRE_A03-ClasseDocument/FHIR/TRE-A03-ClasseDocument`;
const A07_STATUS = `${NOS}TRE_A07-StatusVisibiliteDocument/FHIR/TRE-A07-StatusVisibiliteDocument`;
const A07_STATUT = `${NOS}TRE_A07-StatutVisibiliteDocument/FHIR/TRE-A07-StatutVisibiliteDocument`;
const A11 = `${NOS}TRE_A11-IheFormatCode/FHIR/TRE-A11-IheFormatCode`;
const R02 = `${NOS}TRE_R02-SecteurActivite/FHIR/TRE-R02-SecteurActivite`;
const A01 = `${NOS}TRE_A01-CadreExercice/FHIR/TRE-A01-CadreExercice`;
const V3_CONF = 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality';
const INS = '279035121518989'; // valid key (ANS test patient)
const INS_OID = '1.2.250.1.213.1.4.10';
const BYTES = new TextEncoder().encode('%PDF-1.4 opendmp test document');
const SHA1_HEX = createHash('sha1').update(BYTES).digest('hex');
const SHA1_B64 = createHash('sha1').update(BYTES).digest('base64');

// FHIR JSON fixtures are patched freely in tests.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

/** A valid PDSm comprehensive DocumentReference with DMP codes. */
function docRef(patch: (d: Json) => void = () => undefined): Json {
  const d: Json = {
    resourceType: 'DocumentReference',
    contained: [
      {
        resourceType: 'Patient',
        id: 'pat',
        identifier: [{ system: 'urn:oid:1.2.3.4.567.8.9.10', value: 'IPP42' }],
      },
      {
        resourceType: 'Practitioner',
        id: 'prat',
        identifier: [{ system: 'urn:oid:1.2.250.1.71.4.2.1', value: '810101201234' }],
        name: [{ family: 'Leclerc', given: ['Sophie'], prefix: ['MME'] }],
      },
      {
        resourceType: 'Organization',
        id: 'org',
        identifier: [{ system: 'urn:oid:1.2.250.1.71.4.2.2', value: '1750803447' }],
        name: 'Cabinet du Dr Leclerc',
      },
      {
        resourceType: 'PractitionerRole',
        id: 'role',
        practitioner: { reference: '#prat' },
        organization: { reference: '#org' },
        code: [
          {
            coding: [
              {
                system: 'urn:oid:1.2.250.1.213.1.1.4.5',
                code: 'G15_10/SM26',
                display: 'Médecin - Qualifié en Médecine Générale (SM)',
              },
            ],
          },
        ],
      },
    ],
    masterIdentifier: { system: 'urn:ietf:rfc:3986', value: 'urn:oid:1.2.250.1.999.42.1' },
    status: 'current',
    type: {
      coding: [{ system: 'http://loinc.org', code: '11488-4', display: 'CR de consultation' }],
    },
    category: [{ coding: [{ system: A03, code: '10', display: 'Compte rendu' }] }],
    subject: { reference: `Patient?identifier=urn:oid:${INS_OID}|${INS}` },
    date: '2025-01-10T10:00:00+01:00',
    author: [{ reference: '#role' }],
    authenticator: { reference: '#role' },
    description: 'Consultation de suivi',
    securityLabel: [
      { coding: [{ system: V3_CONF, code: 'N' }] },
      { coding: [{ system: A07_STATUS, code: 'MASQUE_PS' }] },
    ],
    content: [
      {
        attachment: {
          contentType: 'application/pdf',
          language: 'fr-FR',
          url: 'urn:uuid:0b0c6a4e-2f0b-4f5e-9b1e-3d4c5b6a7f80',
          size: BYTES.byteLength,
          hash: SHA1_B64,
          title: 'CR de consultation',
          creation: '2025-01-10T09:30:00+01:00',
        },
        format: { system: A11, code: 'urn:ihe:iti:xds-sd:pdf:2008' },
      },
    ],
    context: {
      period: { start: '2025-01-10T09:00:00+01:00', end: '2025-01-10T09:20:00+01:00' },
      facilityType: { coding: [{ system: R02, code: 'SA07' }] },
      practiceSetting: { coding: [{ system: A01, code: 'AMBULATOIRE' }] },
      sourcePatientInfo: { reference: '#pat' },
    },
  };
  patch(d);
  return d;
}

function codes(issues: readonly { code: string }[]): string[] {
  return issues.map((i) => i.code);
}

function readOk(d: Json): DocumentMetadata {
  const r = fromDocumentReference(d, ref);
  if (!r.ok) {
    throw new Error(JSON.stringify(r.error));
  }
  return r.value;
}

describe('fromDocumentReference', () => {
  it('reads every field of a PDSm DocumentReference', () => {
    const m = readOk(docRef());
    expect(m.uniqueId).toBe('1.2.250.1.999.42.1');
    expect(m.type.code).toBe('11488-4');
    expect(m.class.code).toBe('10');
    expect(m.patient).toEqual({ value: INS, oid: INS_OID });
    expect(m.sourcePatientId).toEqual({ system: 'urn:oid:1.2.3.4.567.8.9.10', value: 'IPP42' });
    expect(m.hash).toBe(SHA1_HEX);
    expect(m.size).toBe(BYTES.byteLength);
    expect(m.serviceStart).toBe('2025-01-10T09:00:00+01:00');
    expect(m.serviceStop).toBe('2025-01-10T09:20:00+01:00');
    expect(m.authors).toHaveLength(1);
    expect(m.authors[0]).toMatchObject({
      kind: 'practitioner',
      idNatPs: '810101201234',
      profession: '10',
      specialty: 'SM26',
      structure: { idNatStruct: '1750803447', name: 'Cabinet du Dr Leclerc' },
      name: { family: 'Leclerc', given: ['Sophie'], prefix: 'MME' },
    });
    expect(m.legalAuthenticator?.idNatPs).toBe('810101201234');
    expect(authorIdNatPs(m)).toEqual(['810101201234']);
    expect(authorStructureIds(m)).toEqual(['1750803447']);
    expect(confidentialityLevel(m)).toBe('N');
    expect([...visibilityFlags(m)]).toEqual(['MASQUE_PS']);
    expect(validateMetadataCodes(m, ref)).toEqual([]);
  });

  it('accepts the subject as a logical identifier, a contained Patient or a resolved reference', () => {
    const logical = readOk(
      docRef((d) => (d.subject = { identifier: { system: `urn:oid:${INS_OID}`, value: INS } })),
    );
    expect(logical.patient.value).toBe(INS);
    const contained = readOk(
      docRef((d) => {
        d.contained.push({
          resourceType: 'Patient',
          id: 'ins',
          identifier: [{ system: `urn:oid:${INS_OID}`, value: INS }],
        });
        d.subject = { reference: '#ins' };
      }),
    );
    expect(contained.patient.value).toBe(INS);
    const literal = docRef((d) => (d.subject = { reference: 'Patient/p1' }));
    const unresolved = fromDocumentReference(literal, ref);
    expect(!unresolved.ok && codes(unresolved.error)).toEqual(['DOC_PATIENT_UNRESOLVED']);
    const resolved = fromDocumentReference(literal, ref, {
      resolvePatientReference: (r) =>
        r === 'Patient/p1' ? { value: INS, oid: INS_OID } : undefined,
    });
    expect(resolved.ok).toBe(true);
  });

  it('reads a logical author reference and Device / Patient / Organization authors', () => {
    const m = readOk(
      docRef((d) => {
        d.contained.push(
          {
            resourceType: 'Device',
            id: 'dev',
            deviceName: [{ name: 'Automate X', type: 'user-friendly-name' }],
          },
          {
            resourceType: 'Patient',
            id: 'self',
            identifier: [{ system: `urn:oid:${INS_OID}`, value: INS }],
          },
        );
        d.author = [
          { identifier: { system: 'urn:oid:1.2.250.1.71.4.2.1', value: '899700218896' } },
          { reference: '#dev' },
          { reference: '#self' },
          { reference: '#org' },
        ];
      }),
    );
    expect(m.authors.map((a) => a.kind)).toEqual([
      'practitioner',
      'device',
      'patient',
      'organization',
    ]);
    expect(m.authors[0]?.idNatPs).toBe('899700218896');
    expect(m.authors[1]?.displayName).toBe('Automate X');
    expect(authorStructureIds(m)).toEqual(['1750803447']);
  });

  it.each([
    [
      'status not current',
      (d: Json) => (d.status = 'superseded'),
      'DOC_STATUS_INVALID',
      'DocumentReference.status',
    ],
    [
      'masterIdentifier not an OID/UUID',
      (d: Json) =>
        (d.masterIdentifier = { system: 'urn:ietf:rfc:3986', value: 'urn:uuid:abcd-efgh' }),
      'DOC_UNIQUE_ID_INVALID',
      'DocumentReference.masterIdentifier',
    ],
    [
      'subject not an INS',
      (d: Json) => (d.subject = { reference: 'Patient?identifier=http://example.org/mrn|123' }),
      'DOC_PATIENT_NOT_INS',
      'DocumentReference.subject',
    ],
    [
      'INS with a wrong key',
      (d: Json) =>
        (d.subject = { reference: `Patient?identifier=urn:oid:${INS_OID}|279035121518988` }),
      'ID_INS_KEY',
      'DocumentReference.subject',
    ],
    [
      'INS without value',
      (d: Json) => (d.subject = { reference: 'Patient?identifier=urn:oid:1.2.250.1.213.1.4.8' }),
      'DOC_PATIENT_UNRESOLVED',
      'DocumentReference.subject',
    ],
    [
      'author not contained',
      (d: Json) => (d.author = [{ reference: 'PractitionerRole/x' }]),
      'DOC_AUTHOR_UNRESOLVED',
      'DocumentReference.author[0]',
    ],
    [
      'practitioner without IdNat_PS',
      (d: Json) =>
        (d.contained[1].identifier = [
          { system: 'https://rpps.esante.gouv.fr', value: '10101201234' },
        ]),
      'DOC_AUTHOR_UNIDENTIFIED',
      'DocumentReference.author[0]',
    ],
    [
      'two contents',
      (d: Json) => d.content.push(d.content[0]),
      'DOC_CONTENT_MULTIPLE',
      'DocumentReference.content[1]',
    ],
    [
      'hash not a base64 SHA-1',
      (d: Json) => (d.content[0].attachment.hash = btoa(SHA1_HEX)),
      'DOC_HASH_INVALID',
      'DocumentReference.content[0].attachment.hash',
    ],
    [
      'relatesTo without target',
      (d: Json) => (d.relatesTo = [{ code: 'replaces', target: { display: 'x' } }]),
      'DOC_RELATES_TO_INVALID',
      'DocumentReference.relatesTo[0]',
    ],
    [
      'sourcePatientInfo not contained',
      (d: Json) => (d.context.sourcePatientInfo = { reference: 'Patient/x' }),
      'DOC_SOURCE_PATIENT_UNRESOLVED',
      'DocumentReference.context.sourcePatientInfo',
    ],
  ])('refuses %s', (_label, patch, code, location) => {
    const r = fromDocumentReference(docRef(patch), ref);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toContainEqual(expect.objectContaining({ code, location: [location] }));
    }
  });

  it('reports each missing required field with its location, together with reading issues', () => {
    const r = fromDocumentReference(
      docRef((d) => {
        delete d.type;
        delete d.context.period;
        d.status = 'superseded';
      }),
      ref,
    );
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.map((i) => [i.code, i.location?.[0]])).toEqual([
        ['DOC_STATUS_INVALID', 'DocumentReference.status'],
        ['DOC_REQUIRED_MISSING', 'DocumentReference.type'],
        ['DOC_REQUIRED_MISSING', 'DocumentReference.context.period.start'],
      ]);
    }
  });

  it('leaves size, hash, date and custodian optional (the server computes or owns them)', () => {
    const m = readOk(
      docRef((d) => {
        delete d.content[0].attachment.size;
        delete d.content[0].attachment.hash;
        delete d.date;
      }),
    );
    expect(m.size).toBeUndefined();
    expect(m.hash).toBeUndefined();
  });

  it('readDocumentReference gives a draft without requiring anything; the Draft variant never fails', () => {
    const r = readDocumentReference({ resourceType: 'DocumentReference', status: 'current' }, ref);
    expect(r).toEqual({ ok: true, value: {} });
    const d = readDocumentReferenceDraft(
      docRef((x) => (x.status = 'entered-in-error')),
      ref,
    );
    expect(codes(d.issues)).toEqual(['DOC_STATUS_INVALID']);
    expect(d.draft.type?.code).toBe('11488-4');
    expect(codes(readDocumentReferenceDraft({ resourceType: 'Patient' }, ref).issues)).toEqual([
      'DOC_NOT_DOCUMENT_REFERENCE',
    ]);
  });
});

describe('validateMetadataCodes', () => {
  const base = readOk(docRef());
  const withCoding = (field: keyof DocumentMetadata, c: Coding | Coding[]): DocumentMetadata =>
    ({ ...base, [field]: c }) as DocumentMetadata;

  it('accepts every spelling of the systems (NOS URL, FHIR canonical, urn:oid, bare OID)', () => {
    const m: DocumentMetadata = {
      ...base,
      type: { system: 'urn:oid:2.16.840.1.113883.6.1', code: '11488-4' },
      class: { system: '1.2.250.1.213.1.1.4.1', code: '10' },
      format: {
        system: 'http://ihe.net/fhir/ihe.formatcode.fhir/CodeSystem/formatcode',
        code: 'urn:ihe:iti:xds-sd:pdf:2008',
      },
      facilityType: { system: 'urn:oid:1.2.250.1.71.4.2.4', code: 'SA07' },
      practiceSetting: { system: 'urn:oid:1.2.250.1.213.1.1.4.9', code: 'AMBULATOIRE' },
      confidentiality: [
        { system: 'urn:oid:2.16.840.1.113883.5.25', code: 'R' },
        { system: A07_STATUT, code: 'INVISIBLE_PATIENT' },
        { system: A07_STATUS, code: 'INVISIBLE_REPRESENTANTS_LEGAUX' },
        { system: 'urn:oid:1.2.250.1.213.1.1.4.13', code: 'MASQUE_PS' },
      ],
    };
    expect(validateMetadataCodes(m, ref)).toEqual([]);
    expect([...visibilityFlags(m)].sort()).toEqual([
      'INVISIBLE_PATIENT',
      'INVISIBLE_REPRESENTANTS_LEGAUX',
      'MASQUE_PS',
    ]);
  });

  it.each<[string, DocumentMetadata, string, string]>([
    [
      'unknown type',
      withCoding('type', { system: 'http://loinc.org', code: '00000-0' }),
      'DOC_TYPE_UNKNOWN',
      'type',
    ],
    [
      'a J07 type that J66 lacks',
      withCoding('type', {
        system: `${NOS}TRE_A05-TypeDocComplementaire/FHIR/TRE-A05-TypeDocComplementaire`,
        code: 'PIECE-IDENTITE',
      }),
      'DOC_TYPE_UNKNOWN',
      'type',
    ],
    [
      'class 99 (J06, not J57)',
      withCoding('class', { system: A03, code: '99' }),
      'DOC_CLASS_UNKNOWN',
      'class',
    ],
    [
      'class not matching the type',
      withCoding('class', { system: A03, code: '11' }),
      'DOC_CLASS_MISMATCH',
      'class',
    ],
    [
      'unknown format',
      withCoding('format', {
        system: 'http://ihe.net/fhir/ihe.formatcode.fhir/CodeSystem/formatcode',
        code: 'urn:ihe:iti:xds:2017:mimeTypeSufficient',
      }),
      'DOC_FORMAT_UNKNOWN',
      'format',
    ],
    [
      'SNOMED facility',
      withCoding('facilityType', { system: 'http://snomed.info/sct', code: '22232009' }),
      'DOC_FACILITY_TYPE_UNKNOWN',
      'facilityType',
    ],
    [
      'SNOMED practice setting',
      withCoding('practiceSetting', { system: 'http://snomed.info/sct', code: '394802001' }),
      'DOC_PRACTICE_SETTING_UNKNOWN',
      'practiceSetting',
    ],
    [
      'a TRE_A07 code J58 lacks',
      withCoding('confidentiality', [
        { system: V3_CONF, code: 'N' },
        { system: A07_STATUT, code: 'MASQUE_PSOCIAL' },
      ]),
      'DOC_CONFIDENTIALITY_UNKNOWN',
      'confidentiality[1]',
    ],
    [
      'N under the TRE_A07 system',
      withCoding('confidentiality', [{ system: A07_STATUS, code: 'N' }]),
      'DOC_CONFIDENTIALITY_UNKNOWN',
      'confidentiality[0]',
    ],
    [
      'two levels',
      withCoding('confidentiality', [
        { system: V3_CONF, code: 'N' },
        { system: V3_CONF, code: 'R' },
      ]),
      'DOC_CONFIDENTIALITY_LEVEL',
      'confidentiality',
    ],
    [
      'no level',
      withCoding('confidentiality', [{ system: A07_STATUT, code: 'MASQUE_PS' }]),
      'DOC_CONFIDENTIALITY_LEVEL',
      'confidentiality',
    ],
    ['bad language', { ...base, languageCode: 'français' }, 'DOC_LANGUAGE_INVALID', 'languageCode'],
    ['bad MIME type', { ...base, mimeType: 'pdf' }, 'DOC_MIME_TYPE_INVALID', 'mimeType'],
    [
      'period ending before it starts',
      { ...base, serviceStop: '2025-01-09' },
      'DOC_SERVICE_PERIOD_INVALID',
      'serviceStop',
    ],
  ])('reports %s', (_label, m, code, location) => {
    expect(validateMetadataCodes(m, ref)).toEqual([
      expect.objectContaining({ code, location: [location] }),
    ]);
  });

  it('falls back to the CI-SIS value sets where no DMP set is loaded', () => {
    const valueSets = new Map(ref.valueSets);
    valueSets.delete('J66');
    const cisis: ReferenceTables = { ...ref, valueSets };
    const m = withCoding('type', {
      system: `${NOS}TRE_A05-TypeDocComplementaire/FHIR/TRE-A05-TypeDocComplementaire`,
      code: 'PIECE-IDENTITE',
    });
    expect(codes(validateMetadataCodes(m, cisis))).not.toContain('DOC_TYPE_UNKNOWN');
  });

  it('checks only what is present in a draft', () => {
    expect(validateMetadataCodes({}, ref)).toEqual([]);
  });
});

// A CDA header as validation/cda.ts extracts it (from the ANS VAC-NOTE example, shortened).
function header(
  patch: (h: { -readonly [K in keyof CdaHeader]: CdaHeader[K] }) => void = () => undefined,
): CdaHeader {
  const h: { -readonly [K in keyof CdaHeader]: CdaHeader[K] } = {
    selfPresenting: false,
    id: { root: '1.2.250.1.213.1.1.1.46.2023.1.1' },
    code: {
      code: '87273-9',
      codeSystem: '2.16.840.1.113883.6.1',
      displayName: 'Note de vaccination',
    },
    title: 'Note de vaccination',
    effectiveTime: '20210409153500+0100',
    confidentialityCode: { code: 'N', codeSystem: '2.16.840.1.113883.5.25' },
    languageCode: 'fr-FR',
    templateIds: [
      { root: '2.16.840.1.113883.2.8.2.1' },
      { root: '1.2.250.1.213.1.1.1.1' },
      { root: '1.2.250.1.213.1.1.1.46', extension: '2023.01' },
    ],
    patientIds: [
      { root: INS_OID, extension: INS },
      { root: '1.2.3.4.567.8.9.10', extension: '1234567890121' },
    ],
    recordTargets: [
      {
        ids: [
          { root: INS_OID, extension: INS },
          { root: '1.2.3.4.567.8.9.10', extension: '1234567890121' },
        ],
        gender: 'F',
        birthTime: '19790321',
      },
    ],
    ins: { value: INS, oid: INS_OID },
    authors: [
      {
        time: '20210409153500+0100',
        ids: [{ root: '1.2.250.1.71.4.2.1', extension: '801234567897' }],
        idNatPs: '801234567897',
        role: { code: 'G15_10/SM26', codeSystem: '1.2.250.1.213.1.1.4.5' },
        person: { family: 'MULLER', given: ['Charles'] },
        organization: {
          ids: [{ root: '1.2.250.1.71.4.2.2', extension: '1750803447' }],
          name: 'Cabinet',
        },
      },
    ],
    serviceEvents: [
      {
        low: '20210409153500+0100',
        performers: [
          {
            ids: [],
            organization: {
              ids: [],
              industryCode: { code: 'AMBULATOIRE', codeSystem: '1.2.250.1.213.1.1.4.9' },
            },
          },
        ],
      },
    ],
    healthCareFacilityCode: { code: 'SA07', codeSystem: '1.2.250.1.71.4.2.4' },
    relatedDocuments: [],
    body: { kind: 'structured' },
  };
  patch(h);
  return h;
}

describe('deriveFromCda', () => {
  it('derives the whole metadata from the header as ANS maps it', () => {
    const r = deriveFromCda({}, header(), ref);
    expect(r.ok).toBe(true);
    if (!r.ok) {
      return;
    }
    const m = r.value;
    expect(m.uniqueId).toBe('1.2.250.1.213.1.1.1.46.2023.1.1');
    expect(m.type).toMatchObject({ code: '87273-9', system: 'http://loinc.org' });
    expect(m.class.code).toBe('52'); // ASS_X16
    expect(m.format.code).toBe('urn:asip:ci-sis:vac-note:2021'); // ASS_A11
    expect(canonicalSystem(m.format.system)).toBe('1.2.250.1.213.1.1.4.2.282');
    expect(m.facilityType.code).toBe('SA07');
    expect(m.practiceSetting.code).toBe('AMBULATOIRE');
    expect(m.confidentiality).toEqual([{ system: V3_CONF, code: 'N' }]);
    expect(m.mimeType).toBe('text/xml');
    expect(m.creation).toBe('2021-04-09T15:35:00+01:00');
    expect(m.serviceStart).toBe('2021-04-09T15:35:00+01:00');
    expect(m.patient).toEqual({ value: INS, oid: INS_OID });
    expect(m.sourcePatientId).toEqual({
      system: 'urn:oid:1.2.3.4.567.8.9.10',
      value: '1234567890121',
    });
    expect(m.authors[0]).toMatchObject({
      kind: 'practitioner',
      idNatPs: '801234567897',
      profession: '10',
      specialty: 'SM26',
      structure: { idNatStruct: '1750803447' },
    });
    expect(validateMetadataCodes(m, ref)).toEqual([]);
  });

  it('takes a level-1 format from the body media type, and RPLC as a replacement', () => {
    const r = deriveFromCda(
      {},
      header((h) => {
        h.templateIds = [{ root: '1.3.6.1.4.1.19376.1.2.20' }];
        h.body = { kind: 'nonXML', mediaType: 'application/pdf' };
        h.relatedDocuments = [{ typeCode: 'RPLC', ids: [{ root: '1.2.3.4', extension: 'v1' }] }];
      }),
      ref,
    );
    expect(r.ok && r.value.format.code).toBe('urn:ihe:iti:xds-sd:pdf:2008');
    expect(r.ok && r.value.relatesTo).toEqual([{ code: 'replaces', targetUniqueId: '1.2.3.4^v1' }]);
  });

  it('keeps what the client sent when it agrees, and adds its visibility flags to the header level', () => {
    const sent: DocumentMetadataDraft = {
      uniqueId: '1.2.250.1.213.1.1.1.46.2023.1.1',
      type: { system: 'urn:oid:2.16.840.1.113883.6.1', code: '87273-9' },
      title: 'Ma note',
      patient: { value: INS, oid: INS_OID },
      confidentiality: [{ system: A07_STATUS, code: 'INVISIBLE_PATIENT' }],
      relatesTo: [{ code: 'replaces', target: 'DocumentReference/old' }],
    };
    const r = deriveFromCda(
      sent,
      header((h) => (h.relatedDocuments = [{ typeCode: 'RPLC', ids: [{ root: '1.2.9' }] }])),
      ref,
    );
    expect(r.ok).toBe(true);
    if (!r.ok) {
      return;
    }
    expect(r.value.title).toBe('Ma note');
    expect(r.value.confidentiality.map((c) => c.code)).toEqual(['N', 'INVISIBLE_PATIENT']);
    expect(r.value.relatesTo).toEqual([
      { code: 'replaces', target: 'DocumentReference/old', targetUniqueId: '1.2.9' },
    ]);
    expect(validateMetadataCodes(r.value, ref)).toEqual([]);
  });

  it.each<[string, DocumentMetadataDraft, string, string]>([
    [
      'patient',
      { patient: { value: '277076322082910', oid: INS_OID } },
      'DOC_CDA_PATIENT_MISMATCH',
      'patient',
    ],
    [
      'patient OID',
      { patient: { value: INS, oid: '1.2.250.1.213.1.4.8' } },
      'DOC_CDA_PATIENT_MISMATCH',
      'patient',
    ],
    [
      'uniqueId',
      { uniqueId: '1.2.250.1.213.1.1.1.46.2023.1.2' },
      'DOC_CDA_ID_MISMATCH',
      'uniqueId',
    ],
    [
      'uniqueId with an extension',
      { uniqueId: '1.2.250.1.213.1.1.1.46.2023.1.1^1' },
      'DOC_CDA_ID_MISMATCH',
      'uniqueId',
    ],
    [
      'type',
      { type: { system: 'http://loinc.org', code: '11488-4' } },
      'DOC_CDA_TYPE_MISMATCH',
      'type',
    ],
    [
      'format',
      { format: { system: A11, code: 'urn:ihe:iti:xds-sd:pdf:2008' } },
      'DOC_CDA_FORMAT_MISMATCH',
      'format',
    ],
    [
      'facility',
      { facilityType: { system: R02, code: 'SA01' } },
      'DOC_CDA_FACILITY_TYPE_MISMATCH',
      'facilityType',
    ],
    [
      'practice setting',
      { practiceSetting: { system: A01, code: 'ETABLISSEMENT' } },
      'DOC_CDA_PRACTICE_SETTING_MISMATCH',
      'practiceSetting',
    ],
    [
      'confidentiality',
      { confidentiality: [{ system: V3_CONF, code: 'R' }] },
      'DOC_CDA_CONFIDENTIALITY_MISMATCH',
      'confidentiality',
    ],
  ])('reports a %s that disagrees with the header', (_label, sent, code, location) => {
    const r = deriveFromCda(sent, header(), ref);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toEqual([expect.objectContaining({ code, location: [location] })]);
    }
  });

  it('refuses a header whose second recordTarget names another patient (issue 17 rule 10)', () => {
    const r = deriveFromCda(
      {},
      header((h) => {
        h.recordTargets = [
          ...h.recordTargets,
          { ids: [{ root: INS_OID, extension: '180017512345698' }], gender: 'M' },
        ];
      }),
      ref,
    );
    expect(!r.ok && codes(r.error)).toEqual(['DOC_CDA_PATIENT_MULTIPLE']);
  });

  it('refuses a header without INS, or with an INS whose key is wrong', () => {
    const none = deriveFromCda(
      {},
      header((h) => delete h.ins),
      ref,
    );
    expect(!none.ok && codes(none.error)).toEqual(['DOC_CDA_NO_INS']);
    const bad = deriveFromCda(
      {},
      header((h) => (h.ins = { value: '221042545611404', oid: INS_OID })),
      ref,
    );
    expect(!bad.ok && codes(bad.error)).toEqual(['ID_INS_KEY']);
  });

  it('reports what neither the client nor the header gives', () => {
    const r = deriveFromCda(
      {},
      header((h) => {
        h.templateIds = [];
        delete h.healthCareFacilityCode;
      }),
      ref,
    );
    expect(!r.ok && r.error.map((i) => i.location?.[0])).toEqual(['format', 'facilityType']);
  });
});

describe('checkContent', () => {
  it('compares declared size and hash with the computed ones', () => {
    const computed = { size: BYTES.byteLength, sha1: SHA1_HEX };
    expect(checkContent({ size: BYTES.byteLength, hash: SHA1_HEX }, computed)).toEqual([]);
    expect(checkContent({}, computed)).toEqual([]);
    expect(codes(checkContent({ size: 1, hash: '00'.repeat(20) }, computed))).toEqual([
      'DOC_SIZE_MISMATCH',
      'DOC_HASH_MISMATCH',
    ]);
  });
});

describe('toDocumentReference', () => {
  it('writes a schema-valid PDSm resource with NOS systems that reads back to the same metadata', () => {
    const m = readOk(
      docRef((d) => {
        d.securityLabel[1].coding[0].system = 'urn:oid:1.2.250.1.213.1.1.4.13';
        d.relatesTo = [{ code: 'replaces', target: { reference: 'DocumentReference/old' } }];
        d.context.event = [{ coding: [{ system: 'urn:oid:1.2.250.1.213.2.5', code: 'DEQP003' }] }];
        d.extension = [
          {
            url: 'https://interop.esante.gouv.fr/ig/fhir/pdsm/StructureDefinition/pdsm-ext-is-archived',
            valueBoolean: false,
          },
        ];
      }),
    );
    const out = toDocumentReference(m, {
      id: 'd1',
      status: 'current',
      entryUuid: '0b0c6a4e-2f0b-4f5e-9b1e-3d4c5b6a7f81',
    });
    expect(validateFhirResource(out, 'DocumentReference')).toEqual([]);
    expect((out as Json).securityLabel[1].coding[0].system).toBe(A07_STATUT);
    expect((out as Json).masterIdentifier).toEqual({
      use: 'usual',
      system: 'urn:ietf:rfc:3986',
      value: 'urn:oid:1.2.250.1.999.42.1',
    });
    const back = readOk(out);
    const norm = (x: DocumentMetadata): unknown =>
      JSON.parse(JSON.stringify(x), (k, v: unknown) =>
        k === 'system' && typeof v === 'string' ? canonicalSystem(v) : v,
      );
    expect(norm(back)).toEqual(norm(m));
  });

  it('round-trips CDA-derived metadata (device, patient and organization authors included)', () => {
    const derived = deriveFromCda({}, header(), ref);
    if (!derived.ok) {
      throw new Error('derive');
    }
    const m: DocumentMetadata = {
      ...derived.value,
      authors: [
        ...derived.value.authors,
        {
          kind: 'device',
          identifier: { system: 'urn:oid:1.2.3', value: 'D1' },
          displayName: 'Automate',
        },
        {
          kind: 'organization',
          structure: { idNatStruct: '1750803447', name: 'Clinique' },
          displayName: 'Clinique',
        },
        { kind: 'patient', identifier: { system: `urn:oid:${INS_OID}`, value: INS } },
      ],
    };
    const out = toDocumentReference(m, { id: 'd2', status: 'superseded' });
    expect(validateFhirResource(out)).toEqual([]);
    const back = fromDocumentReference(out, ref, { requireCurrent: false });
    expect(back.ok).toBe(true);
    if (back.ok) {
      expect(back.value.authors).toEqual(m.authors);
      expect(back.value.relatesTo).toEqual(m.relatesTo);
    }
  });
});

describe('identifiers', () => {
  it.each([
    ['urn:ietf:rfc:3986', 'urn:oid:1.2.3.4', '1.2.3.4'],
    ['urn:ietf:rfc:3986', 'urn:oid:1.2.3.4^ext-1', '1.2.3.4^ext-1'],
    [
      'urn:ietf:rfc:3986',
      'urn:uuid:0B0C6A4E-2F0B-4F5E-9B1E-3D4C5B6A7F80',
      '0b0c6a4e-2f0b-4f5e-9b1e-3d4c5b6a7f80',
    ],
    ['urn:oid:1.2.3.4', 'ext-1', '1.2.3.4^ext-1'],
    ['urn:ietf:rfc:3986', 'urn:uuid:abcd-efgh-ijkl-mnop', undefined],
    ['urn:ietf:rfc:3986', '1.2.3.4', undefined],
    ['http://example.org', 'x', undefined],
    ['urn:ietf:rfc:3986', `urn:oid:1.2.${'1.'.repeat(40)}1`, undefined],
  ])('masterIdentifier %s | %s → %s', (system, value, uid) => {
    expect(uniqueIdFromIdentifier(system, value)).toBe(uid);
    if (uid !== undefined) {
      const back = uniqueIdToIdentifier(uid);
      expect(uniqueIdFromIdentifier(back.system, back.value)).toBe(uid);
    }
  });

  it('maps a CDA id to root or root^extension', () => {
    expect(uniqueIdFromCdaId({ root: '1.2.3' })).toBe('1.2.3');
    expect(uniqueIdFromCdaId({ root: '1.2.3', extension: 'A1' })).toBe('1.2.3^A1');
  });

  it.each([
    ['2021', '2021'],
    ['202104', '2021-04'],
    ['20210409', '2021-04-09'],
    ['20210409170000+0100', '2021-04-09T17:00:00+01:00'],
    ['202104091700+0200', '2021-04-09T17:00:00+02:00'],
    ['20210409170000.123-0500', '2021-04-09T17:00:00.123-05:00'],
    ['20210409170000+0000', '2021-04-09T17:00:00Z'],
    ['20210409170000', '2021-04-09'],
    ['not a date', undefined],
  ])('HL7 TS %s → %s', (ts, fhir) => {
    expect(cdaTimeToFhir(ts)).toBe(fhir);
  });
});

describe('helpers', () => {
  it('completeDraft defaults sourcePatientId to the INS', () => {
    const m = readOk(docRef());
    const { sourcePatientId: _s, ...rest } = m;
    const r = completeDraft(rest);
    expect(r.ok && r.value.sourcePatientId).toEqual({ system: `urn:oid:${INS_OID}`, value: INS });
  });

  it('rebaseIssues moves locations into a Bundle entry', () => {
    expect(
      rebaseIssues(
        [{ code: 'X', message: 'm', location: ['DocumentReference.type'] }],
        'Bundle.entry[1].resource',
      ),
    ).toEqual([{ code: 'X', message: 'm', location: ['Bundle.entry[1].resource.type'] }]);
  });
});
