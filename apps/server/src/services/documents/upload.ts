import type { Actor } from '../../domain/access/actor.ts';
import {
  CDA_MEDIA_TYPES,
  levelOneFormatFor,
  mediaTypeOf,
} from '../../domain/documents/cda-only.ts';
import { atEntry } from '../../domain/documents/model.ts';
import type { DepositRequest, DocumentEntrySubmission } from '../../domain/documents/submission.ts';
import { ENTRY_ROOT } from '../../domain/documents/submission.ts';
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
import type { DocumentDeps } from './context.ts';
import type { DepositResult } from './deposit.ts';
import { deposit } from './deposit.ts';

/**
 * A file uploaded through a portal (`POST /portal-api/documents`, issue 17 rule 9), as Mon Espace Santé does: the
 * portal sends the file bare with the metadata the user chose (its contentType, the codes), in its own JSON, which
 * its edge reads into a one-document submission (http/portal/upload-input.ts); this use case wraps the file in a CDA R2 level 1 document — header from the record (INS,
 * birth identity), the author and that metadata (cda/level-one-input.ts), nonXMLBody with the file in base64 — and
 * hands the CDA to the one deposit use case (deposit.ts: the same validation, decision and traces as any deposit).
 * Its issues are rooted on the submission's entry (`DocumentEntry[0].mimeType`), as the deposit's are.
 *
 * Rules:
 *  U1. A CDA uploaded as such (an XML media type) is deposited as it is.
 *  U2. Otherwise the file's media type must be one a CDA N1 carries (PDF, JPEG, text, RTF, TIFF):
 *      DOC_UPLOAD_MEDIA_UNSUPPORTED (415) for anything else.
 *  U3. The record is the one the metadata names; none: DOC_PATIENT_UNKNOWN, as for a deposit.
 *  U4. The CDA's id is the metadata's uniqueId when it is an OID or a UUID, else a new UUID OID; the deposited
 *      entry says media type text/xml and the file's XDS-SD format code, without the size and hash the client may
 *      have given for the file (the server computes them for the CDA).
 */
/** The custodian of the documents the DMP host wraps itself. */
export const HOST_NAME = 'opendmp — Dossier Médical Partagé';

const OID = /^[0-2](\.(0|[1-9]\d*))+$/;

/** Where the upload's own issues are rooted: its one DocumentEntry (the adapter locates them in its request). */
const ROOT = ENTRY_ROOT.document(0);

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
  request: DepositRequest,
): Promise<DepositResult> {
  const [entry, ...others] = request.documents;
  if (!entry || others.length > 0) {
    throw new Error('a portal upload deposits one document');
  }
  const media = mediaTypeOf(entry.metadata.mimeType ?? '');
  // U1
  if (CDA_MEDIA_TYPES.has(media)) {
    return deposit(deps, actor, request);
  }
  // U2
  const format = levelOneFormatFor(media);
  if (format === undefined) {
    throw new DomainFailure(
      domainError(
        'unsupported-media',
        'DOC_UPLOAD_MEDIA_UNSUPPORTED',
        'A portal upload is a PDF, JPEG, plain text, RTF or TIFF file (wrapped in a CDA R2 level 1 document).',
        [`${ROOT}.mimeType`],
      ),
    );
  }
  // U3
  const patient = entry.metadata.patient;
  const record = patient ? await records.findRecordByIns(deps.sql, patient.value) : undefined;
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
  const uid = entry.metadata.uniqueId;
  const id = uid !== undefined && (OID.test(uid) || isUuid(uid)) ? uid : uuidOid(deps.ids());
  const input = levelOneInputOf({
    metadata: entry.metadata,
    patient: cdaPatientOf(record),
    fallback: actorAuthor(actor, record),
    id: { root: id },
    now: deps.clock.now(),
    hostName: HOST_NAME,
    mediaType: media,
    content: entry.bytes,
  });
  if (!input.ok) {
    throw new DomainFailure(validationError(atEntry(input.error, ROOT), 'unprocessable'));
  }
  const { size: _size, hash: _hash, ...kept } = entry.metadata;
  const wrapped: DocumentEntrySubmission = {
    ...entry,
    metadata: {
      ...kept,
      mimeType: 'text/xml',
      format: { system: systemUrl(CS.TRE_A11_IHE_FORMAT_CODE), code: format },
    },
    bytes: buildLevelOneCda(input.value),
  };
  return deposit(deps, actor, { ...request, documents: [wrapped] });
}
