import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { computeNirKey } from '../../src/domain/identity/ins.ts';
import { rewriteRecordTargetIns } from '../../src/demo/cda-rewrite.ts';
import { parseCda } from '../../src/validation/cda.ts';
import type { CdaHeader } from '../../src/validation/cda.ts';
import { buildLevelOneCda } from '../../src/cda/level-one.ts';
import type { LevelOneInput } from '../../src/cda/level-one.ts';
import { hl7Time } from '../../src/cda/xml.ts';
import { looksLikeXml } from '../../src/domain/documents/cda-only.ts';
import { canonicalSystem } from '../../src/domain/identity/code-systems.ts';

/** Shared material for the document tests: the ANS CDA examples, the PDSm examples, and builders. */
export const SHARED = fileURLToPath(new URL('../../../../../shared/', import.meta.url));
export const CDA_EXAMPLES_DIR = `${SHARED}data/external/ansforge-TestContenuCDA-3-0/ExemplesCDA/`;
export const PDSM_DIR = `${SHARED}data/external/ansforge-IG-fhir-partage-de-documents-de-sante/main/ig/`;
export const PDSM_DMP_DIR = `${SHARED}data/external/ansforge-IG-FHIR-PDSM4DMP-EEDS/main/ig/`;

export const TEST_OID = '1.2.250.1.213.1.4.10';
export const TEST_SYSTEM = `urn:oid:${TEST_OID}`;
export const MHD_LIST_TYPES = 'https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes';
export const A07 =
  'https://mos.esante.gouv.fr/NOS/TRE_A07-StatutVisibiliteDocument/FHIR/TRE-A07-StatutVisibiliteDocument';
export const IS_ARCHIVED =
  'https://interop.esante.gouv.fr/ig/fhir/pdsm/StructureDefinition/pdsm-ext-is-archived';

export type Json = Record<string, unknown>;

export function cdaExamples(): string[] {
  return fs
    .readdirSync(CDA_EXAMPLES_DIR)
    .filter((f) => f.endsWith('.xml'))
    .sort();
}

export function readExample(name: string): string {
  return fs.readFileSync(`${CDA_EXAMPLES_DIR}${name}`, 'utf8');
}

/** A valid test NIR (key computed) from a 13-digit seed. */
export function nir(first13: string): string {
  return `${first13}${String(computeNirKey(first13)).padStart(2, '0')}`;
}

/**
 * Rewrites the INS ids of recordTarget/patientRole (whatever the namespace prefix and attribute order), and the
 * patient's sex and birth date to those of {@link patientBody} for that INS (the deposit compares them with the
 * record's, issue 17 rule 10).
 */
export function rewriteIns(xml: string, ins: string, oid: string = TEST_OID): string {
  const body = patientBody(ins);
  return rewriteRecordTargetIns(xml, ins, oid, {
    sex: String(body['gender']),
    birthDate: String(body['birthDate']),
  });
}

/** Gives the ClinicalDocument a new id root (a fresh OID), so that one example can be deposited twice. */
export function rewriteDocumentId(xml: string, newRoot: string): string {
  const start = xml.search(/<(?:\w+:)?ClinicalDocument\b/);
  const idAt = xml.slice(start).search(/<(?:\w+:)?id\b[^>]*\/>/);
  const at = start + idAt;
  const tag = /<(?:\w+:)?id\b[^>]*\/>/.exec(xml.slice(at))?.[0] ?? '';
  const rewritten = tag
    .replace(/root="[^"]*"/, `root="${newRoot}"`)
    .replace(/\s+extension="[^"]*"/, '');
  return xml.slice(0, at) + rewritten + xml.slice(at + tag.length);
}

/** A fresh OID under the UUID arc 2.25. */
export function freshOid(): string {
  return `2.25.${BigInt(`0x${randomUUID().replace(/-/g, '')}`).toString()}`;
}

function tryHeader(bytes: Uint8Array): CdaHeader | undefined {
  const parsed = parseCda(bytes);
  return parsed.ok ? parsed.value : undefined;
}

export function header(xml: string | Uint8Array): CdaHeader {
  const parsed = parseCda(typeof xml === 'string' ? Buffer.from(xml, 'utf8') : xml);
  if (!parsed.ok) {
    throw new Error(`CDA does not parse: ${JSON.stringify(parsed.error)}`);
  }
  return parsed.value;
}

/** The dev-token body of the professional who may deposit this CDA: its first identified author. */
export function authorTokenBody(h: CdaHeader): Json {
  const author = h.authors.find((a) => a.idNatPs) ?? h.authors[0];
  const structure = author?.organization?.ids.find(
    (i) => i.root === '1.2.250.1.71.4.2.2',
  )?.extension;
  const profession = /^G15_(\w+)/.exec(author?.role?.code ?? '')?.[1] ?? '10';
  return {
    kind: 'professional',
    idNatPs: author?.idNatPs ?? '899700366240',
    profession,
    ...(structure ? { structure } : {}),
    mode: 'normal',
  };
}

export function sha1Base64(bytes: Uint8Array): string {
  return createHash('sha1').update(bytes).digest('base64');
}

/** A minimal DocumentReference for a CDA: the server derives everything else from the header. */
export function cdaDocumentReference(ins: string, bytes: Uint8Array, extra: Json = {}): Json {
  return {
    resourceType: 'DocumentReference',
    status: 'current',
    subject: { reference: `Patient?identifier=${TEST_SYSTEM}|${ins}` },
    content: [
      { attachment: { contentType: 'text/xml', size: bytes.byteLength, hash: sha1Base64(bytes) } },
    ],
    ...extra,
  };
}

/** ITI-105 body: the DocumentReference with the bytes in attachment.data. */
export function iti105(docRef: Json, bytes: Uint8Array): Json {
  const content = (docRef['content'] as Json[])[0] as Json;
  return {
    ...docRef,
    content: [
      {
        ...content,
        attachment: {
          ...(content['attachment'] as Json),
          data: Buffer.from(bytes).toString('base64'),
        },
      },
    ],
  };
}

/** ITI-65 body: SubmissionSet + DocumentReferences + Binaries. */
export function iti65(
  ins: string,
  docs: { docRef: Json; bytes: Uint8Array; contentType?: string }[],
  folder?: boolean,
): Json {
  const ids = docs.map(() => ({
    doc: `urn:uuid:${randomUUID()}`,
    bin: `urn:uuid:${randomUUID()}`,
  }));
  const folderUrl = `urn:uuid:${randomUUID()}`;
  const entries: Json[] = [
    {
      fullUrl: `urn:uuid:${randomUUID()}`,
      resource: {
        resourceType: 'List',
        status: 'current',
        mode: 'working',
        code: { coding: [{ system: MHD_LIST_TYPES, code: 'submissionset' }] },
        subject: { reference: `Patient?identifier=${TEST_SYSTEM}|${ins}` },
        date: '2024-05-01T10:00:00+02:00',
        identifier: [{ use: 'usual', system: 'urn:ietf:rfc:3986', value: `urn:oid:${freshOid()}` }],
        entry: [
          ...ids.map((i) => ({ item: { reference: i.doc } })),
          ...(folder ? [{ item: { reference: folderUrl } }] : []),
        ],
      },
      request: { method: 'POST', url: 'List' },
    },
  ];
  docs.forEach((d, i) => {
    const id = ids[i] as { doc: string; bin: string };
    const content = (d.docRef['content'] as Json[])[0] as Json;
    entries.push({
      fullUrl: id.doc,
      resource: {
        ...d.docRef,
        content: [{ ...content, attachment: { ...(content['attachment'] as Json), url: id.bin } }],
      },
      request: { method: 'POST', url: 'DocumentReference' },
    });
    entries.push({
      fullUrl: id.bin,
      resource: {
        resourceType: 'Binary',
        contentType: d.contentType ?? 'text/xml',
        data: Buffer.from(d.bytes).toString('base64'),
      },
      request: { method: 'POST', url: 'Binary' },
    });
  });
  if (folder) {
    entries.push({
      fullUrl: folderUrl,
      resource: {
        resourceType: 'List',
        status: 'current',
        mode: 'working',
        title: 'Suivi',
        code: { coding: [{ system: MHD_LIST_TYPES, code: 'folder' }] },
        subject: { reference: `Patient?identifier=${TEST_SYSTEM}|${ins}` },
        entry: ids.map((i) => ({ item: { reference: i.doc } })),
      },
      request: { method: 'POST', url: 'List' },
    });
  }
  return { resourceType: 'Bundle', type: 'transaction', entry: entries };
}

/** A Patient whose traits agree with the INS (sex digit, birth year and month). */
export function patientBody(ins: string, _legacyBirthDate?: string): Json {
  const year = Number(ins.slice(1, 3));
  const century = year > Number(new Date().getUTCFullYear().toString().slice(2)) ? 1900 : 2000;
  return {
    resourceType: 'Patient',
    identifier: [{ system: TEST_SYSTEM, value: ins }],
    name: [{ use: 'official', family: 'TEST', given: ['Doc'] }],
    gender: ins.startsWith('1') ? 'male' : 'female',
    birthDate: `${String(century + year)}-${ins.slice(3, 5)}-15`,
  };
}

export function issueCodes(body: string): string[] {
  const oo = JSON.parse(body) as { issue?: { details?: { coding?: { code: string }[] } }[] };
  return (oo.issue ?? []).map((i) => i.details?.coding?.[0]?.code ?? '');
}

/** A professional's software declares the patient's consent for that professional (POST /fhir/Consent). */
export function consentBody(ins: string, idNatPs: string): Json {
  return {
    resourceType: 'Consent',
    status: 'active',
    scope: {
      coding: [
        { system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' },
      ],
    },
    category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
    patient: { identifier: { system: TEST_SYSTEM, value: ins } },
    provision: {
      actor: [
        { reference: { identifier: { system: 'urn:oid:1.2.250.1.71.4.2.1', value: idNatPs } } },
      ],
    },
  };
}

export const IDNAT_PS = 'urn:oid:1.2.250.1.71.4.2.1';
export const IDNAT_STRUCT = 'urn:oid:1.2.250.1.71.4.2.2';
export const A03 =
  'https://mos.esante.gouv.fr/NOS/TRE_A03-ClasseDocument/FHIR/TRE-A03-ClasseDocument';

/** A small bare PDF-like file: refused by the API (CDA-only, issue 17 rule 9); what {@link n1Bytes} wraps. */
export function pdfBytes(text = 'opendmp test document'): Buffer {
  return Buffer.from(`%PDF-1.4\n% ${text} ${randomUUID()}\n%%EOF\n`, 'latin1');
}

/**
 * A CDA N1 (the server's own generator, cda/level-one.ts) wrapping {@link pdfBytes} for the record of `ins` (the sex
 * and birth date of {@link patientBody}), whose header agrees with {@link pdfDocumentReference}'s metadata: a
 * consultation report (LOINC 11488-4), confidentiality N, SA07, AMBULATOIRE, written by `author`; the type, the
 * confidentiality level, the facility type, the practice setting, the service period and the masterIdentifier of `overrides`
 * (pdfDocumentReference's) when given.
 */
export function n1Bytes(
  ins: string,
  text = 'opendmp test document',
  overrides: Json = {},
  author: { idNatPs: string; structure?: string } = { idNatPs: '899700366240' },
): Buffer {
  const body = patientBody(ins);
  const context = (overrides['context'] ?? {}) as Json;
  const type = cdaCode(overrides['type']);
  const facility = cdaCode(context['facilityType']);
  const setting = cdaCode(context['practiceSetting']);
  const level = ((overrides['securityLabel'] ?? []) as Json[])
    .map((l) => cdaCode(l))
    .find((c) => c?.codeSystem === '2.16.840.1.113883.5.25')?.code;
  const master = (overrides['masterIdentifier'] as Json | undefined)?.['value'];
  return buildLevelOneCda({
    id: {
      root: typeof master === 'string' ? master.replace(/^urn:(?:oid|uuid):/, '') : freshOid(),
    },
    type: {
      code: '11488-4',
      codeSystem: '2.16.840.1.113883.6.1',
      displayName: 'Consultation note',
    },
    title: 'Compte rendu de consultation',
    effectiveTime: new Date('2024-05-02T07:30:00Z'),
    confidentiality: 'N',
    languageCode: 'fr-FR',
    patient: {
      ins,
      insOid: TEST_OID,
      birthName: 'TEST',
      givenNames: ['Doc'],
      sex: String(body['gender']),
      birthDate: String(body['birthDate']),
    },
    author: {
      kind: 'professional',
      idNatPs: author.idNatPs,
      ...(author.structure ? { structure: { idNatStruct: author.structure } } : {}),
    },
    ...servicePeriod(context['period'] as Json | undefined),
    practiceSetting: { code: 'AMBULATOIRE', codeSystem: '1.2.250.1.213.1.1.4.9' },
    facilityType: { code: 'SA07', codeSystem: '1.2.250.1.71.4.2.4' },
    hostName: 'opendmp test',
    mediaType: 'application/pdf',
    content: pdfBytes(text),
    ...(type ? { type } : {}),
    ...(facility ? { facilityType: facility } : {}),
    ...(setting ? { practiceSetting: setting } : {}),
    ...(level ? { confidentiality: level } : {}),
  });
}

/** The CDA service period: the overrides' context.period when given, else 2 May 2024, 09:00 to 09:30 (Paris). */
function servicePeriod(period: Json | undefined): { serviceStart: string; serviceStop?: string } {
  if (!period) {
    return { serviceStart: '20240502070000+0000', serviceStop: '20240502073000+0000' };
  }
  const ts = (v: unknown): string | undefined =>
    typeof v !== 'string'
      ? undefined
      : /^\d{4}-\d{2}-\d{2}$/.test(v)
        ? v.replace(/-/g, '')
        : hl7Time(new Date(v));
  const start = ts(period['start']) ?? '20240502070000+0000';
  const stop = ts(period['end']);
  return { serviceStart: start, ...(stop !== undefined ? { serviceStop: stop } : {}) };
}

/** The first coding of a CodeableConcept (or a Coding) as a CDA code, its system as an OID. */
function cdaCode(v: unknown): LevelOneInput['type'] | undefined {
  const c = v as { coding?: Json[] } & Json;
  const coding = (c && Array.isArray(c.coding) ? c.coding[0] : c) as Json | undefined;
  if (!coding || typeof coding['code'] !== 'string' || typeof coding['system'] !== 'string') {
    return undefined;
  }
  return { code: coding['code'], codeSystem: canonicalSystem(coding['system']) };
}

/**
 * A complete PDSm DocumentReference for a PDF document (every required field sent, codes from the DMP value sets):
 * a consultation report (LOINC 11488-4, class 10) written by `author` acting from `structure`. For a CDA N1
 * ({@link n1Bytes}) it is the CDA's metadata (contentType text/xml, masterIdentifier its id); for other bytes
 * (a bare PDF, refused) the contentType stays application/pdf.
 */
export function pdfDocumentReference(
  ins: string,
  bytes: Uint8Array,
  author: { idNatPs: string; structure?: string },
  overrides: Json = {},
): Json {
  const cda = looksLikeXml(bytes) ? tryHeader(bytes) : undefined;
  return {
    resourceType: 'DocumentReference',
    contained: [
      {
        resourceType: 'Practitioner',
        id: 'author',
        identifier: [{ system: IDNAT_PS, value: author.idNatPs }],
      },
      ...(author.structure
        ? [
            {
              resourceType: 'Organization',
              id: 'org',
              identifier: [{ system: IDNAT_STRUCT, value: author.structure }],
            },
          ]
        : []),
      {
        resourceType: 'PractitionerRole',
        id: 'role',
        practitioner: { reference: '#author' },
        ...(author.structure ? { organization: { reference: '#org' } } : {}),
      },
    ],
    masterIdentifier: {
      system: 'urn:ietf:rfc:3986',
      value: `urn:oid:${cda ? cda.id.root : freshOid()}`,
    },
    status: 'current',
    type: {
      coding: [{ system: 'http://loinc.org', code: '11488-4', display: 'Consultation note' }],
    },
    category: [{ coding: [{ system: A03, code: '10', display: 'Compte rendu' }] }],
    subject: { reference: `Patient?identifier=${TEST_SYSTEM}|${ins}` },
    author: [{ reference: '#role' }],
    securityLabel: [
      {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'N' }],
      },
    ],
    content: [
      {
        attachment: {
          contentType: cda ? 'text/xml' : 'application/pdf',
          language: 'fr-FR',
          size: bytes.byteLength,
          hash: sha1Base64(bytes),
          title: 'Compte rendu de consultation',
          creation: '2024-05-02T09:30:00+02:00',
        },
        format: {
          system: 'https://mos.esante.gouv.fr/NOS/TRE_A11-IheFormatCode/FHIR/TRE-A11-IheFormatCode',
          code: 'urn:ihe:iti:xds-sd:pdf:2008',
        },
      },
    ],
    context: {
      period: { start: '2024-05-02T09:00:00+02:00', end: '2024-05-02T09:30:00+02:00' },
      facilityType: {
        coding: [
          {
            system:
              'https://mos.esante.gouv.fr/NOS/TRE_R02-SecteurActivite/FHIR/TRE-R02-SecteurActivite',
            code: 'SA07',
          },
        ],
      },
      practiceSetting: {
        coding: [
          {
            system:
              'https://mos.esante.gouv.fr/NOS/TRE_A01-CadreExercice/FHIR/TRE-A01-CadreExercice',
            code: 'AMBULATOIRE',
          },
        ],
      },
    },
    ...overrides,
  };
}

/** Sets a value at a dotted path of a copy (array indexes as numbers), for negative variants. */
export function withPath(resource: Json, path: string, value: unknown): Json {
  const copy = structuredClone(resource);
  const keys = path.split('.');
  let cur: Record<string, unknown> | unknown[] = copy;
  for (const k of keys.slice(0, -1)) {
    cur = (cur as Record<string, unknown>)[k] as Record<string, unknown>;
  }
  const last = keys[keys.length - 1] as string;
  if (value === undefined) {
    Reflect.deleteProperty(cur, last);
  } else {
    (cur as Record<string, unknown>)[last] = value;
  }
  return copy;
}
