import { DomainFailure, validationError } from '../../domain/errors.ts';
import { validateFhirResource } from '../../validation/fhir-schema.ts';

/**
 * The FHIR R4 structure of a posted resource, checked before any service reads it (400 FHIR_STRUCTURE with every
 * issue, at most 50): a Consent whose `scope` is a number or a Patient whose `name` is a string is refused rather
 * than half-read (issue 16, the fuzz suite). `mayOmit` lists the locations of required elements the API has always
 * let clients leave out (the service infers them).
 */
export function requireFhirStructure(
  body: unknown,
  type: string,
  mayOmit: readonly RegExp[] = [],
): void {
  const issues = validateFhirResource(body, type).filter(
    (i) =>
      !(
        i.message === 'required element missing' &&
        mayOmit.some((re) => re.test(i.location?.[0] ?? ''))
      ),
  );
  if (issues.length > 0) {
    throw new DomainFailure(validationError(issues, 'invalid'));
  }
}
