import { describe, expect, it } from 'vitest';
import { toFhirPath, validateFhirResource } from './fhir-schema.ts';

const docRef = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  resourceType: 'DocumentReference',
  status: 'current',
  content: [
    { attachment: { contentType: 'text/xml', size: 12, hash: 'A/hMRrv6Y15BjSM8kMLidrz+mHc=' } },
  ],
  ...extra,
});

describe('validateFhirResource', () => {
  it('accepts a valid resource, primitive extensions included', () => {
    expect(
      validateFhirResource(
        docRef({ _status: { extension: [{ url: 'http://x', valueString: 'y' }] } }),
      ),
    ).toEqual([]);
  });

  it.each([
    [
      'a string where an integer is expected',
      docRef({ content: [{ attachment: { size: '12' } }] }),
      'DocumentReference.content[0].attachment.size',
    ],
    ['an unknown element', docRef({ foo: 1 }), 'DocumentReference.foo'],
    ['a code outside its enumeration', docRef({ status: 'final' }), 'DocumentReference.status'],
    ['a malformed dateTime', docRef({ date: '2024-13-45T10:00:00' }), 'DocumentReference.date'],
    ['an id with spaces', docRef({ id: 'a b' }), 'DocumentReference.id'],
    [
      'an invalid contained resource',
      docRef({ contained: [{ resourceType: 'Practitioner', id: 'p', identifier: 'x' }] }),
      'DocumentReference.contained[0].identifier',
    ],
    [
      'an unknown contained resource type',
      docRef({ contained: [{ resourceType: 'Nope' }] }),
      'DocumentReference.contained[0].resourceType',
    ],
  ])('reports %s at its FHIRPath', (_label, resource, location) => {
    const issues = validateFhirResource(resource);
    expect(issues.length).toBeGreaterThan(0);
    expect(issues.every((i) => i.code === 'FHIR_STRUCTURE')).toBe(true);
    expect(issues.map((i) => i.location?.[0])).toContain(location);
  });

  it('validates every Bundle entry resource against its own type', () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: 'urn:uuid:1',
          resource: { resourceType: 'Binary', contentType: 'text/xml', data: 'PHgvPg==' },
        },
        {
          fullUrl: 'urn:uuid:2',
          resource: docRef({ status: 42 }),
          request: { method: 'POST', url: 'DocumentReference' },
        },
      ],
    };
    expect(validateFhirResource(bundle).map((i) => i.location?.[0])).toEqual([
      'Bundle.entry[1].resource.status',
    ]);
  });

  it('refuses what is not a FHIR resource, and another type than expected', () => {
    expect(validateFhirResource('x')[0]?.location).toEqual(['Resource']);
    expect(validateFhirResource({})[0]?.location).toEqual(['Resource.resourceType']);
    expect(validateFhirResource({ resourceType: 'Nope' })[0]?.message).toMatch(
      /unknown resourceType/,
    );
    expect(validateFhirResource({ resourceType: 'Patient' }, 'DocumentReference')[0]).toMatchObject(
      {
        code: 'FHIR_STRUCTURE',
        location: ['Patient.resourceType'],
      },
    );
  });

  it('stops at the first error of a resource of more than 10,000 values (100,000 wrong values: no ajv error list)', () => {
    const names = Array.from({ length: 10_000 }, () => ({
      family: 1,
      given: [1, 2, 3, 4, 5, 6, 7, 8, 9],
    }));
    const issues = validateFhirResource({ resourceType: 'Patient', name: names });
    expect(issues).toEqual([
      {
        code: 'FHIR_STRUCTURE',
        message: 'must be of JSON type string',
        location: ['Patient.name[0].family'],
      },
    ]);
    expect(validateFhirResource({ resourceType: 'Patient', name: names.slice(0, 10) }).length).toBe(
      50,
    );
  });

  it.each([
    ['an array for a Reference', { subject: [] }, 'DocumentReference.subject'],
    ['a number for a CodeableConcept', { type: 12 }, 'DocumentReference.type'],
    [
      'a string for an Attachment',
      { content: [{ attachment: 'x' }] },
      'DocumentReference.content[0].attachment',
    ],
  ])('refuses %s (complex types are objects)', (_label, patch, location) => {
    const issues = validateFhirResource({
      resourceType: 'DocumentReference',
      status: 'current',
      content: [{ attachment: { contentType: 'text/xml' } }],
      ...patch,
    });
    expect(issues.map((i) => i.location?.[0])).toContain(location);
  });

  it('caps the number of issues and the nesting it follows', () => {
    const many = docRef(Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`x${i}`, 1])));
    expect(validateFhirResource(many)).toHaveLength(50);
    let deep: Record<string, unknown> = { resourceType: 'Bundle', type: 'collection' };
    for (let i = 0; i < 10; i++) {
      deep = { resourceType: 'Bundle', type: 'collection', entry: [{ resource: deep }] };
    }
    expect(validateFhirResource(deep).map((i) => i.message)).toContain(
      'resources nested too deeply',
    );
  });

  it('never echoes the submitted value', () => {
    const issues = validateFhirResource(docRef({ status: 'Jean Dupont' }));
    expect(JSON.stringify(issues)).not.toMatch(/Dupont/);
  });

  it('accepts fhirVersion 4.0.1 (fix of the published schema)', () => {
    expect(
      validateFhirResource({
        resourceType: 'CapabilityStatement',
        status: 'active',
        date: '2025-01-01',
        kind: 'instance',
        fhirVersion: '4.0.1',
        format: ['json'],
      }),
    ).toEqual([]);
  });
});

describe('toFhirPath', () => {
  it('turns a JSON pointer into a FHIRPath', () => {
    expect(toFhirPath('Bundle', '/entry/1/resource/content/0/attachment')).toBe(
      'Bundle.entry[1].resource.content[0].attachment',
    );
    expect(toFhirPath('Patient', '')).toBe('Patient');
  });
});
