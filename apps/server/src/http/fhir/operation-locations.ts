import type { DomainError, DomainIssue } from '../../domain/errors.ts';
import { DomainFailure } from '../../domain/errors.ts';
import { NIR_FIELD } from '../../domain/identity/nir-assignment.ts';
import { MEDECIN_TRAITANT_FIELD } from '../../domain/records/medecin-traitant.ts';
import { MERGE_FIELD } from '../../domain/records/merge.ts';
import { REPRESENTATION_FIELD } from '../../services/representation.ts';

/**
 * Issue 18 point 4, for the record's use cases: the core's issues name the field of the use case's input or of the
 * record (`identifier` for the NIR of an assignment, `absorbed` and `confirmed` for a merge, `medecinTraitant`, a
 * representation's `identifier`, `start` and `end`); the
 * FHIR route locates each on its request (FHIRPath: the operation's Parameters, the Patient). A location the table
 * does not name is left as it is.
 */
const parameter = (name: string): string => `Parameters.parameter.where(name='${name}')`;

export const ASSIGN_NIR_PARAMETERS: Readonly<Record<string, string>> = {
  [NIR_FIELD]: parameter('identifier'),
};

export const MERGE_PARAMETERS: Readonly<Record<string, string>> = {
  [MERGE_FIELD.absorbed]: parameter('source-patient'),
  [MERGE_FIELD.confirmed]: parameter('confirm-identity'),
};

export const PATIENT_PATHS: Readonly<Record<string, string>> = {
  [MEDECIN_TRAITANT_FIELD]: 'Patient.generalPractitioner',
};

export const RELATED_PERSON_PATHS: Readonly<Record<string, string>> = {
  [REPRESENTATION_FIELD.identifier]: 'RelatedPerson.identifier',
  [REPRESENTATION_FIELD.start]: 'RelatedPerson.period.start',
  [REPRESENTATION_FIELD.end]: 'RelatedPerson.period.end',
};

/** `error` with each issue's neutral field located through `fhirPaths`. */
export function locatedOn(
  error: DomainError,
  fhirPaths: Readonly<Record<string, string>>,
): DomainError {
  const issue = <T extends DomainIssue>(i: T): T =>
    i.location ? { ...i, location: i.location.map((l) => fhirPaths[l] ?? l) } : i;
  return { ...issue(error), ...(error.issues ? { issues: error.issues.map(issue) } : {}) };
}

/** Runs a use case, its failures located on the FHIR request through `fhirPaths`. */
export async function locatedThrough<T>(
  fhirPaths: Readonly<Record<string, string>>,
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run();
  } catch (e) {
    throw e instanceof DomainFailure ? new DomainFailure(locatedOn(e.error, fhirPaths)) : e;
  }
}
