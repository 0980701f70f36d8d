/**
 * CDA R2 documents: safe parsing, validation against the ANS-extended CDA schema, header extraction.
 *
 * Rules, in order (each failure is one issue with a stable code; nothing is echoed from the document
 * except element and attribute names and line numbers):
 * 1. CDA_DOCTYPE_FORBIDDEN — any DOCTYPE in the prolog is refused before parsing (no DTD, no entity,
 *    internal or external: this closes XXE and "billion laughs" at the door). The parser then runs with
 *    entity substitution (NOENT) and DTD loading OFF, NONET and NO_XXE ON; a
 *    DTD seen after parsing is refused too (defence in depth).
 * 2. CDA_NOT_WELL_FORMED — libxml2 could not parse the bytes as XML. A text node may be as long as the document
 *    (XML_PARSE_HUGE: a CDA N1 body up to the size limit); names and other limits stay libxml2's.
 * 2b. CDA_TOO_DEEP — elements nest more than 256 levels (libxml2's default depth limit, kept although
 *    XML_PARSE_HUGE would allow 2048).
 * 3. CDA_NOT_CLINICAL_DOCUMENT — the root is not `ClinicalDocument` in `urn:hl7-org:v3` (an ANS
 *    "autoprésentable" document, an `xsl:stylesheet` wrapping one ClinicalDocument, is accepted).
 * 4. CDA_SCHEMA_INVALID — the document fails `CDA_extended.xsd` (compiled once, cached); the first few
 *    libxml2 messages are reported with their line numbers, values removed.
 * 5. CDA_HEADER_INCOMPLETE — the header lacks `id/@root` or `code/@code` (needed for any metadata).
 *
 * The schema files are read from `apps/server/reference/schemas/cda/` through an input provider that
 * serves only those files (from memory): libxml2 can open nothing else, whatever a document says.
 * Every libxml2-wasm object is WASM memory: documents are disposed in `finally`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ParseOption,
  XmlDocument,
  XmlElement,
  XmlLibError,
  XsdValidator,
  xmlRegisterInputProvider,
} from 'libxml2-wasm';
import type { ErrorDetail } from 'libxml2-wasm';
// The library's struct accessors and two libxml2 calls, by node pointer (the header walk below).
import {
  XmlNodeStruct,
  XmlNsStruct,
  xmlHasNsProp,
  xmlNodeGetContent,
} from 'libxml2-wasm/lib/libxml2.mjs';
import type {
  CdaAuthor,
  CdaBody,
  CdaCode,
  CdaHeader,
  CdaId,
  CdaName,
  CdaOrganization,
  CdaPerformer,
  CdaRecordTarget,
  CdaRelatedDocument,
  CdaServiceEvent,
} from '../domain/documents/cda-header.ts';
import { INS_OIDS, OID_IDNAT_PS } from '../domain/documents/cda-header.ts';
import type { DomainIssue } from '../domain/errors.ts';
import { err, ok } from '../domain/result.ts';
import type { Result } from '../domain/result.ts';

export type { CdaHeader } from '../domain/documents/cda-header.ts';

export const HL7_NS = 'urn:hl7-org:v3';
const XSL_NS = 'http://www.w3.org/1999/XSL/Transform';

/** How many libxml2 messages a CDA_SCHEMA_INVALID issue carries at most. */
const MAX_SCHEMA_MESSAGES = 5;

// ---------------------------------------------------------------------------------------------
// Schema: loaded once, from memory

interface SchemaHolder {
  readonly validator: XsdValidator;
  readonly dir: string;
}

let schema: SchemaHolder | undefined;
let schemaFailure: Error | undefined;

/** Directory of the copied ANS schema set (see reference/schemas/SOURCES.md). */
export const DEFAULT_CDA_SCHEMA_DIR = fileURLToPath(
  new URL('../../reference/schemas/cda/', import.meta.url),
);

function readTree(dir: string, into: Map<string, Uint8Array>): void {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      readTree(p, into);
    } else if (name.endsWith('.xsd')) {
      into.set(p, readFileSync(p));
    }
  }
}

/**
 * Input provider serving only the schema files, from memory. libxml2 asks it for includes/imports
 * while compiling the schema; it answers no to anything else (network, /etc/passwd, …). Also used for the XDS
 * schemas (xds/schema.ts): each call registers a provider answering for its own files only.
 */
export function registerSchemaProvider(files: ReadonlyMap<string, Uint8Array>): void {
  const open = new Map<number, { data: Uint8Array; pos: number }>();
  let nextFd = 1;
  const normalize = (name: string): string | undefined => {
    if (name.startsWith('file:')) {
      try {
        return fileURLToPath(name);
      } catch {
        return undefined;
      }
    }
    return name.startsWith('/') ? resolve(name) : undefined;
  };
  xmlRegisterInputProvider({
    match: (name) => {
      const p = normalize(name);
      return p !== undefined && files.has(p);
    },
    open: (name) => {
      const p = normalize(name);
      const data = p === undefined ? undefined : files.get(p);
      if (!data) {
        return undefined;
      }
      const fd = nextFd++;
      open.set(fd, { data, pos: 0 });
      return fd;
    },
    read: (fd, buf) => {
      const f = open.get(fd);
      if (!f) {
        return -1;
      }
      const n = Math.min(buf.byteLength, f.data.length - f.pos);
      buf.set(f.data.subarray(f.pos, f.pos + n));
      f.pos += n;
      return n;
    },
    close: (fd) => open.delete(fd),
  });
}

/**
 * Compiles CDA_extended.xsd once (≈ 200 ms) and keeps it for the life of the process. Called lazily
 * by parseCda; call it at start-up to keep that cost off the first deposit.
 */
export function loadCdaSchema(dir: string = DEFAULT_CDA_SCHEMA_DIR): void {
  if (schema) {
    return;
  }
  if (schemaFailure) {
    throw schemaFailure;
  }
  const root = resolve(dir);
  const files = new Map<string, Uint8Array>();
  readTree(root, files);
  const main = join(root, 'CDA_extended.xsd');
  const mainBytes = files.get(main);
  if (!mainBytes) {
    throw new Error(`CDA schema not found: ${main}`);
  }
  registerSchemaProvider(files);
  const xsd = XmlDocument.fromBuffer(mainBytes, { url: main });
  try {
    schema = { validator: XsdValidator.fromDoc(xsd), dir: root };
  } catch (e) {
    schemaFailure = new Error(`CDA schema does not compile: ${(e as Error).message}`);
    throw schemaFailure;
  } finally {
    xsd.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// DOCTYPE pre-scan

/** Reads the prolog's characters straight from the bytes (ASCII-compatible or UTF-16). */
function charReader(bytes: Uint8Array): { start: number; step: number; at: (i: number) => number } {
  const b0 = bytes[0];
  const b1 = bytes[1];
  const at16be = (i: number): number => ((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0);
  const at16le = (i: number): number => (bytes[i] ?? 0) | ((bytes[i + 1] ?? 0) << 8);
  if (b0 === 0xfe && b1 === 0xff) {
    return { start: 2, step: 2, at: at16be };
  }
  if (b0 === 0xff && b1 === 0xfe) {
    return { start: 2, step: 2, at: at16le };
  }
  if (b0 === 0x00 && b1 === 0x3c) {
    return { start: 0, step: 2, at: at16be };
  }
  if (b0 === 0x3c && b1 === 0x00) {
    return { start: 0, step: 2, at: at16le };
  }
  const bom = b0 === 0xef && b1 === 0xbb && bytes[2] === 0xbf;
  return { start: bom ? 3 : 0, step: 1, at: (i) => bytes[i] ?? 0 };
}

/**
 * Whether the prolog (before the root element) holds a DOCTYPE or any other `<!` declaration.
 * Skips the XML declaration, processing instructions, comments and spaces; stops at the first
 * element. Works on the bytes (UTF-8 and other ASCII-compatible encodings, UTF-16 with or without BOM).
 */
export function hasDoctype(bytes: Uint8Array): boolean {
  const { start, step, at } = charReader(bytes);
  const n = bytes.length;
  const matches = (i: number, s: string): boolean => {
    for (let k = 0; k < s.length; k++) {
      if (at(i + k * step) !== s.charCodeAt(k)) {
        return false;
      }
    }
    return true;
  };
  const skipPast = (i: number, end: string): number => {
    for (let j = i; j < n; j += step) {
      if (matches(j, end)) {
        return j + end.length * step;
      }
    }
    return n;
  };
  let i = start;
  while (i < n) {
    const c = at(i);
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) {
      i += step;
    } else if (c !== 0x3c) {
      return false;
    } else if (matches(i, '<?')) {
      i = skipPast(i + 2 * step, '?>');
    } else if (matches(i, '<!--')) {
      i = skipPast(i + 4 * step, '-->');
    } else {
      // '<!DOCTYPE' (or any other declaration: none is legal in a CDA prolog) vs the root element.
      return matches(i, '<!');
    }
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// libxml2 message hygiene

/** Words after which libxml2 quotes a name from the schema, not a value from the document. */
const NAME_BEFORE = /(?:Element|attribute|type|facet|namespace|element)\s*$/;
const QNAME = /^(\{[^}'\s]*\})?[A-Za-z_][\w.-]*$/;

/**
 * Keeps a libxml2 message's structure (element, attribute and type names, the expected elements,
 * the facet) and drops every value the document carried: any quoted token that is not a name placed
 * after "Element", "attribute", "type", "facet" or "namespace" becomes '…'.
 */
export function sanitizeLibxmlMessage(message: string): string {
  const oneLine = message.replace(/\s+/g, ' ').trim();
  const cleaned = oneLine.replace(/'([^']*)'/g, (_m, inner: string, offset: number) =>
    QNAME.test(inner) && NAME_BEFORE.test(oneLine.slice(Math.max(0, offset - 16), offset))
      ? `'${inner}'`
      : "'…'",
  );
  return cleaned.length > 300 ? `${cleaned.slice(0, 297)}...` : cleaned;
}

function detailsOf(e: unknown): ErrorDetail[] {
  if (e instanceof XmlLibError) {
    return e.details;
  }
  return [];
}

function describeDetails(details: readonly ErrorDetail[], max: number): string {
  const parts = details
    .slice(0, max)
    .map((d) => `${d.line ? `line ${d.line}: ` : ''}${sanitizeLibxmlMessage(d.message)}`);
  const more = details.length > max ? ` (and ${details.length - max} more)` : '';
  return parts.join('; ') + more;
}

// ---------------------------------------------------------------------------------------------
// Tree helpers (children in the HL7 namespace, by local name)

/**
 * An element of the header in the HL7 namespace, read straight from libxml2's tree (the library's own struct
 * accessors, by node pointer): no wrapper object per node crossed, the namespace of each node compared by pointer
 * first. Its HL7 children are read once, grouped by local name, the first time one of them is asked for. The body is
 * never walked: only `component`'s own children are read. Measured on the bench's 10 KB CDA: the header read took a
 * third of `parseCda` through the library's node objects (a wrapper and two decoded strings per node, children
 * walked again for each lookup).
 */
class Hl7Element {
  readonly ptr: number;
  private readonly namespaces: NamespaceMemo;
  private kids: Map<string, Hl7Element[]> | undefined;

  constructor(ptr: number, namespaces: NamespaceMemo) {
    this.ptr = ptr;
    this.namespaces = namespaces;
  }

  all(name: string): readonly Hl7Element[] {
    this.kids ??= this.indexChildren();
    return this.kids.get(name) ?? [];
  }

  first(name: string): Hl7Element | undefined {
    return this.all(name)[0];
  }

  /** The value of an attribute without namespace, as written (undefined when absent). */
  attr(name: string): string | undefined {
    const a = xmlHasNsProp(this.ptr, name, null);
    return a === 0 ? undefined : xmlNodeGetContent(a);
  }

  /** The text content of the element and its descendants. */
  content(): string {
    return xmlNodeGetContent(this.ptr);
  }

  /** One pass over the element's HL7 children, grouped by local name (the ClinicalDocument has ~30 of them). */
  private indexChildren(): Map<string, Hl7Element[]> {
    const idx = new Map<string, Hl7Element[]>();
    for (let n = XmlNodeStruct.children(this.ptr); n !== 0; n = XmlNodeStruct.next(n)) {
      if (
        XmlNodeStruct.type(n) !== ELEMENT_NODE ||
        !this.namespaces.isHl7(XmlNodeStruct.namespace(n))
      ) {
        continue;
      }
      const name = XmlNodeStruct.name_(n);
      const list = idx.get(name);
      const el = new Hl7Element(n, this.namespaces);
      if (list) {
        list.push(el);
      } else {
        idx.set(name, [el]);
      }
    }
    return idx;
  }
}

const ELEMENT_NODE = 1;

/** Which namespace structs (by pointer) of one document are the HL7 namespace: each href is read once. */
class NamespaceMemo {
  private readonly known = new Map<number, boolean>();

  isHl7(ns: number): boolean {
    if (ns === 0) {
      return false;
    }
    let hl7 = this.known.get(ns);
    if (hl7 === undefined) {
      hl7 = XmlNsStruct.href(ns) === HL7_NS;
      this.known.set(ns, hl7);
    }
    return hl7;
  }
}

/** The libxml2 node behind a library element (its own field: the library exposes no accessor). */
function nodePointer(el: XmlElement): number {
  const ptr = (el as unknown as { _nodePtr?: unknown })._nodePtr;
  if (typeof ptr !== 'number' || ptr === 0) {
    throw new Error('libxml2-wasm: element without node pointer (library changed?)');
  }
  return ptr;
}

function child(el: Hl7Element | undefined, name: string): Hl7Element | undefined {
  return el?.first(name);
}

function childElements(el: Hl7Element, name: string): readonly Hl7Element[] {
  return el.all(name);
}

function path(el: Hl7Element | undefined, ...names: string[]): Hl7Element | undefined {
  let cur = el;
  for (const n of names) {
    cur = child(cur, n);
  }
  return cur;
}

function attr(el: Hl7Element | undefined, name: string): string | undefined {
  const a = el?.attr(name);
  if (a === undefined) {
    return undefined;
  }
  const v = a.trim();
  return v === '' ? undefined : v;
}

function text(el: Hl7Element | undefined): string | undefined {
  if (!el) {
    return undefined;
  }
  const v = el.content().replace(/\s+/g, ' ').trim();
  return v === '' ? undefined : v;
}

function readId(el: Hl7Element | undefined): CdaId | undefined {
  const root = attr(el, 'root');
  if (!root) {
    return undefined;
  }
  const extension = attr(el, 'extension');
  return extension === undefined ? { root } : { root, extension };
}

function readIds(parent: Hl7Element | undefined): CdaId[] {
  if (!parent) {
    return [];
  }
  const out: CdaId[] = [];
  for (const e of childElements(parent, 'id')) {
    const id = readId(e);
    if (id) {
      out.push(id);
    }
  }
  return out;
}

function readCode(el: Hl7Element | undefined): CdaCode | undefined {
  const code = attr(el, 'code');
  if (!code) {
    return undefined;
  }
  const codeSystem = attr(el, 'codeSystem');
  const displayName = attr(el, 'displayName');
  return {
    code,
    ...(codeSystem !== undefined && { codeSystem }),
    ...(displayName !== undefined && { displayName }),
  };
}

function readName(person: Hl7Element | undefined): CdaName | undefined {
  const name = child(person, 'name');
  if (!name) {
    return undefined;
  }
  let family: string | undefined;
  const given: string[] = [];
  for (const f of childElements(name, 'family')) {
    // Prefer the birth name (qualifier BR) when several are given; otherwise the first.
    const v = text(f);
    if (v && (family === undefined || attr(f, 'qualifier') === 'BR')) {
      family = v;
    }
  }
  for (const g of childElements(name, 'given')) {
    const v = text(g);
    if (v && !given.includes(v)) {
      given.push(v);
    }
  }
  const prefix = text(child(name, 'prefix'));
  const suffix = text(child(name, 'suffix'));
  if (family === undefined && given.length === 0) {
    const whole = text(name);
    return whole === undefined ? undefined : { family: whole, given };
  }
  return {
    ...(family !== undefined && { family }),
    given,
    ...(prefix !== undefined && { prefix }),
    ...(suffix !== undefined && { suffix }),
  };
}

function readOrganization(el: Hl7Element | undefined): CdaOrganization | undefined {
  if (!el) {
    return undefined;
  }
  const name = text(child(el, 'name'));
  const industryCode = readCode(child(el, 'standardIndustryClassCode'));
  return {
    ids: readIds(el),
    ...(name !== undefined && { name }),
    ...(industryCode !== undefined && { industryCode }),
  };
}

function idNatPsOf(ids: readonly CdaId[]): string | undefined {
  return ids.find((i) => i.root === OID_IDNAT_PS && i.extension)?.extension;
}

/** `author` or `legalAuthenticator`: time + assignedAuthor|assignedEntity. */
function readAuthorLike(el: Hl7Element, entityName: string): CdaAuthor {
  const time = attr(child(el, 'time'), 'value');
  const entity = child(el, entityName);
  const ids = readIds(entity);
  const idNatPs = idNatPsOf(ids);
  const role = readCode(child(entity, 'code'));
  const person = readName(child(entity, 'assignedPerson'));
  const device = text(path(entity, 'assignedAuthoringDevice', 'softwareName'));
  const organization = readOrganization(child(entity, 'representedOrganization'));
  return {
    ...(time !== undefined && { time }),
    ids,
    ...(idNatPs !== undefined && { idNatPs }),
    ...(role !== undefined && { role }),
    ...(person !== undefined && { person }),
    ...(device !== undefined && { device }),
    ...(organization !== undefined && { organization }),
  };
}

function readServiceEvent(se: Hl7Element): CdaServiceEvent {
  const code = readCode(child(se, 'code'));
  const eff = child(se, 'effectiveTime');
  const low = attr(child(eff, 'low'), 'value') ?? attr(eff, 'value');
  const high = attr(child(eff, 'high'), 'value');
  const performers: CdaPerformer[] = [];
  for (const p of childElements(se, 'performer')) {
    const ae = child(p, 'assignedEntity');
    if (!ae) {
      continue;
    }
    const person = readName(child(ae, 'assignedPerson'));
    const organization = readOrganization(child(ae, 'representedOrganization'));
    performers.push({
      ids: readIds(ae),
      ...(person !== undefined && { person }),
      ...(organization !== undefined && { organization }),
    });
  }
  return {
    ...(code !== undefined && { code }),
    ...(low !== undefined && { low }),
    ...(high !== undefined && { high }),
    performers,
  };
}

function readInt(el: Hl7Element | undefined): number | undefined {
  const v = attr(el, 'value');
  if (v === undefined || !/^\d{1,9}$/.test(v)) {
    return undefined;
  }
  return Number(v);
}

function readBody(component: Hl7Element | undefined): CdaBody {
  if (!component) {
    return { kind: 'none' };
  }
  if (child(component, 'structuredBody')) {
    return { kind: 'structured' };
  }
  const nonXml = child(component, 'nonXMLBody');
  if (!nonXml) {
    return { kind: 'none' };
  }
  const t = child(nonXml, 'text');
  const mediaType = attr(t, 'mediaType');
  const representation = attr(t, 'representation');
  return {
    kind: 'nonXML',
    ...(mediaType !== undefined && { mediaType }),
    ...(representation !== undefined && { representation }),
  };
}

/** Extracts the header of a (schema-valid) ClinicalDocument element. */
function readHeader(cd: XmlElement, selfPresenting: boolean): Result<CdaHeader, DomainIssue[]> {
  const root = new Hl7Element(nodePointer(cd), new NamespaceMemo());
  const first = (name: string): Hl7Element | undefined => root.first(name);
  const all = (name: string): readonly Hl7Element[] => root.all(name);
  const id = readId(first('id'));
  const code = readCode(first('code'));
  const missing: DomainIssue[] = [];
  if (!id) {
    missing.push({
      code: 'CDA_HEADER_INCOMPLETE',
      message: 'ClinicalDocument/id has no root: the document has no unique id',
    });
  }
  if (!code) {
    missing.push({
      code: 'CDA_HEADER_INCOMPLETE',
      message: 'ClinicalDocument/code has no code: the document type is unknown',
    });
  }
  if (!id || !code) {
    return err(missing);
  }

  const templateIds: CdaId[] = [];
  for (const t of all('templateId')) {
    const tid = readId(t);
    if (tid) {
      templateIds.push(tid);
    }
  }
  const patientIds: CdaId[] = [];
  const recordTargets: CdaRecordTarget[] = [];
  for (const rt of all('recordTarget')) {
    const role = child(rt, 'patientRole');
    const ids = readIds(role);
    patientIds.push(...ids);
    const person = child(role, 'patient');
    const gender = attr(child(person, 'administrativeGenderCode'), 'code');
    const birthTime = attr(child(person, 'birthTime'), 'value');
    recordTargets.push({
      ids,
      ...(gender !== undefined && { gender }),
      ...(birthTime !== undefined && { birthTime }),
    });
  }
  const insId = patientIds.find((p) => INS_OIDS.has(p.root) && p.extension);
  const authors: CdaAuthor[] = [];
  for (const a of all('author')) {
    authors.push(readAuthorLike(a, 'assignedAuthor'));
  }
  const la = first('legalAuthenticator');
  const legalAuthenticator = la ? readAuthorLike(la, 'assignedEntity') : undefined;
  const custodian = readOrganization(
    path(first('custodian'), 'assignedCustodian', 'representedCustodianOrganization'),
  );
  const serviceEvents: CdaServiceEvent[] = [];
  for (const d of all('documentationOf')) {
    const se = child(d, 'serviceEvent');
    if (se) {
      serviceEvents.push(readServiceEvent(se));
    }
  }
  const encounter = path(first('componentOf'), 'encompassingEncounter');
  const healthCareFacilityCode = readCode(
    path(encounter, 'location', 'healthCareFacility', 'code'),
  );
  const encEff = child(encounter, 'effectiveTime');
  const encounterLow = attr(child(encEff, 'low'), 'value') ?? attr(encEff, 'value');
  const encounterHigh = attr(child(encEff, 'high'), 'value');
  const relatedDocuments: CdaRelatedDocument[] = [];
  for (const r of all('relatedDocument')) {
    const parent = child(r, 'parentDocument');
    const setId = readId(child(parent, 'setId'));
    const versionNumber = readInt(child(parent, 'versionNumber'));
    relatedDocuments.push({
      typeCode: attr(r, 'typeCode') ?? 'RPLC',
      ids: readIds(parent),
      ...(setId !== undefined && { setId }),
      ...(versionNumber !== undefined && { versionNumber }),
    });
  }
  const title = text(first('title'));
  const effectiveTime = attr(first('effectiveTime'), 'value');
  const confidentialityCode = readCode(first('confidentialityCode'));
  const languageCode = attr(first('languageCode'), 'code');
  const setId = readId(first('setId'));
  const versionNumber = readInt(first('versionNumber'));

  return ok({
    selfPresenting,
    id,
    code,
    ...(title !== undefined && { title }),
    ...(effectiveTime !== undefined && { effectiveTime }),
    ...(confidentialityCode !== undefined && { confidentialityCode }),
    ...(languageCode !== undefined && { languageCode }),
    ...(setId !== undefined && { setId }),
    ...(versionNumber !== undefined && { versionNumber }),
    templateIds,
    patientIds,
    recordTargets,
    ...(insId?.extension !== undefined && { ins: { value: insId.extension, oid: insId.root } }),
    authors,
    ...(custodian !== undefined && { custodian }),
    ...(legalAuthenticator !== undefined && { legalAuthenticator }),
    serviceEvents,
    ...(healthCareFacilityCode !== undefined && { healthCareFacilityCode }),
    ...(encounterLow !== undefined && { encounterLow }),
    ...(encounterHigh !== undefined && { encounterHigh }),
    relatedDocuments,
    body: readBody(first('component')),
  });
}

/** The ClinicalDocument: the root, or the one an ANS self-presenting xsl:stylesheet wraps. */
function findClinicalDocument(
  root: XmlElement,
): { cd: XmlElement; selfPresenting: boolean } | undefined {
  if (root.name === 'ClinicalDocument' && root.namespaceUri === HL7_NS) {
    return { cd: root, selfPresenting: false };
  }
  if (root.name === 'stylesheet' && root.namespaceUri === XSL_NS) {
    const found = root.find('//hl7:ClinicalDocument', { hl7: HL7_NS });
    const first = found[0];
    if (found.length === 1 && first instanceof XmlElement) {
      return { cd: first, selfPresenting: true };
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Entry point

/**
 * XML_PARSE_HUGE lifts libxml2's 10 MB limit on one text node (a CDA N1's base64 body up to the document size limit,
 * issue 17 rule 9); it also lets elements nest 2048 deep, so the depth is bounded again below (rule 2b). It reopens
 * no entity: a DTD is refused before parsing and after (rule 1), entities are never substituted (no NOENT) and no
 * DTD or external content is loaded (no DTDLOAD, NONET, NO_XXE).
 */
const PARSE_OPTIONS =
  ParseOption.XML_PARSE_NONET |
  ParseOption.XML_PARSE_NO_XXE |
  ParseOption.XML_PARSE_NOWARNING |
  ParseOption.XML_PARSE_HUGE;

/** The deepest element nesting accepted (libxml2's own default; a CDA nests a few dozen levels at most). */
export const MAX_CDA_DEPTH = 256;

/**
 * Whether elements nest deeper than `max` below `root` (root at depth 1). Iterative, by node pointer: only element
 * nodes are descended into; text, comments and PIs are stepped over.
 */
function nestsDeeperThan(root: number, max: number): boolean {
  let node = root;
  let depth = 1;
  for (;;) {
    const first = XmlNodeStruct.type(node) === ELEMENT_NODE ? XmlNodeStruct.children(node) : 0;
    if (first !== 0) {
      node = first;
      depth++;
      if (depth > max) {
        return true;
      }
      continue;
    }
    while (node !== root && XmlNodeStruct.next(node) === 0) {
      node = XmlNodeStruct.parent(node);
      depth--;
    }
    if (node === root) {
      return false;
    }
    node = XmlNodeStruct.next(node);
  }
}

/**
 * Parses, validates and reads the header of a CDA R2 document. Synchronous and CPU-bound
 * (≈ 1 ms for 10 KB); the schema is compiled on first use.
 */
export function parseCda(bytes: Uint8Array): Result<CdaHeader, DomainIssue[]> {
  if (hasDoctype(bytes)) {
    return err([
      {
        code: 'CDA_DOCTYPE_FORBIDDEN',
        message:
          'CDA documents must not contain a DOCTYPE declaration (DTDs and entities are refused)',
      },
    ]);
  }
  loadCdaSchema();
  const validator = (schema as SchemaHolder).validator;
  let doc: XmlDocument;
  try {
    // The library types its bit flags as an enum; combining them is how its documentation uses them.
    // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment
    doc = XmlDocument.fromBuffer(bytes, { option: PARSE_OPTIONS as ParseOption });
  } catch (e) {
    return err([
      {
        code: 'CDA_NOT_WELL_FORMED',
        message: `The document is not well-formed XML: ${describeDetails(detailsOf(e), 1) || 'unreadable'}`,
      },
    ]);
  }
  try {
    // Defence in depth (an encoding hasDoctype does not read). The wrapper is released at once: it
    // would otherwise be finalized after the document (which owns and frees the DTD) is gone.
    const dtd = doc.dtd;
    if (dtd !== null) {
      dtd.dispose();
      return err([
        {
          code: 'CDA_DOCTYPE_FORBIDDEN',
          message:
            'CDA documents must not contain a DOCTYPE declaration (DTDs and entities are refused)',
        },
      ]);
    }
    if (nestsDeeperThan(nodePointer(doc.root), MAX_CDA_DEPTH)) {
      return err([
        {
          code: 'CDA_TOO_DEEP',
          message: `Elements nest more than ${String(MAX_CDA_DEPTH)} levels deep`,
        },
      ]);
    }
    const found = findClinicalDocument(doc.root);
    if (!found) {
      return err([
        {
          code: 'CDA_NOT_CLINICAL_DOCUMENT',
          message: `The root element is not an HL7 CDA R2 ClinicalDocument (namespace ${HL7_NS})`,
        },
      ]);
    }
    try {
      validator.validate(doc);
    } catch (e) {
      const details = detailsOf(e);
      return err([
        {
          code: 'CDA_SCHEMA_INVALID',
          message: `The document is not valid against the ANS-extended CDA R2 schema: ${
            describeDetails(details, MAX_SCHEMA_MESSAGES) || 'validation failed'
          }`,
        },
      ]);
    }
    return readHeader(found.cd, found.selfPresenting);
  } finally {
    doc.dispose();
  }
}
