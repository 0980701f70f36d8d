/**
 * Stored metadata → PDSm comprehensive DocumentReference (search results, reads).
 *
 * Rules:
 *  W1. Codings are emitted with the NOS / FHIR canonical URL of their system (code-systems.ts systemUrl),
 *      whatever spelling was received.
 *  W2. Authors, the legal authenticator and the source patient are contained resources (PDSm aggregation
 *      "contained"): a professional with a structure is a PractitionerRole pointing to a contained
 *      Practitioner (IdNat_PS) and Organization (IdNat_Struct); otherwise Practitioner, Organization, Device,
 *      Patient or RelatedPerson.
 *  W3. masterIdentifier as identifiers.ts U4; the entryUUID, when given, as identifier
 *      (use official, urn:ietf:rfc:3986, urn:uuid:…); hash in base64 (FHIR), size as stored.
 *  W4. subject: the server's Patient reference when given, and always the INS as identifier.
 *  W5. fromDocumentReference(toDocumentReference(m)) gives m back (tested).
 */
import { CS, systemUrl } from '../../domain/identity/code-systems.ts';
import { OID_IDNAT_PS, OID_IDNAT_STRUCT } from '../../domain/documents/cda-header.ts';
import { PDSM_IS_ARCHIVED_URL } from './from-document-reference.ts';
import { professionOf } from '../../domain/documents/model.ts';
import { uniqueIdToIdentifier } from '../../domain/documents/identifiers.ts';
import type {
  Coding,
  DocumentAuthor,
  DocumentMetadata,
  Identifier,
  PersonName,
  RelationCode,
} from '../../domain/documents/model.ts';

export const PDSM_COMPREHENSIVE_PROFILE =
  'https://interop.esante.gouv.fr/ig/fhir/pdsm/StructureDefinition/pdsm-comprehensive-document-reference';

export type DocumentStatus = 'current' | 'superseded' | 'entered-in-error';

/** What the server knows beside the metadata. */
export interface StoredDocumentIds {
  /** The resource id (DocumentReference.id). */
  readonly id: string;
  readonly status: DocumentStatus;
  /** XDS entryUUID (bare UUID), emitted as an identifier when given. */
  readonly entryUuid?: string;
  readonly versionId?: string;
  readonly lastUpdated?: string;
  /** attachment.url where the bytes are served (ITI-68). */
  readonly url?: string;
  /** DocumentReference.date; defaults to the one received. */
  readonly date?: string;
  /** The server's Patient reference (`Patient/<id>`). */
  readonly patientReference?: string;
  readonly archived?: boolean;
  /** relatesTo with targets resolved to the server's references; defaults to the stored ones. */
  readonly relatesTo?: readonly { readonly code: RelationCode; readonly target: string }[];
}

type Json = Record<string, unknown>;

function coding(c: Coding): Json {
  return {
    system: systemUrl(c.system),
    code: c.code,
    ...(c.display !== undefined && { display: c.display }),
  };
}

function cc(c: Coding): Json {
  return { coding: [coding(c)] };
}

function humanName(n: PersonName): Json {
  return {
    ...(n.family !== undefined && { family: n.family }),
    ...(n.given.length > 0 && { given: [...n.given] }),
    ...(n.prefix !== undefined && { prefix: [n.prefix] }),
    ...(n.suffix !== undefined && { suffix: [n.suffix] }),
  };
}

function oidIdentifier(oid: string, value: string): Json {
  return { system: `urn:oid:${oid}`, value };
}

/** An identifier member by member (whatever order the stored one was read in: the encoding is byte-stable). */
function identifierJson(i: Identifier): Json {
  return { system: i.system, value: i.value };
}

/** Contained resources for one author; returns the id the author reference points to (W2). */
function containAuthor(a: DocumentAuthor, id: string, contained: Json[]): string {
  const name = a.name ? [humanName(a.name)] : undefined;
  switch (a.kind) {
    case 'practitioner': {
      // Profession and specialty the role coding does not already say go in qualification.
      const implied = a.role ? professionOf(a.role) : {};
      const qualification: Json[] = [];
      if (a.profession !== undefined && implied.profession !== a.profession) {
        qualification.push({
          code: cc({ system: CS.TRE_G15_PROFESSION_SANTE, code: a.profession }),
        });
      }
      if (a.specialty !== undefined && implied.specialty !== a.specialty) {
        qualification.push({ code: cc({ system: CS.TRE_R01_SAVOIR_FAIRE, code: a.specialty }) });
      }
      const practitioner: Json = {
        resourceType: 'Practitioner',
        id: a.structure || a.role ? `${id}-practitioner` : id,
        ...(a.idNatPs !== undefined && { identifier: [oidIdentifier(OID_IDNAT_PS, a.idNatPs)] }),
        ...(!a.idNatPs && a.identifier && { identifier: [identifierJson(a.identifier)] }),
        ...(name && { name }),
        ...(qualification.length > 0 && { qualification }),
      };
      contained.push(practitioner);
      if (!a.structure && !a.role) {
        return id;
      }
      let organizationId: string | undefined;
      if (a.structure) {
        organizationId = `${id}-organization`;
        contained.push(organization(a.structure, organizationId));
      }
      const role: Json = {
        resourceType: 'PractitionerRole',
        id,
        practitioner: { reference: `#${practitioner['id'] as string}` },
        ...(organizationId && { organization: { reference: `#${organizationId}` } }),
        ...(a.role && { code: [cc(a.role)] }),
      };
      contained.push(role);
      return id;
    }
    case 'organization':
      contained.push(organization(a.structure ?? {}, id, a.displayName));
      return id;
    case 'device':
      contained.push({
        resourceType: 'Device',
        id,
        ...(a.identifier && { identifier: [identifierJson(a.identifier)] }),
        ...(a.displayName !== undefined && {
          deviceName: [{ name: a.displayName, type: 'user-friendly-name' }],
        }),
      });
      return id;
    case 'patient':
    case 'related-person':
      contained.push({
        resourceType: a.kind === 'patient' ? 'Patient' : 'RelatedPerson',
        id,
        ...(a.identifier && { identifier: [identifierJson(a.identifier)] }),
        ...(name && { name }),
        ...(a.kind === 'related-person' && { patient: { reference: '#source-patient' } }),
      });
      return id;
  }
}

function organization(
  s: NonNullable<DocumentAuthor['structure']>,
  id: string,
  fallbackName?: string,
): Json {
  const identifier = s.idNatStruct
    ? [oidIdentifier(OID_IDNAT_STRUCT, s.idNatStruct)]
    : s.identifier
      ? [identifierJson(s.identifier)]
      : undefined;
  const name = s.name ?? fallbackName;
  return {
    resourceType: 'Organization',
    id,
    ...(identifier && { identifier }),
    ...(name !== undefined && { name }),
  };
}

function hexToBase64(hex: string): string {
  let bin = '';
  for (let i = 0; i + 1 < hex.length; i += 2) {
    bin += String.fromCharCode(parseInt(hex.slice(i, i + 2), 16));
  }
  return btoa(bin);
}

export function toDocumentReference(meta: DocumentMetadata, ids: StoredDocumentIds): Json {
  const contained: Json[] = [
    {
      resourceType: 'Patient',
      id: 'source-patient',
      identifier: [identifierJson(meta.sourcePatientId)],
    },
  ];
  const author = meta.authors.map((a, i) => ({
    reference: `#${containAuthor(a, `author-${i + 1}`, contained)}`,
  }));
  const authenticator = meta.legalAuthenticator
    ? { reference: `#${containAuthor(meta.legalAuthenticator, 'authenticator', contained)}` }
    : undefined;
  const relatesTo: Json[] = ids.relatesTo
    ? ids.relatesTo.map((r) => ({ code: r.code, target: { reference: r.target } }))
    : meta.relatesTo.map((r) => ({
        code: r.code,
        target: {
          ...(r.target !== undefined && { reference: r.target }),
          ...(r.targetUniqueId !== undefined && {
            identifier: uniqueIdToIdentifier(r.targetUniqueId),
          }),
        },
      }));
  const archived = ids.archived ?? meta.archived;
  const date = ids.date ?? meta.date;
  return {
    resourceType: 'DocumentReference',
    id: ids.id,
    meta: {
      ...(ids.versionId !== undefined && { versionId: ids.versionId }),
      ...(ids.lastUpdated !== undefined && { lastUpdated: ids.lastUpdated }),
      profile: [PDSM_COMPREHENSIVE_PROFILE],
    },
    contained,
    ...(archived !== undefined && {
      extension: [{ url: PDSM_IS_ARCHIVED_URL, valueBoolean: archived }],
    }),
    masterIdentifier: { use: 'usual', ...uniqueIdToIdentifier(meta.uniqueId) },
    ...(ids.entryUuid !== undefined && {
      identifier: [
        { use: 'official', system: 'urn:ietf:rfc:3986', value: `urn:uuid:${ids.entryUuid}` },
      ],
    }),
    status: ids.status,
    type: cc(meta.type),
    category: [cc(meta.class)],
    subject: {
      ...(ids.patientReference !== undefined && { reference: ids.patientReference }),
      identifier: oidIdentifier(meta.patient.oid, meta.patient.value),
    },
    ...(date !== undefined && { date }),
    author,
    ...(authenticator && { authenticator }),
    ...(meta.description !== undefined && { description: meta.description }),
    ...(relatesTo.length > 0 && { relatesTo }),
    securityLabel: meta.confidentiality.map(cc),
    content: [
      {
        attachment: {
          contentType: meta.mimeType,
          language: meta.languageCode,
          ...((ids.url ?? meta.contentUrl) !== undefined && { url: ids.url ?? meta.contentUrl }),
          ...(meta.size !== undefined && { size: meta.size }),
          ...(meta.hash !== undefined && { hash: hexToBase64(meta.hash) }),
          title: meta.title,
          creation: meta.creation,
        },
        format: coding(meta.format),
      },
    ],
    context: {
      ...(meta.eventCodes.length > 0 && { event: meta.eventCodes.map(cc) }),
      period: {
        start: meta.serviceStart,
        ...(meta.serviceStop !== undefined && { end: meta.serviceStop }),
      },
      facilityType: cc(meta.facilityType),
      practiceSetting: cc(meta.practiceSetting),
      sourcePatientInfo: { reference: '#source-patient' },
    },
  };
}
