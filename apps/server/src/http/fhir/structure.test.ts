import { describe, expect, it } from 'vitest';
import { DomainFailure } from '../../domain/errors.ts';
import { requireFhirStructure } from './structure.ts';

const consent = (actor: Record<string, unknown>, scope: unknown = { text: 'x' }) => ({
  resourceType: 'Consent',
  status: 'active',
  scope,
  category: [{ text: 'x' }],
  provision: { actor: [actor] },
});

function codes(f: () => void): string[] {
  try {
    f();
    return [];
  } catch (e) {
    return e instanceof DomainFailure ? (e.error.issues ?? [e.error]).map((i) => i.code) : ['?'];
  }
}

describe('requireFhirStructure', () => {
  const actor = { reference: { identifier: { value: '1' } } };
  it('lets a client leave out a required element the route says it may omit', () => {
    expect(
      codes(() => requireFhirStructure(consent(actor), 'Consent', [/\.actor\[\d+\]\.role$/])),
    ).toEqual([]);
    expect(codes(() => requireFhirStructure(consent(actor), 'Consent'))).toEqual([
      'FHIR_STRUCTURE',
    ]);
  });
  it('still refuses a wrong type there, and everywhere else', () => {
    const omit = [/\.actor\[\d+\]\.role$/];
    expect(
      codes(() => requireFhirStructure(consent({ ...actor, role: 1 }), 'Consent', omit)),
    ).toEqual(['FHIR_STRUCTURE']);
    expect(codes(() => requireFhirStructure(consent(actor, []), 'Consent', omit))).toEqual([
      'FHIR_STRUCTURE',
    ]);
    expect(codes(() => requireFhirStructure({ resourceType: 'Patient' }, 'Consent', omit))).toEqual(
      ['FHIR_STRUCTURE'],
    );
  });
});
