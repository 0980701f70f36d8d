/**
 * The official material, end to end through the validation core:
 * - every ANS CDA example (TestContenuCDA-3-0) parses, validates against the ANS schema and yields
 *   complete metadata whose codes pass the DMP value sets — or is refused for a listed reason;
 * - every PDSm and PDSm-for-DMP example DocumentReference/Bundle passes the FHIR R4 structure, and, with
 *   its subject pointed at a demo record, is read, code-checked, content-checked (and its CDA parsed) —
 *   each refusal listed below is documented in docs/conformance.md.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  checkContent,
  deriveFromCda,
  readDocumentReferenceDraft,
  completeDraft,
  documentReferencePath,
  validateMetadataCodes,
} from '../http/fhir/pdsm-metadata.ts';
import { validateIns } from '../domain/identity/ins.ts';
import { loadReferenceData } from '../reference/value-sets.ts';
import { parseCda } from './cda.ts';
import { computeContentDigest } from './content-digest.ts';
import { validateFhirResource } from './fhir-schema.ts';

const DATA = fileURLToPath(new URL('../../../../../shared/data/external/', import.meta.url));
const CDA_DIR = `${DATA}ansforge-TestContenuCDA-3-0/ExemplesCDA/`;
const PDSM_DIR = `${DATA}ansforge-IG-fhir-partage-de-documents-de-sante/main/ig/`;
const DMP_DIR = `${DATA}ansforge-IG-FHIR-PDSM4DMP-EEDS/main/ig/`;
const ref = loadReferenceData();

/** CDA examples refused, and why (everything else must pass). */
const CDA_REFUSED: Record<string, string[]> = {
  // recordTarget INS 221042545611404 on the test NIR OID: its key should be 83.
  'CSE-CS8_2025.01.xml': ['ID_INS_KEY'],
};

describe('ANS CDA examples', () => {
  const files = readdirSync(CDA_DIR).filter((f) => f.endsWith('.xml'));

  it('are all there', () => {
    expect(files.length).toBe(34);
  });

  it.each(files)('%s', (file) => {
    const header = parseCda(readFileSync(CDA_DIR + file));
    expect(header.ok, JSON.stringify(!header.ok && header.error)).toBe(true);
    if (!header.ok) {
      return;
    }
    const meta = deriveFromCda({}, header.value, ref);
    const refused = CDA_REFUSED[file];
    if (refused) {
      expect(!meta.ok && meta.error.map((i) => i.code)).toEqual(refused);
      return;
    }
    expect(meta.ok, JSON.stringify(!meta.ok && meta.error)).toBe(true);
    if (!meta.ok) {
      return;
    }
    expect(validateMetadataCodes(meta.value, ref)).toEqual([]);
    expect(validateIns(meta.value.patient.value, meta.value.patient.oid).ok).toBe(true);
    expect(meta.value.authors.length).toBeGreaterThan(0);
  });
});

// FHIR JSON examples are navigated freely in tests.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

interface Outcome {
  /** fromDocumentReference (reading rules + required metadata). */
  read: string[];
  /** validateMetadataCodes on what was read. */
  codes: string[];
  /** checkContent against the bytes, when the example carries or points to them. */
  content?: string[];
  /** parseCda of those bytes, when they are XML. */
  cda?: string[];
}

/** Every official DocumentReference, with its subject pointed at a demo record (see docs/conformance.md). */
const FHIR_OUTCOMES: Record<string, Outcome> = {
  // PDSm for the DMP (ansforge/IG-FHIR-PDSM4DMP-EEDS)
  'DMP Bundle-example-annexe-searchset-documentreferences.json entry[0]': {
    read: [],
    codes: [
      'DOC_CLASS_MISMATCH',
      'DOC_FORMAT_UNKNOWN',
      'DOC_FACILITY_TYPE_UNKNOWN',
      'DOC_PRACTICE_SETTING_UNKNOWN',
    ],
    content: ['DOC_SIZE_MISMATCH'],
    cda: ['CDA_SCHEMA_INVALID'],
  },
  'DMP Bundle-example-annexe-searchset-documentreferences.json entry[1]': {
    read: [],
    codes: ['DOC_FORMAT_UNKNOWN', 'DOC_FACILITY_TYPE_UNKNOWN', 'DOC_PRACTICE_SETTING_UNKNOWN'],
  },
  'DMP Bundle-example-td2-1-remplacement.json entry[1]': {
    read: [],
    codes: [
      'DOC_CLASS_MISMATCH',
      'DOC_FORMAT_UNKNOWN',
      'DOC_FACILITY_TYPE_UNKNOWN',
      'DOC_PRACTICE_SETTING_UNKNOWN',
    ],
    content: [],
    cda: ['CDA_SCHEMA_INVALID'],
  },
  'DMP Bundle-example-td2-iti65-lot-soumission.json entry[1]': {
    read: [],
    codes: [
      'DOC_CLASS_MISMATCH',
      'DOC_FORMAT_UNKNOWN',
      'DOC_FACILITY_TYPE_UNKNOWN',
      'DOC_PRACTICE_SETTING_UNKNOWN',
    ],
    content: [],
    cda: ['CDA_SCHEMA_INVALID'],
  },
  'DMP DocumentReference-doc-x-id.json': {
    read: ['DOC_STATUS_INVALID'],
    codes: [
      'DOC_CLASS_MISMATCH',
      'DOC_FORMAT_UNKNOWN',
      'DOC_FACILITY_TYPE_UNKNOWN',
      'DOC_PRACTICE_SETTING_UNKNOWN',
    ],
  },
  'DMP DocumentReference-example-annexe-docref-cda.json': {
    read: [],
    codes: [
      'DOC_CLASS_MISMATCH',
      'DOC_FORMAT_UNKNOWN',
      'DOC_FACILITY_TYPE_UNKNOWN',
      'DOC_PRACTICE_SETTING_UNKNOWN',
    ],
    content: ['DOC_SIZE_MISMATCH'],
    cda: ['CDA_SCHEMA_INVALID'],
  },
  'DMP DocumentReference-example-annexe-docref-fhir.json': {
    read: [],
    codes: ['DOC_FORMAT_UNKNOWN', 'DOC_FACILITY_TYPE_UNKNOWN', 'DOC_PRACTICE_SETTING_UNKNOWN'],
  },
  'DMP DocumentReference-example-td2-iti105-publication-simplifiee.json': {
    read: [
      'DOC_REQUIRED_MISSING',
      'DOC_REQUIRED_MISSING',
      'DOC_REQUIRED_MISSING',
      'DOC_REQUIRED_MISSING',
      'DOC_REQUIRED_MISSING',
      'DOC_REQUIRED_MISSING',
      'DOC_REQUIRED_MISSING',
      'DOC_REQUIRED_MISSING',
    ],
    codes: [],
    content: [],
    cda: ['CDA_SCHEMA_INVALID'],
  },
  'DMP DocumentReference-example-td3-1a-cr-consultation.json': {
    read: [],
    codes: ['DOC_CLASS_MISMATCH', 'DOC_FACILITY_TYPE_UNKNOWN', 'DOC_PRACTICE_SETTING_UNKNOWN'],
  },
  'DMP DocumentReference-example-td3-1a-fhir-document.json': {
    read: [],
    codes: ['DOC_FORMAT_UNKNOWN', 'DOC_FACILITY_TYPE_UNKNOWN', 'DOC_PRACTICE_SETTING_UNKNOWN'],
  },
  'DMP DocumentReference-example-td3-1a-ordonnance.json': {
    read: [],
    codes: ['DOC_CLASS_UNKNOWN', 'DOC_FACILITY_TYPE_UNKNOWN', 'DOC_PRACTICE_SETTING_UNKNOWN'],
  },
  // PDSm (ansforge/IG-fhir-partage-de-documents-de-sante)
  'PDSm DocumentReference-PDSmSimplifiedExample.json': {
    read: [
      'DOC_UNIQUE_ID_INVALID',
      'DOC_AUTHOR_UNRESOLVED',
      'DOC_AUTHOR_UNRESOLVED',
      'DOC_REQUIRED_MISSING',
      'DOC_REQUIRED_MISSING',
    ],
    codes: [],
    content: ['DOC_SIZE_MISMATCH', 'DOC_HASH_MISMATCH'],
  },
  'PDSm DocumentReference-exemple-pdsm-documentreference.json': {
    read: ['DOC_AUTHOR_UNRESOLVED', 'DOC_AUTHOR_UNRESOLVED', 'DOC_SOURCE_PATIENT_UNRESOLVED'],
    codes: ['DOC_CLASS_MISMATCH', 'DOC_CONFIDENTIALITY_UNKNOWN'],
    content: ['DOC_SIZE_MISMATCH', 'DOC_HASH_MISMATCH'],
  },
};

const DEMO_SUBJECT = {
  reference: 'Patient?identifier=urn:oid:1.2.250.1.213.1.4.10|279035121518989',
};

function jsonFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.json'));
}

/** The bytes a DocumentReference carries or points to (in its Bundle, or a Binary example beside it). */
function contentOf(dr: Json, bundle: Json | undefined, dir: string): Uint8Array | undefined {
  const att = dr.content?.[0]?.attachment;
  if (!att) {
    return undefined;
  }
  if (att.data) {
    return Buffer.from(att.data, 'base64');
  }
  const url: string | undefined = att.url;
  const inBundle = bundle?.entry?.find(
    (e: Json) => e.fullUrl === url && e.resource?.resourceType === 'Binary',
  );
  if (inBundle) {
    return Buffer.from(inBundle.resource.data, 'base64');
  }
  const m = /^Binary\/([\w.-]+)$/.exec(url ?? '');
  const file = m ? `${dir}Binary-${m[1]}.json` : undefined;
  if (file && existsSync(file)) {
    return Buffer.from(JSON.parse(readFileSync(file, 'utf8')).data, 'base64');
  }
  return undefined;
}

function outcome(dr: Json, bundle: Json | undefined, dir: string): Outcome {
  const demo = { ...dr, subject: DEMO_SUBJECT };
  // Each is read as a deposit, except search results (read back as stored resources are).
  const { draft, issues } = readDocumentReferenceDraft(demo, ref, {
    requireCurrent: bundle?.type !== 'searchset',
  });
  const complete = completeDraft(draft);
  const located = issues.flatMap((i) => i.location ?? []);
  const missing = complete.ok
    ? []
    : complete.error.filter(
        (i) =>
          !(i.location ?? [])
            .map(documentReferencePath)
            .some((l) => located.some((x) => x.startsWith(l))),
      );
  const out: Outcome = {
    read: [...issues, ...missing].map((i) => i.code),
    codes: validateMetadataCodes(draft, ref).map((i) => i.code),
  };
  const bytes = contentOf(dr, bundle, dir);
  if (bytes) {
    out.content = checkContent(draft, computeContentDigest(bytes)).map((i) => i.code);
    if (/xml/.test(String(dr.content[0].attachment.contentType))) {
      const cda = parseCda(bytes);
      out.cda = cda.ok ? [] : cda.error.map((i) => i.code);
    }
  }
  return out;
}

describe('official PDSm / PDSm-for-DMP examples', () => {
  const cases: Array<[string, Json, Json | undefined, string]> = [];
  for (const [label, dir] of [
    ['DMP', DMP_DIR],
    ['PDSm', PDSM_DIR],
  ] as const) {
    for (const f of jsonFiles(dir)) {
      const r = JSON.parse(readFileSync(dir + f, 'utf8')) as Json;
      if (r.resourceType === 'DocumentReference') {
        cases.push([`${label} ${f}`, r, undefined, dir]);
      }
      if (r.resourceType === 'Bundle') {
        (r.entry ?? []).forEach((e: Json, i: number) => {
          if (e.resource?.resourceType === 'DocumentReference') {
            cases.push([`${label} ${f} entry[${i}]`, e.resource, r, dir]);
          }
        });
      }
    }
  }

  it.each([
    ...jsonFiles(DMP_DIR).map((f) => DMP_DIR + f),
    ...jsonFiles(PDSM_DIR).map((f) => PDSM_DIR + f),
  ])('FHIR R4 structure: %s', (path) => {
    expect(validateFhirResource(JSON.parse(readFileSync(path, 'utf8')))).toEqual([]);
  });

  it('cover every DocumentReference listed', () => {
    expect(cases.map((c) => c[0]).sort()).toEqual(Object.keys(FHIR_OUTCOMES).sort());
  });

  it.each(cases)('%s', (name, dr, bundle, dir) => {
    expect(outcome(dr, bundle, dir)).toEqual(FHIR_OUTCOMES[name]);
  });

  it('their original subjects are not valid INS (hence the demo subject)', () => {
    const dr = JSON.parse(readFileSync(`${DMP_DIR}DocumentReference-doc-x-id.json`, 'utf8'));
    const { issues } = readDocumentReferenceDraft(dr, ref, { requireCurrent: false });
    expect(issues.map((i) => i.code)).toEqual(['ID_INS_FORMAT']);
  });
});
