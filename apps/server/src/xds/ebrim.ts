/**
 * ebRIM 3.0 (XDS.b metadata) ↔ the core's DocumentMetadata (src/domain/documents/model.ts). Pure.
 *
 * Reading (ITI-41, ITI-57): a RegistryObjectList is split into DocumentEntries (ExtrinsicObject), the SubmissionSet
 * and Folders (RegistryPackage classified by the XDS nodes, inside or outside the package), and Associations. Each
 * DocumentEntry becomes a {@link DocumentMetadataDraft}: Classifications by scheme (class, type, format, facility,
 * practice setting, confidentiality, event, author), ExternalIdentifiers (uniqueId, patientId), Slots (creationTime,
 * serviceStart/StopTime, languageCode, sourcePatientId, size, hash, legalAuthenticator), Name and Description.
 * Codings keep the system as its OID (`codingScheme`), which the core compares with any other spelling.
 * What is malformed is an {@link EbrimIssue} with the XDS error code (XDSRegistryMetadataError unless said).
 *
 * Writing (ITI-18): one DocumentMetadata and its registry ids as an ExtrinsicObject, with the same schemes.
 */
import type {
  Coding,
  DocumentAuthor,
  DocumentMetadata,
  DocumentMetadataDraft,
  PersonName,
} from '../domain/documents/model.ts';
import { codingScheme, systemOid } from '../domain/identity/code-systems.ts';
import { OID_IDNAT_PS, OID_IDNAT_STRUCT } from '../domain/documents/cda-header.ts';
import { xcn } from '../domain/documents/author-person.ts';
import { createHash } from 'node:crypto';
import { el, kid, kids, NS, textOf, XmlWriter, type XElement } from './xml.ts';

export const XDS = {
  documentEntry: 'urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1',
  onDemandEntry: 'urn:uuid:34268e47-fdf5-41a6-ba33-82133c465248',
  submissionSet: 'urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd',
  folder: 'urn:uuid:d9d542f3-6cc4-48b6-8870-ea235fbc94c2',
  classCode: 'urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a',
  confidentialityCode: 'urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f',
  eventCode: 'urn:uuid:2c6b8cb7-8b2a-4051-b291-b1ae6a575ef4',
  formatCode: 'urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d',
  facilityTypeCode: 'urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1',
  practiceSettingCode: 'urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead',
  typeCode: 'urn:uuid:f0306f51-975f-434e-a61c-c59651d33983',
  docAuthor: 'urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d',
  docPatientId: 'urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427',
  docUniqueId: 'urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab',
  ssAuthor: 'urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d',
  ssContentType: 'urn:uuid:aa543740-bdda-424e-8c96-df4873be8500',
  ssPatientId: 'urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446',
  ssSourceId: 'urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832',
  ssUniqueId: 'urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8',
  folderCodeList: 'urn:uuid:1ba97051-7806-41a8-a48b-8fce7af683c5',
  folderPatientId: 'urn:uuid:f64ffdf0-4b97-4e06-b79f-a52b38ec2f8a',
  folderUniqueId: 'urn:uuid:75df8f67-9973-4fbe-a900-df66cefecc5a',
  hasMember: 'urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember',
  rplc: 'urn:ihe:iti:2007:AssociationType:RPLC',
  xfrm: 'urn:ihe:iti:2007:AssociationType:XFRM',
  apnd: 'urn:ihe:iti:2007:AssociationType:APND',
  signs: 'urn:ihe:iti:2007:AssociationType:signs',
  approved: 'urn:oasis:names:tc:ebxml-regrep:StatusType:Approved',
  deprecated: 'urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated',
  /** The DMP's own statuses (dmp-domain-facts.md §5). */
  archived: 'urn:asip:ci-sis:2010:StatusType:Archived',
  deleted: 'urn:asip:ci-sis:2010:StatusType:Deleted',
  classificationType: 'urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Classification',
  externalIdentifierType:
    'urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:ExternalIdentifier',
  associationObjectType: 'urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Association',
  registryPackageType: 'urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:RegistryPackage',
} as const;

export type XdsErrorCode =
  | 'XDSRegistryMetadataError'
  | 'XDSPatientIdDoesNotMatch'
  | 'XDSDocumentUniqueIdError'
  | 'XDSDuplicateUniqueIdInRegistry'
  | 'XDSMissingDocument'
  | 'XDSMissingDocumentMetadata'
  | 'XDSRepositoryError'
  | 'XDSRegistryError'
  | 'XDSUnknownPatientId'
  | 'XDSUnknownRepositoryId'
  | 'XDSStoredQueryParamNumber'
  | 'XDSStoredQueryMissingParam'
  | 'XDSUnknownStoredQuery'
  | 'XDSNonIdenticalHash'
  | 'XDSNonIdenticalSize'
  | 'XDSRegistryBusy'
  | 'XDSTooManyResults'
  | 'XDSExtraMetadataNotSaved';

export interface EbrimIssue {
  readonly errorCode: XdsErrorCode;
  /** The project's stable code, sent in codeContext. */
  readonly code: string;
  readonly message: string;
  /** The ebRIM object (id or uniqueId) the issue is about. */
  readonly location?: string;
}

export class EbrimFailure extends Error {
  readonly issues: readonly EbrimIssue[];
  constructor(issues: readonly EbrimIssue[]) {
    super(issues.map((i) => i.message).join('; '));
    this.issues = issues;
  }
}

function issue(code: string, message: string, location?: string): EbrimIssue {
  return {
    errorCode: 'XDSRegistryMetadataError',
    code,
    message,
    ...(location !== undefined && { location }),
  };
}

// ---------------------------------------------------------------------------------------------
// Reading helpers

/** The values of a Slot by name. */
export function slotValues(obj: XElement, name: string): string[] {
  const slot = kids(obj, NS.rim, 'Slot').find((s) => s.attrs['name'] === name);
  return kids(kid(slot, NS.rim, 'ValueList'), NS.rim, 'Value').flatMap((v) => {
    const t = textOf(v);
    return t === undefined ? [] : [t];
  });
}

function localized(obj: XElement | undefined, name: 'Name' | 'Description'): string | undefined {
  const ls = kid(kid(obj, NS.rim, name), NS.rim, 'LocalizedString');
  const v = ls?.attrs['value']?.trim();
  return v === undefined || v === '' ? undefined : v;
}

function codingOf(c: XElement): Coding | undefined {
  const code = c.attrs['nodeRepresentation']?.trim();
  const scheme = slotValues(c, 'codingScheme')[0];
  if (!code || !scheme) {
    return undefined;
  }
  const display = localized(c, 'Name');
  return { system: scheme, code, ...(display !== undefined && { display }) };
}

/** XDS DTM (UTC, YYYY[MM[DD[hh[mm[ss]]]]]) → FHIR date / dateTime. */
export function xdsTimeToFhir(dtm: string | undefined): string | undefined {
  const m = /^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?$/.exec(dtm?.trim() ?? '');
  if (!m) {
    return undefined;
  }
  const [, y, mo, d, h, mi, s] = m;
  if (mo === undefined) {
    return y;
  }
  if (d === undefined) {
    return `${y}-${mo}`;
  }
  if (h === undefined) {
    return `${y}-${mo}-${d}`;
  }
  return `${y}-${mo}-${d}T${h}:${mi ?? '00'}:${s ?? '00'}Z`;
}

/** FHIR date / dateTime → XDS DTM in UTC (date-only values kept as dates). */
export function fhirTimeToXds(t: string): string {
  if (!t.includes('T')) {
    return t.replace(/-/g, '');
  }
  const ms = Date.parse(t);
  if (Number.isNaN(ms)) {
    return t.replace(/[^0-9]/g, '').slice(0, 14);
  }
  return new Date(ms)
    .toISOString()
    .replace(/[^0-9]/g, '')
    .slice(0, 14);
}

/** HL7 CX `value^^^&OID&ISO` → value and OID. */
export function parseCx(cx: string): { value: string; oid: string } | undefined {
  const m = /^([^^&]+)\^\^\^&([0-9.]+)&ISO$/.exec(cx.trim());
  return m ? { value: m[1] as string, oid: m[2] as string } : undefined;
}

export function formatCx(value: string, oid: string): string {
  return `${value}^^^&${oid}&ISO`;
}

/** XCN `id^family^given^^^prefix^^^&OID&ISO`. */
function parseXcn(xcn: string): Pick<DocumentAuthor, 'idNatPs' | 'identifier' | 'name'> {
  const f = xcn.split('^');
  const id = f[0]?.trim();
  const oid = /^&([0-9.]+)&ISO$/.exec(f[8] ?? '')?.[1];
  const name: PersonName = {
    ...(f[1] ? { family: f[1] } : {}),
    given: f[2] ? [f[2]] : [],
    ...(f[5] ? { prefix: f[5] } : {}),
  };
  const hasName = name.family !== undefined || name.given.length > 0;
  return {
    ...(id && oid === OID_IDNAT_PS ? { idNatPs: id } : {}),
    ...(id && oid && oid !== OID_IDNAT_PS
      ? { identifier: { system: `urn:oid:${oid}`, value: id } }
      : {}),
    ...(hasName ? { name } : {}),
  };
}

/** XON `name^^^^^&OID&ISO^IDNST^^^id`. */
function parseXon(xon: string): DocumentAuthor['structure'] {
  const f = xon.split('^');
  const name = f[0]?.trim() || undefined;
  const oid = /^&([0-9.]+)&ISO$/.exec(f[5] ?? '')?.[1];
  const id = f[9]?.trim() || undefined;
  return {
    ...(name !== undefined && { name }),
    ...(id !== undefined && oid === OID_IDNAT_STRUCT && { idNatStruct: id }),
    ...(id !== undefined &&
      oid !== undefined &&
      oid !== OID_IDNAT_STRUCT && { identifier: { system: `urn:oid:${oid}`, value: id } }),
  };
}

/** `code^display^^^^^^^&OID&ISO` (XDS CE in authorRole / authorSpecialty) or a bare code. */
function parseCe(v: string): Coding | undefined {
  const f = v.split('^');
  const code = f[0]?.trim();
  if (!code) {
    return undefined;
  }
  const oid = /^&([0-9.]+)&ISO$/.exec(f[8] ?? '')?.[1] ?? /^([0-9.]+)$/.exec(f[2] ?? '')?.[1];
  return { system: oid ?? '', code, ...(f[1] ? { display: f[1] } : {}) };
}

function authorOf(c: XElement): DocumentAuthor {
  const person = slotValues(c, 'authorPerson')[0];
  const institution = slotValues(c, 'authorInstitution')[0];
  const role = slotValues(c, 'authorRole')[0];
  const specialty = slotValues(c, 'authorSpecialty')[0];
  const p = person ? parseXcn(person) : {};
  const roleCoding = role ? parseCe(role) : undefined;
  const specialtyCoding = specialty ? parseCe(specialty) : undefined;
  const g15 = /^G15_(\w+)(?:\/(\w+))?$/.exec(specialtyCoding?.code ?? '');
  const structure = institution ? parseXon(institution) : undefined;
  return {
    kind: p.idNatPs !== undefined || p.name !== undefined ? 'practitioner' : 'organization',
    ...p,
    ...(specialtyCoding && { role: specialtyCoding }),
    ...(!specialtyCoding && roleCoding && { role: roleCoding }),
    ...(specialtyCoding && roleCoding && { functionalRole: roleCoding }),
    ...(g15?.[1] !== undefined && { profession: g15[1] }),
    ...(g15?.[2] !== undefined && { specialty: g15[2] }),
    ...(structure && { structure }),
  };
}

// ---------------------------------------------------------------------------------------------
// SubmitObjectsRequest

export interface EbDocumentEntry {
  /** The object's id in the request (a symbolic id or a urn:uuid). */
  readonly id: string;
  readonly lid?: string;
  readonly mimeType: string | undefined;
  readonly objectType: string | undefined;
  readonly status: string | undefined;
  readonly draft: DocumentMetadataDraft;
  readonly line: number;
}

export interface EbPackage {
  readonly id: string;
  readonly kind: 'submissionSet' | 'folder';
  readonly uniqueId: string | undefined;
  readonly sourceId: string | undefined;
  readonly patient: { value: string; oid: string } | undefined;
  readonly title: string | undefined;
  /** XDS comments (the RegistryPackage's Description). */
  readonly comments: string | undefined;
  /** XDS submissionTime (SubmissionSet), as a FHIR dateTime. */
  readonly submissionTime: string | undefined;
  readonly contentType: Coding | undefined;
  readonly codes: readonly Coding[];
  /** SubmissionSet: its authors, read as a DocumentEntry's (authorPerson, authorInstitution, authorRole/Specialty). */
  readonly authors: readonly DocumentAuthor[];
}

export interface EbAssociation {
  readonly id: string;
  readonly type: string;
  readonly source: string;
  readonly target: string;
  /** Slots by name (e.g. SubmissionSetStatus, NewStatus, OriginalStatus for ITI-57). */
  readonly slots: ReadonlyMap<string, readonly string[]>;
}

export interface SubmitObjects {
  readonly documents: readonly EbDocumentEntry[];
  readonly submissionSet: EbPackage | undefined;
  readonly folders: readonly EbPackage[];
  readonly associations: readonly EbAssociation[];
}

/** Reads a SubmitObjectsRequest (lcm) into its objects; throws EbrimFailure with every problem found. */
export function readSubmitObjects(request: XElement): SubmitObjects {
  const list = kid(request, NS.rim, 'RegistryObjectList');
  if (!list) {
    throw new EbrimFailure([
      issue('XDS_NO_OBJECT_LIST', 'SubmitObjectsRequest has no RegistryObjectList.'),
    ]);
  }
  const issues: EbrimIssue[] = [];
  const ids = new Set<string>();
  const seen = (id: string | undefined, line: number): string => {
    if (!id) {
      issues.push(issue('XDS_OBJECT_ID_MISSING', `An object has no id (line ${line}).`));
      return '';
    }
    if (ids.has(id)) {
      issues.push(
        issue('XDS_OBJECT_ID_DUPLICATE', 'Two objects of the submission have the same id.', id),
      );
    }
    ids.add(id);
    return id;
  };
  // Classifications outside their object (RegistryPackage typed as SubmissionSet / Folder).
  const nodeOf = new Map<string, string>();
  for (const c of kids(list, NS.rim, 'Classification')) {
    const node = c.attrs['classificationNode'];
    const target = c.attrs['classifiedObject'];
    if (node && target) {
      nodeOf.set(target, node);
    }
  }
  const documents: EbDocumentEntry[] = [];
  const packages: EbPackage[] = [];
  const associations: EbAssociation[] = [];
  for (const obj of list.children) {
    if (obj.ns !== NS.rim) {
      continue;
    }
    if (obj.name === 'ExtrinsicObject') {
      const id = seen(obj.attrs['id'], obj.line);
      checkUplinks(obj, id, issues);
      documents.push(readExtrinsic(obj, id, issues));
    } else if (obj.name === 'RegistryPackage') {
      const id = seen(obj.attrs['id'], obj.line);
      checkUplinks(obj, id, issues);
      for (const c of kids(obj, NS.rim, 'Classification')) {
        const node = c.attrs['classificationNode'];
        if (node) {
          nodeOf.set(id, node);
        }
      }
      const node = nodeOf.get(id);
      const kind =
        node === XDS.submissionSet ? 'submissionSet' : node === XDS.folder ? 'folder' : undefined;
      if (!kind) {
        issues.push(
          issue(
            'XDS_PACKAGE_UNCLASSIFIED',
            'A RegistryPackage is neither a SubmissionSet nor a Folder.',
            id,
          ),
        );
        continue;
      }
      packages.push(readPackage(obj, id, kind));
    } else if (obj.name === 'Association') {
      const id = seen(obj.attrs['id'], obj.line);
      if (obj.attrs['sourceObject'] === id || obj.attrs['targetObject'] === id) {
        issues.push(issue('XDS_ASSOCIATION_TO_SELF', 'An association names itself.', id));
      }
      const slots = new Map<string, string[]>();
      for (const s of kids(obj, NS.rim, 'Slot')) {
        const name = s.attrs['name'];
        if (name) {
          slots.set(name, slotValues(obj, name));
        }
      }
      associations.push({
        id,
        type: obj.attrs['associationType'] ?? '',
        source: obj.attrs['sourceObject'] ?? '',
        target: obj.attrs['targetObject'] ?? '',
        slots,
      });
    } else if (obj.name === 'ObjectRef' || obj.name === 'Classification') {
      continue;
    } else {
      issues.push(issue('XDS_OBJECT_UNSUPPORTED', `rim:${obj.name} is not supported here.`));
    }
  }
  const submissionSets = packages.filter((p) => p.kind === 'submissionSet');
  if (submissionSets.length > 1) {
    issues.push(issue('XDS_SUBMISSION_SET_COUNT', 'A submission holds at most one SubmissionSet.'));
  }
  if (issues.length > 0) {
    throw new EbrimFailure(issues);
  }
  return {
    documents,
    submissionSet: submissionSets[0],
    folders: packages.filter((p) => p.kind === 'folder'),
    associations,
  };
}

/** Rule: a Classification / ExternalIdentifier inside an object names that object (its "uplink"). */
function checkUplinks(obj: XElement, id: string, issues: EbrimIssue[]): void {
  for (const c of kids(obj, NS.rim, 'Classification')) {
    const up = c.attrs['classifiedObject'];
    if (up !== undefined && up !== id) {
      issues.push(
        issue('XDS_UPLINK_INVALID', 'A Classification names another object than its parent.', id),
      );
    }
  }
  for (const e of kids(obj, NS.rim, 'ExternalIdentifier')) {
    const up = e.attrs['registryObject'];
    if (up !== undefined && up !== id) {
      issues.push(
        issue(
          'XDS_UPLINK_INVALID',
          'An ExternalIdentifier names another object than its parent.',
          id,
        ),
      );
    }
  }
}

function externalId(obj: XElement, scheme: string): string | undefined {
  const e = kids(obj, NS.rim, 'ExternalIdentifier').find(
    (x) => x.attrs['identificationScheme']?.replace(/\s+/g, '') === scheme,
  );
  return e?.attrs['value']?.trim() || undefined;
}

function readPackage(obj: XElement, id: string, kind: 'submissionSet' | 'folder'): EbPackage {
  const classifications = kids(obj, NS.rim, 'Classification');
  const by = (scheme: string) =>
    classifications
      .filter((c) => c.attrs['classificationScheme']?.replace(/\s+/g, '') === scheme)
      .flatMap((c) => {
        const coding = codingOf(c);
        return coding ? [coding] : [];
      });
  const patientCx = externalId(
    obj,
    kind === 'submissionSet' ? XDS.ssPatientId : XDS.folderPatientId,
  );
  return {
    id,
    kind,
    uniqueId: externalId(obj, kind === 'submissionSet' ? XDS.ssUniqueId : XDS.folderUniqueId),
    sourceId: kind === 'submissionSet' ? externalId(obj, XDS.ssSourceId) : undefined,
    patient: patientCx ? parseCx(patientCx) : undefined,
    title: localized(obj, 'Name'),
    comments: localized(obj, 'Description'),
    submissionTime: xdsTimeToFhir(slotValues(obj, 'submissionTime')[0]),
    contentType: by(XDS.ssContentType)[0],
    codes: by(XDS.folderCodeList),
    authors:
      kind === 'submissionSet'
        ? classifications
            .filter((c) => c.attrs['classificationScheme']?.replace(/\s+/g, '') === XDS.ssAuthor)
            .map(authorOf)
        : [],
  };
}

function readExtrinsic(obj: XElement, id: string, issues: EbrimIssue[]): EbDocumentEntry {
  const classifications = kids(obj, NS.rim, 'Classification');
  const byScheme = (scheme: string): XElement[] =>
    classifications.filter((c) => c.attrs['classificationScheme']?.replace(/\s+/g, '') === scheme);
  const one = (scheme: string, name: string): Coding | undefined => {
    const found = byScheme(scheme);
    if (found.length > 1) {
      issues.push(issue('XDS_CODE_REPEATED', `${name} is given more than once.`, id));
    }
    const c = found[0];
    if (!c) {
      return undefined;
    }
    const coding = codingOf(c);
    if (!coding) {
      issues.push(issue('XDS_CODE_INVALID', `${name} lacks its code or codingScheme.`, id));
    }
    return coding;
  };
  const many = (scheme: string): Coding[] =>
    byScheme(scheme).flatMap((c) => {
      const coding = codingOf(c);
      return coding ? [coding] : [];
    });
  const patientCx = externalId(obj, XDS.docPatientId);
  const patient = patientCx ? parseCx(patientCx) : undefined;
  if (patientCx && !patient) {
    issues.push(
      issue(
        'XDS_PATIENT_ID_INVALID',
        'XDSDocumentEntry.patientId is not an HL7 CX value^^^&OID&ISO.',
        id,
      ),
    );
  }
  const sourceCx = slotValues(obj, 'sourcePatientId')[0];
  const source = sourceCx ? parseCx(sourceCx) : undefined;
  const sizeText = slotValues(obj, 'size')[0];
  const size = sizeText !== undefined && /^\d{1,15}$/.test(sizeText) ? Number(sizeText) : undefined;
  if (sizeText !== undefined && size === undefined) {
    issues.push(issue('XDS_SIZE_INVALID', 'The size slot is not a number.', id));
  }
  const hash = slotValues(obj, 'hash')[0]?.toLowerCase();
  if (hash !== undefined && !/^[0-9a-f]{40}$/.test(hash)) {
    issues.push(issue('XDS_HASH_INVALID', 'The hash slot is not a SHA-1 in hexadecimal.', id));
  }
  const legal = slotValues(obj, 'legalAuthenticator')[0];
  const title = localized(obj, 'Name');
  const description = localized(obj, 'Description');
  const creation = xdsTimeToFhir(slotValues(obj, 'creationTime')[0]);
  const serviceStart = xdsTimeToFhir(slotValues(obj, 'serviceStartTime')[0]);
  const serviceStop = xdsTimeToFhir(slotValues(obj, 'serviceStopTime')[0]);
  const languageCode = slotValues(obj, 'languageCode')[0];
  const uniqueId = externalId(obj, XDS.docUniqueId);
  const mimeType = obj.attrs['mimeType']?.trim() || undefined;
  const type = one(XDS.typeCode, 'typeCode');
  const klass = one(XDS.classCode, 'classCode');
  const format = one(XDS.formatCode, 'formatCode');
  const facilityType = one(XDS.facilityTypeCode, 'healthcareFacilityTypeCode');
  const practiceSetting = one(XDS.practiceSettingCode, 'practiceSettingCode');
  const confidentiality = many(XDS.confidentialityCode);
  const authors = byScheme(XDS.docAuthor).map(authorOf);
  const draft: DocumentMetadataDraft = {
    ...(uniqueId !== undefined && { uniqueId }),
    ...(type && { type }),
    ...(klass && { class: klass }),
    ...(format && { format }),
    ...(facilityType && { facilityType }),
    ...(practiceSetting && { practiceSetting }),
    ...(confidentiality.length > 0 && { confidentiality }),
    ...(languageCode !== undefined && { languageCode }),
    ...(mimeType !== undefined && { mimeType }),
    ...(creation !== undefined && { creation }),
    ...(serviceStart !== undefined && { serviceStart }),
    ...(serviceStop !== undefined && { serviceStop }),
    ...(title !== undefined && { title }),
    ...(description !== undefined && { description }),
    ...(authors.length > 0 && { authors }),
    ...(legal !== undefined && {
      legalAuthenticator: { kind: 'practitioner', ...parseXcn(legal) },
    }),
    ...(patient && { patient }),
    ...(source && { sourcePatientId: { system: `urn:oid:${source.oid}`, value: source.value } }),
    ...(size !== undefined && { size }),
    ...(hash !== undefined && /^[0-9a-f]{40}$/.test(hash) && { hash }),
    eventCodes: many(XDS.eventCode),
    relatesTo: [],
  };
  return {
    id,
    ...(obj.attrs['lid'] !== undefined && { lid: obj.attrs['lid'] }),
    mimeType,
    objectType: obj.attrs['objectType'],
    status: obj.attrs['status'],
    draft,
    line: obj.line,
  };
}

// ---------------------------------------------------------------------------------------------
// Writing

/**
 * The id of the n-th Classification / ExternalIdentifier of a registry object: a name-based UUID (SHA-1 of the
 * object's id and n, RFC 9562 version 5 layout) — the same object is always written the same way (an encoding
 * that can be remembered), and every id is a urn:uuid as XDS registries answer them.
 */
export function derivedId(objectId: string, n: number): string {
  const h = createHash('sha1')
    .update(`${objectId}#${String(n)}`)
    .digest('hex');
  const variant = ((parseInt(h.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `urn:uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Writes one registry object's parts, numbering their ids. */
class ObjectWriter {
  readonly w: XmlWriter;
  readonly id: string;
  #n = 0;
  constructor(w: XmlWriter, id: string) {
    this.w = w;
    this.id = id;
  }

  slot(name: string, values: readonly string[]): void {
    const w = this.w.start('rim:Slot').attr('name', name).raw('<rim:ValueList>');
    for (const v of values) {
      w.leaf('rim:Value', v);
    }
    w.raw('</rim:ValueList>').close('rim:Slot');
  }

  name(tag: 'rim:Name' | 'rim:Description', value: string | undefined): void {
    if (value !== undefined) {
      this.w.raw(`<${tag}>`).start('rim:LocalizedString').attr('value', value).end().close(tag);
    }
  }

  classification(scheme: string, c: Coding): void {
    this.w
      .start('rim:Classification')
      .attr('classificationScheme', scheme)
      .attr('classifiedObject', this.id)
      .attr('nodeRepresentation', c.code)
      .attr('id', derivedId(this.id, ++this.#n))
      .attr('objectType', XDS.classificationType);
    this.slot('codingScheme', [codingScheme(c.system) ?? c.system]);
    this.name('rim:Name', c.display);
    this.w.close('rim:Classification');
  }

  /** A Classification putting the object in a node (SubmissionSet, Folder). */
  node(node: string): void {
    this.w
      .start('rim:Classification')
      .attr('classificationNode', node)
      .attr('classifiedObject', this.id)
      .attr('id', derivedId(this.id, ++this.#n))
      .attr('objectType', XDS.classificationType)
      .end();
  }

  externalIdentifier(scheme: string, value: string, label: string): void {
    this.w
      .start('rim:ExternalIdentifier')
      .attr('identificationScheme', scheme)
      .attr('value', value)
      .attr('id', derivedId(this.id, ++this.#n))
      .attr('objectType', XDS.externalIdentifierType)
      .attr('registryObject', this.id);
    this.name('rim:Name', label);
    this.w.close('rim:ExternalIdentifier');
  }

  author(scheme: string, a: DocumentAuthor): void {
    const person = xcn(a);
    this.w
      .start('rim:Classification')
      .attr('classificationScheme', scheme)
      .attr('classifiedObject', this.id)
      .attr('nodeRepresentation', '')
      .attr('id', derivedId(this.id, ++this.#n))
      .attr('objectType', XDS.classificationType);
    if (person !== undefined) {
      this.slot('authorPerson', [person]);
    }
    if (a.structure !== undefined) {
      this.slot('authorInstitution', [xon(a.structure)]);
    }
    if (a.functionalRole !== undefined) {
      this.slot('authorRole', [ce(a.functionalRole)]);
    }
    if (a.role !== undefined) {
      this.slot('authorSpecialty', [ce(a.role)]);
    }
    this.w.close('rim:Classification');
  }
}

function xon(s: NonNullable<DocumentAuthor['structure']>): string {
  if (s.idNatStruct !== undefined) {
    return `${s.name ?? ''}^^^^^&${OID_IDNAT_STRUCT}&ISO^IDNST^^^${s.idNatStruct}`;
  }
  const oid = s.identifier ? systemOid(s.identifier.system) : undefined;
  return s.identifier && oid
    ? `${s.name ?? ''}^^^^^&${oid}&ISO^^^^${s.identifier.value}`
    : (s.name ?? '');
}

function ce(c: Coding): string {
  const scheme = codingScheme(c.system) ?? c.system;
  return `${c.code}^${c.display ?? ''}^^^^^^^&${scheme}&ISO`;
}

export interface RegistryIds {
  /** entryUUID (bare UUID) of this metadata version. */
  readonly entryUuid: string;
  /** logicalId (bare UUID) kept across metadata versions. */
  readonly logicalId: string;
  readonly version: number;
  /** Approved, Deprecated, or the DMP's Archived / Deleted. */
  readonly status: string;
  readonly repositoryUniqueId: string;
  readonly homeCommunityId?: string;
}

/**
 * A DocumentEntry as an ExtrinsicObject (LeafClass), written in one pass into an array of chunks. A pure function of
 * its arguments (ids included: {@link derivedId}), so its output can be remembered per metadata version.
 */
export function extrinsicObject(meta: DocumentMetadata, ids: RegistryIds): string {
  const w = new XmlWriter();
  writeExtrinsicObject(w, meta, ids);
  return w.toString();
}

export function writeExtrinsicObject(w: XmlWriter, meta: DocumentMetadata, ids: RegistryIds): void {
  const id = `urn:uuid:${ids.entryUuid}`;
  const o = new ObjectWriter(w, id);
  w.start('rim:ExtrinsicObject', {
    id,
    lid: `urn:uuid:${ids.logicalId}`,
    objectType: XDS.documentEntry,
    mimeType: meta.mimeType,
    status: ids.status,
    home: ids.homeCommunityId,
  });
  o.slot('creationTime', [fhirTimeToXds(meta.creation)]);
  if (meta.hash !== undefined) {
    o.slot('hash', [meta.hash]);
  }
  o.slot('languageCode', [meta.languageCode]);
  const legal = meta.legalAuthenticator ? xcn(meta.legalAuthenticator) : undefined;
  if (legal !== undefined) {
    o.slot('legalAuthenticator', [legal]);
  }
  o.slot('repositoryUniqueId', [ids.repositoryUniqueId]);
  o.slot('serviceStartTime', [fhirTimeToXds(meta.serviceStart)]);
  if (meta.serviceStop !== undefined) {
    o.slot('serviceStopTime', [fhirTimeToXds(meta.serviceStop)]);
  }
  if (meta.size !== undefined) {
    o.slot('size', [String(meta.size)]);
  }
  const sourceOid = systemOid(meta.sourcePatientId.system);
  if (sourceOid !== undefined) {
    o.slot('sourcePatientId', [formatCx(meta.sourcePatientId.value, sourceOid)]);
  }
  o.name('rim:Name', meta.title);
  o.name('rim:Description', meta.description);
  w.start('rim:VersionInfo').attr('versionName', String(ids.version)).end();
  for (const a of meta.authors) {
    o.author(XDS.docAuthor, a);
  }
  o.classification(XDS.classCode, meta.class);
  for (const c of meta.confidentiality) {
    o.classification(XDS.confidentialityCode, c);
  }
  for (const c of meta.eventCodes) {
    o.classification(XDS.eventCode, c);
  }
  o.classification(XDS.formatCode, meta.format);
  o.classification(XDS.facilityTypeCode, meta.facilityType);
  o.classification(XDS.practiceSettingCode, meta.practiceSetting);
  o.classification(XDS.typeCode, meta.type);
  o.externalIdentifier(
    XDS.docPatientId,
    formatCx(meta.patient.value, meta.patient.oid),
    'XDSDocumentEntry.patientId',
  );
  o.externalIdentifier(XDS.docUniqueId, meta.uniqueId, 'XDSDocumentEntry.uniqueId');
  w.close('rim:ExtrinsicObject');
}

/** What a SubmissionSet or a Folder says of itself (RegistryPackage, LeafClass). */
export interface PackageEntry {
  readonly kind: 'submissionSet' | 'folder';
  /** entryUUID (bare UUID). */
  readonly id: string;
  readonly uniqueId: string;
  readonly patient: { readonly value: string; readonly oid: string };
  readonly status: string;
  readonly title?: string;
  readonly comments?: string;
  /** SubmissionSet: submissionTime, sourceId, contentTypeCode, authors. */
  readonly submissionTime?: string;
  readonly sourceId?: string;
  readonly contentType?: Coding;
  readonly authors?: readonly DocumentAuthor[];
  /** Folder: lastUpdateTime, codeList. */
  readonly lastUpdateTime?: string;
  readonly codes?: readonly Coding[];
  readonly version?: number;
}

/** A SubmissionSet or Folder as a RegistryPackage with its node Classification (LeafClass). */
export function writeRegistryPackage(w: XmlWriter, p: PackageEntry): void {
  const id = `urn:uuid:${p.id}`;
  const o = new ObjectWriter(w, id);
  w.start('rim:RegistryPackage', {
    id,
    lid: id,
    objectType: XDS.registryPackageType,
    status: p.status,
  });
  if (p.kind === 'submissionSet') {
    if (p.submissionTime !== undefined) {
      o.slot('submissionTime', [fhirTimeToXds(p.submissionTime)]);
    }
  } else if (p.lastUpdateTime !== undefined) {
    o.slot('lastUpdateTime', [fhirTimeToXds(p.lastUpdateTime)]);
  }
  o.name('rim:Name', p.title);
  o.name('rim:Description', p.comments);
  w.start('rim:VersionInfo')
    .attr('versionName', String(p.version ?? 1))
    .end();
  if (p.kind === 'submissionSet') {
    for (const a of p.authors ?? []) {
      o.author(XDS.ssAuthor, a);
    }
    if (p.contentType) {
      o.classification(XDS.ssContentType, p.contentType);
    }
  } else {
    for (const c of p.codes ?? []) {
      o.classification(XDS.folderCodeList, c);
    }
  }
  o.node(p.kind === 'submissionSet' ? XDS.submissionSet : XDS.folder);
  const [patientScheme, uniqueScheme, label] =
    p.kind === 'submissionSet'
      ? [XDS.ssPatientId, XDS.ssUniqueId, 'XDSSubmissionSet']
      : [XDS.folderPatientId, XDS.folderUniqueId, 'XDSFolder'];
  o.externalIdentifier(
    patientScheme,
    formatCx(p.patient.value, p.patient.oid),
    `${label}.patientId`,
  );
  if (p.kind === 'submissionSet' && p.sourceId !== undefined) {
    o.externalIdentifier(XDS.ssSourceId, p.sourceId, 'XDSSubmissionSet.sourceId');
  }
  o.externalIdentifier(uniqueScheme, p.uniqueId, `${label}.uniqueId`);
  w.close('rim:RegistryPackage');
}

/** A reference to a registry object (ObjectRef return type). */
export function objectRef(id: string): string {
  return el('rim:ObjectRef', { id });
}

/** An Association between two registry objects, with its Slots (e.g. SubmissionSetStatus). */
export function association(
  type: string,
  source: string,
  target: string,
  id: string,
  slots?: Readonly<Record<string, readonly string[]>>,
): string {
  const w = new XmlWriter().start('rim:Association', {
    associationType: type,
    sourceObject: source,
    targetObject: target,
    id,
    objectType: XDS.associationObjectType,
  });
  if (!slots) {
    return w.end().toString();
  }
  const o = new ObjectWriter(w, id);
  for (const [name, values] of Object.entries(slots)) {
    o.slot(name, values);
  }
  return w.close('rim:Association').toString();
}

// ---------------------------------------------------------------------------------------------
// RegistryResponse

export const RESPONSE_STATUS = {
  success: 'urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success',
  failure: 'urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure',
  partial: 'urn:ihe:iti:2007:ResponseStatusType:PartialSuccess',
} as const;

/** The RegistryErrorList of a response, each error naming the XDS code and the project's code in codeContext. */
export function registryErrorList(issues: readonly EbrimIssue[]): string {
  if (issues.length === 0) {
    return '';
  }
  return el(
    'rs:RegistryErrorList',
    { highestSeverity: 'urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error' },
    issues.map((i) =>
      el('rs:RegistryError', {
        errorCode: i.errorCode,
        codeContext: `${i.code}: ${i.message}`,
        severity: 'urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error',
        location: i.location,
      }),
    ),
  );
}

/** A complete rs:RegistryResponse (ITI-41, ITI-57). */
export function registryResponse(issues: readonly EbrimIssue[]): string {
  return el(
    'rs:RegistryResponse',
    {
      'xmlns:rs': NS.rs,
      status: issues.length === 0 ? RESPONSE_STATUS.success : RESPONSE_STATUS.failure,
    },
    registryErrorList(issues),
  );
}
