/**
 * A file (PDF, JPEG, text, RTF, TIFF) wrapped in a CDA R2 level 1 document ("CDA N1", IHE XDS-SD as the CI-SIS
 * profiles it): what the portals deposit for an upload and what the migration makes of a document stored bare
 * (issue 17 rule 9). Pure: the shell passes the record, the author and the metadata the user chose.
 *
 * Rules (header in the order of the CDA schema, as in the ANS example DOC_NON_STRUCTURE_CDA-R2-N1.xml):
 *  L1. realmCode FR, typeId POCD_HD000040, templates HL7 France, CI-SIS and IHE XDS-SD (1.3.6.1.4.1.19376.1.2.20);
 *      id = the document's uniqueId; code = its typeCode; title; effectiveTime = creation; confidentialityCode
 *      N/R/V; languageCode; setId and versionNumber when given.
 *  L2. recordTarget: the record's INS and birth identity traits (recordTarget in header.ts), so that the deposit's
 *      checks of the patient, sex and birth date hold by construction.
 *  L3. author: a professional (IdNat_PS, profession/specialty code, name, structure IdNat_Struct and name), the
 *      patient (INS and name) or another person (name only, id nullFlavor UNK); legalAuthenticator: the same person.
 *  L4. custodian: the author's structure when a professional acts for one, else the DMP host.
 *  L5. documentationOf/serviceEvent: the act's period and, as the performer's organization standardIndustryClassCode,
 *      the practice setting; componentOf/encompassingEncounter: the facility type — the metadata derived from the
 *      header (derive-from-cda.ts M4, M6) agrees with what the user chose. Either left out when not given.
 *  L6. relatedDocument RPLC naming the uniqueId of the version it replaces, when it replaces one.
 *  L7. component/nonXMLBody/text: mediaType and representation B64, the file's bytes in base64 (no line breaks).
 */
import type { CdaId, CdaPatient } from './header.ts';
import { conformance, idEl, recordTarget, replaces } from './header.ts';
import { el, hl7Time, textEl } from './xml.ts';

/** IHE XDS-SD (scanned documents) template, CI-SIS level 1 documents. */
export const XDS_SD_TEMPLATE = '1.3.6.1.4.1.19376.1.2.20';
const OID_IDNAT_PS = '1.2.250.1.71.4.2.1';
const OID_IDNAT_STRUCT = '1.2.250.1.71.4.2.2';
const OID_CONFIDENTIALITY = '2.16.840.1.113883.5.25';

export interface CdaCodeValue {
  readonly code: string;
  /** Bare OID of the code system. */
  readonly codeSystem: string;
  readonly displayName?: string;
}

export interface CdaPersonName {
  readonly family?: string;
  readonly given: readonly string[];
}

export type LevelOneAuthor =
  | {
      readonly kind: 'professional';
      readonly idNatPs: string;
      readonly name?: CdaPersonName;
      /** Profession / specialty (e.g. G15_10/SM54 of 1.2.250.1.213.1.1.4.5). */
      readonly role?: CdaCodeValue;
      readonly structure?: { readonly idNatStruct?: string; readonly name?: string };
    }
  | { readonly kind: 'patient'; readonly name?: CdaPersonName }
  | { readonly kind: 'person'; readonly name?: CdaPersonName };

export interface LevelOneInput {
  readonly id: CdaId;
  readonly setId?: CdaId;
  readonly versionNumber?: number;
  readonly type: CdaCodeValue;
  readonly title: string;
  /** Creation time of the document. */
  readonly effectiveTime: Date;
  /** N, R or V. */
  readonly confidentiality: string;
  readonly languageCode: string;
  readonly patient: CdaPatient;
  readonly author: LevelOneAuthor;
  /** When the author wrote it (defaults to effectiveTime). */
  readonly authorTime?: Date;
  /** The act: an HL7 TS (AAAAMMJJ or AAAAMMJJHHMMSS±ZZZZ) each. */
  readonly serviceStart: string;
  readonly serviceStop?: string;
  readonly practiceSetting?: CdaCodeValue;
  readonly facilityType?: CdaCodeValue;
  readonly replaces?: CdaId;
  /** Name of the DMP host, the custodian when no structure is. */
  readonly hostName: string;
  /** Media type of the wrapped file (application/pdf …). */
  readonly mediaType: string;
  readonly content: Uint8Array;
}

const CONFIDENTIALITY_DISPLAY: Readonly<Record<string, string>> = {
  N: 'Normal',
  R: 'Restreint',
  V: 'Très restreint',
};

function codeEl(name: string, c: CdaCodeValue): string {
  return el(name, { code: c.code, displayName: c.displayName, codeSystem: c.codeSystem });
}

function nameEl(name: CdaPersonName | undefined): string {
  if (name === undefined || (name.family === undefined && name.given.length === 0)) {
    return el('name', { nullFlavor: 'UNK' });
  }
  return el(
    'name',
    {},
    ...name.given.map((g) => textEl('given', g)),
    ...(name.family !== undefined ? [textEl('family', name.family)] : []),
  );
}

function personId(input: LevelOneInput): string {
  const a = input.author;
  switch (a.kind) {
    case 'professional':
      return el('id', { root: OID_IDNAT_PS, extension: a.idNatPs });
    case 'patient':
      return el('id', { root: input.patient.insOid, extension: input.patient.ins });
    case 'person':
      return el('id', { nullFlavor: 'UNK' });
  }
}

function structureOf(a: LevelOneAuthor): { idNatStruct?: string; name?: string } | undefined {
  return a.kind === 'professional' ? a.structure : undefined;
}

function organizationEl(name: string, s: { idNatStruct?: string; name?: string }): string {
  return el(
    name,
    {},
    s.idNatStruct !== undefined
      ? el('id', { root: OID_IDNAT_STRUCT, extension: s.idNatStruct })
      : el('id', { nullFlavor: 'UNK' }),
    ...(s.name !== undefined ? [textEl('name', s.name)] : []),
  );
}

function authorEl(input: LevelOneInput): string {
  const a = input.author;
  const structure = structureOf(a);
  return el(
    'author',
    {},
    el('time', { value: hl7Time(input.authorTime ?? input.effectiveTime) }),
    el(
      'assignedAuthor',
      {},
      personId(input),
      ...(a.kind === 'professional' && a.role ? [codeEl('code', a.role)] : []),
      el('assignedPerson', {}, nameEl(a.name)),
      ...(structure ? [organizationEl('representedOrganization', structure)] : []),
    ),
  );
}

function custodianEl(input: LevelOneInput): string {
  const structure = structureOf(input.author);
  const org =
    structure?.idNatStruct !== undefined
      ? organizationEl('representedCustodianOrganization', structure)
      : el(
          'representedCustodianOrganization',
          {},
          el('id', { nullFlavor: 'NI' }),
          textEl('name', input.hostName),
        );
  return el('custodian', {}, el('assignedCustodian', {}, org));
}

function legalAuthenticatorEl(input: LevelOneInput): string {
  return el(
    'legalAuthenticator',
    {},
    el('time', { value: hl7Time(input.authorTime ?? input.effectiveTime) }),
    el('signatureCode', { code: 'S' }),
    el('assignedEntity', {}, personId(input), el('assignedPerson', {}, nameEl(input.author.name))),
  );
}

function serviceEventEl(input: LevelOneInput): string {
  return el(
    'documentationOf',
    {},
    el(
      'serviceEvent',
      {},
      el(
        'effectiveTime',
        {},
        el('low', { value: input.serviceStart }),
        ...(input.serviceStop !== undefined ? [el('high', { value: input.serviceStop })] : []),
      ),
      ...(input.practiceSetting
        ? [
            el(
              'performer',
              { typeCode: 'PRF' },
              el(
                'assignedEntity',
                {},
                personId(input),
                el(
                  'representedOrganization',
                  {},
                  codeEl('standardIndustryClassCode', input.practiceSetting),
                ),
              ),
            ),
          ]
        : []),
    ),
  );
}

function encounterEl(input: LevelOneInput): string {
  if (!input.facilityType) {
    return '';
  }
  return el(
    'componentOf',
    {},
    el(
      'encompassingEncounter',
      {},
      el('effectiveTime', {}, el('low', { value: input.serviceStart })),
      el('location', {}, el('healthCareFacility', {}, codeEl('code', input.facilityType))),
    ),
  );
}

/** The header of the CDA N1 (everything before the body), L1–L6. */
export function levelOneHeader(input: LevelOneInput): string {
  return [
    conformance([{ root: XDS_SD_TEMPLATE }]),
    idEl(input.id),
    codeEl('code', input.type),
    textEl('title', input.title),
    el('effectiveTime', { value: hl7Time(input.effectiveTime) }),
    el('confidentialityCode', {
      code: input.confidentiality,
      displayName: CONFIDENTIALITY_DISPLAY[input.confidentiality],
      codeSystem: OID_CONFIDENTIALITY,
    }),
    el('languageCode', { code: input.languageCode }),
    ...(input.setId ? [idEl(input.setId, 'setId')] : []),
    ...(input.versionNumber !== undefined
      ? [el('versionNumber', { value: input.versionNumber })]
      : []),
    recordTarget(input.patient),
    authorEl(input),
    custodianEl(input),
    legalAuthenticatorEl(input),
    serviceEventEl(input),
    replaces(input.replaces),
    encounterEl(input),
  ].join('');
}

/**
 * The CDA N1 document, UTF-8 bytes (L1–L7). The base64 body is written once, straight into the result: a 15 MB
 * file costs its base64 text and the final buffer, no intermediate string of the whole document.
 */
export function buildLevelOneCda(input: LevelOneInput): Buffer {
  const head =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' +
    levelOneHeader(input) +
    `<component><nonXMLBody>${el('text', {
      mediaType: input.mediaType,
      representation: 'B64',
    }).replace(/\/>$/, '>')}`;
  const tail = '</text></nonXMLBody></component></ClinicalDocument>\n';
  return Buffer.concat([
    Buffer.from(head, 'utf8'),
    Buffer.from(Buffer.from(input.content).toString('base64'), 'latin1'),
    Buffer.from(tail, 'utf8'),
  ]);
}

/** The bytes a CDA N1 carries in its nonXMLBody (the base64 text decoded), for tests and the migration check. */
export function levelOneContent(cda: Uint8Array): Buffer | undefined {
  const text = Buffer.from(cda).toString('latin1');
  const open = /<(?:\w+:)?nonXMLBody\b[^>]*>\s*<(?:\w+:)?text\b[^>]*>/.exec(text);
  if (!open) {
    return undefined;
  }
  const start = open.index + open[0].length;
  const end = text.indexOf('<', start);
  return end < 0 ? undefined : Buffer.from(text.slice(start, end).replace(/\s+/g, ''), 'base64');
}
