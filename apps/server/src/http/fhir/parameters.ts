import { DomainFailure, domainError } from '../../domain/errors.ts';
import { requireFhirStructure } from './structure.ts';

/** Reading FHIR Parameters bodies of operations ($close, $opposition…). */
type Json = Record<string, unknown>;

export function parameterValue(body: unknown, name: string): unknown {
  if (
    typeof body !== 'object' ||
    body === null ||
    (body as Json)['resourceType'] !== 'Parameters'
  ) {
    return undefined;
  }
  const params = (body as Json)['parameter'];
  if (!Array.isArray(params)) {
    return undefined;
  }
  for (const p of params) {
    if (typeof p === 'object' && p !== null && (p as Json)['name'] === name) {
      for (const [k, v] of Object.entries(p as Json)) {
        if (k.startsWith('value')) {
          return v;
        }
      }
    }
  }
  return undefined;
}

export function requireParameters(body: unknown): void {
  if (
    body !== undefined &&
    body !== null &&
    (typeof body !== 'object' || (body as Json)['resourceType'] !== 'Parameters')
  ) {
    throw new DomainFailure(
      domainError(
        'invalid',
        'HTTP_PARAMETERS_EXPECTED',
        'The body must be a FHIR Parameters resource.',
      ),
    );
  }
  if (body !== undefined && body !== null) {
    requireFhirStructure(body, 'Parameters');
  }
}

/** Parses a FHIR token `system|value` (or a bare value). */
export function parseToken(token: string): { system: string | undefined; value: string } {
  const bar = token.indexOf('|');
  if (bar < 0) {
    return { system: undefined, value: token };
  }
  return { system: token.slice(0, bar) || undefined, value: token.slice(bar + 1) };
}
