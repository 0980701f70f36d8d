import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildLevelOneCda } from '../../cda/level-one.ts';
import { levelOneInputOf } from '../../cda/level-one-input.ts';
import { checkCdaContent, checkLevelOneBody } from '../../domain/documents/cda-only.ts';
import { checkPatientTraits, checkSinglePatient } from '../../domain/documents/cda-patient.ts';
import { checkContent } from '../../domain/documents/content-check.ts';
import { deriveFromCda } from '../../domain/documents/derive-from-cda.ts';
import { validateMetadataCodes } from '../../domain/documents/metadata-codes.ts';
import type { DocumentMetadata } from '../../domain/documents/model.ts';
import { completeDraft, FIELD } from '../../domain/documents/model.ts';
import type { DomainIssue } from '../../domain/errors.ts';
import { loadReferenceData } from '../../reference/value-sets.ts';
import { parseCda } from '../../validation/cda.ts';

/**
 * Issue 18 point 4: the deposit's rules (domain/documents, cda/, services/documents) locate their issues on a field
 * of the neutral model (model.ts FIELD: `uniqueId`, `confidentiality[2]`, `content`), never in FHIR; the FHIR
 * adapter maps them to FHIRPath (http/fhir/entry-locations.ts), the SOAP adapter to the ebRIM object.
 */
const ref = loadReferenceData();
const FIELDS: ReadonlySet<string> = new Set(Object.values(FIELD));
const NEUTRAL = /^([A-Za-z]+)(\[\d+\])?$/;

function locations(issues: readonly (DomainIssue | undefined)[]): string[] {
  return issues.flatMap((i) => i?.location ?? []);
}

function notNeutral(found: readonly string[]): string[] {
  return found.filter((l) => !FIELDS.has(NEUTRAL.exec(l)?.[1] ?? ''));
}

const PATIENT = {
  ins: '158037505610143',
  insOid: '1.2.250.1.213.1.4.10',
  birthName: 'MARTIN',
  givenNames: ['Jean'],
  sex: 'male',
  birthDate: '1958-03-21',
};

function header() {
  const cda = buildLevelOneCda({
    id: { root: '2.25.4242' },
    type: { code: '11488-4', codeSystem: '2.16.840.1.113883.6.1', displayName: 'Consultation' },
    title: 'Compte rendu',
    effectiveTime: new Date('2025-06-15T10:00:00Z'),
    confidentiality: 'N',
    languageCode: 'fr-FR',
    patient: PATIENT,
    author: { kind: 'professional', idNatPs: '899700366240', name: { given: ['Marie'] } },
    serviceStart: '20250614',
    practiceSetting: { code: 'AMBULATOIRE', codeSystem: '1.2.250.1.213.1.1.4.9' },
    facilityType: { code: 'SA07', codeSystem: '1.2.250.1.71.4.2.4' },
    hostName: 'opendmp',
    mediaType: 'application/pdf',
    content: Buffer.from('%PDF-1.4\n%%EOF\n'),
  });
  const parsed = parseCda(cda);
  if (!parsed.ok) {
    throw new Error(JSON.stringify(parsed.error));
  }
  return parsed.value;
}

const odd = { system: 'urn:oid:1.2.3', code: 'nowhere' };

describe('the deposit rules name the field of the neutral model', () => {
  it('in every issue they raise', () => {
    const h = header();
    const found = locations([
      ...(completeDraft({}).ok ? [] : (completeDraft({}) as { error: DomainIssue[] }).error),
      ...checkContent({ size: 1, hash: '00' }, { size: 2, sha1: 'ff' }),
      ...checkCdaContent({
        contentType: 'application/pdf',
        formatCode: 'urn:ihe:iti:xds-sd:pdf:2008',
        bytes: new Uint8Array([1]),
      }),
      ...checkLevelOneBody('urn:ihe:iti:xds-sd:pdf:2008', { kind: 'structured' }),
      checkSinglePatient([
        { ids: [{ root: PATIENT.insOid, extension: PATIENT.ins }] },
        { ids: [{ root: PATIENT.insOid, extension: '180017512345698' }] },
      ]),
      ...checkPatientTraits([{ ids: [], gender: 'F', birthTime: '19000101' }], {
        sex: 'male',
        birthDate: '1958-03-21',
      }),
      ...validateMetadataCodes(
        {
          type: odd,
          class: odd,
          format: odd,
          facilityType: odd,
          practiceSetting: odd,
          confidentiality: [odd],
          languageCode: 'xx',
          mimeType: 'x/y',
          serviceStart: '2025-01-02',
          serviceStop: '2025-01-01',
        } as unknown as DocumentMetadata,
        ref,
      ),
      ...(() => {
        const r = deriveFromCda(
          {
            uniqueId: '1.2.9',
            patient: { value: '277076322082910', oid: PATIENT.insOid },
            type: { system: 'http://loinc.org', code: '34133-9' },
            format: odd,
            facilityType: odd,
            practiceSetting: odd,
            confidentiality: [{ system: 'x', code: 'V' }],
          },
          h,
          ref,
        );
        return r.ok ? [] : r.error;
      })(),
      ...(() => {
        const r = levelOneInputOf({
          metadata: {},
          patient: PATIENT,
          fallback: { kind: 'person' },
          id: { root: '2.25.1' },
          now: new Date(),
          hostName: 'opendmp',
          mediaType: 'application/pdf',
          content: new Uint8Array([1]),
        });
        return r.ok ? [] : r.error;
      })(),
    ]);
    expect(found.length).toBeGreaterThan(20);
    expect(notNeutral(found)).toEqual([]);
  });

  it('and no FHIRPath is written in their source', () => {
    // The PDSm reader and writer are the FHIR adapter's (http/fhir/from-/to-document-reference.ts).
    const fhirPath = /['"`](DocumentReference|List|Bundle|Binary)(\.[A-Za-z]|\[)/;
    const found: string[] = [];
    for (const dir of ['../../domain/documents/', '../../cda/', './']) {
      const path = fileURLToPath(new URL(dir, import.meta.url));
      for (const file of readdirSync(path)) {
        if (!file.endsWith('.ts') || file.endsWith('.test.ts')) {
          continue;
        }
        readFileSync(`${path}${file}`, 'utf8')
          .split('\n')
          .forEach((line, i) => {
            if (fhirPath.test(line)) {
              found.push(`${dir}${file}:${String(i + 1)}`);
            }
          });
      }
    }
    expect(found).toEqual([]);
  });
});
