/**
 * Run-time loader of the terminology the service validates against: the NOS value sets (JDV), code systems
 * (TRE) and association tables (ASS) shipped in `apps/server/reference/value-sets/` (provenance in its
 * SOURCES.md). Synchronous, reads the directory once per process (cached per directory).
 *
 * Rules:
 *  L1. Every `*.json` (FHIR JSON), `*.xml` (IHE SVS or FHIR XML) and `*.fsh` (FHIR Shorthand) file of the
 *      directory is read; other files are ignored. FSH aliases are global to the directory (a `_aliases.fsh`
 *      supplies the ones the terminology IG defines in its own alias file). A file we cannot read fails the
 *      load: better no start than validating against a partial table.
 *  L2. A value set's key is the NOS number in its name: `JDV_J07_…` → `J07`, `TRE_G15-…` → `G15`,
 *      `TRE_R248_…` → `R248`; `JDV_HL7_Confidentiality_CISIS` → `HL7_CONF`; anything else keeps its name.
 *      Code systems are loaded as the value set of all their codes (`G15`, `R01`, `R248`, `A07`).
 *  L3. Two files giving the same key: the most recently published wins whole (a newer table may drop rows);
 *      equal or unknown dates are a load error.
 *  L4. Concepts are compared by (canonical system, exact code); `Concept.system` is the URL to emit
 *      (`systemUrl`), so `http://loinc.org` for J66's `TRE_A04-Loinc` codes.
 *  L5. `findByCode` answers only when the code belongs to one system of the value set (J59 has `11` in both
 *      TRE_R209 and TRE_R276): `undefined` when ambiguous.
 *  L6. Association tables are keyed by their NOS number (`X16`, `X04`, `A11`). typeToClassDmp = ASS_X16,
 *      typeToClassCisis = ASS_X04, keyed by code alone (LOINC and TRE_A05 codes do not collide).
 *      templateToFormat = ASS_A11 for templates that map to exactly one format; the non-structured CDA
 *      template `1.3.6.1.4.1.19376.1.2.20` maps to five (pdf, text, jpeg, rtf, tiff: the format follows the
 *      body's media type) and is only in templateToFormats.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { canonicalSystem, systemUrl } from '../domain/identity/code-systems.ts';
import { readFsh, readFshAliases } from './fsh.ts';
import type { RawAssociation, RawEntry, RawValueSet } from './raw.ts';
import { ReferenceFileError, fromFhirJson, fromXml } from './raw.ts';

export interface Concept {
  readonly system: string;
  readonly code: string;
  readonly display: string;
}

export interface ValueSet {
  /** NOS key: 'J07', 'J66', 'G15', 'HL7_CONF' … (L2). */
  readonly id: string;
  readonly name: string;
  readonly oid?: string;
  readonly url?: string;
  readonly concepts: readonly Concept[];
  /** `system` as NOS canonical URL, FHIR canonical URL, `urn:oid:…` or bare OID: all equivalent. */
  has(system: string, code: string): boolean;
  find(system: string, code: string): Concept | undefined;
  /** When the system is not known; `undefined` if the code is absent or ambiguous (L5). */
  findByCode(code: string): Concept | undefined;
}

/** One row of an association table, systems as URLs to emit. */
export interface AssociationPair {
  readonly source: { readonly system: string; readonly code: string };
  readonly target: { readonly system: string; readonly code: string };
}

export interface ReferenceData {
  /** 'J01','J02','J04','J06','J07','J08','J10','J11','J48','J57','J58','J59','J60','J61','J65','J66','J231',
   *  'G15','R01','R248','A07','HL7_CONF' with the shipped files. */
  readonly valueSets: ReadonlyMap<string, ValueSet>;
  /** ASS_X16: typeCode -> classCode (DMP). */
  readonly typeToClassDmp: ReadonlyMap<string, string>;
  /** ASS_X04: typeCode -> classCode (CI-SIS). */
  readonly typeToClassCisis: ReadonlyMap<string, string>;
  /** ASS_A11: CDA templateId root -> formatCode, for templates with exactly one format (L6). */
  readonly templateToFormat: ReadonlyMap<string, string>;
  /** ASS_A11: CDA templateId root -> every formatCode listed (several for the non-structured template). */
  readonly templateToFormats: ReadonlyMap<string, readonly string[]>;
  /** Every association table read, by NOS key ('X16', 'X04', 'A11'). */
  readonly associations: ReadonlyMap<string, readonly AssociationPair[]>;
}

const DEFAULT_DIR = fileURLToPath(new URL('../../reference/value-sets/', import.meta.url));

const cache = new Map<string, ReferenceData>();

/**
 * Loads (once per directory) the reference data. `dir` defaults to `apps/server/reference/value-sets`.
 * Throws a ReferenceFileError / FshError when a file cannot be read (L1) or two copies conflict (L3).
 */
export function loadReferenceData(dir?: string): ReferenceData {
  const key = resolve(dir ?? DEFAULT_DIR);
  const cached = cache.get(key);
  if (cached) {
    return cached;
  }
  const data = build(readEntries(key));
  cache.set(key, data);
  return data;
}

/** Reads every supported file of `dir` (L1). */
function readEntries(dir: string): RawEntry[] {
  const files = readdirSync(dir).sort();
  const fshFiles = files.filter((f) => f.endsWith('.fsh'));
  const fshTexts = new Map(fshFiles.map((f) => [f, readFileSync(join(dir, f), 'utf8')] as const));
  const aliases = new Map<string, string>();
  for (const [f, text] of fshTexts) {
    for (const [name, value] of readFshAliases(text, f)) {
      const previous = aliases.get(name);
      if (previous !== undefined && previous !== value) {
        throw new ReferenceFileError(`${f}: alias ${name} redefined differently`);
      }
      aliases.set(name, value);
    }
  }
  const entries: RawEntry[] = [];
  for (const f of files) {
    const path = join(dir, f);
    if (f.endsWith('.json')) {
      let json: unknown;
      try {
        json = JSON.parse(readFileSync(path, 'utf8').replace(/^\uFEFF/, ''));
      } catch (e) {
        throw new ReferenceFileError(`${f}: invalid JSON (${(e as Error).message})`);
      }
      entries.push(fromFhirJson(json, f));
    } else if (f.endsWith('.xml')) {
      entries.push(...fromXml(readFileSync(path), f));
    } else if (f.endsWith('.fsh')) {
      for (const r of readFsh(fshTexts.get(f) ?? '', f, aliases)) {
        entries.push(fromFhirJson(r.json, `${f}:${r.line}`));
      }
    }
  }
  return entries;
}

/** The NOS key of a value set or association (L2, L6). */
export function nosKey(entry: Pick<RawEntry, 'name' | 'id' | 'url'>): string {
  if (/^JDV_HL7_Confidentiality/.test(entry.name)) {
    return 'HL7_CONF';
  }
  for (const candidate of [entry.name, entry.id ?? '', entry.url?.replace(/^.*\//, '') ?? '']) {
    const m = /^(?:JDV|TRE|DV|ASS)[_-]([A-Z]\d+)(?=[_-]|$)/.exec(candidate);
    if (m) {
      return m[1] as string;
    }
  }
  return entry.name;
}

/** Keeps the newest copy per key (L3). */
function newest<T extends RawEntry>(entries: readonly T[]): Map<string, T> {
  const byKey = new Map<string, T>();
  for (const e of entries) {
    const k = nosKey(e);
    const other = byKey.get(k);
    if (other === undefined) {
      byKey.set(k, e);
      continue;
    }
    if (e.date === undefined || other.date === undefined || e.date === other.date) {
      throw new ReferenceFileError(
        `${e.file} and ${other.file} both give ${k} and their dates do not tell which is newer`,
      );
    }
    if (e.date > other.date) {
      byKey.set(k, e);
    }
  }
  return byKey;
}

function build(entries: readonly RawEntry[]): ReferenceData {
  const valueSets = new Map<string, ValueSet>();
  for (const [k, raw] of newest(entries.filter((e): e is RawValueSet => e.kind === 'value-set'))) {
    valueSets.set(k, makeValueSet(k, raw));
  }
  const associations = new Map<string, readonly AssociationPair[]>();
  for (const [k, raw] of newest(
    entries.filter((e): e is RawAssociation => e.kind === 'association'),
  )) {
    associations.set(k, Object.freeze(raw.pairs.map(toPair)));
  }
  const templateToFormats = multimap(associations.get('A11') ?? []);
  const templateToFormat = new Map<string, string>();
  for (const [template, formats] of templateToFormats) {
    if (formats.length === 1) {
      templateToFormat.set(template, formats[0] as string);
    }
  }
  return Object.freeze({
    valueSets,
    typeToClassDmp: simpleMap(associations.get('X16') ?? [], 'ASS_X16'),
    typeToClassCisis: simpleMap(associations.get('X04') ?? [], 'ASS_X04'),
    templateToFormat,
    templateToFormats,
    associations,
  });
}

function toPair(p: RawAssociation['pairs'][number]): AssociationPair {
  return Object.freeze({
    source: Object.freeze({
      system: systemUrl(canonicalSystem(p.source.system)),
      code: p.source.code,
    }),
    target: Object.freeze({
      system: systemUrl(canonicalSystem(p.target.system)),
      code: p.target.code,
    }),
  });
}

function multimap(pairs: readonly AssociationPair[]): Map<string, readonly string[]> {
  const out = new Map<string, string[]>();
  for (const p of pairs) {
    const list = out.get(p.source.code) ?? [];
    if (!list.includes(p.target.code)) {
      list.push(p.target.code);
    }
    out.set(p.source.code, list);
  }
  return out;
}

/** source code -> target code; a source mapped to two different targets is a load error. */
function simpleMap(pairs: readonly AssociationPair[], name: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of pairs) {
    const previous = out.get(p.source.code);
    if (previous !== undefined && previous !== p.target.code) {
      throw new ReferenceFileError(
        `${name}: ${p.source.code} maps to both ${previous} and ${p.target.code}`,
      );
    }
    out.set(p.source.code, p.target.code);
  }
  return out;
}

const SEP = '\u0000';

function makeValueSet(id: string, raw: RawValueSet): ValueSet {
  const index = new Map<string, Concept>();
  const byCode = new Map<string, Concept | null>();
  const concepts: Concept[] = [];
  for (const c of raw.concepts) {
    const key = canonicalSystem(c.system);
    const k = `${key}${SEP}${c.code}`;
    if (index.has(k)) {
      continue;
    }
    const concept: Concept = Object.freeze({
      system: systemUrl(key),
      code: c.code,
      display: c.display,
    });
    index.set(k, concept);
    concepts.push(concept);
    const seen = byCode.get(c.code);
    byCode.set(c.code, seen === undefined ? concept : null);
  }
  const find = (system: string, code: string): Concept | undefined =>
    index.get(`${canonicalSystem(system)}${SEP}${code}`);
  return Object.freeze({
    id,
    name: raw.name,
    ...(raw.oid !== undefined ? { oid: raw.oid } : {}),
    ...(raw.url !== undefined ? { url: raw.url } : {}),
    concepts: Object.freeze(concepts),
    has: (system: string, code: string): boolean => find(system, code) !== undefined,
    find,
    findByCode: (code: string): Concept | undefined => byCode.get(code) ?? undefined,
  });
}
