import { randomUUID } from 'node:crypto';
import type { Actor } from '../../domain/access/actor.ts';
import {
  CDA_MEDIA_TYPES,
  levelOneFormatFor,
  mediaTypeOf,
} from '../../domain/documents/cda-only.ts';
import { readDocumentReference } from '../../domain/documents/from-document-reference.ts';
import { DomainFailure, domainError, validationError } from '../../domain/errors.ts';
import { CS, systemUrl } from '../../domain/identity/code-systems.ts';
import { isUuid } from '../../domain/identity/uuid.ts';
import * as records from '../../db/records.repository.ts';
import type { RecordRow } from '../../db/records.repository.ts';
import { buildLevelOneCda } from '../../cda/level-one.ts';
import type { LevelOneAuthor } from '../../cda/level-one.ts';
import { levelOneInputOf } from '../../cda/level-one-input.ts';
import type { CdaPatient } from '../../cda/header.ts';
import { uuidOid } from '../../cda/xml.ts';
import { validateFhirResource } from '../../validation/fhir-schema.ts';
import type { DocumentDeps } from './context.ts';
import { decodeBase64 } from '../../http/fhir/provide-bundle.ts';
import type { DepositResult } from './deposit.ts';
import { publishDocument } from '../../http/fhir/publish.ts';

/**
 * A file uploaded through a portal (`POST /portal-api/documents`, issue 17 rule 9), as Mon Espace Santé does: the
 * portal sends the ITI-105 DocumentReference it builds (the file bare in attachment.data, its contentType, the codes
 * the user chose); the server wraps the file in a CDA R2 level 1 document — header from the record (INS, birth
 * identity), the author and that metadata (cda/level-one-input.ts), nonXMLBody with the file in base64 — and
 * deposits the CDA through ITI-105 (`publishDocument`: the same validation, decision and traces as any deposit).
 *
 * Rules:
 *  U1. A CDA uploaded as such (an XML contentType) is deposited as it is.
 *  U2. Otherwise the file's media type must be one a CDA N1 carries (PDF, JPEG, text, RTF, TIFF):
 *      DOC_UPLOAD_MEDIA_UNSUPPORTED (415) for anything else.
 *  U3. The record is the one the DocumentReference names; none: DOC_PATIENT_UNKNOWN, as for a deposit.
 *  U4. The CDA's id is the DocumentReference's uniqueId when it is an OID or a UUID, else a new UUID OID; the
 *      deposited DocumentReference says contentType text/xml and the file's XDS-SD format code, without the size and
 *      hash the client may have given for the file (the server computes them for the CDA).
 */
type Json = Record<string, unknown>;

/** The custodian of the documents the DMP host wraps itself. */
export const HOST_NAME = 'opendmp — Dossier Médical Partagé';

const OID = /^[0-2](\.(0|[1-9]\d*))+$/;

function obj(v: unknown): Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
}

export function cdaPatientOf(record: RecordRow): CdaPatient {
  return {
    ins: record.ins,
    insOid: record.ins_oid,
    birthName: record.birth_name,
    givenNames: record.given_names,
    sex: record.sex,
    birthDate: record.birth_date,
  };
}

/** The acting user as a CDA author, when the metadata names none the header can carry (W5). */
function actorAuthor(actor: Actor, record: RecordRow): LevelOneAuthor {
  const named = (name: string | undefined): { name?: { family: string; given: string[] } } => {
    const parts =
      name
        ?.trim()
        .split(/\s+/)
        .filter((p) => p !== '') ?? [];
    const family = parts.pop();
    return family === undefined ? {} : { name: { family, given: parts } };
  };
  if (actor.kind === 'professional') {
    return {
      kind: 'professional',
      idNatPs: actor.idNatPs,
      ...named(actor.name),
      ...(actor.structure !== undefined ? { structure: { idNatStruct: actor.structure } } : {}),
    };
  }
  if (actor.kind === 'patient' && actor.ins === record.ins) {
    return { kind: 'patient', name: { family: record.birth_name, given: [...record.given_names] } };
  }
  // A representative, or any other actor: a person, by name when known.
  const name = 'name' in actor && typeof actor.name === 'string' ? actor.name : undefined;
  return { kind: 'person', ...named(name) };
}

export async function uploadDocument(
  deps: DocumentDeps,
  actor: Actor,
  body: unknown,
  contents?: ReadonlyMap<string, Buffer>,
): Promise<DepositResult> {
  const structure = validateFhirResource(body, 'DocumentReference');
  if (structure.length > 0) {
    throw new DomainFailure(validationError(structure, 'invalid'));
  }
  const resource = body as Json;
  const content = Array.isArray(resource['content']) ? (resource['content'] as Json[]) : [];
  const attachment = obj(content[0]?.['attachment']);
  const contentType =
    typeof attachment['contentType'] === 'string' ? attachment['contentType'] : '';
  // U1
  if (CDA_MEDIA_TYPES.has(mediaTypeOf(contentType))) {
    return publishDocument(deps, actor, body, contents);
  }
  // U2
  const media = mediaTypeOf(contentType);
  const format = levelOneFormatFor(media);
  if (format === undefined) {
    throw new DomainFailure(
      domainError(
        'unsupported-media',
        'DOC_UPLOAD_MEDIA_UNSUPPORTED',
        'A portal upload is a PDF, JPEG, plain text, RTF or TIFF file (wrapped in a CDA R2 level 1 document).',
        ['DocumentReference.content[0].attachment.contentType'],
      ),
    );
  }
  if (attachment['data'] === undefined) {
    throw new DomainFailure(
      domainError('unprocessable', 'DOC_CONTENT_MISSING', 'The file travels in attachment.data.', [
        'DocumentReference.content[0].attachment.data',
      ]),
    );
  }
  const file = decodeBase64(
    attachment['data'],
    'DocumentReference.content[0].attachment.data',
    contents,
  );
  const read = readDocumentReference(resource, deps.reference);
  if (!read.ok) {
    throw new DomainFailure(validationError(read.error, 'unprocessable'));
  }
  const draft = read.value;
  // U3
  const record = draft.patient
    ? await records.findRecordByIns(deps.sql, draft.patient.value)
    : undefined;
  if (!record) {
    throw new DomainFailure(
      domainError(
        'unprocessable',
        'DOC_PATIENT_UNKNOWN',
        'No record exists for this patient: create it first (or check the INS).',
      ),
    );
  }
  // U4
  const uid = draft.uniqueId;
  const id = uid !== undefined && (OID.test(uid) || isUuid(uid)) ? uid : uuidOid(deps.ids());
  const input = levelOneInputOf({
    metadata: draft,
    patient: cdaPatientOf(record),
    fallback: actorAuthor(actor, record),
    id: { root: id },
    now: deps.clock.now(),
    hostName: HOST_NAME,
    mediaType: media,
    content: file,
  });
  if (!input.ok) {
    throw new DomainFailure(validationError(input.error, 'unprocessable'));
  }
  const cda = buildLevelOneCda(input.value);
  const placeholder = `opendmp-upload:${randomUUID()}`;
  const { size: _size, hash: _hash, ...kept } = attachment;
  const wrapped: Json = {
    ...resource,
    content: [
      {
        ...content[0],
        attachment: { ...kept, contentType: 'text/xml', data: placeholder },
        format: { system: systemUrl(CS.TRE_A11_IHE_FORMAT_CODE), code: format },
      },
    ],
  };
  return publishDocument(deps, actor, wrapped, new Map([[placeholder, cda]]));
}
