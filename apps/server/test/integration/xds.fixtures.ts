import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { OPERATOR, type TestApp } from '../helpers/app.ts';
import { completeDraft, type DocumentMetadata } from '../../src/domain/documents/model.ts';
import { metadataFromCda } from '../../src/domain/documents/derive-from-cda.ts';
import { loadReferenceData } from '../../src/reference/value-sets.ts';
import { extrinsicObject, XDS } from '../../src/xds/ebrim.ts';
import { ACTIONS } from '../../src/xds/soap.ts';
import { buildMultipartRelated, parseMultipartRelated } from '../../src/xds/mtom.ts';
import { descendants, kid, NS, parseXml, type XElement } from '../../src/xds/xml.ts';
import { REPOSITORY_UNIQUE_ID } from '../../src/http/xds/xds.plugin.ts';
import { DR_CARDIO_EMERGENCY } from './notifications.fixtures.ts';
import * as fx from './documents.fixtures.ts';

/** Shared material for the SOAP (issue 19) tests: VIHF, envelopes, ITI-41 / ITI-43 / ITI-18 bodies. */
export const SERVICES = '/si-dmp-server/v2/services';
export type Json = Record<string, unknown>;

/**
 * The people of the SOAP scenarios: the VAC-NOTE example's author (deposits, masks, archives, deletes it) as a
 * professional in a structure, and a cardiologist with no authorization on the record.
 */
export const EXAMPLE = 'VAC-NOTE_2023.01.xml';
export const AUTHOR: Json = fx.authorTokenBody(fx.header(Buffer.from(fx.readExample(EXAMPLE))));
export const GP = {
  ...AUTHOR,
  idNatPs: String(AUTHOR['idNatPs']),
  structure: '1750300000',
  sector: 'SA07',
};
/** The cardiologist of the notification scenarios, in normal access mode (no authorization on the records here). */
const { reason: _emergencyReason, ...cardiologist } = DR_CARDIO_EMERGENCY;
export const CARDIO = { ...cardiologist, mode: 'normal' };

/**
 * What most SOAP scenarios start from: the record of `ins`, created by an operator, and the consent of each of
 * `readers` (dev-token bodies naming their idNatPs) declared on it, both through the FHIR API. The record's id.
 */
export async function readableRecord(t: TestApp, ins: string, ...readers: Json[]): Promise<string> {
  const fhirJson = (token: string): Record<string, string> => ({
    authorization: `Bearer ${token}`,
    'content-type': 'application/fhir+json',
  });
  const created = await t.app.inject({
    method: 'POST',
    url: '/fhir/Patient',
    headers: fhirJson(await t.token(OPERATOR)),
    payload: fx.patientBody(ins),
  });
  expect(created.statusCode, created.body).toBe(201);
  for (const reader of readers) {
    const consent = await t.app.inject({
      method: 'POST',
      url: '/fhir/Consent',
      headers: fhirJson(await t.token(reader)),
      payload: fx.consentBody(ins, String(reader['idNatPs'])),
    });
    expect(consent.statusCode, consent.body).toBeLessThan(300);
  }
  return String(created.json<Json>()['id']);
}

export async function vihf(t: TestApp, body: Json): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: '/auth/dev/vihf', payload: body });
  if (res.statusCode !== 200) {
    throw new Error(`dev VIHF refused: ${res.statusCode} ${res.body}`);
  }
  return (res.json() as { assertion: string }).assertion;
}

export function envelope(action: string, assertion: string | undefined, body: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>` +
    `<soap:Envelope xmlns:soap="${NS.soap12}" xmlns:wsa="${NS.wsa}"><soap:Header>` +
    `<wsa:Action soap:mustUnderstand="true">${action}</wsa:Action>` +
    `<wsa:MessageID>urn:uuid:${randomUUID()}</wsa:MessageID>` +
    (assertion !== undefined
      ? `<wsse:Security xmlns:wsse="${NS.wsse}">${assertion}</wsse:Security>`
      : '') +
    `</soap:Header><soap:Body>${body}</soap:Body></soap:Envelope>`
  );
}

export interface SoapAnswer {
  readonly status: number;
  readonly root: XElement;
  readonly text: string;
  readonly parts: ReadonlyMap<string, Buffer>;
  readonly contentType: string;
}

export async function soap(
  t: TestApp,
  service: string,
  xml: string,
  attachments?: { id: string; mimeType: string; bytes: Buffer }[],
): Promise<SoapAnswer> {
  const mtom = attachments !== undefined;
  const out = mtom
    ? buildMultipartRelated(xml, attachments, 'x', `b-${randomUUID()}`)
    : { contentType: 'application/soap+xml; charset=utf-8', body: Buffer.from(xml) };
  const res = await t.app.inject({
    method: 'POST',
    url: `${SERVICES}/${service}`,
    headers: { 'content-type': out.contentType },
    payload: out.body,
  });
  const contentType = res.headers['content-type'] ?? '';
  const raw = res.rawPayload;
  const mp = contentType.startsWith('multipart/related')
    ? parseMultipartRelated(contentType, raw)
    : { root: raw, parts: new Map<string, Buffer>() };
  return {
    status: res.statusCode,
    root: parseXml(mp.root),
    text: mp.root.toString('utf8'),
    parts: mp.parts,
    contentType,
  };
}

const reference = loadReferenceData();

/** The complete metadata of a CDA, as its header gives it (the producer's software does the same). */
export function metadataOf(bytes: Buffer): DocumentMetadata {
  const draft = metadataFromCda(fx.header(bytes), reference);
  const done = completeDraft(draft);
  if (!done.ok) {
    throw new Error(`incomplete metadata: ${JSON.stringify(done.error)}`);
  }
  return done.value;
}

export interface PnrDocument {
  readonly bytes: Buffer;
  readonly meta: DocumentMetadata;
  /** An RPLC target (entryUUID), when this document replaces another. */
  readonly replaces?: string;
}

/** An XDS author's slots as an ITI-41 writes them (XCN, XON, CE values, XML-escaped). */
export interface XdsAuthorSlots {
  readonly authorPerson?: string;
  readonly authorInstitution?: string;
  readonly authorRole?: string;
  readonly authorSpecialty?: string;
}

/** The SubmissionSet's options of {@link pnrBody}. */
export interface PnrSubmissionSet {
  readonly comments?: string;
  /** Its author Classifications. */
  readonly authors?: readonly XdsAuthorSlots[];
}

/** An ITI-41 body: SubmissionSet, one DocumentEntry per document, HasMember (and RPLC) associations. */
export function pnrBody(
  docs: readonly PnrDocument[],
  mtom: boolean,
  submissionSet: PnrSubmissionSet = {},
): { xml: string; parts: { id: string; mimeType: string; bytes: Buffer }[] } {
  const first = docs[0] as PnrDocument;
  const patient = `${first.meta.patient.value}^^^&amp;${first.meta.patient.oid}&amp;ISO`;
  const entries = docs.map((d, i) => {
    const entryUuid = randomUUID();
    return {
      d,
      id: `urn:uuid:${entryUuid}`,
      xml: extrinsicObject(d.meta, {
        entryUuid,
        logicalId: entryUuid,
        version: 1,
        status: XDS.approved,
        repositoryUniqueId: REPOSITORY_UNIQUE_ID,
      }),
      part: `doc${i}@test`,
    };
  });
  const ss = `SubmissionSet01`;
  const registryPackage =
    `<rim:RegistryPackage id="${ss}" objectType="${XDS.registryPackageType}">` +
    `<rim:Slot name="submissionTime"><rim:ValueList><rim:Value>20240501100000</rim:Value></rim:ValueList></rim:Slot>` +
    (submissionSet.comments !== undefined
      ? `<rim:Description><rim:LocalizedString value="${submissionSet.comments}"/></rim:Description>`
      : '') +
    (submissionSet.authors ?? [])
      .map(
        (a, i) =>
          `<rim:Classification classificationScheme="${XDS.ssAuthor}" classifiedObject="${ss}" nodeRepresentation="" id="cl-ss-author-${String(i)}" objectType="${XDS.classificationType}">` +
          Object.entries(a)
            .map(
              ([name, value]) =>
                `<rim:Slot name="${name}"><rim:ValueList><rim:Value>${String(value)}</rim:Value></rim:ValueList></rim:Slot>`,
            )
            .join('') +
          `</rim:Classification>`,
      )
      .join('') +
    `<rim:ExternalIdentifier identificationScheme="${XDS.ssUniqueId}" value="${fx.freshOid()}" id="ei-ss-1" registryObject="${ss}" objectType="${XDS.externalIdentifierType}"/>` +
    `<rim:ExternalIdentifier identificationScheme="${XDS.ssSourceId}" value="1.2.250.1.999.1" id="ei-ss-2" registryObject="${ss}" objectType="${XDS.externalIdentifierType}"/>` +
    `<rim:ExternalIdentifier identificationScheme="${XDS.ssPatientId}" value="${patient}" id="ei-ss-3" registryObject="${ss}" objectType="${XDS.externalIdentifierType}"/>` +
    `</rim:RegistryPackage>` +
    `<rim:Classification classifiedObject="${ss}" classificationNode="${XDS.submissionSet}" id="cl-ss" objectType="${XDS.classificationType}"/>`;
  const associations = entries
    .map(
      (e, i) =>
        `<rim:Association associationType="${XDS.hasMember}" sourceObject="${ss}" targetObject="${e.id}" id="as-${i}" objectType="${XDS.associationObjectType}">` +
        `<rim:Slot name="SubmissionSetStatus"><rim:ValueList><rim:Value>Original</rim:Value></rim:ValueList></rim:Slot></rim:Association>` +
        (e.d.replaces
          ? `<rim:Association associationType="${XDS.rplc}" sourceObject="${e.id}" targetObject="urn:uuid:${e.d.replaces}" id="as-r-${i}" objectType="${XDS.associationObjectType}"/>`
          : ''),
    )
    .join('');
  const documents = entries
    .map((e) =>
      mtom
        ? `<xdsb:Document id="${e.id}"><xop:Include xmlns:xop="${NS.xop}" href="cid:${encodeURIComponent(e.part)}"/></xdsb:Document>`
        : `<xdsb:Document id="${e.id}">${e.d.bytes.toString('base64')}</xdsb:Document>`,
    )
    .join('');
  const xml =
    `<xdsb:ProvideAndRegisterDocumentSetRequest xmlns:xdsb="${NS.xdsb}">` +
    `<lcm:SubmitObjectsRequest xmlns:lcm="${NS.lcm}"><rim:RegistryObjectList xmlns:rim="${NS.rim}">` +
    entries.map((e) => e.xml).join('') +
    registryPackage +
    associations +
    `</rim:RegistryObjectList></lcm:SubmitObjectsRequest>` +
    documents +
    `</xdsb:ProvideAndRegisterDocumentSetRequest>`;
  return {
    xml,
    parts: mtom ? entries.map((e) => ({ id: e.part, mimeType: 'text/xml', bytes: e.d.bytes })) : [],
  };
}

/** A Folder code of an ITI-41: its code, codingScheme and display name. */
export interface FolderCode {
  readonly code: string;
  readonly scheme: string;
  readonly display?: string;
}

/**
 * An ITI-41's Folder `key` (to add to a pnrBody's RegistryObjectList): its RegistryPackage with title and codeList,
 * its node Classification, the HasMember from the SubmissionSet (`SubmissionSet01`) to it and from it to each of
 * `members` (entry ids of the submission).
 */
export function folderXml(folder: {
  readonly key: string;
  readonly uniqueId: string;
  /** The patient's CX, XML-escaped. */
  readonly patient: string;
  readonly title?: string;
  readonly codes?: readonly FolderCode[];
  readonly members: readonly string[];
}): string {
  const { key } = folder;
  return (
    `<rim:RegistryPackage id="${key}" objectType="${XDS.registryPackageType}">` +
    (folder.title !== undefined
      ? `<rim:Name><rim:LocalizedString value="${folder.title}"/></rim:Name>`
      : '') +
    (folder.codes ?? [])
      .map(
        (c, i) =>
          `<rim:Classification classificationScheme="${XDS.folderCodeList}" classifiedObject="${key}" nodeRepresentation="${c.code}" id="${key}-code-${String(i)}" objectType="${XDS.classificationType}">` +
          `<rim:Slot name="codingScheme"><rim:ValueList><rim:Value>${c.scheme}</rim:Value></rim:ValueList></rim:Slot>` +
          (c.display !== undefined
            ? `<rim:Name><rim:LocalizedString value="${c.display}"/></rim:Name>`
            : '') +
          `</rim:Classification>`,
      )
      .join('') +
    `<rim:ExternalIdentifier identificationScheme="${XDS.folderUniqueId}" value="${folder.uniqueId}" id="${key}-ei-1" registryObject="${key}" objectType="${XDS.externalIdentifierType}"/>` +
    `<rim:ExternalIdentifier identificationScheme="${XDS.folderPatientId}" value="${folder.patient}" id="${key}-ei-2" registryObject="${key}" objectType="${XDS.externalIdentifierType}"/>` +
    `</rim:RegistryPackage>` +
    `<rim:Classification classifiedObject="${key}" classificationNode="${XDS.folder}" id="${key}-node" objectType="${XDS.classificationType}"/>` +
    `<rim:Association associationType="${XDS.hasMember}" sourceObject="SubmissionSet01" targetObject="${key}" id="${key}-as-0" objectType="${XDS.associationObjectType}"/>` +
    folder.members
      .map(
        (m, i) =>
          `<rim:Association associationType="${XDS.hasMember}" sourceObject="${key}" targetObject="${m}" id="${key}-as-${String(i + 1)}" objectType="${XDS.associationObjectType}"/>`,
      )
      .join('')
  );
}

/** `body` (a pnrBody's xml) with `extra` objects at the end of its RegistryObjectList. */
export function withObjects(body: string, extra: string): string {
  return body.replace('</rim:RegistryObjectList>', `${extra}</rim:RegistryObjectList>`);
}

export function iti41(
  assertion: string,
  docs: readonly PnrDocument[],
  mtom = false,
  submissionSet: PnrSubmissionSet = {},
): { xml: string; parts?: { id: string; mimeType: string; bytes: Buffer }[] } {
  const body = pnrBody(docs, mtom, submissionSet);
  return {
    xml: envelope(ACTIONS['ITI-41'].request, assertion, body.xml),
    ...(mtom && { parts: body.parts }),
  };
}

/** An ITI-57 Update Document Set envelope: a SubmissionSet and `body` (its associations and new DocumentEntries). */
export function iti57(assertion: string, body: string): string {
  return envelope(
    ACTIONS['ITI-57'].request,
    assertion,
    `<lcm:SubmitObjectsRequest xmlns:lcm="${NS.lcm}"><rim:RegistryObjectList xmlns:rim="${NS.rim}">` +
      `<rim:RegistryPackage id="ss"><rim:ExternalIdentifier identificationScheme="${XDS.ssUniqueId}" value="${fx.freshOid()}" id="e1" registryObject="ss"/></rim:RegistryPackage>` +
      `<rim:Classification classifiedObject="ss" classificationNode="${XDS.submissionSet}" id="c1"/>` +
      body +
      `</rim:RegistryObjectList></lcm:SubmitObjectsRequest>`,
  );
}

/** ITI-57's UpdateAvailabilityStatus of the entry `id` from Approved to `status` (association `a<n>`). */
export function statusUpdate(id: string, status: string, n = 1): string {
  return (
    `<rim:Association associationType="urn:ihe:iti:2010:AssociationType:UpdateAvailabilityStatus" sourceObject="ss" targetObject="urn:uuid:${id}" id="a${String(n)}">` +
    `<rim:Slot name="OriginalStatus"><rim:ValueList><rim:Value>${XDS.approved}</rim:Value></rim:ValueList></rim:Slot>` +
    `<rim:Slot name="NewStatus"><rim:ValueList><rim:Value>${status}</rim:Value></rim:ValueList></rim:Slot></rim:Association>`
  );
}

export function iti43(
  assertion: string,
  uniqueIds: readonly string[],
  repository = REPOSITORY_UNIQUE_ID,
): string {
  return envelope(
    ACTIONS['ITI-43'].request,
    assertion,
    `<xdsb:RetrieveDocumentSetRequest xmlns:xdsb="${NS.xdsb}">` +
      uniqueIds
        .map(
          (u) =>
            `<xdsb:DocumentRequest><xdsb:RepositoryUniqueId>${repository}</xdsb:RepositoryUniqueId>` +
            `<xdsb:DocumentUniqueId>${u}</xdsb:DocumentUniqueId></xdsb:DocumentRequest>`,
        )
        .join('') +
      `</xdsb:RetrieveDocumentSetRequest>`,
  );
}

export function iti18(
  assertion: string,
  queryId: string,
  slots: Readonly<Record<string, string>>,
  returnType: 'LeafClass' | 'ObjectRef' = 'LeafClass',
): string {
  return envelope(
    ACTIONS['ITI-18'].request,
    assertion,
    `<query:AdhocQueryRequest xmlns:query="${NS.query}" xmlns:rim="${NS.rim}">` +
      `<query:ResponseOption returnComposedObjects="true" returnType="${returnType}"/>` +
      `<rim:AdhocQuery id="${queryId}">` +
      Object.entries(slots)
        .map(
          ([name, value]) =>
            `<rim:Slot name="${name}"><rim:ValueList><rim:Value>${value}</rim:Value></rim:ValueList></rim:Slot>`,
        )
        .join('') +
      `</rim:AdhocQuery></query:AdhocQueryRequest>`,
  );
}

/** The RegistryResponse status and error codes of an answer (ITI-41, ITI-43, ITI-18). */
export function registryOutcome(root: XElement): {
  status: string;
  errors: { errorCode: string; codeContext: string }[];
} {
  const responses = [
    ...descendants(root, NS.rs, 'RegistryResponse'),
    ...descendants(root, NS.query, 'AdhocQueryResponse'),
  ];
  const r = responses[0];
  return {
    status: r?.attrs['status'] ?? '',
    errors: descendants(root, NS.rs, 'RegistryError').map((e) => ({
      errorCode: e.attrs['errorCode'] ?? '',
      codeContext: e.attrs['codeContext'] ?? '',
    })),
  };
}

/** The SOAP fault's project code (Detail) and subcode. */
export function faultOf(root: XElement): { code: string; subcode: string } | undefined {
  const fault = descendants(root, NS.soap12, 'Fault')[0];
  if (!fault) {
    return undefined;
  }
  const subcode =
    kid(kid(kid(fault, NS.soap12, 'Code'), NS.soap12, 'Subcode'), NS.soap12, 'Value')?.text ?? '';
  const code = kid(fault, NS.soap12, 'Detail')?.children[0]?.text ?? '';
  return { code, subcode };
}

export { kid, descendants, NS };
export type XElementLike = XElement;
