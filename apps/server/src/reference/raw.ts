/**
 * The neutral shapes the reference files are read into before the loader indexes them, and the readers for
 * FHIR JSON resources (ValueSet, CodeSystem, ConceptMap) and IHE SVS / FHIR XML documents.
 *
 * Rules:
 *  R1. A FHIR ValueSet gives its `compose.include` concepts; an include without an explicit concept list
 *      (a whole code system, a filter or another value set) and any `compose.exclude` are refused, since
 *      expanding them needs data we do not ship.
 *  R2. A FHIR CodeSystem is read as the value set of all its concepts (nested concepts flattened), system =
 *      its `url`.
 *  R3. A FHIR ConceptMap gives one pair per `group.element.target` whose `equivalence` (R4) / `relationship`
 *      (R5) is not `unmatched`, `disjoint` or `not-related-to`.
 *  R4. An IHE SVS `RetrieveValueSetResponse` (ITI-48, NOS "JDV"/"TRE" files) gives one value set per
 *      `ValueSet` element from its `ConceptList/Concept` elements (`code`, `codeSystem` OID, `displayName`);
 *      the NOS association files of the same shape (`typeFichier="ASS"`) give pairs from
 *      `MappedConceptList/MappedConcept`, first `Concept` = source, second = target.
 *  R5. A value set's OID is the `urn:oid:` identifier of the FHIR resource or the SVS `id`; its URL the FHIR
 *      `url`, or for SVS the FHIR canonical the NOS publishes for the file (`urlFichier` +
 *      `/FHIR/` + file name with its first `_` turned into `-`).
 *  R6. The publication date (`date`, SVS `dateMaj`/`revisionDate`) is kept as 14 digits to pick the newest
 *      of two copies of the same table.
 */
import { XmlDocument, XmlElement } from 'libxml2-wasm';

export class ReferenceFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReferenceFileError';
  }
}

export interface RawConcept {
  readonly system: string;
  readonly code: string;
  readonly display: string;
}

export interface RawPair {
  readonly source: { readonly system: string; readonly code: string };
  readonly target: { readonly system: string; readonly code: string };
}

interface RawCommon {
  readonly name: string;
  readonly id?: string;
  readonly oid?: string;
  readonly url?: string;
  /** 14-digit publication date (R6), when known. */
  readonly date?: string;
  readonly file: string;
}

export interface RawValueSet extends RawCommon {
  readonly kind: 'value-set';
  readonly concepts: readonly RawConcept[];
}

export interface RawAssociation extends RawCommon {
  readonly kind: 'association';
  readonly pairs: readonly RawPair[];
}

export type RawEntry = RawValueSet | RawAssociation;

type JsonValue = unknown;

function isObject(v: JsonValue): v is Record<string, JsonValue> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function asArray(v: JsonValue): JsonValue[] {
  if (v === undefined || v === null) {
    return [];
  }
  return Array.isArray(v) ? v : [v];
}

function str(v: JsonValue): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** 14 digits from a FHIR dateTime or an SVS `yyyyMMddHHmmss` (R6). */
export function dateDigits(v: string | undefined): string | undefined {
  if (v === undefined) {
    return undefined;
  }
  const digits = v.replace(/[+-]\d{2}:\d{2}$|Z$/, '').replace(/\D/g, '');
  return digits.length >= 8 ? digits.slice(0, 14).padEnd(14, '0') : undefined;
}

function oidOf(identifiers: JsonValue): string | undefined {
  for (const id of asArray(identifiers)) {
    const value = isObject(id) ? str(id['value']) : undefined;
    if (value?.startsWith('urn:oid:')) {
      return value.slice('urn:oid:'.length);
    }
  }
  return undefined;
}

function common(json: Record<string, JsonValue>, file: string): RawCommon {
  const name = str(json['name']) ?? str(json['id']) ?? file;
  const id = str(json['id']);
  const oid = oidOf(json['identifier']);
  const url = str(json['url']);
  const date = dateDigits(str(json['date']));
  return {
    name,
    file,
    ...(id !== undefined ? { id } : {}),
    ...(oid !== undefined ? { oid } : {}),
    ...(url !== undefined ? { url } : {}),
    ...(date !== undefined ? { date } : {}),
  };
}

function flattenConcepts(
  concepts: JsonValue,
  system: string,
  out: RawConcept[],
  where: string,
): void {
  for (const c of asArray(concepts)) {
    if (!isObject(c)) {
      throw new ReferenceFileError(`${where}: concept is not an object`);
    }
    const code = str(c['code']);
    if (code === undefined || code.length === 0) {
      throw new ReferenceFileError(`${where}: concept without code`);
    }
    out.push({ system, code, display: str(c['display']) ?? '' });
    flattenConcepts(c['concept'], system, out, where);
  }
}

/** Reads a FHIR ValueSet, CodeSystem or ConceptMap given as JSON (R1–R3, R5, R6). */
export function fromFhirJson(json: JsonValue, file: string): RawEntry {
  if (!isObject(json)) {
    throw new ReferenceFileError(`${file}: not a FHIR resource`);
  }
  const type = json['resourceType'];
  const base = common(json, file);
  if (type === 'ValueSet') {
    const compose = json['compose'];
    if (!isObject(compose) || compose['exclude'] !== undefined) {
      throw new ReferenceFileError(`${file}: ValueSet without compose, or with exclude (R1)`);
    }
    const concepts: RawConcept[] = [];
    for (const inc of asArray(compose['include'])) {
      if (!isObject(inc)) {
        throw new ReferenceFileError(`${file}: include is not an object`);
      }
      const system = str(inc['system']);
      if (system === undefined || inc['concept'] === undefined || inc['filter'] !== undefined) {
        throw new ReferenceFileError(
          `${file}: only includes listing concepts of one system are supported (R1)`,
        );
      }
      for (const c of asArray(inc['concept'])) {
        if (!isObject(c) || c['concept'] !== undefined) {
          throw new ReferenceFileError(`${file}: bad include concept`);
        }
      }
      flattenConcepts(inc['concept'], system, concepts, file);
    }
    return { kind: 'value-set', ...base, concepts };
  }
  if (type === 'CodeSystem') {
    const system = str(json['url']);
    if (system === undefined) {
      throw new ReferenceFileError(`${file}: CodeSystem without url`);
    }
    const concepts: RawConcept[] = [];
    flattenConcepts(json['concept'], system, concepts, file);
    return { kind: 'value-set', ...base, concepts };
  }
  if (type === 'ConceptMap') {
    const pairs: RawPair[] = [];
    for (const group of asArray(json['group'])) {
      if (!isObject(group)) {
        throw new ReferenceFileError(`${file}: group is not an object`);
      }
      const source = str(group['source']);
      const target = str(group['target']);
      if (source === undefined || target === undefined) {
        throw new ReferenceFileError(`${file}: ConceptMap group without source or target system`);
      }
      for (const element of asArray(group['element'])) {
        const code = isObject(element) ? str(element['code']) : undefined;
        if (!isObject(element) || code === undefined) {
          throw new ReferenceFileError(`${file}: ConceptMap element without code`);
        }
        for (const t of asArray(element['target'])) {
          const tcode = isObject(t) ? str(t['code']) : undefined;
          if (!isObject(t) || tcode === undefined) {
            throw new ReferenceFileError(`${file}: ConceptMap target without code`);
          }
          const rel = str(t['equivalence']) ?? str(t['relationship']);
          if (rel === 'unmatched' || rel === 'disjoint' || rel === 'not-related-to') {
            continue;
          }
          pairs.push({ source: { system: source, code }, target: { system: target, code: tcode } });
        }
      }
    }
    return { kind: 'association', ...base, pairs };
  }
  throw new ReferenceFileError(`${file}: unsupported resourceType ${String(type)}`);
}

const SVS_NS = 'urn:ihe:iti:svs:2008';
const FHIR_NS = 'http://hl7.org/fhir';

function children(el: XmlElement, name: string, ns: string): XmlElement[] {
  const out: XmlElement[] = [];
  for (let n = el.firstChild; n !== null; n = n.next) {
    if (n instanceof XmlElement && n.name === name && n.namespaceUri === ns) {
      out.push(n);
    }
  }
  return out;
}

function attr(el: XmlElement, name: string): string | undefined {
  const a = el.attr(name);
  return a === null ? undefined : a.value;
}

function required(el: XmlElement, name: string, where: string): string {
  const v = attr(el, name);
  if (v === undefined || v.length === 0) {
    throw new ReferenceFileError(`${where}: <${el.name}> line ${el.line} lacks ${name}`);
  }
  return v;
}

/** The FHIR canonical the NOS publishes for an SVS file (R5). */
function svsCanonical(urlFichier: string | undefined): string | undefined {
  if (urlFichier === undefined || urlFichier.length === 0) {
    return undefined;
  }
  const last = urlFichier.slice(urlFichier.lastIndexOf('/') + 1);
  return `${urlFichier}/FHIR/${last.replace('_', '-')}`;
}

function fromSvs(root: XmlElement, file: string): RawEntry[] {
  const out: RawEntry[] = [];
  for (const vs of children(root, 'ValueSet', SVS_NS)) {
    const displayName = attr(vs, 'displayName') ?? file;
    const name = displayName.replace(/\.tabs$/, '');
    const oid = attr(vs, 'id');
    const url = svsCanonical(attr(vs, 'urlFichier'));
    const date = dateDigits(attr(vs, 'dateMaj') || attr(vs, 'revisionDate'));
    const base: RawCommon = {
      name,
      file,
      ...(oid ? { oid } : {}),
      ...(url !== undefined ? { url } : {}),
      ...(date !== undefined ? { date } : {}),
    };
    const mappedLists = children(vs, 'MappedConceptList', SVS_NS);
    if (mappedLists.length > 0) {
      const pairs: RawPair[] = [];
      for (const list of mappedLists) {
        for (const mc of children(list, 'MappedConcept', SVS_NS)) {
          const concepts = children(mc, 'Concept', SVS_NS);
          const [s, t] = concepts;
          if (concepts.length !== 2 || s === undefined || t === undefined) {
            throw new ReferenceFileError(
              `${file}: MappedConcept line ${mc.line} must hold two Concepts`,
            );
          }
          pairs.push({
            source: { system: required(s, 'codeSystem', file), code: required(s, 'code', file) },
            target: { system: required(t, 'codeSystem', file), code: required(t, 'code', file) },
          });
        }
      }
      out.push({ kind: 'association', ...base, pairs });
      continue;
    }
    const concepts: RawConcept[] = [];
    for (const list of children(vs, 'ConceptList', SVS_NS)) {
      for (const c of children(list, 'Concept', SVS_NS)) {
        concepts.push({
          system: required(c, 'codeSystem', file),
          code: required(c, 'code', file),
          display: attr(c, 'displayName') ?? '',
        });
      }
    }
    out.push({ kind: 'value-set', ...base, concepts });
  }
  if (out.length === 0) {
    throw new ReferenceFileError(`${file}: no ValueSet in the SVS response`);
  }
  return out;
}

function fhirValue(el: XmlElement, name: string): string | undefined {
  const [child] = children(el, name, FHIR_NS);
  return child === undefined ? undefined : attr(child, 'value');
}

function fhirConceptsToJson(el: XmlElement): Record<string, JsonValue>[] {
  return children(el, 'concept', FHIR_NS).map((c) => {
    const code = fhirValue(c, 'code');
    const display = fhirValue(c, 'display');
    const nested = fhirConceptsToJson(c);
    return {
      ...(code !== undefined ? { code } : {}),
      ...(display !== undefined ? { display } : {}),
      ...(nested.length > 0 ? { concept: nested } : {}),
    };
  });
}

/** The subset of a FHIR XML ValueSet / CodeSystem the loader uses, as JSON (R1, R2). */
function fhirXmlToJson(root: XmlElement, file: string): Record<string, JsonValue> {
  const json: Record<string, JsonValue> = { resourceType: root.name };
  for (const key of ['id', 'url', 'name', 'version', 'date']) {
    const v = fhirValue(root, key);
    if (v !== undefined) {
      json[key] = v;
    }
  }
  json['identifier'] = children(root, 'identifier', FHIR_NS).map((i) => ({
    value: fhirValue(i, 'value') ?? '',
  }));
  if (root.name === 'CodeSystem') {
    json['concept'] = fhirConceptsToJson(root);
  } else {
    const [compose] = children(root, 'compose', FHIR_NS);
    if (compose === undefined || children(compose, 'exclude', FHIR_NS).length > 0) {
      throw new ReferenceFileError(`${file}: ValueSet without compose, or with exclude (R1)`);
    }
    json['compose'] = {
      include: children(compose, 'include', FHIR_NS).map((inc) => {
        if (
          children(inc, 'filter', FHIR_NS).length > 0 ||
          children(inc, 'valueSet', FHIR_NS).length > 0
        ) {
          throw new ReferenceFileError(
            `${file}: only includes listing concepts are supported (R1)`,
          );
        }
        const system = fhirValue(inc, 'system');
        return { ...(system !== undefined ? { system } : {}), concept: fhirConceptsToJson(inc) };
      }),
    };
  }
  return json;
}

/** Reads an IHE SVS response or a FHIR XML ValueSet/CodeSystem (R2, R4). Entities are not substituted. */
export function fromXml(bytes: Uint8Array, file: string): RawEntry[] {
  let doc: XmlDocument;
  try {
    doc = XmlDocument.fromBuffer(bytes);
  } catch (e) {
    throw new ReferenceFileError(`${file}: not well-formed XML (${(e as Error).message})`);
  }
  try {
    const root = doc.root;
    if (root.name === 'RetrieveValueSetResponse' && root.namespaceUri === SVS_NS) {
      return fromSvs(root, file);
    }
    if ((root.name === 'CodeSystem' || root.name === 'ValueSet') && root.namespaceUri === FHIR_NS) {
      return [fromFhirJson(fhirXmlToJson(root, file), file)];
    }
    throw new ReferenceFileError(
      `${file}: unsupported XML root <${root.name}> (${root.namespaceUri})`,
    );
  } finally {
    doc.dispose();
  }
}
