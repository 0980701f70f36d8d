import { readdirSync, readFileSync } from 'node:fs';

/**
 * The hostile-input corpus (test/fuzz/corpus/): query values, path segments, raw bodies, CDA contents, and the
 * sizes of the bodies too large to keep as files. Read once by the fuzz suite (test/integration/fuzz.int.test.ts).
 */
const DIR = new URL('./corpus/', import.meta.url);

export interface Named<T> {
  readonly name: string;
  readonly value: T;
}

function json(file: string): unknown {
  return JSON.parse(readFileSync(new URL(file, DIR), 'utf8'));
}

export function queryValues(): Named<string>[] {
  return (json('query-values.json') as { values: { name: string; value: string }[] }).values.map(
    (v) => ({ name: v.name, value: v.value }),
  );
}

/** Raw query strings (sent as written, not encoded again). */
export function rawQueries(): Named<string>[] {
  return (
    json('query-values.json') as { rawQueries: { name: string; raw: string }[] }
  ).rawQueries.map((v) => ({ name: v.name, value: v.raw }));
}

/** Path segments, already percent-encoded. */
export function pathSegments(): Named<string>[] {
  return (json('path-segments.json') as { segments: { name: string; raw: string }[] }).segments.map(
    (v) => ({ name: v.name, value: v.raw }),
  );
}

/** Raw bodies, as bytes (some are not JSON, some not UTF-8, on purpose). */
export function rawBodies(): Named<Buffer>[] {
  const dir = new URL('bodies/', DIR);
  return readdirSync(dir)
    .sort()
    .map((f) => ({ name: f, value: readFileSync(new URL(f, dir)) }));
}

/** CDA contents deposited as XML documents (entity bombs, external entities, broken XML). */
export function cdaContents(): Named<Buffer>[] {
  const dir = new URL('cda/', DIR);
  return readdirSync(dir)
    .sort()
    .map((f) => ({ name: f, value: readFileSync(new URL(f, dir)) }));
}

interface Sizes {
  readonly deepJsonNesting: number;
  readonly giantBundleEntries: number;
  readonly wideObjectKeys: number;
  readonly giantArrayItems: number;
  readonly deepXmlNesting: number;
}

/** Bodies built from the sizes in generated.json. */
export function generatedBodies(): Named<string>[] {
  const s = json('generated.json') as Sizes;
  const wide: Record<string, number> = { resourceType: 0 };
  for (let i = 0; i < s.wideObjectKeys; i++) {
    wide[`k${String(i)}`] = i;
  }
  return [
    {
      name: 'deep-json-nesting',
      value: `{"resourceType":"Patient","extension":${'['.repeat(s.deepJsonNesting)}${']'.repeat(s.deepJsonNesting)}}`,
    },
    {
      name: 'giant-bundle',
      value: `{"resourceType":"Bundle","type":"transaction","entry":[${Array(s.giantBundleEntries).fill('{}').join(',')}]}`,
    },
    { name: 'wide-object', value: JSON.stringify({ ...wide, resourceType: 'Patient' }) },
    {
      name: 'giant-array',
      value: `{"resourceType":"Patient","name":[${Array(s.giantArrayItems).fill('{"family":1}').join(',')}]}`,
    },
  ];
}

/** A CDA nested deeper than any parser should follow. */
export function deepXml(): Buffer {
  const s = json('generated.json') as Sizes;
  return Buffer.from(
    `<ClinicalDocument xmlns="urn:hl7-org:v3">${'<a>'.repeat(s.deepXmlNesting)}${'</a>'.repeat(s.deepXmlNesting)}</ClinicalDocument>`,
  );
}
