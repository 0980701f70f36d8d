import type { DomainIssue, ErrorKind } from '../domain/errors.ts';
import { frenchIssueText } from './error-text-fr.ts';

/**
 * FHIR OperationOutcome building. Issue codes follow the FHIR IssueType value set; our stable code goes in details,
 * with a French text for people (error-text-fr.ts); the English message goes in diagnostics.
 */
export const OPENDMP_ERROR_SYSTEM = 'https://opendmp.fr/fhir/CodeSystem/error-code';

export interface OperationOutcome {
  resourceType: 'OperationOutcome';
  issue: {
    severity: 'fatal' | 'error' | 'warning' | 'information';
    code: string;
    details?: { coding: { system: string; code: string }[]; text: string };
    diagnostics?: string;
    expression?: string[];
  }[];
}

const ISSUE_TYPE: Record<ErrorKind, string> = {
  invalid: 'invalid',
  unauthenticated: 'login',
  forbidden: 'forbidden',
  'not-found': 'not-found',
  conflict: 'conflict',
  gone: 'deleted',
  'too-large': 'too-costly',
  'unsupported-media': 'not-supported',
  unprocessable: 'business-rule',
  'rate-limited': 'throttled',
  unavailable: 'transient',
};

export const STATUS: Record<ErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  gone: 410,
  'too-large': 413,
  'unsupported-media': 415,
  unprocessable: 422,
  'rate-limited': 429,
  unavailable: 503,
};

export function operationOutcome(
  kind: ErrorKind,
  issues: readonly DomainIssue[],
): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: issues.map((i) => ({
      severity: 'error',
      code: ISSUE_TYPE[kind],
      details: {
        coding: [{ system: OPENDMP_ERROR_SYSTEM, code: i.code }],
        text: frenchIssueText(i.code, kind, i.message),
      },
      diagnostics: i.message,
      ...(i.location && i.location.length > 0 ? { expression: [...i.location] } : {}),
    })),
  };
}

export function informationOutcome(code: string, message: string): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: [
      {
        severity: 'information',
        code: 'informational',
        details: { coding: [{ system: OPENDMP_ERROR_SYSTEM, code }], text: message },
        diagnostics: message,
      },
    ],
  };
}
