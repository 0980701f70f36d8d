/**
 * The metadata of one document (an XDS DocumentEntry, a PDSm DocumentReference), as the service stores
 * and checks it. Pure data: readers (the FHIR adapter's http/fhir/from-document-reference.ts, `derive-from-cda.ts`)
 * build it, rules (`metadata-codes.ts`, `content-check.ts`) check it, http/fhir/to-document-reference.ts writes it
 * back as FHIR.
 *
 * Conventions:
 * - Codings keep the system as received (any spelling: NOS URL, FHIR canonical, `urn:oid:`, bare OID);
 *   compare systems with `canonicalSystem`, emit with `systemUrl`.
 * - Times are FHIR `dateTime` strings (a CDA HL7 TS is converted by `cdaTimeToFhir`).
 * - `uniqueId` is the XDS form: `<OID>` or `<OID>^<extension>` (or a bare lower-case UUID).
 * - `hash` is the SHA-1 of the bytes in lower-case hex (XDS form; FHIR carries it in base64).
 *
 * Issue locations (issue 18 point 4): a rule's issue names the field of this model it concerns ({@link FIELD}:
 * `uniqueId`, `confidentiality[2]`; `content` for the bytes), and the deposit prefixes the entry
 * ({@link atEntry}: `DocumentEntry[0].uniqueId`). Each interface maps them to its own location: the FHIR adapter to
 * FHIRPath (http/fhir/entry-locations.ts), the SOAP adapter to the ebRIM object's id (http/xds/repository.ts).
 */
import type { DomainIssue } from '../errors.ts';
import type { Result } from '../result.ts';
import { err, ok } from '../result.ts';
import { CS, canonicalSystem } from '../identity/code-systems.ts';

export interface Coding {
  readonly system: string;
  readonly code: string;
  readonly display?: string;
}

/** An identifier with its system (`urn:oid:…` for OIDs, or a URL). */
export interface Identifier {
  readonly system: string;
  readonly value: string;
}

/** The patient of the record: an INS (value + bare OID of its system). */
export interface PatientIns {
  readonly value: string;
  readonly oid: string;
}

export interface PersonName {
  readonly family?: string;
  readonly given: readonly string[];
  readonly prefix?: string;
  readonly suffix?: string;
}

/** The structure (authorInstitution) an author acts from. */
export interface AuthorStructure {
  /** IdNat_Struct (identifier system urn:oid:1.2.250.1.71.4.2.2). */
  readonly idNatStruct?: string;
  /** The identifier as received when it is not an IdNat_Struct. */
  readonly identifier?: Identifier;
  readonly name?: string;
}

export type AuthorKind = 'practitioner' | 'organization' | 'device' | 'patient' | 'related-person';

/** One author (XDS authorPerson + authorInstitution + authorRole + authorSpecialty). */
export interface DocumentAuthor {
  readonly kind: AuthorKind;
  /** IdNat_PS of a professional (system urn:oid:1.2.250.1.71.4.2.1). */
  readonly idNatPs?: string;
  /** Another identifier (device id, patient INS, an unknown system…). */
  readonly identifier?: Identifier;
  readonly name?: PersonName;
  /** Device or organization name. */
  readonly displayName?: string;
  /** The role/specialty coding as received (e.g. TRE_A02 `G15_10/SM26`, or TRE_G15 `10`). */
  readonly role?: Coding;
  /**
   * XDS authorRole when an authorSpecialty came beside it (`role` then holds the specialty): the author's role as
   * received, kept to be answered.
   */
  readonly functionalRole?: Coding;
  /** TRE_G15 profession code (`10` médecin, `21` pharmacien…), when known. */
  readonly profession?: string;
  /** Specialty (SMxx of TRE_R38/R01), when known. */
  readonly specialty?: string;
  readonly structure?: AuthorStructure;
}

/** The visibility flags the DMP adds to the confidentiality code (TRE_A07). */
export type VisibilityCode = 'MASQUE_PS' | 'INVISIBLE_PATIENT' | 'INVISIBLE_REPRESENTANTS_LEGAUX';
export const VISIBILITY_CODES: ReadonlySet<string> = new Set<VisibilityCode>([
  'MASQUE_PS',
  'INVISIBLE_PATIENT',
  'INVISIBLE_REPRESENTANTS_LEGAUX',
]);

export type RelationCode = 'replaces' | 'transforms' | 'signs' | 'appends';

export interface DocumentRelation {
  readonly code: RelationCode;
  /** FHIR reference to the target DocumentReference (`DocumentReference/<id>`), when given (as a FHIR reader read it). */
  readonly target?: string;
  /** The registry id of the target (XDS entryUUID, FHIR DocumentReference id), when the submission names it. */
  readonly targetId?: string;
  /** uniqueId of the target, when known (CDA `relatedDocument/parentDocument/id`). */
  readonly targetUniqueId?: string;
}

export interface DocumentMetadata {
  readonly uniqueId: string;
  readonly type: Coding;
  readonly class: Coding;
  readonly format: Coding;
  readonly facilityType: Coding;
  readonly practiceSetting: Coding;
  /**
   * XDS confidentialityCode list: the level (N, R or V, HL7 v3 Confidentiality) and the DMP's visibility
   * flags (TRE_A07). See {@link confidentialityLevel} and {@link visibilityFlags}.
   */
  readonly confidentiality: readonly Coding[];
  readonly languageCode: string;
  readonly mimeType: string;
  /** Document creation (XDS creationTime; CDA effectiveTime). */
  readonly creation: string;
  readonly serviceStart: string;
  readonly serviceStop?: string;
  readonly title: string;
  readonly description?: string;
  readonly authors: readonly DocumentAuthor[];
  readonly legalAuthenticator?: DocumentAuthor;
  readonly patient: PatientIns;
  /** XDS sourcePatientId: the producer's local id (IPP), else the INS. */
  readonly sourcePatientId: Identifier;
  /** Declared size in bytes (the server computes and compares). */
  readonly size?: number;
  /** Declared SHA-1, lower-case hex. */
  readonly hash?: string;
  readonly relatesTo: readonly DocumentRelation[];
  readonly eventCodes: readonly Coding[];
  /** DocumentReference.date as sent (time the metadata was created), if any. */
  readonly date?: string;
  /** Client's attachment.url (`Binary/…`, `urn:uuid:…`), kept for the ITI-65 reference resolution. */
  readonly contentUrl?: string;
  /** PDSm isArchived extension, when present. */
  readonly archived?: boolean;
}

/** What a client may leave out: everything, filled later from a CDA header. */
export type DocumentMetadataDraft = {
  -readonly [K in keyof DocumentMetadata]?: DocumentMetadata[K];
};

/**
 * The fields of a DocumentEntry an issue may name: those of {@link DocumentMetadata}, and `content` (its bytes).
 * A location is one of them, optionally followed by an index (`confidentiality[2]`, `authors[0]`).
 */
export type DocumentEntryField = keyof DocumentMetadata | 'content';

/** The field names, for the rules' issue locations (`location: [FIELD.uniqueId]`). */
export const FIELD = {
  uniqueId: 'uniqueId',
  type: 'type',
  class: 'class',
  format: 'format',
  facilityType: 'facilityType',
  practiceSetting: 'practiceSetting',
  confidentiality: 'confidentiality',
  languageCode: 'languageCode',
  mimeType: 'mimeType',
  creation: 'creation',
  serviceStart: 'serviceStart',
  serviceStop: 'serviceStop',
  title: 'title',
  description: 'description',
  authors: 'authors',
  legalAuthenticator: 'legalAuthenticator',
  patient: 'patient',
  sourcePatientId: 'sourcePatientId',
  size: 'size',
  hash: 'hash',
  relatesTo: 'relatesTo',
  eventCodes: 'eventCodes',
  date: 'date',
  contentUrl: 'contentUrl',
  archived: 'archived',
  content: 'content',
} as const satisfies { readonly [K in DocumentEntryField]: K };

/**
 * The fields the DMP requires of every document (CI-SIS "Fiche" of DocumentEntry metadata, as PDSm
 * carries them). size and hash are not required: the server computes them. sourcePatientId defaults to
 * the INS (see {@link completeDraft}).
 */
export const REQUIRED_FIELDS = [
  'uniqueId',
  'type',
  'class',
  'format',
  'facilityType',
  'practiceSetting',
  'confidentiality',
  'languageCode',
  'mimeType',
  'creation',
  'serviceStart',
  'title',
  'authors',
  'patient',
] as const satisfies readonly (keyof DocumentMetadata)[];

function isMissing(v: unknown): boolean {
  return v === undefined || v === '' || (Array.isArray(v) && v.length === 0);
}

/**
 * A complete DocumentMetadata from a draft, or one DOC_REQUIRED_MISSING per missing required field.
 * Defaults: sourcePatientId = the INS, relatesTo and eventCodes = [].
 */
export function completeDraft(
  draft: DocumentMetadataDraft,
): Result<DocumentMetadata, DomainIssue[]> {
  const issues: DomainIssue[] = [];
  for (const f of REQUIRED_FIELDS) {
    if (isMissing(draft[f])) {
      issues.push({
        code: 'DOC_REQUIRED_MISSING',
        message: `Required metadata missing: ${f}`,
        location: [FIELD[f]],
      });
    }
  }
  if (issues.length > 0) {
    return err(issues);
  }
  const patient = draft.patient as PatientIns;
  const full = {
    ...draft,
    sourcePatientId: draft.sourcePatientId ?? {
      system: `urn:oid:${patient.oid}`,
      value: patient.value,
    },
    relatesTo: draft.relatesTo ?? [],
    eventCodes: draft.eventCodes ?? [],
  } as DocumentMetadata;
  return ok(full);
}

// ---------------------------------------------------------------------------------------------
// Helpers on a metadata record (used by the access rules and the search index)

const HL7_CONFIDENTIALITY_LEVELS: ReadonlySet<string> = new Set(['N', 'R', 'V']);

/** The N/R/V level among the confidentiality codes (the first one), if any. */
export function confidentialityLevel(
  meta: Pick<DocumentMetadata, 'confidentiality'>,
): string | undefined {
  return meta.confidentiality.find((c) => HL7_CONFIDENTIALITY_LEVELS.has(c.code))?.code;
}

/** The DMP visibility flags among the confidentiality codes. */
export function visibilityFlags(
  meta: Pick<DocumentMetadata, 'confidentiality'>,
): ReadonlySet<VisibilityCode> {
  const out = new Set<VisibilityCode>();
  for (const c of meta.confidentiality) {
    if (VISIBILITY_CODES.has(c.code)) {
      out.add(c.code as VisibilityCode);
    }
  }
  return out;
}

/** IdNat_PS of every professional author. */
export function authorIdNatPs(meta: Pick<DocumentMetadata, 'authors'>): string[] {
  return meta.authors.flatMap((a) => (a.idNatPs ? [a.idNatPs] : []));
}

/** IdNat_Struct of every author's structure (and of organization authors). */
export function authorStructureIds(meta: Pick<DocumentMetadata, 'authors'>): string[] {
  const out = new Set<string>();
  for (const a of meta.authors) {
    if (a.structure?.idNatStruct) {
      out.add(a.structure.idNatStruct);
    }
  }
  return [...out];
}

/** Issues located on a field of an entry (`uniqueId`) located on that entry (`DocumentEntry[0].uniqueId`). */
export function atEntry(issues: readonly DomainIssue[], root: string): DomainIssue[] {
  return issues.map((i) =>
    i.location ? { ...i, location: i.location.map((l) => `${root}.${l}`) } : i,
  );
}

/** profession/specialty from a role coding: TRE_A02 `G15_10/SM26`, TRE_G15 `10`, R01/R38 `SM26`. */
export function professionOf(c: Coding): { profession?: string; specialty?: string } {
  const key = canonicalSystem(c.system);
  if (key === CS.TRE_A02_PROFESSION_SAV_FAIRE) {
    const [prof, spec] = c.code.split('/');
    const m = /^G15_(\w+)$/.exec(prof ?? '');
    return {
      ...(m?.[1] !== undefined && { profession: m[1] }),
      ...(spec !== undefined && spec !== '' && { specialty: spec }),
    };
  }
  if (key === CS.TRE_G15_PROFESSION_SANTE) {
    return { profession: c.code };
  }
  if (/^SM\d+$/.test(c.code)) {
    return { specialty: c.code };
  }
  return {};
}
