/**
 * The CDA N1 header from document metadata (what a portal user chose, or what a stored document carries) and the
 * record: the input of {@link buildLevelOneCda}. Pure.
 *
 * Rules:
 *  W1. Codes keep their value and display; their system becomes the bare OID CDA needs (code-systems.ts S1).
 *  W2. The confidentiality level is the metadata's N/R/V (visibility flags stay metadata only), N when none.
 *  W3. Title: the metadata's, else the type's display, else "Document". Language: the metadata's, else fr-FR.
 *  W4. Service period: the metadata's start and stop, as HL7 TS (a date stays a date); without a start, the
 *      creation time, else `now`.
 *  W5. The author: the metadata's first author when it is a professional (IdNat_PS), the patient or a person;
 *      otherwise `fallback` (the acting user). A professional's role keeps its coding, its structure its IdNat_Struct.
 */
import type {
  DocumentAuthor,
  DocumentMetadataDraft,
  PersonName,
} from '../domain/documents/model.ts';
import { canonicalSystem } from '../domain/identity/code-systems.ts';
import type { DomainIssue } from '../domain/errors.ts';
import { FIELD } from '../domain/documents/model.ts';
import { err, ok } from '../domain/result.ts';
import type { Result } from '../domain/result.ts';
import type { CdaId, CdaPatient } from './header.ts';
import type { CdaCodeValue, CdaPersonName, LevelOneAuthor, LevelOneInput } from './level-one.ts';
import { hl7Time } from './xml.ts';

const LEVELS: ReadonlySet<string> = new Set(['N', 'R', 'V']);
const OID = /^[0-2](\.(0|[1-9]\d*))+$/;

export interface LevelOneSource {
  readonly metadata: DocumentMetadataDraft;
  readonly patient: CdaPatient;
  /** The author when the metadata names none the header can carry (the acting user). */
  readonly fallback: LevelOneAuthor;
  readonly id: CdaId;
  readonly now: Date;
  readonly hostName: string;
  readonly mediaType: string;
  readonly content: Uint8Array;
}

/** W1: a coding as a CDA code; undefined when its system has no OID. */
export function cdaCodeOf(
  coding: { readonly system: string; readonly code: string; readonly display?: string } | undefined,
): CdaCodeValue | undefined {
  if (!coding) {
    return undefined;
  }
  const codeSystem = canonicalSystem(coding.system);
  if (!OID.test(codeSystem)) {
    return undefined;
  }
  return {
    code: coding.code,
    codeSystem,
    ...(coding.display !== undefined ? { displayName: coding.display } : {}),
  };
}

/** W4: a FHIR date or dateTime as an HL7 TS. */
export function hl7TimeOf(value: string): string | undefined {
  if (/^\d{4}(-\d{2}(-\d{2})?)?$/.test(value)) {
    return value.replace(/-/g, '');
  }
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? undefined : hl7Time(at);
}

function nameOf(name: PersonName | undefined): CdaPersonName | undefined {
  return name
    ? { ...(name.family !== undefined ? { family: name.family } : {}), given: name.given }
    : undefined;
}

/** W5. */
export function authorOf(
  author: DocumentAuthor | undefined,
  fallback: LevelOneAuthor,
): LevelOneAuthor {
  if (!author) {
    return fallback;
  }
  const name = nameOf(author.name);
  if (author.kind === 'practitioner' && author.idNatPs !== undefined) {
    const role = cdaCodeOf(author.role);
    const structure = author.structure;
    return {
      kind: 'professional',
      idNatPs: author.idNatPs,
      ...(name ? { name } : fallback.name ? { name: fallback.name } : {}),
      ...(role ? { role } : {}),
      ...(structure?.idNatStruct !== undefined || structure?.name !== undefined
        ? {
            structure: {
              ...(structure.idNatStruct !== undefined
                ? { idNatStruct: structure.idNatStruct }
                : {}),
              ...(structure.name !== undefined ? { name: structure.name } : {}),
            },
          }
        : {}),
    };
  }
  if (author.kind === 'patient') {
    return { kind: 'patient', ...(name ? { name } : fallback.name ? { name: fallback.name } : {}) };
  }
  if (author.kind === 'related-person') {
    return { kind: 'person', ...(name ? { name } : fallback.name ? { name: fallback.name } : {}) };
  }
  return fallback;
}

/** W1–W5: the generator's input; a type code is required (the header's `code`), DOC_REQUIRED_MISSING without. */
export function levelOneInputOf(source: LevelOneSource): Result<LevelOneInput, DomainIssue[]> {
  const m = source.metadata;
  const type = cdaCodeOf(m.type);
  if (!type) {
    return err([
      {
        code: 'DOC_REQUIRED_MISSING',
        message: 'typeCode is required (a code of the DMP type value set)',
        location: [FIELD.type],
      },
    ]);
  }
  const level = (m.confidentiality ?? []).find((c) => LEVELS.has(c.code))?.code ?? 'N';
  const creation = m.creation !== undefined ? new Date(m.creation) : source.now;
  const effectiveTime = Number.isNaN(creation.getTime()) ? source.now : creation;
  const start =
    (m.serviceStart !== undefined ? hl7TimeOf(m.serviceStart) : undefined) ??
    hl7Time(effectiveTime);
  const stop = m.serviceStop !== undefined ? hl7TimeOf(m.serviceStop) : undefined;
  const facility = cdaCodeOf(m.facilityType);
  const setting = cdaCodeOf(m.practiceSetting);
  return ok({
    id: source.id,
    type,
    title: m.title ?? m.type?.display ?? 'Document',
    effectiveTime,
    confidentiality: level,
    languageCode: m.languageCode ?? 'fr-FR',
    patient: source.patient,
    author: authorOf(m.authors?.[0], source.fallback),
    authorTime: source.now,
    serviceStart: start,
    ...(stop !== undefined ? { serviceStop: stop } : {}),
    // Without them the deposit's metadata check reports DOC_REQUIRED_MISSING, as for any document.
    ...(setting ? { practiceSetting: setting } : {}),
    ...(facility ? { facilityType: facility } : {}),
    hostName: source.hostName,
    mediaType: source.mediaType,
    content: source.content,
  });
}
