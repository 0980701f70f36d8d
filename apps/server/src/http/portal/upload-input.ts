import type { DomainError, DomainIssue } from '../../domain/errors.ts';
import { DomainFailure, validationError } from '../../domain/errors.ts';
import { isValidUniqueId } from '../../domain/documents/identifiers.ts';
import type {
  Coding,
  DocumentAuthor,
  DocumentMetadataDraft,
  Identifier,
  PatientIns,
  PersonName,
} from '../../domain/documents/model.ts';
import { professionOf } from '../../domain/documents/model.ts';
import type { Association, DepositRequest } from '../../domain/documents/submission.ts';
import { jsonArray, jsonObject } from '../../domain/json.ts';
import { isInsSystem, validateIns } from '../../domain/identity/ins.ts';

/**
 * The portal's upload (`POST /portal-api/documents`) read at the portal's edge into the registry's own one-document
 * submission (domain/documents/submission.ts), which the upload use case (services/documents/upload.ts) wraps in a
 * CDA N1 (or deposits as it is when it is a CDA). The body is the portal's own JSON, named after the fields of the
 * neutral model (domain/documents/model.ts `DocumentMetadata`), every field but the patient and the content optional
 * (a CDA brings the rest in its header):
 *
 *   { "patient": { "system": "<INS system>", "value": "<INS>" },   the record (an INS)
 *     "content": "<base64>",                                        the file
 *     "uniqueId", "mimeType", "languageCode", "title", "creation", "date", "serviceStart": strings,
 *     "type", "class", "format", "facilityType", "practiceSetting": { "system", "code", "display"? },
 *     "confidentiality": [ codings: the level, then the visibility flags ],
 *     "sourcePatientId": { "system", "value" },
 *     "author": { "kind": "practitioner", "idNatPs", "name"?, "role"?, "structure"? (IdNat_Struct) }
 *             | { "kind": "patient", "identifier": { "system", "value" }, "name"? }
 *             | { "kind": "related-person", "name"? }          (name: { "family"?, "given": [] }),
 *     "replaces": "<id of the document this one replaces>" }
 *
 * Rules (each failure one issue located on the body's field; the checks of the deposit follow, their issues
 * located back on the body by {@link portalLocated}):
 *  P1. The body is an object; each field present has its type — PORTAL_UPLOAD_INVALID (400).
 *  P2. The content is base64 — DOC_CONTENT_NOT_BASE64 (400); missing: DOC_CONTENT_MISSING (422).
 *  P3. The patient is named by a valid INS — DOC_PATIENT_UNRESOLVED, DOC_PATIENT_NOT_INS, ID_INS_* (422).
 *  P4. A uniqueId has the XDS form (domain/documents/identifiers.ts U1) — DOC_UNIQUE_ID_INVALID (422).
 *  P5. A practitioner author has an IdNat_PS — DOC_AUTHOR_UNIDENTIFIED (422).
 */
type Json = Record<string, unknown>;

/** The key of the upload's one DocumentEntry in its submission. */
const KEY = 'document';

class Reader {
  readonly shape: DomainIssue[] = [];
  readonly rules: DomainIssue[] = [];

  wrong(field: string, expected: string): undefined {
    this.shape.push({
      code: 'PORTAL_UPLOAD_INVALID',
      message: `${field} must be ${expected}.`,
      location: [field],
    });
    return undefined;
  }

  text(body: Json, field: string): string | undefined {
    const v = body[field];
    if (v === undefined) {
      return undefined;
    }
    return typeof v === 'string' && v.trim() !== '' ? v : this.wrong(field, 'a non-empty string');
  }

  coding(v: unknown, field: string): Coding | undefined {
    const c = jsonObject(v);
    const system = c?.['system'];
    const code = c?.['code'];
    const display = c?.['display'];
    if (
      typeof system !== 'string' ||
      system === '' ||
      typeof code !== 'string' ||
      code === '' ||
      (display !== undefined && typeof display !== 'string')
    ) {
      return this.wrong(field, 'a coding { system, code, display? }');
    }
    return typeof display === 'string' && display !== ''
      ? { system, code, display }
      : { system, code };
  }

  identifier(v: unknown, field: string): Identifier | undefined {
    const i = jsonObject(v);
    const system = i?.['system'];
    const value = i?.['value'];
    return typeof system === 'string' && system !== '' && typeof value === 'string' && value !== ''
      ? { system, value }
      : this.wrong(field, 'an identifier { system, value }');
  }

  name(v: unknown, field: string): PersonName | undefined {
    const n = jsonObject(v);
    const family = n?.['family'];
    const given = jsonArray(n?.['given']);
    if (
      !n ||
      (family !== undefined && (typeof family !== 'string' || family === '')) ||
      (n['given'] !== undefined && !Array.isArray(n['given'])) ||
      !given.every((g) => typeof g === 'string' && g !== '')
    ) {
      return this.wrong(field, 'a name { family?, given: [] }');
    }
    if (family === undefined && given.length === 0) {
      return undefined;
    }
    return { ...(typeof family === 'string' ? { family } : {}), given: given as string[] };
  }
}

const CODED = ['type', 'class', 'format', 'facilityType', 'practiceSetting'] as const;
const TEXTS = ['mimeType', 'languageCode', 'title', 'creation', 'date', 'serviceStart'] as const;

function readPatient(reader: Reader, v: unknown): PatientIns | undefined {
  const location = ['patient'];
  if (v === undefined) {
    reader.rules.push({
      code: 'DOC_PATIENT_UNRESOLVED',
      message: 'The upload names the patient by INS: patient { system, value }.',
      location,
    });
    return undefined;
  }
  const identifier = reader.identifier(v, 'patient');
  if (!identifier) {
    return undefined;
  }
  if (!isInsSystem(identifier.system)) {
    reader.rules.push({
      code: 'DOC_PATIENT_NOT_INS',
      message:
        'The patient must be identified by an INS (system urn:oid:1.2.250.1.213.1.4.8, .9, .10 or .11)',
      location,
    });
    return undefined;
  }
  const valid = validateIns(identifier.value, identifier.system);
  if (!valid.ok) {
    reader.rules.push({ ...valid.error, location });
    return undefined;
  }
  return { value: valid.value.value, oid: valid.value.oid };
}

function readAuthor(reader: Reader, v: unknown): DocumentAuthor | undefined {
  const a = jsonObject(v);
  const kind = a?.['kind'];
  if (!a || (kind !== 'practitioner' && kind !== 'patient' && kind !== 'related-person')) {
    return reader.wrong('author', 'an author of kind practitioner, patient or related-person');
  }
  const name = a['name'] === undefined ? undefined : reader.name(a['name'], 'author.name');
  const named = name ? { name } : {};
  switch (kind) {
    case 'practitioner': {
      const idNatPs = a['idNatPs'];
      if (idNatPs !== undefined && typeof idNatPs !== 'string') {
        return reader.wrong('author.idNatPs', 'a string');
      }
      const role = a['role'] === undefined ? undefined : reader.coding(a['role'], 'author.role');
      const structure = a['structure'];
      if (structure !== undefined && (typeof structure !== 'string' || structure === '')) {
        return reader.wrong('author.structure', 'an IdNat_Struct');
      }
      // P5
      if (idNatPs === undefined || idNatPs === '') {
        reader.rules.push({
          code: 'DOC_AUTHOR_UNIDENTIFIED',
          message: 'A practitioner author needs an IdNat_PS',
          location: ['author'],
        });
      }
      const f = role ? professionOf(role) : {};
      return {
        kind: 'practitioner',
        ...(idNatPs !== undefined && idNatPs !== '' ? { idNatPs } : {}),
        ...named,
        ...(f.profession !== undefined ? { profession: f.profession } : {}),
        ...(f.specialty !== undefined ? { specialty: f.specialty } : {}),
        ...(role ? { role } : {}),
        ...(structure !== undefined ? { structure: { idNatStruct: structure } } : {}),
      };
    }
    case 'patient': {
      const identifier = reader.identifier(a['identifier'], 'author.identifier');
      return { kind: 'patient', ...(identifier ? { identifier } : {}), ...named };
    }
    case 'related-person':
      return { kind: 'related-person', ...named };
  }
}

const BASE64 = /^[A-Za-z0-9+/\s]*={0,2}\s*$/;

/** The portal's upload body read into a one-document submission (rules P1–P5). */
export function readPortalUpload(body: unknown): DepositRequest {
  const reader = new Reader();
  const b = jsonObject(body);
  if (!b) {
    throw new DomainFailure(
      validationError(
        [{ code: 'PORTAL_UPLOAD_INVALID', message: 'The upload is a JSON object.' }],
        'invalid',
      ),
    );
  }
  const metadata: DocumentMetadataDraft = {};
  const uniqueId = reader.text(b, 'uniqueId');
  if (uniqueId !== undefined) {
    // P4
    if (isValidUniqueId(uniqueId)) {
      metadata.uniqueId = uniqueId;
    } else {
      reader.rules.push({
        code: 'DOC_UNIQUE_ID_INVALID',
        message: 'uniqueId must be an OID, <OID>^<extension> or a lower-case UUID',
        location: ['uniqueId'],
      });
    }
  }
  for (const field of CODED) {
    const c = b[field] === undefined ? undefined : reader.coding(b[field], field);
    if (c) {
      metadata[field] = c;
    }
  }
  const patient = readPatient(reader, b['patient']);
  if (patient) {
    metadata.patient = patient;
  }
  if (b['author'] !== undefined) {
    const author = readAuthor(reader, b['author']);
    if (author) {
      metadata.authors = [author];
    }
  }
  if (b['confidentiality'] !== undefined) {
    if (!Array.isArray(b['confidentiality'])) {
      reader.wrong('confidentiality', 'a list of codings');
    } else {
      const codings = b['confidentiality']
        .map((c: unknown, i) => reader.coding(c, `confidentiality[${String(i)}]`))
        .filter((c): c is Coding => c !== undefined);
      if (codings.length > 0) {
        metadata.confidentiality = codings;
      }
    }
  }
  for (const field of TEXTS) {
    const v = reader.text(b, field);
    if (v !== undefined) {
      metadata[field] = v;
    }
  }
  if (b['sourcePatientId'] !== undefined) {
    const id = reader.identifier(b['sourcePatientId'], 'sourcePatientId');
    if (id) {
      metadata.sourcePatientId = id;
    }
  }
  const replaces = reader.text(b, 'replaces');
  // P2
  const content = b['content'];
  let bytes: Buffer | undefined;
  if (content === undefined) {
    reader.rules.push({
      code: 'DOC_CONTENT_MISSING',
      message: 'The file travels in content (base64).',
      location: ['content'],
    });
  } else if (typeof content !== 'string' || !BASE64.test(content)) {
    reader.shape.push({
      code: 'DOC_CONTENT_NOT_BASE64',
      message: 'The document content must be base64.',
      location: ['content'],
    });
  } else {
    bytes = Buffer.from(content, 'base64');
  }
  if (reader.shape.length > 0) {
    throw new DomainFailure(validationError(reader.shape, 'invalid'));
  }
  if (reader.rules.length > 0 || !bytes) {
    throw new DomainFailure(validationError(reader.rules, 'unprocessable'));
  }
  const associations: Association[] =
    replaces !== undefined ? [{ kind: 'RPLC', source: KEY, target: { id: replaces } }] : [];
  return {
    documents: [{ key: KEY, metadata, bytes, referenceIds: [] }],
    folders: [],
    associations,
  };
}

const ENTRY = /^DocumentEntry\[0\](?:\.(.*))?$/;
const ASSOCIATION = /^Association\[\d+\]/;

/** A location of the deposit (`DocumentEntry[0].mimeType`, `Association[0]`) as the field of the portal's body. */
function portalLocation(location: string): string {
  if (ASSOCIATION.test(location)) {
    return 'replaces';
  }
  const field = ENTRY.exec(location)?.[1];
  if (field === undefined) {
    return location;
  }
  return field.startsWith('authors') ? 'author' : field;
}

/** `error` with each issue located on the portal's upload body. */
export function portalLocated(error: DomainError): DomainError {
  const issue = <T extends DomainIssue>(i: T): T =>
    i.location ? { ...i, location: i.location.map(portalLocation) } : i;
  return { ...issue(error), ...(error.issues ? { issues: error.issues.map(issue) } : {}) };
}
