import { capIssues } from './issue-list.ts';

/**
 * Domain errors carry a stable machine-readable `code` (part of the API contract: never rename one, only add)
 * and a `kind` that the HTTP layer maps to a status in one place (http/error-handler.ts).
 * No HTTP status is chosen outside that mapping.
 */
export type ErrorKind =
  | 'invalid' // 400: malformed or semantically wrong input
  | 'unauthenticated' // 401
  | 'forbidden' // 403
  | 'not-found' // 404
  | 'conflict' // 409
  | 'gone' // 410
  | 'too-large' // 413
  | 'unsupported-media' // 415
  | 'unprocessable' // 422: well-formed, refused by a business rule
  | 'rate-limited' // 429: a quota is spent (the answer says when to retry)
  | 'unavailable'; // 503

export interface DomainIssue {
  /** Stable code, SCREAMING_SNAKE with an area prefix (ID_, REC_, DOC_, ACCESS_, AUTH_ …). */
  readonly code: string;
  /** Human-readable explanation, in English; must never contain health data the caller did not send. */
  readonly message: string;
  /**
   * Where the problem lies in the caller's input, when there is one: the field of the neutral model or of the use
   * case's input (`DocumentEntry[0].uniqueId`, `identifier`), which each adapter locates on its own request
   * (FHIRPath, an ebRIM object; issue 18 point 4). Rules still reading a FHIR body locate in FHIRPath directly
   * (docs/architecture.md lists them).
   */
  readonly location?: readonly string[];
}

export interface DomainError extends DomainIssue {
  readonly kind: ErrorKind;
  /** Further issues when several problems were found (validation). The first is `this`. */
  readonly issues?: readonly DomainIssue[];
}

export function domainError(
  kind: ErrorKind,
  code: string,
  message: string,
  location?: readonly string[],
): DomainError {
  return location ? { kind, code, message, location } : { kind, code, message };
}

/** Several validation issues reported together, as one error. */
export function validationError(
  issues: readonly DomainIssue[],
  kind: ErrorKind = 'invalid',
): DomainError {
  const first = issues[0] ?? { code: 'INVALID', message: 'Invalid input' };
  return { ...first, kind, issues: capIssues(issues) };
}

/** Thrown by the shell (services/http) to abort with a domain error; mapped by http/error-handler.ts. */
export class DomainFailure extends Error {
  readonly error: DomainError;
  constructor(error: DomainError) {
    super(`${error.code}: ${error.message}`);
    this.name = 'DomainFailure';
    this.error = error;
  }
}
