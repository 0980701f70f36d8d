import { describe, expect, it } from 'vitest';
import { isApiUrl } from './cache-control.ts';

describe('which answers must not be stored', () => {
  it.each([
    ['/fhir', true],
    ['/fhir/', true],
    ['/fhir?_format=json', true],
    ['/fhir/DocumentReference?patient.identifier=x', true],
    ['/fhir/Binary/123', true],
    ['/portal-api/documents/1/audience', true],
    ['/auth/portal/session', true],
    ['/fhirx', false],
    ['/patient/assets/index.js', false],
    ['/health', false],
    ['/', false],
  ] as const)('%s → %s', (url, api) => {
    expect(isApiUrl(url)).toBe(api);
  });
});
