/**
 * Timings of the validation core on one machine (not a test; for bench/ to absorb):
 *   node apps/server/src/validation/measure-validation.ts
 * Uses the ANS VAC-NOTE example stripped of comments and indentation (≈ 14 KB).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  checkContent,
  deriveFromCda,
  fromDocumentReference,
  toDocumentReference,
  validateMetadataCodes,
} from '../http/fhir/pdsm-metadata.ts';
import { loadReferenceData } from '../reference/value-sets.ts';
import { loadCdaSchema, parseCda } from './cda.ts';
import { computeContentDigest } from './content-digest.ts';
import { validateFhirResource, warmUpFhirSchema } from './fhir-schema.ts';

const EXAMPLE = fileURLToPath(
  new URL(
    '../../../../../shared/data/external/ansforge-TestContenuCDA-3-0/ExemplesCDA/VAC-NOTE_2023.01.xml',
    import.meta.url,
  ),
);

function time(f: () => void): number {
  const t = performance.now();
  f();
  return performance.now() - t;
}

function bench(name: string, n: number, f: () => void): void {
  for (let i = 0; i < Math.min(200, n); i++) {
    f();
  }
  const per =
    time(() => {
      for (let i = 0; i < n; i++) {
        f();
      }
    }) / n;
  const shown = per < 0.01 ? `${(per * 1000).toFixed(2)} µs` : `${per.toFixed(3)} ms`;
  console.log(`${name.padEnd(44)} ${shown}`);
}

const tSchema = time(() => loadCdaSchema());
const tFhir = time(() => warmUpFhirSchema());
let ref = loadReferenceData();
const tRef = time(() => (ref = loadReferenceData()));
console.log(
  `start-up: CDA schema ${tSchema.toFixed(0)} ms, FHIR schema ${tFhir.toFixed(0)} ms, reference data (cached) ${tRef.toFixed(2)} ms`,
);

const text = readFileSync(EXAMPLE, 'utf8')
  .replace(/<!--[\s\S]*?-->/g, '')
  .replace(/\n\s+/g, '\n');
const bytes = new TextEncoder().encode(text);
const header = parseCda(bytes);
if (!header.ok) {
  throw new Error('example does not parse');
}
const meta = deriveFromCda({}, header.value, ref);
if (!meta.ok) {
  throw new Error('example does not derive');
}
const dr = toDocumentReference(meta.value, { id: 'x', status: 'current' });
console.log(`CDA: ${bytes.byteLength} bytes`);

bench('parseCda (parse + XSD + header)', 2000, () => parseCda(bytes));
bench('deriveFromCda', 20000, () => deriveFromCda({}, header.value, ref));
bench('validateMetadataCodes', 20000, () => validateMetadataCodes(meta.value, ref));
bench('computeContentDigest (SHA-1)', 20000, () => computeContentDigest(bytes));
bench('validateFhirResource(DocumentReference)', 20000, () => validateFhirResource(dr));
bench('fromDocumentReference', 20000, () => fromDocumentReference(dr, ref));
bench('toDocumentReference', 20000, () =>
  toDocumentReference(meta.value, { id: 'x', status: 'current' }),
);
bench('all of the above for one CDA deposit', 2000, () => {
  const h = parseCda(bytes);
  if (!h.ok) {
    throw new Error('parse');
  }
  const m = deriveFromCda({}, h.value, ref);
  if (!m.ok) {
    throw new Error('derive');
  }
  validateMetadataCodes(m.value, ref);
  checkContent(m.value, computeContentDigest(bytes));
  validateFhirResource(dr);
});
