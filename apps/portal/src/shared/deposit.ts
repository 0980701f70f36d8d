/**
 * Building what a portal uploads: POST /portal-api/documents with the file's bytes in `content` and the metadata the
 * user chose, named as the registry's document metadata (not a FHIR resource). The server wraps the file in a CDA R2 level 1 document (the DMP stores
 * CDA only; services/documents/upload.ts) and deposits that. Every code comes from the server's value sets (the
 * caller passes the concepts it picked), so the portal never invents a code.
 */
import { sendJson } from './api.ts';
import type { DocumentReference } from './fhir.ts';
import type { Concept } from './value-sets.ts';

/**
 * The largest file a portal uploads: the server wraps it in a CDA N1 whose base64 body is a third larger, and the
 * CDA must stay within the document size limit (20 Mo).
 */
export const MAX_UPLOAD_BYTES = 14 * 1024 * 1024;

export const FORMAT_BY_MIME: Readonly<Record<string, string>> = {
  'application/pdf': 'urn:ihe:iti:xds-sd:pdf:2008',
  'image/jpeg': 'urn:ihe:iti-fr:xds-sd:jpeg:2010',
  'text/plain': 'urn:ihe:iti:xds-sd:text:2008',
};

export function coding(c: Concept): { system: string; code: string; display: string } {
  return { system: c.system, code: c.code, display: c.display };
}

export type DepositAuthor =
  | {
      readonly kind: 'professional';
      readonly idNatPs: string;
      readonly name?: string;
      readonly profession?: Concept;
      readonly structure?: string;
    }
  | {
      readonly kind: 'patient';
      readonly ins: string;
      readonly insSystem: string;
      readonly name?: string;
    }
  | { readonly kind: 'representative'; readonly name?: string };

export interface DepositInput {
  readonly patient: { readonly system: string; readonly ins: string };
  readonly bytes: Uint8Array;
  readonly mimeType: string;
  readonly title: string;
  readonly type: Concept;
  readonly class: Concept;
  readonly format: Concept;
  readonly facilityType: Concept;
  readonly practiceSetting: Concept;
  /** N, R or V (J58). */
  readonly confidentiality: Concept;
  /** TRE_A07 visibility labels (J58 concepts). */
  readonly visibility: readonly Concept[];
  /** ISO date of the act. */
  readonly serviceStart: string;
  readonly author: DepositAuthor;
  /** Replaces this DocumentReference (the author's new version). */
  readonly replaces?: string;
}

export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(binary);
}

function splitName(name: string | undefined): { family?: string; given: string[] } | undefined {
  if (name === undefined) {
    return undefined;
  }
  const parts = name
    .trim()
    .split(/\s+/)
    .filter((p) => p !== '');
  const family = parts.pop();
  return { ...(family !== undefined ? { family } : {}), given: parts };
}

type Coded = { system: string; code: string; display: string };

/**
 * The body of POST /portal-api/documents (apps/server/src/http/portal/upload-input.ts): the file and the chosen
 * metadata, named after the fields of the registry's document metadata; the server reads the rest of a CDA from its
 * header.
 */
export interface PortalUpload {
  readonly patient: { readonly system: string; readonly value: string };
  readonly content: string;
  readonly mimeType: string;
  readonly languageCode: string;
  readonly uniqueId?: string;
  readonly title?: string;
  readonly creation?: string;
  readonly date?: string;
  readonly serviceStart?: string;
  readonly type?: Coded;
  readonly class?: Coded;
  readonly format?: Coded;
  readonly facilityType?: Coded;
  readonly practiceSetting?: Coded;
  readonly confidentiality?: readonly Coded[];
  readonly sourcePatientId?: { readonly system: string; readonly value: string };
  readonly author?: Record<string, unknown>;
  readonly replaces?: string;
}

function authorOf(author: DepositAuthor): Record<string, unknown> {
  const name = splitName(author.name);
  const named = name !== undefined ? { name } : {};
  switch (author.kind) {
    case 'professional':
      return {
        kind: 'practitioner',
        idNatPs: author.idNatPs,
        ...named,
        ...(author.profession ? { role: coding(author.profession) } : {}),
        ...(author.structure ? { structure: author.structure } : {}),
      };
    case 'patient':
      return {
        kind: 'patient',
        identifier: { system: author.insSystem, value: author.ins },
        ...named,
      };
    case 'representative':
      return { kind: 'related-person', ...named };
  }
}

/** A file with the metadata the user chose, which the server wraps in a CDA N1. */
export function buildUpload(input: DepositInput): PortalUpload {
  const now = new Date().toISOString();
  const patient = { system: input.patient.system, value: input.patient.ins };
  return {
    patient,
    uniqueId: crypto.randomUUID(),
    type: coding(input.type),
    class: coding(input.class),
    format: coding(input.format),
    facilityType: coding(input.facilityType),
    practiceSetting: coding(input.practiceSetting),
    confidentiality: [coding(input.confidentiality), ...input.visibility.map(coding)],
    mimeType: input.mimeType,
    languageCode: 'fr-FR',
    title: input.title,
    creation: now,
    date: now,
    serviceStart: input.serviceStart,
    sourcePatientId: patient,
    author: authorOf(input.author),
    ...(input.replaces !== undefined ? { replaces: input.replaces } : {}),
    content: toBase64(input.bytes),
  };
}

/** A CDA R2 document: the server reads its metadata from the header; the portal adds the visibility and the link. */
export function buildCdaUpload(input: {
  readonly patient: { readonly system: string; readonly ins: string };
  readonly bytes: Uint8Array;
  readonly confidentiality?: readonly Concept[];
  readonly replaces?: string;
}): PortalUpload {
  return {
    patient: { system: input.patient.system, value: input.patient.ins },
    ...(input.confidentiality !== undefined && input.confidentiality.length > 0
      ? { confidentiality: input.confidentiality.map(coding) }
      : {}),
    ...(input.replaces !== undefined ? { replaces: input.replaces } : {}),
    mimeType: 'text/xml',
    languageCode: 'fr-FR',
    content: toBase64(input.bytes),
  };
}

export async function deposit(upload: PortalUpload): Promise<DocumentReference | undefined> {
  return sendJson<DocumentReference>('POST', '/portal-api/documents', upload, 'application/json');
}

/** Reads a File as bytes; a PNG is converted to JPEG (the DMP's format codes know JPEG, not PNG). */
export async function readUpload(file: File): Promise<{ bytes: Uint8Array; mimeType: string }> {
  if (file.type === 'image/png') {
    const bitmap = await createImageBitmap(file);
    const canvas = document.createElement('canvas');
    canvas.width = bitmap.width;
    canvas.height = bitmap.height;
    const ctx = canvas.getContext('2d');
    if (!ctx) {
      throw new Error('Impossible de convertir l’image.');
    }
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(bitmap, 0, 0);
    const blob = await new Promise<Blob | null>((resolve) =>
      canvas.toBlob(resolve, 'image/jpeg', 0.9),
    );
    if (!blob) {
      throw new Error('Impossible de convertir l’image.');
    }
    return { bytes: new Uint8Array(await blob.arrayBuffer()), mimeType: 'image/jpeg' };
  }
  return { bytes: new Uint8Array(await file.arrayBuffer()), mimeType: file.type };
}
