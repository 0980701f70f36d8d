/**
 * The FHIR shapes the portals read, and small pure helpers over them. Only what the screens use.
 */
export interface Coding {
  readonly system?: string;
  readonly code?: string;
  readonly display?: string;
}
export interface CodeableConcept {
  readonly coding?: readonly Coding[];
  readonly text?: string;
}
export interface Identifier {
  readonly system?: string;
  readonly value?: string;
}
export interface Reference {
  readonly reference?: string;
  readonly type?: string;
  readonly identifier?: Identifier;
  readonly display?: string;
}
export interface Extension {
  readonly url: string;
  readonly valueBoolean?: boolean;
  readonly valueCode?: string;
  readonly valueString?: string;
  readonly valueDateTime?: string;
  readonly extension?: readonly Extension[];
}
export interface HumanName {
  /** official (birth name), usual (used name) */
  readonly use?: string;
  readonly family?: string;
  readonly given?: readonly string[];
  readonly prefix?: readonly string[];
}

export interface Bundle<T> {
  readonly resourceType: 'Bundle';
  readonly total?: number;
  readonly entry?: readonly { readonly resource?: T; readonly fullUrl?: string }[];
  readonly link?: readonly { readonly relation: string; readonly url: string }[];
}

export function resources<T>(bundle: Bundle<T> | undefined): T[] {
  return (bundle?.entry ?? []).map((e) => e.resource).filter((r): r is T => r !== undefined);
}

export interface Patient {
  readonly resourceType: 'Patient';
  readonly id: string;
  readonly identifier?: readonly Identifier[];
  readonly active?: boolean;
  readonly name?: readonly HumanName[];
  readonly gender?: string;
  readonly birthDate?: string;
  readonly extension?: readonly Extension[];
  readonly generalPractitioner?: readonly Reference[];
}

export const RECORD_STATUS_EXTENSION =
  'https://opendmp.fr/fhir/StructureDefinition/dmp-record-status';
export const CALLER_STANDING_EXTENSION =
  'https://opendmp.fr/fhir/StructureDefinition/dmp-caller-standing';

function sub(ext: Extension | undefined, url: string): Extension | undefined {
  return ext?.extension?.find((e) => e.url === url);
}

export interface RecordStatus {
  /** active or closed */
  readonly status: string;
  readonly closureDate?: string;
  readonly closureReason?: string;
  readonly deletionRequested?: string;
}

export function recordStatus(p: Patient): RecordStatus {
  const ext = p.extension?.find((e) => e.url === RECORD_STATUS_EXTENSION);
  const closureDate = sub(ext, 'closureDate')?.valueDateTime;
  const closureReason = sub(ext, 'closureReason')?.valueCode;
  const deletionRequested = sub(ext, 'deletionRequested')?.valueDateTime;
  return {
    status: sub(ext, 'status')?.valueCode ?? (p.active === false ? 'closed' : 'active'),
    ...(closureDate !== undefined ? { closureDate } : {}),
    ...(closureReason !== undefined ? { closureReason } : {}),
    ...(deletionRequested !== undefined ? { deletionRequested } : {}),
  };
}

export interface CallerStanding {
  readonly authorized: boolean;
  readonly blocked: boolean;
  readonly medecinTraitant: boolean;
  readonly brisDeGlace: boolean;
  readonly centre15: boolean;
  readonly authorizedVia?: string;
}

export function callerStanding(p: Patient): CallerStanding | undefined {
  const ext = p.extension?.find((e) => e.url === CALLER_STANDING_EXTENSION);
  if (!ext) {
    return undefined;
  }
  const flag = (name: string): boolean => sub(ext, name)?.valueBoolean === true;
  const via = sub(ext, 'authorizedVia')?.valueCode;
  return {
    authorized: flag('authorized'),
    blocked: flag('blocked'),
    medecinTraitant: flag('medecinTraitant'),
    brisDeGlace: flag('bris_de_glace'),
    centre15: flag('centre_15'),
    ...(via !== undefined ? { authorizedVia: via } : {}),
  };
}

export function patientName(p: Patient | undefined): string {
  const n = p?.name?.[0];
  if (!n) {
    return '';
  }
  return [n.given?.[0], n.family].filter(Boolean).join(' ');
}

// ------------------------------------------------------------------ DocumentReference

interface ContainedResource {
  readonly resourceType: string;
  readonly id?: string;
  readonly name?: readonly HumanName[] | string;
  readonly identifier?: readonly Identifier[];
  readonly practitioner?: Reference;
  readonly organization?: Reference;
  readonly code?: readonly CodeableConcept[];
  readonly deviceName?: readonly { readonly name: string }[];
}

export interface DocumentReference {
  readonly resourceType: 'DocumentReference';
  readonly id: string;
  readonly meta?: { readonly versionId?: string; readonly lastUpdated?: string };
  readonly contained?: readonly ContainedResource[];
  readonly extension?: readonly Extension[];
  readonly masterIdentifier?: Identifier;
  /** current, superseded or entered-in-error */
  readonly status: string;
  readonly type?: CodeableConcept;
  readonly category?: readonly CodeableConcept[];
  readonly subject?: Reference;
  readonly date?: string;
  readonly author?: readonly Reference[];
  readonly description?: string;
  readonly relatesTo?: readonly { readonly code: string; readonly target: Reference }[];
  readonly securityLabel?: readonly CodeableConcept[];
  readonly content: readonly {
    readonly attachment: {
      readonly contentType?: string;
      readonly url?: string;
      readonly size?: number;
      readonly title?: string;
      readonly creation?: string;
      readonly language?: string;
    };
    readonly format?: Coding;
  }[];
  readonly context?: {
    readonly period?: { readonly start?: string; readonly end?: string };
    readonly facilityType?: CodeableConcept;
    readonly practiceSetting?: CodeableConcept;
  };
}

export const IS_ARCHIVED_EXTENSION =
  'https://interop.esante.gouv.fr/ig/fhir/pdsm/StructureDefinition/pdsm-ext-is-archived';
export const IDNAT_PS_SYSTEM = 'urn:oid:1.2.250.1.71.4.2.1';
export const IDNAT_STRUCT_SYSTEM = 'urn:oid:1.2.250.1.71.4.2.2';

export function firstCoding(cc: CodeableConcept | undefined): Coding | undefined {
  return cc?.coding?.[0];
}

export function display(cc: CodeableConcept | undefined): string {
  const c = firstCoding(cc);
  return cc?.text ?? c?.display ?? c?.code ?? '';
}

export function docTitle(d: DocumentReference): string {
  return d.content[0]?.attachment.title ?? display(d.type) ?? 'Document';
}

/** Date of the act (service start), else creation, else deposit. */
export function docDate(d: DocumentReference): string | undefined {
  return d.context?.period?.start ?? d.content[0]?.attachment.creation ?? d.date;
}

export function docLabels(d: DocumentReference): string[] {
  return (d.securityLabel ?? [])
    .map((l) => firstCoding(l)?.code)
    .filter((c): c is string => c !== undefined);
}

export function isArchived(d: DocumentReference): boolean {
  return (
    d.extension?.some((e) => e.url === IS_ARCHIVED_EXTENSION && e.valueBoolean === true) ?? false
  );
}

function byRef(d: DocumentReference, ref: string | undefined): ContainedResource | undefined {
  if (ref === undefined || !ref.startsWith('#')) {
    return undefined;
  }
  return d.contained?.find((c) => c.id === ref.slice(1));
}

function nameOf(r: ContainedResource | undefined): string | undefined {
  if (!r) {
    return undefined;
  }
  if (typeof r.name === 'string') {
    return r.name;
  }
  const n = r.name?.[0];
  if (n) {
    return [n.prefix?.[0], n.given?.[0], n.family].filter(Boolean).join(' ');
  }
  return r.deviceName?.[0]?.name;
}

export interface DocumentAuthorView {
  readonly name: string;
  readonly idNatPs?: string;
  readonly organization?: string;
  readonly kind: string;
}

export function docAuthors(d: DocumentReference): DocumentAuthorView[] {
  return (d.author ?? []).map((a): DocumentAuthorView => {
    const r = byRef(d, a.reference);
    if (r?.resourceType === 'PractitionerRole') {
      const p = byRef(d, r.practitioner?.reference);
      const o = byRef(d, r.organization?.reference);
      const idNatPs = p?.identifier?.find((i) => i.system === IDNAT_PS_SYSTEM)?.value;
      const organization = nameOf(o);
      return {
        kind: 'professional',
        name: nameOf(p) ?? a.display ?? 'Professionnel',
        ...(idNatPs !== undefined ? { idNatPs } : {}),
        ...(organization !== undefined ? { organization } : {}),
      };
    }
    if (r?.resourceType === 'Practitioner') {
      const idNatPs = r.identifier?.find((i) => i.system === IDNAT_PS_SYSTEM)?.value;
      return {
        kind: 'professional',
        name: nameOf(r) ?? 'Professionnel',
        ...(idNatPs !== undefined ? { idNatPs } : {}),
      };
    }
    if (r?.resourceType === 'Patient' || r?.resourceType === 'RelatedPerson') {
      return { kind: 'patient', name: nameOf(r) ?? 'Patient' };
    }
    return { kind: r?.resourceType ?? 'unknown', name: nameOf(r) ?? a.display ?? 'Auteur inconnu' };
  });
}

export function authorLine(d: DocumentReference): string {
  return docAuthors(d)
    .map((a) => (a.organization ? `${a.name} (${a.organization})` : a.name))
    .join(', ');
}

export function contentOf(d: DocumentReference): { url?: string; contentType?: string } {
  const a = d.content[0]?.attachment;
  return {
    ...(a?.url !== undefined ? { url: a.url } : {}),
    ...(a?.contentType !== undefined ? { contentType: a.contentType } : {}),
  };
}

/** The attachment URL as a same-origin path (the server may give an absolute URL). */
export function samePath(url: string): string {
  try {
    const u = new URL(url, window.location.origin);
    return u.origin === window.location.origin ? `${u.pathname}${u.search}` : url;
  } catch {
    return url;
  }
}

// ------------------------------------------------------------------ Consent

export interface Consent {
  readonly resourceType: 'Consent';
  readonly id: string;
  readonly status: string;
  readonly dateTime?: string;
  readonly meta?: { readonly tag?: readonly Coding[] };
  readonly provision?: {
    readonly type?: 'permit' | 'deny';
    readonly actor?: readonly { readonly role?: CodeableConcept; readonly reference: Reference }[];
    readonly code?: readonly CodeableConcept[];
    readonly purpose?: readonly Coding[];
    readonly period?: { readonly start?: string; readonly end?: string };
  };
}

export type ConsentKind = 'authorization' | 'block' | 'emergency-objection' | 'care-team-objection';

export function consentKind(c: Consent): ConsentKind | undefined {
  const tag = c.meta?.tag?.find(
    (t) => t.system === 'https://opendmp.fr/fhir/CodeSystem/consent-kind',
  )?.code;
  return tag as ConsentKind | undefined;
}

export const TRE_R248_SYSTEM =
  'https://mos.esante.gouv.fr/NOS/TRE_R248-ModeAcces/FHIR/TRE-R248-ModeAcces';

// ------------------------------------------------------------------ AuditEvent, Communication

export interface AuditEvent {
  readonly resourceType: 'AuditEvent';
  readonly id: string;
  readonly type?: Coding;
  readonly subtype?: readonly Coding[];
  readonly action?: string;
  readonly recorded: string;
  readonly outcome?: string;
  readonly outcomeDesc?: string;
  readonly purposeOfEvent?: readonly CodeableConcept[];
  readonly agent?: readonly {
    readonly type?: CodeableConcept;
    readonly role?: readonly CodeableConcept[];
    readonly who?: Reference;
    readonly name?: string;
    readonly requestor?: boolean;
    readonly purposeOfUse?: readonly CodeableConcept[];
    readonly extension?: readonly Extension[];
  }[];
  readonly entity?: readonly {
    readonly what?: Reference;
    readonly type?: Coding;
    readonly description?: string;
    readonly detail?: readonly { readonly type: string; readonly valueString?: string }[];
  }[];
  readonly extension?: readonly Extension[];
}

export interface Communication {
  readonly resourceType: 'Communication';
  readonly id: string;
  readonly status: string;
  readonly sent?: string;
  readonly received?: string;
  readonly category?: readonly CodeableConcept[];
  readonly topic?: CodeableConcept;
  readonly payload?: readonly { readonly contentString?: string }[];
  readonly extension?: readonly Extension[];
  readonly meta?: { readonly tag?: readonly Coding[] };
  /** The document or consent concerned (DocumentReference/{id}, Consent/{id}). */
  readonly about?: readonly Reference[];
  /** The record (for the médecin traitant: with the patient's INS). */
  readonly subject?: Reference;
  readonly priority?: string;
}
