import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Issue 18 point 4: the core's issues name the field of the neutral model; only the FHIR adapter writes a FHIRPath
 * (http/fhir/: entry-locations.ts, patient-reading.ts, operation-locations.ts, consent-reading.ts,
 * profile-entry.ts, from-document-reference.ts …). Scans the core's source (domain/, services/, db/, cda/, crypto/,
 * jobs/) for a FHIRPath in a string.
 */
const SRC = fileURLToPath(new URL('../', import.meta.url));
const CORE = ['domain', 'services', 'db', 'cda', 'crypto', 'jobs'];
const RESOURCES =
  'Patient|Parameters|RelatedPerson|Consent|Condition|AllergyIntolerance|MedicationStatement|Immunization|' +
  'Observation|DocumentReference|List|Bundle|Binary|Communication|AuditEvent|OperationOutcome';
const FHIR_PATH = new RegExp(`['"\`](${RESOURCES})(\\.[A-Za-z]|\\[)`);

function fhirPathsIn(dirs: readonly string[]): string[] {
  return dirs.flatMap((dir) =>
    readdirSync(`${SRC}${dir}`, { recursive: true, encoding: 'utf8' })
      .map((f) => `${dir}/${f}`)
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .flatMap((f) =>
        readFileSync(`${SRC}${f}`, 'utf8')
          .split('\n')
          .flatMap((line, i) => (FHIR_PATH.test(line) ? [`${f}:${String(i + 1)}`] : [])),
      ),
  );
}

describe('lint: no FHIRPath in the registry core', () => {
  it('finds none in domain/, services/, db/, cda/, crypto/, jobs/', () => {
    expect(fhirPathsIn(CORE)).toEqual([]);
  });

  it('finds those of the FHIR adapter (the scan sees them)', () => {
    const found = fhirPathsIn(['http/fhir']);
    expect(found.some((l) => l.startsWith('http/fhir/patient-reading.ts:'))).toBe(true);
    expect(found.some((l) => l.startsWith('http/fhir/consent-reading.ts:'))).toBe(true);
    expect(found.some((l) => l.startsWith('http/fhir/profile-entry.ts:'))).toBe(true);
  });
});
