/**
 * Reading a PDSm DocumentReference (comprehensive ITI-65 or simplified ITI-105) into document metadata.
 *
 * Rules (each failure is one issue, located by FHIRPath in the DocumentReference):
 *  R1. status must be `current` for a deposit (IHE MHD Provide) — DOC_STATUS_INVALID.
 *  R2. masterIdentifier carries the uniqueId as IHE MHD writes it (identifiers.ts U3) — DOC_UNIQUE_ID_INVALID.
 *  R3. subject names the patient by INS: a conditional reference `Patient?identifier=<INS system>|<INS>`,
 *      a logical reference (`identifier`), a contained Patient (`#id`), or a `Patient/<id>` the caller
 *      resolves (option `resolvePatientReference`) — DOC_PATIENT_UNRESOLVED, DOC_PATIENT_NOT_INS; the INS
 *      itself must be valid (ID_INS_FORMAT / ID_INS_KEY from identity/ins.ts).
 *  R4. author, authenticator and sourcePatientInfo point to contained resources (PDSm aggregation
 *      "contained") or carry a logical `identifier` — DOC_AUTHOR_UNRESOLVED. A Practitioner/PractitionerRole
 *      author needs an IdNat_PS (urn:oid:1.2.250.1.71.4.2.1) — DOC_AUTHOR_UNIDENTIFIED.
 *  R5. exactly one content (the DMP stores one document per entry) — DOC_CONTENT_MULTIPLE.
 *  R6. attachment.hash is the base64 of a 20-byte SHA-1 — DOC_HASH_INVALID.
 *  R7. relatesTo entries have a target reference or identifier — DOC_RELATES_TO_INVALID.
 *  R8. (fromDocumentReference only) the DMP-required fields are present (model.ts REQUIRED_FIELDS) —
 *      DOC_REQUIRED_MISSING. Deliberately not required although the PDSm profile says min 1:
 *      `custodian` (the DMP is the custodian), `date` (the server's), `size`/`hash` (the server computes them).
 *
 * When a CodeableConcept has several codings, the one found in the relevant value set is taken.
 */
import { canonicalSystem } from '../../domain/identity/code-systems.ts';
import { isInsSystem, validateIns } from '../../domain/identity/ins.ts';
import type { DomainIssue } from '../../domain/errors.ts';
import type { Result } from '../../domain/result.ts';
import { err, ok } from '../../domain/result.ts';
import type { ReferenceTables } from '../../domain/documents/reference-tables.ts';
import { OID_IDNAT_PS, OID_IDNAT_STRUCT } from '../../domain/documents/cda-header.ts';
import { uniqueIdFromIdentifier } from '../../domain/documents/identifiers.ts';
import type {
  Coding,
  DocumentAuthor,
  DocumentMetadata,
  DocumentMetadataDraft,
  DocumentRelation,
  Identifier,
  PatientIns,
  PersonName,
  RelationCode,
} from '../../domain/documents/model.ts';
import type { DocumentEntryField } from '../../domain/documents/model.ts';
import { completeDraft, professionOf } from '../../domain/documents/model.ts';
import { jsonObject as obj, jsonArray as arr } from '../../domain/json.ts';

export const PDSM_IS_ARCHIVED_URL =
  'https://interop.esante.gouv.fr/ig/fhir/pdsm/StructureDefinition/pdsm-ext-is-archived';

export interface ReadOptions {
  /** Resolves a literal subject reference (`Patient/123`) to the patient's INS. */
  readonly resolvePatientReference?: (reference: string) => PatientIns | undefined;
  /** R1 applies unless false (e.g. reading back stored resources). */
  readonly requireCurrent?: boolean;
}

type J = { readonly [k: string]: unknown };

/**
 * Where each field of the neutral model lives in a DocumentReference (FHIRPath): this reader's issue locations, and
 * how the FHIR adapter locates the core's issues, which name the field (http/fhir/entry-locations.ts).
 */
export const DOCUMENT_REFERENCE_PATH = {
  uniqueId: 'DocumentReference.masterIdentifier',
  type: 'DocumentReference.type',
  class: 'DocumentReference.category[0]',
  format: 'DocumentReference.content[0].format',
  facilityType: 'DocumentReference.context.facilityType',
  practiceSetting: 'DocumentReference.context.practiceSetting',
  confidentiality: 'DocumentReference.securityLabel',
  languageCode: 'DocumentReference.content[0].attachment.language',
  mimeType: 'DocumentReference.content[0].attachment.contentType',
  creation: 'DocumentReference.content[0].attachment.creation',
  serviceStart: 'DocumentReference.context.period.start',
  serviceStop: 'DocumentReference.context.period.end',
  title: 'DocumentReference.content[0].attachment.title',
  description: 'DocumentReference.description',
  authors: 'DocumentReference.author',
  legalAuthenticator: 'DocumentReference.authenticator',
  patient: 'DocumentReference.subject',
  sourcePatientId: 'DocumentReference.context.sourcePatientInfo',
  size: 'DocumentReference.content[0].attachment.size',
  hash: 'DocumentReference.content[0].attachment.hash',
  relatesTo: 'DocumentReference.relatesTo',
  eventCodes: 'DocumentReference.context.event',
  date: 'DocumentReference.date',
  contentUrl: 'DocumentReference.content[0].attachment.url',
  archived: 'DocumentReference.extension',
  content: 'DocumentReference.content[0].attachment',
} as const satisfies Record<DocumentEntryField, string>;

const FIELD_PATH = DOCUMENT_REFERENCE_PATH;

/** A field location of the neutral model (`confidentiality[2]`) as a FHIRPath in a DocumentReference. */
export function documentReferencePath(location: string): string {
  const m = /^([A-Za-z]+)(.*)$/s.exec(location);
  const path =
    m?.[1] !== undefined && Object.hasOwn(DOCUMENT_REFERENCE_PATH, m[1])
      ? DOCUMENT_REFERENCE_PATH[m[1] as DocumentEntryField]
      : undefined;
  return path !== undefined ? `${path}${m?.[2] ?? ''}` : location;
}

/** Rewrites issue locations rooted at `DocumentReference` to another root (e.g. `Bundle.entry[1].resource`). */
export function rebaseIssues(issues: readonly DomainIssue[], root: string): DomainIssue[] {
  return issues.map((i) =>
    i.location
      ? { ...i, location: i.location.map((l) => l.replace(/^DocumentReference(?=\.|$)/, root)) }
      : i,
  );
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
}

function toCoding(v: unknown): Coding | undefined {
  const c = obj(v);
  const system = str(c?.['system']);
  const code = str(c?.['code']);
  if (!system || !code) {
    return undefined;
  }
  const display = str(c?.['display']);
  return display === undefined ? { system, code } : { system, code, display };
}

/** The coding of a CodeableConcept, preferring one found in the given value sets. */
function codingOf(cc: unknown, ref: ReferenceTables, sets: readonly string[]): Coding | undefined {
  const codings = arr(obj(cc)?.['coding'])
    .map(toCoding)
    .filter((c): c is Coding => c !== undefined);
  for (const c of codings) {
    for (const k of sets) {
      if (ref.valueSets.get(k)?.has(c.system, c.code)) {
        return c;
      }
    }
  }
  return codings[0];
}

function toIdentifier(v: unknown): Identifier | undefined {
  const i = obj(v);
  const system = str(i?.['system']);
  const value = str(i?.['value']);
  return system && value ? { system, value } : undefined;
}

function sameOid(system: string, oid: string): boolean {
  return canonicalSystem(system) === oid;
}

function toName(v: unknown): PersonName | undefined {
  const n = obj(arr(v)[0]);
  if (!n) {
    return undefined;
  }
  const family = str(n['family']);
  const given = arr(n['given'])
    .map(str)
    .filter((g): g is string => g !== undefined);
  const prefix = str(arr(n['prefix'])[0]);
  const suffix = str(arr(n['suffix'])[0]);
  const text = str(n['text']);
  if (family === undefined && given.length === 0 && text === undefined) {
    return undefined;
  }
  return {
    ...((family ?? (given.length === 0 ? text : undefined)) !== undefined && {
      family: family ?? text,
    }),
    given,
    ...(prefix !== undefined && { prefix }),
    ...(suffix !== undefined && { suffix }),
  };
}

interface Ctx {
  readonly contained: ReadonlyMap<string, J>;
  readonly ref: ReferenceTables;
  readonly issues: DomainIssue[];
}

function structureOf(org: J | undefined): DocumentAuthor['structure'] {
  if (!org) {
    return undefined;
  }
  const ids = arr(org['identifier'])
    .map(toIdentifier)
    .filter((i): i is Identifier => !!i);
  const idNat = ids.find((i) => sameOid(i.system, OID_IDNAT_STRUCT));
  const name = str(org['name']);
  const other = idNat ? undefined : ids[0];
  if (!idNat && !other && name === undefined) {
    return undefined;
  }
  return {
    ...(idNat && { idNatStruct: idNat.value }),
    ...(other && { identifier: other }),
    ...(name !== undefined && { name }),
  };
}

function practitionerFacts(p: J | undefined): Partial<DocumentAuthor> {
  if (!p) {
    return {};
  }
  const ids = arr(p['identifier'])
    .map(toIdentifier)
    .filter((i): i is Identifier => !!i);
  const idNat = ids.find((i) => sameOid(i.system, OID_IDNAT_PS));
  const name = toName(p['name']);
  let profession: string | undefined;
  let specialty: string | undefined;
  for (const q of arr(p['qualification'])) {
    for (const c of arr(obj(obj(q)?.['code'])?.['coding'])) {
      const coding = toCoding(c);
      if (!coding) {
        continue;
      }
      const f = professionOf(coding);
      profession ??= f.profession;
      specialty ??= f.specialty;
    }
  }
  // Another identifier is kept when there is no IdNat_PS (to-document-reference.ts writes it: W5).
  const other = idNat ? undefined : ids[0];
  return {
    ...(idNat && { idNatPs: idNat.value }),
    ...(other && { identifier: other }),
    ...(name && { name }),
    ...(profession !== undefined && { profession }),
    ...(specialty !== undefined && { specialty }),
  };
}

function resolveLocal(ctx: Ctx, reference: unknown): J | undefined {
  const r = str(reference);
  return r?.startsWith('#') ? ctx.contained.get(r.slice(1)) : undefined;
}

/** An author (or authenticator) from a Reference (R4). */
function readAuthor(ctx: Ctx, refValue: unknown, location: string): DocumentAuthor | undefined {
  const reference = obj(refValue);
  const target = resolveLocal(ctx, reference?.['reference']);
  if (!target) {
    const logical = toIdentifier(reference?.['identifier']);
    if (logical && !str(reference?.['reference'])) {
      if (sameOid(logical.system, OID_IDNAT_PS)) {
        return { kind: 'practitioner', idNatPs: logical.value };
      }
      if (sameOid(logical.system, OID_IDNAT_STRUCT)) {
        return { kind: 'organization', structure: { idNatStruct: logical.value } };
      }
      if (isInsSystem(logical.system)) {
        return { kind: 'patient', identifier: logical };
      }
      return { kind: 'device', identifier: logical };
    }
    ctx.issues.push({
      code: 'DOC_AUTHOR_UNRESOLVED',
      message:
        'The author must be a contained resource (reference "#id") or carry an identifier (PDSm: aggregation contained)',
      location: [location],
    });
    return undefined;
  }
  const type = str(target['resourceType']);
  const ids = arr(target['identifier'])
    .map(toIdentifier)
    .filter((i): i is Identifier => !!i);
  switch (type ?? '') {
    case 'Practitioner':
    case 'PractitionerRole': {
      let facts: Partial<DocumentAuthor> = practitionerFacts(target);
      let structure: DocumentAuthor['structure'];
      let role: Coding | undefined;
      if (type === 'PractitionerRole') {
        const practitioner = resolveLocal(ctx, obj(target['practitioner'])?.['reference']);
        const fromPractitioner = practitionerFacts(practitioner);
        facts = { ...fromPractitioner, ...facts };
        structure = structureOf(resolveLocal(ctx, obj(target['organization'])?.['reference']));
        for (const cc of arr(target['code'])) {
          const c = codingOf(cc, ctx.ref, ['J01']);
          if (!c) {
            continue;
          }
          role ??= c;
          const f = professionOf(c);
          if (facts.profession === undefined && f.profession !== undefined) {
            facts = { ...facts, profession: f.profession };
          }
          if (facts.specialty === undefined && f.specialty !== undefined) {
            facts = { ...facts, specialty: f.specialty };
          }
        }
        for (const cc of arr(target['specialty'])) {
          const c = codingOf(cc, ctx.ref, ['J01', 'R01']);
          const f = c ? professionOf(c) : {};
          if (facts.specialty === undefined && f.specialty !== undefined) {
            facts = { ...facts, specialty: f.specialty };
          }
        }
      }
      if (!facts.idNatPs) {
        ctx.issues.push({
          code: 'DOC_AUTHOR_UNIDENTIFIED',
          message: `A ${type} author needs an IdNat_PS identifier (system urn:oid:${OID_IDNAT_PS})`,
          location: [location],
        });
      }
      return {
        kind: 'practitioner',
        ...facts,
        ...(role && { role }),
        ...(structure && { structure }),
      };
    }
    case 'Organization': {
      const structure = structureOf(target);
      const name = str(target['name']);
      return {
        kind: 'organization',
        ...(structure && { structure }),
        ...(name !== undefined && { displayName: name }),
      };
    }
    case 'Device': {
      const name = str(obj(arr(target['deviceName'])[0])?.['name']);
      return {
        kind: 'device',
        ...(ids[0] && { identifier: ids[0] }),
        ...(name !== undefined && { displayName: name }),
      };
    }
    case 'Patient':
    case 'RelatedPerson': {
      const ins = ids.find((i) => isInsSystem(i.system)) ?? ids[0];
      const name = toName(target['name']);
      return {
        kind: type === 'Patient' ? 'patient' : 'related-person',
        ...(ins && { identifier: ins }),
        ...(name && { name }),
      };
    }
    default:
      ctx.issues.push({
        code: 'DOC_AUTHOR_UNRESOLVED',
        message:
          'The author must be a Practitioner, PractitionerRole, Organization, Device, Patient or RelatedPerson',
        location: [location],
      });
      return undefined;
  }
}

/** The INS named by a subject (R3). */
function readSubject(
  ctx: Ctx,
  subject: J | undefined,
  options: ReadOptions,
): PatientIns | undefined {
  const location = FIELD_PATH.patient;
  if (!subject) {
    return undefined;
  }
  let identifier: Identifier | undefined;
  const reference = str(subject['reference']);
  if (reference?.startsWith('#')) {
    const p = resolveLocal(ctx, reference);
    identifier = arr(p?.['identifier'])
      .map(toIdentifier)
      .find((i) => i !== undefined && isInsSystem(i.system));
  } else if (reference?.startsWith('Patient?')) {
    const query = new URLSearchParams(reference.slice('Patient?'.length));
    const token = query.get('identifier') ?? '';
    const bar = token.indexOf('|');
    if (bar > 0 && bar < token.length - 1) {
      identifier = { system: token.slice(0, bar), value: token.slice(bar + 1) };
    }
  } else if (reference !== undefined) {
    const resolved = options.resolvePatientReference?.(reference);
    if (!resolved) {
      ctx.issues.push({
        code: 'DOC_PATIENT_UNRESOLVED',
        message:
          'The subject must name the patient by INS (Patient?identifier=<INS system>|<INS>) or reference a known patient',
        location: [location],
      });
      return undefined;
    }
    return resolved;
  } else {
    identifier = toIdentifier(subject['identifier']);
  }
  if (!identifier) {
    ctx.issues.push({
      code: 'DOC_PATIENT_UNRESOLVED',
      message: 'The subject does not carry a patient identifier (system|value)',
      location: [location],
    });
    return undefined;
  }
  if (!isInsSystem(identifier.system)) {
    ctx.issues.push({
      code: 'DOC_PATIENT_NOT_INS',
      message:
        'The patient must be identified by an INS (system urn:oid:1.2.250.1.213.1.4.8, .9, .10 or .11)',
      location: [location],
    });
    return undefined;
  }
  const valid = validateIns(identifier.value, identifier.system);
  if (!valid.ok) {
    ctx.issues.push({ ...valid.error, location: [location] });
    return undefined;
  }
  return { value: valid.value.value, oid: valid.value.oid };
}

function base64ToHex(b64: string): string | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) {
    return undefined;
  }
  let bin: string;
  try {
    bin = atob(b64);
  } catch {
    return undefined;
  }
  let hex = '';
  for (let i = 0; i < bin.length; i++) {
    hex += bin.charCodeAt(i).toString(16).padStart(2, '0');
  }
  return hex;
}

const RELATION_CODES: ReadonlySet<string> = new Set(['replaces', 'transforms', 'signs', 'appends']);

/**
 * Reads a DocumentReference into a draft: every field found, rules R1–R7 checked, nothing required.
 * Used as is when the missing fields come from a CDA header (derive-from-cda.ts).
 */
export function readDocumentReference(
  dr: unknown,
  ref: ReferenceTables,
  options: ReadOptions = {},
): Result<DocumentMetadataDraft, DomainIssue[]> {
  const { draft, issues } = read(dr, ref, options);
  return issues.length > 0 ? err(issues) : ok(draft);
}

/**
 * Everything readDocumentReference finds, even when it also found problems: lets a caller report the
 * reading issues and the code issues (validateMetadataCodes on the draft) in one answer.
 */
export function readDocumentReferenceDraft(
  dr: unknown,
  ref: ReferenceTables,
  options: ReadOptions = {},
): { readonly draft: DocumentMetadataDraft; readonly issues: DomainIssue[] } {
  return read(dr, ref, options);
}

function read(
  dr: unknown,
  ref: ReferenceTables,
  options: ReadOptions,
): { draft: DocumentMetadataDraft; issues: DomainIssue[] } {
  const d = obj(dr);
  if (!d || d['resourceType'] !== 'DocumentReference') {
    const issue: DomainIssue = {
      code: 'DOC_NOT_DOCUMENT_REFERENCE',
      message: 'Expected a DocumentReference resource',
      location: ['DocumentReference'],
    };
    return { draft: {}, issues: [issue] };
  }
  const contained = new Map<string, J>();
  for (const c of arr(d['contained'])) {
    const r = obj(c);
    const id = str(r?.['id']);
    if (r && id) {
      contained.set(id, r);
    }
  }
  const ctx: Ctx = { contained, ref, issues: [] };
  const draft: DocumentMetadataDraft = {};

  // R1
  if ((options.requireCurrent ?? true) && d['status'] !== 'current') {
    ctx.issues.push({
      code: 'DOC_STATUS_INVALID',
      message: 'A deposited DocumentReference must have status "current"',
      location: ['DocumentReference.status'],
    });
  }
  // R2
  const mi = obj(d['masterIdentifier']);
  if (mi) {
    const uid = uniqueIdFromIdentifier(str(mi['system']), str(mi['value']));
    if (uid === undefined) {
      ctx.issues.push({
        code: 'DOC_UNIQUE_ID_INVALID',
        message:
          'masterIdentifier must be system urn:ietf:rfc:3986 with value urn:oid:<OID> (or urn:oid:<OID>^<extension>, urn:uuid:<UUID>), or system urn:oid:<OID> with the extension as value',
        location: [FIELD_PATH.uniqueId],
      });
    } else {
      draft.uniqueId = uid;
    }
  }
  const type = codingOf(d['type'], ref, ['J66', 'J07']);
  if (type) {
    draft.type = type;
  }
  const klass = codingOf(arr(d['category'])[0], ref, ['J57', 'J06']);
  if (klass) {
    draft.class = klass;
  }

  // R3
  const patient = readSubject(ctx, obj(d['subject']), options);
  if (patient) {
    draft.patient = patient;
  }

  const authors: DocumentAuthor[] = [];
  arr(d['author']).forEach((a, i) => {
    const author = readAuthor(ctx, a, `${FIELD_PATH.authors}[${i}]`);
    if (author) {
      authors.push(author);
    }
  });
  if (authors.length > 0) {
    draft.authors = authors;
  }
  if (d['authenticator'] !== undefined) {
    const la = readAuthor(ctx, d['authenticator'], FIELD_PATH.legalAuthenticator);
    if (la) {
      draft.legalAuthenticator = la;
    }
  }

  const confidentiality: Coding[] = [];
  arr(d['securityLabel']).forEach((cc) => {
    for (const c of arr(obj(cc)?.['coding'])) {
      const coding = toCoding(c);
      if (coding) {
        confidentiality.push(coding);
      }
    }
  });
  if (confidentiality.length > 0) {
    draft.confidentiality = confidentiality;
  }

  // R5
  const contents = arr(d['content']);
  if (contents.length > 1) {
    ctx.issues.push({
      code: 'DOC_CONTENT_MULTIPLE',
      message: 'A DocumentReference must describe exactly one document (one content)',
      location: ['DocumentReference.content[1]'],
    });
  }
  const content = obj(contents[0]);
  const att = obj(content?.['attachment']);
  if (att) {
    const mimeType = str(att['contentType']);
    if (mimeType) {
      draft.mimeType = mimeType;
    }
    const language = str(att['language']);
    if (language) {
      draft.languageCode = language;
    }
    const title = str(att['title']);
    if (title) {
      draft.title = title;
    }
    const creation = str(att['creation']);
    if (creation) {
      draft.creation = creation;
    }
    const url = str(att['url']);
    if (url) {
      draft.contentUrl = url;
    }
    if (typeof att['size'] === 'number') {
      draft.size = att['size'];
    }
    const hash = str(att['hash']);
    if (hash !== undefined) {
      // R6
      const hex = base64ToHex(hash);
      if (hex === undefined || hex.length !== 40) {
        ctx.issues.push({
          code: 'DOC_HASH_INVALID',
          message:
            'attachment.hash must be the base64 encoding of the 20-byte SHA-1 of the document',
          location: [FIELD_PATH.hash],
        });
      } else {
        draft.hash = hex;
      }
    }
  }
  const format = toCoding(content?.['format']);
  if (format) {
    draft.format = format;
  }

  const context = obj(d['context']);
  if (context) {
    const period = obj(context['period']);
    const start = str(period?.['start']);
    if (start) {
      draft.serviceStart = start;
    }
    const end = str(period?.['end']);
    if (end) {
      draft.serviceStop = end;
    }
    const facility = codingOf(context['facilityType'], ref, ['J61', 'J02']);
    if (facility) {
      draft.facilityType = facility;
    }
    const setting = codingOf(context['practiceSetting'], ref, ['J04']);
    if (setting) {
      draft.practiceSetting = setting;
    }
    const events = arr(context['event'])
      .map((cc) => codingOf(cc, ref, []))
      .filter((c): c is Coding => c !== undefined);
    if (events.length > 0) {
      draft.eventCodes = events;
    }
    const spi = obj(context['sourcePatientInfo']);
    if (spi) {
      const p = resolveLocal(ctx, spi['reference']);
      const ids = arr(p?.['identifier'])
        .map(toIdentifier)
        .filter((i): i is Identifier => !!i);
      // The producer's own id (IPP) first, else the INS it repeats.
      const id =
        ids.find((i) => !isInsSystem(i.system)) ?? ids[0] ?? toIdentifier(spi['identifier']);
      if (id) {
        draft.sourcePatientId = id;
      } else {
        ctx.issues.push({
          code: 'DOC_SOURCE_PATIENT_UNRESOLVED',
          message:
            'context.sourcePatientInfo must reference a contained Patient with an identifier',
          location: [FIELD_PATH.sourcePatientId],
        });
      }
    }
  }

  // R7
  const relations: DocumentRelation[] = [];
  arr(d['relatesTo']).forEach((r, i) => {
    const rel = obj(r);
    const code = str(rel?.['code']);
    const target = obj(rel?.['target']);
    const reference = str(target?.['reference']);
    const tid = obj(target?.['identifier']);
    const targetUniqueId = tid
      ? uniqueIdFromIdentifier(str(tid['system']), str(tid['value']))
      : undefined;
    if (!code || !RELATION_CODES.has(code) || (!reference && !targetUniqueId)) {
      ctx.issues.push({
        code: 'DOC_RELATES_TO_INVALID',
        message:
          'relatesTo needs a code (replaces, transforms, signs, appends) and a target reference',
        location: [`${FIELD_PATH.relatesTo}[${i}]`],
      });
      return;
    }
    relations.push({
      code: code as RelationCode,
      ...(reference !== undefined && { target: reference }),
      ...(targetUniqueId !== undefined && { targetUniqueId }),
    });
  });
  if (relations.length > 0) {
    draft.relatesTo = relations;
  }

  const title = str(d['description']);
  if (title) {
    draft.description = title;
  }
  const date = str(d['date']);
  if (date) {
    draft.date = date;
  }
  for (const e of arr(d['extension'])) {
    const x = obj(e);
    if (x?.['url'] === PDSM_IS_ARCHIVED_URL && typeof x['valueBoolean'] === 'boolean') {
      draft.archived = x['valueBoolean'];
    }
  }

  return { draft, issues: ctx.issues };
}

/**
 * Reads a PDSm DocumentReference and checks the metadata the DMP requires (rules R1–R8). Codes are
 * checked separately (validateMetadataCodes); for a CDA, use readDocumentReference + deriveFromCda.
 */
export function fromDocumentReference(
  dr: unknown,
  ref: ReferenceTables,
  options: ReadOptions = {},
): Result<DocumentMetadata, DomainIssue[]> {
  const { draft, issues } = read(dr, ref, options);
  // The required fields' issues name the field (model.ts): this reader locates them in the DocumentReference.
  const required = completeDraft(draft);
  const complete = required.ok
    ? required
    : err(
        required.error.map((i) =>
          i.location ? { ...i, location: i.location.map(documentReferencePath) } : i,
        ),
      );
  if (issues.length === 0) {
    return complete;
  }
  // Report the missing fields too (so the client sees everything at once), except those already
  // reported as invalid.
  const located = issues.flatMap((i) => i.location ?? []);
  const missing = complete.ok
    ? []
    : complete.error.filter(
        (i) => !(i.location ?? []).some((l) => located.some((x) => x.startsWith(l))),
      );
  return err([...issues, ...missing]);
}
