/**
 * Building the ITI-105 (Simplified Publish) DocumentReference a portal uploads: POST /portal-api/documents with the
 * file's bytes in content[0].attachment.data. The server wraps the file in a CDA R2 level 1 document (the DMP stores
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

function cc(c: Concept): { coding: { system: string; code: string; display: string }[] } {
  return { coding: [coding(c)] };
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

function splitName(name: string | undefined): { family?: string; given?: string[] } {
  if (name === undefined || name.trim() === '') {
    return {};
  }
  const parts = name.trim().split(/\s+/);
  const family = parts.pop();
  return {
    ...(family !== undefined ? { family } : {}),
    ...(parts.length > 0 ? { given: parts } : {}),
  };
}

function authorResources(author: DepositAuthor): Record<string, unknown>[] {
  switch (author.kind) {
    case 'professional': {
      const practitioner = {
        resourceType: 'Practitioner',
        id: 'author-1-practitioner',
        identifier: [{ system: 'urn:oid:1.2.250.1.71.4.2.1', value: author.idNatPs }],
        ...(author.name !== undefined ? { name: [splitName(author.name)] } : {}),
      };
      const organization = author.structure
        ? [
            {
              resourceType: 'Organization',
              id: 'author-1-organization',
              identifier: [{ system: 'urn:oid:1.2.250.1.71.4.2.2', value: author.structure }],
            },
          ]
        : [];
      return [
        practitioner,
        ...organization,
        {
          resourceType: 'PractitionerRole',
          id: 'author-1',
          practitioner: { reference: '#author-1-practitioner' },
          ...(author.structure ? { organization: { reference: '#author-1-organization' } } : {}),
          ...(author.profession ? { code: [cc(author.profession)] } : {}),
        },
      ];
    }
    case 'patient':
      return [
        {
          resourceType: 'Patient',
          id: 'author-1',
          identifier: [{ system: author.insSystem, value: author.ins }],
          ...(author.name !== undefined ? { name: [splitName(author.name)] } : {}),
        },
      ];
    case 'representative':
      return [
        {
          resourceType: 'RelatedPerson',
          id: 'author-1',
          patient: { reference: '#source-patient' },
          ...(author.name !== undefined ? { name: [splitName(author.name)] } : {}),
        },
      ];
  }
}

export function buildDocumentReference(input: DepositInput): Record<string, unknown> {
  const now = new Date().toISOString();
  const subject = { system: input.patient.system, value: input.patient.ins };
  return {
    resourceType: 'DocumentReference',
    contained: [
      { resourceType: 'Patient', id: 'source-patient', identifier: [subject] },
      ...authorResources(input.author),
    ],
    masterIdentifier: { system: 'urn:ietf:rfc:3986', value: `urn:uuid:${crypto.randomUUID()}` },
    status: 'current',
    type: cc(input.type),
    category: [cc(input.class)],
    subject: { identifier: subject },
    date: now,
    author: [{ reference: '#author-1' }],
    ...(input.replaces !== undefined
      ? {
          relatesTo: [
            { code: 'replaces', target: { reference: `DocumentReference/${input.replaces}` } },
          ],
        }
      : {}),
    securityLabel: [cc(input.confidentiality), ...input.visibility.map(cc)],
    content: [
      {
        attachment: {
          contentType: input.mimeType,
          language: 'fr-FR',
          data: toBase64(input.bytes),
          title: input.title,
          creation: now,
        },
        format: coding(input.format),
      },
    ],
    context: {
      facilityType: cc(input.facilityType),
      practiceSetting: cc(input.practiceSetting),
      period: { start: input.serviceStart },
      sourcePatientInfo: { reference: '#source-patient' },
    },
  };
}

export async function deposit(
  resource: Record<string, unknown>,
): Promise<DocumentReference | undefined> {
  return sendJson<DocumentReference>('POST', '/portal-api/documents', resource);
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
