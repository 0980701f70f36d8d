import type { PatientRef } from '../access/patient-ref.ts';

/**
 * The patient's medical profile in the registry's terms (docs/care-history.md "Medical profile"): its entry types
 * and sections, how a section is judged by the access matrix, an entry as its interface read it (`ReadEntry`) and
 * what the server stamps on it (`Stamp`). The content of an entry is its interface's encoding, opaque to the core:
 * the FHIR adapter reads and stamps the FHIR resources (http/fhir/profile-entry.ts, rules E1–E8).
 */
export const PROFILE_TYPES = [
  'Condition',
  'AllergyIntolerance',
  'MedicationStatement',
  'Immunization',
  'Observation',
  'RelatedPerson',
] as const;
export type ProfileType = (typeof PROFILE_TYPES)[number];

export const PROFILE_SECTIONS = [
  'pathologies',
  'allergies',
  'traitements',
  'vaccinations',
  'mesures',
  'directives',
  'personne-confiance',
] as const;
export type ProfileSection = (typeof PROFILE_SECTIONS)[number];

export function isProfileType(t: string): t is ProfileType {
  return (PROFILE_TYPES as readonly string[]).includes(t);
}

/**
 * How a professional's access to a section is judged in the access matrix: advance directives as the TRE_A05
 * type EXPPAT_3 and the trusted person as EXPPAT_1 ("volontés et droits du patient"), both class 90; the other
 * sections as the matrix's profile document (DOCPAT08 by default).
 */
export function sectionAccessKind(
  section: ProfileSection,
): { readonly typeCode: string; readonly classCode: string } | undefined {
  switch (section) {
    case 'directives':
      return { typeCode: 'EXPPAT_3', classCode: '90' };
    case 'personne-confiance':
      return { typeCode: 'EXPPAT_1', classCode: '90' };
    case 'pathologies':
    case 'allergies':
    case 'traitements':
    case 'vaccinations':
    case 'mesures':
      return undefined;
  }
}

export interface ReadEntry {
  readonly type: ProfileType;
  readonly patient: PatientRef;
  readonly section: ProfileSection;
  /** The main coding, for search (LOINC code of an Observation, first coding of code/vaccineCode/medication). */
  readonly code?: { readonly system: string; readonly code: string };
  /** ISO date of the fact (onset, occurrence, effective), when given. */
  readonly effective?: string;
}

export interface Stamp {
  readonly id: string;
  readonly patientId: string;
  readonly ins: string;
  readonly insOid: string;
  readonly versionId: number;
  readonly lastUpdated: Date;
  readonly authorKind: ProfileAuthorKind;
  readonly section: ProfileSection;
  /** A professional author (issue 21 point 5: a vaccination they gave): IdNat_PS and display name. */
  readonly professional?: { readonly idNatPs: string; readonly display: string };
}

export type ProfileAuthorKind = 'patient' | 'representative' | 'professional';
