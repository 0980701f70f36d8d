import type { DomainError, DomainIssue } from '../../domain/errors.ts';
import { DOCUMENT_REFERENCE_PATH } from './from-document-reference.ts';
import { LIST_FIELD } from '../../domain/documents/submission.ts';

/**
 * Issue 18 point 4, for the deposit: the core's issues name the entry and the field of the neutral model
 * (`DocumentEntry[0].uniqueId`, `DocumentEntry[1].confidentiality[2]`, `SubmissionSet.patient`: domain/documents/
 * submission.ts); the FHIR adapter locates each in its request, by FHIRPath (`Bundle.entry[1].resource
 * .masterIdentifier`, `….securityLabel[2]`, `Bundle.entry[0].resource.subject`). A location the tables do not name
 * is left as it is.
 */
export const ENTRY_FIELD_FHIR_PATH = {
  document: DOCUMENT_REFERENCE_PATH as Readonly<Record<string, string>>,
  list: {
    [LIST_FIELD.uniqueId]: 'List.identifier',
    [LIST_FIELD.patient]: 'List.subject',
  } as Readonly<Record<string, string>>,
};

const ENTRY_ROOT_PATTERN = /^(DocumentEntry\[\d+\]|SubmissionSet|Folder\[\d+\])(.*)$/s;

/** An entry's issue location (`DocumentEntry[0].uniqueId`) in FHIR, on the root the adapter chose for the entry. */
export function fhirFieldLocation(location: string, fhirRoot: (root: string) => string): string {
  const m = ENTRY_ROOT_PATTERN.exec(location);
  if (!m?.[1] || m[2] === undefined) {
    return location;
  }
  const [base, paths] = m[1].startsWith('DocumentEntry')
    ? ['DocumentReference', ENTRY_FIELD_FHIR_PATH.document]
    : ['List', ENTRY_FIELD_FHIR_PATH.list];
  const field = /^\.([A-Za-z]+)(.*)$/s.exec(m[2]);
  const path =
    field?.[1] !== undefined && Object.hasOwn(paths, field[1]) ? paths[field[1]] : undefined;
  const rest =
    path !== undefined && field?.[2] !== undefined ? `${path.slice(base.length)}${field[2]}` : m[2];
  return `${fhirRoot(m[1])}${rest}`;
}

/** `error` with each issue located in the FHIR request: `root` maps an entry's or association's root. */
export function locatedInRequest(
  error: DomainError,
  root: (neutralRoot: string) => string,
): DomainError {
  const locate = (l: string): string => fhirFieldLocation(l.replace(ASSOCIATION_ROOT, root), root);
  const issue = <T extends DomainIssue>(i: T): T =>
    i.location ? { ...i, location: i.location.map(locate) } : i;
  return { ...issue(error), ...(error.issues ? { issues: error.issues.map(issue) } : {}) };
}

const ASSOCIATION_ROOT = /^Association\[\d+\]/;
