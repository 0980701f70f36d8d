/**
 * Hardened XML for the SOAP services (issue 19): parsing hostile bytes into a small plain tree, and writing XML.
 *
 * Parsing rules, in order (each failure is an {@link XmlFailure} with a stable code; nothing of the input is echoed
 * but element names and line numbers):
 * X1. XML_TOO_LARGE — more bytes than the caller's limit (the HTTP body limit is checked before, this is for parts).
 * X2. XML_DOCTYPE_FORBIDDEN — any `<!` declaration in the prolog (DOCTYPE, internal subset, entities) is refused
 *     before parsing: no DTD, no entity, internal or external (XXE, "billion laughs").
 * X3. XML_NOT_WELL_FORMED — libxml2 (libxml2-wasm, the parser of src/validation/cda.ts) could not parse the bytes,
 *     run with entity substitution and DTD loading OFF, NONET and NO_XXE ON. A DTD seen after parsing is refused.
 * X4. XML_TOO_DEEP / XML_TOO_MANY_NODES — more than {@link XmlLimits.maxDepth} levels or
 *     {@link XmlLimits.maxElements} elements.
 * X5. Optionally, XML_SCHEMA_INVALID — the document fails a compiled XSD (xds/schema.ts), checked on the libxml2
 *     tree before it is converted.
 *
 * The libxml2 tree is converted into {@link XElement} (plain objects: namespace URI, local name, attributes,
 * children, text) and disposed in `finally`: the protocol code after this point is pure TypeScript.
 * `xop:Include` elements (MTOM) are removed from the tree and their `href` kept on the parent ({@link XElement.xop}),
 * so that a schema typing the parent as base64Binary still validates.
 */
import { randomUUID } from 'node:crypto';
import { ParseOption, XmlDocument, XmlElement, XmlLibError } from 'libxml2-wasm';
// libxml2-wasm's internals (version pinned by the lock file): its heap, through a node-set reader, and two functions.
// The conversion reads libxml2's structures in place at the offsets its accessors use, without a JavaScript object
// per node (checked against the node objects on sample messages: xml.test.ts).
import {
  XmlNodeSetStruct,
  xmlDocGetRootElement,
  xmlNodeGetContent,
} from 'libxml2-wasm/lib/libxml2.mjs';
import type { XmlTreeNode } from 'libxml2-wasm';
import { hasDoctype, sanitizeLibxmlMessage } from '../validation/cda.ts';

export const NS = {
  soap12: 'http://www.w3.org/2003/05/soap-envelope',
  soap11: 'http://schemas.xmlsoap.org/soap/envelope/',
  wsa: 'http://www.w3.org/2005/08/addressing',
  wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  wsu: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd',
  saml2: 'urn:oasis:names:tc:SAML:2.0:assertion',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
  xop: 'http://www.w3.org/2004/08/xop/include',
  rim: 'urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0',
  rs: 'urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0',
  lcm: 'urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0',
  query: 'urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0',
  xdsb: 'urn:ihe:iti:xds-b:2007',
  rmd: 'urn:ihe:iti:rmd:2017',
  hl7: 'urn:hl7-org:v3',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
} as const;

export interface XElement {
  /** Namespace URI ('' when none). */
  readonly ns: string;
  /** Local name. */
  readonly name: string;
  /** Attributes by local name (namespaced attributes by `{uri}local` too). */
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: readonly XElement[];
  /** Concatenated text children (not descendants). */
  readonly text: string;
  /** The `href` of an `xop:Include` child (MTOM), removed from `children`. */
  readonly xop?: string;
  readonly line: number;
}

export interface XmlLimits {
  readonly maxBytes: number;
  readonly maxDepth: number;
  readonly maxElements: number;
}

export const DEFAULT_XML_LIMITS: XmlLimits = {
  maxBytes: 64 * 1024 * 1024,
  maxDepth: 64,
  maxElements: 200_000,
};

export type XmlFailureCode =
  | 'XML_TOO_LARGE'
  | 'XML_DOCTYPE_FORBIDDEN'
  | 'XML_NOT_WELL_FORMED'
  | 'XML_TOO_DEEP'
  | 'XML_TOO_MANY_NODES'
  | 'XML_SCHEMA_INVALID';

export class XmlFailure extends Error {
  readonly code: XmlFailureCode;
  constructor(code: XmlFailureCode, message: string) {
    super(message);
    this.code = code;
  }
}

const XOP_MARK = 'opendmp-xop-href';

const PARSE_OPTIONS =
  ParseOption.XML_PARSE_NONET |
  ParseOption.XML_PARSE_NO_XXE |
  ParseOption.XML_PARSE_NOWARNING |
  ParseOption.XML_PARSE_NOERROR |
  ParseOption.XML_PARSE_HUGE;

export interface ParseXmlOptions {
  readonly limits?: Partial<XmlLimits>;
  /** Called with the libxml2 document before conversion (schema validation); throws XmlFailure to refuse. */
  readonly validate?: (doc: XmlDocument) => void;
}

/** Parses hostile bytes into an {@link XElement} tree (rules X1–X5). Throws {@link XmlFailure}. */
export function parseXml(bytes: Uint8Array, options: ParseXmlOptions = {}): XElement {
  const limits = { ...DEFAULT_XML_LIMITS, ...options.limits };
  if (bytes.byteLength > limits.maxBytes) {
    throw new XmlFailure('XML_TOO_LARGE', `The XML is larger than ${limits.maxBytes} bytes.`);
  }
  if (hasDoctype(bytes)) {
    throw new XmlFailure('XML_DOCTYPE_FORBIDDEN', 'A DOCTYPE or entity declaration is refused.');
  }
  let doc: XmlDocument;
  try {
    // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment -- a union of the enum's flags
    doc = XmlDocument.fromBuffer(bytes, { option: PARSE_OPTIONS as ParseOption });
  } catch (e) {
    const detail = e instanceof XmlLibError ? e.details[0] : undefined;
    throw new XmlFailure(
      'XML_NOT_WELL_FORMED',
      `The XML is not well-formed${detail ? ` (line ${detail.line}: ${sanitizeLibxmlMessage(detail.message)})` : ''}.`,
    );
  }
  try {
    const docPtr = (doc as unknown as { _ptr: number })._ptr;
    if (xmlDocGetRootElement(docPtr) === 0) {
      throw new XmlFailure('XML_NOT_WELL_FORMED', 'The XML has no root element.');
    }
    // The prolog and what follows the root: no xml-stylesheet (inside the root: measure below).
    for (let n = childrenOf(docPtr); n !== 0; n = nextOf(n)) {
      refuseStylesheet(n);
    }
    const includes: [XmlElement, string][] = [];
    // X4 on libxml2's structures, with the stylesheet check (one walk, no XPath: two evaluations cost 13 µs of an
    // ITI-18 envelope's 0.18 ms); the node objects walked only when there is an xop:Include to remove (MTOM).
    // Element names decoded once per parse, by libxml2's interned pointers (the walk below and the conversion).
    const names = new Map<number, string>();
    if (measure(nodePointer(doc.root), limits, { elements: 0 }, 1, names)) {
      stripXop(doc.root, limits, { elements: 0 }, 1, includes);
    }
    options.validate?.(doc);
    // Marked after validation: the schema types the parent as base64Binary, without attributes. libxml2 puts an
    // unprefixed attribute set here in the default namespace in scope, if any (a client may declare one above the
    // Document): the mark is recognized by its name and a value prefix no sender can guess, in any namespace.
    const token = randomUUID();
    for (const [parent, href] of includes) {
      parent.setAttr(XOP_MARK, `${token}${href}`);
    }
    // The walk's names serve the conversion, unless xop:Include elements were removed meanwhile (their memory freed).
    return convert(
      nodePointer(doc.root),
      token,
      includes.length > 0 ? new Map<number, string>() : names,
      new Map<number, string>(),
    );
  } finally {
    doc.dispose();
  }
}

/** Removes xop:Include elements (their href goes on the parent: see convert) and checks depth and size. */
function stripXop(
  el: XmlElement,
  limits: XmlLimits,
  counter: { elements: number },
  depth: number,
  includes: [XmlElement, string][],
): void {
  if (depth > limits.maxDepth) {
    throw new XmlFailure('XML_TOO_DEEP', `Elements nest deeper than ${limits.maxDepth} levels.`);
  }
  counter.elements += 1;
  if (counter.elements > limits.maxElements) {
    throw new XmlFailure('XML_TOO_MANY_NODES', `More than ${limits.maxElements} elements.`);
  }
  for (let n: XmlTreeNode | null = el.firstChild; n !== null;) {
    const next: XmlTreeNode | null = n.next;
    if (n instanceof XmlElement) {
      if (n.namespaceUri === NS.xop && n.name === 'Include') {
        includes.push([el, n.attr('href')?.value ?? '']);
        n.remove();
      } else {
        stripXop(n, limits, counter, depth + 1, includes);
      }
    }
    n = next;
  }
}

const ELEMENT_NODE = 1;
const TEXT_NODE = 3;
const PI_NODE = 7;

function nodePointer(el: XmlElement): number {
  return (el as unknown as { _nodePtr: number })._nodePtr;
}

/** X4 on libxml2's structures; true when the tree holds an xop:Include (then removed by {@link stripXop}). */
function measure(
  ptr: number,
  limits: XmlLimits,
  counter: { elements: number },
  depth: number,
  names: Map<number, string>,
): boolean {
  if (depth > limits.maxDepth) {
    throw new XmlFailure('XML_TOO_DEEP', `Elements nest deeper than ${limits.maxDepth} levels.`);
  }
  counter.elements += 1;
  if (counter.elements > limits.maxElements) {
    throw new XmlFailure('XML_TOO_MANY_NODES', `More than ${limits.maxElements} elements.`);
  }
  let xop = false;
  for (let n = childrenOf(ptr); n !== 0; n = nextOf(n)) {
    const type = typeOf(n);
    if (type === ELEMENT_NODE) {
      if (measure(n, limits, counter, depth + 1, names)) {
        xop = true;
      } else if (!xop && nameOf(n, names) === 'Include') {
        const ns = namespaceOf(n);
        xop = ns !== 0 && libxmlHref(ns) === NS.xop;
      }
    } else if (type === PI_NODE) {
      refuseStylesheet(n);
    }
  }
  return xop;
}

/** An xml-stylesheet processing instruction, anywhere: harmless to us, but nothing of the kind belongs in a SOAP message. */
function refuseStylesheet(ptr: number): void {
  if (typeOf(ptr) === PI_NODE && libxmlName(ptr) === 'xml-stylesheet') {
    throw new XmlFailure('XML_NOT_WELL_FORMED', 'Processing instructions are refused.');
  }
}

/**
 * The plain tree of a libxml2 document already parsed and checked (xmldsig.ts D2: the signed assertion, read from the
 * very tree that was canonicalized and digested instead of parsing its canonical text again). No xop mark is read.
 */
export function elementTree(doc: XmlDocument): XElement {
  return convert(nodePointer(doc.root), randomUUID(), new Map(), new Map());
}

// libxml2's structures read in place (32-bit wasm; the offsets libxml2-wasm's accessors use: a node's name at 8, its
// namespace at 36, properties at 44 — and its content at 40, which it has no accessor for). Its readers of other
// structures read the words needed: a node set's count is the 32-bit word at its start, a namespace's href the
// string whose pointer is 8 bytes into it.
const NAME_AT = 8;
const CONTENT_AT = 40;
/** A namespace's href, 8 bytes into it. */
const HREF_AT = 8;
/**
 * libxml2's memory (its WebAssembly heap) as bytes and as 32-bit words. libxml2-wasm has no accessor for it; its
 * reader of a node set's table returns a view on it (an empty one here), whose buffer is the heap. When libxml2 grows
 * its memory, the old buffer is detached (a view on it then has length 0): the heap is looked up again.
 */
let heap: Buffer = Buffer.alloc(0);
let words: Int32Array = new Int32Array(0);
function lookUpHeap(): void {
  const memory = XmlNodeSetStruct.nodeTable(0, 0).buffer;
  heap = Buffer.from(memory);
  words = new Int32Array(memory);
}
function libxmlHeap(): Buffer {
  if (heap.length === 0) {
    lookUpHeap();
  }
  return heap;
}

/**
 * The 32-bit word at `address` of libxml2's memory (4-byte aligned: the structures' fields), read from the heap's
 * words as libxml2-wasm's accessors read it (`getValue`, through a check and a switch on the type by call).
 */
function wordAt(address: number): number {
  if (words.length === 0) {
    lookUpHeap();
  }
  return words[address >> 2] as number;
}

// A node's fields (libxml2-wasm's XmlTreeCommonStruct and XmlNodeStruct offsets).
const TYPE_AT = 4;
const CHILDREN_AT = 12;
const NEXT_AT = 24;
const NAMESPACE_AT = 36;
const PROPERTIES_AT = 44;
const LINE_AT = 56;
/** A node's type (libxml2-wasm's `XmlNodeStruct.type`). */
export const typeOf = (node: number): number => wordAt(node + TYPE_AT);
/** A node's first child, 0 for none (`XmlNodeStruct.children`). */
export const childrenOf = (node: number): number => wordAt(node + CHILDREN_AT);
/** A node's next sibling, 0 for none (`XmlNodeStruct.next`). */
export const nextOf = (node: number): number => wordAt(node + NEXT_AT);
/** A node's namespace, 0 for none (`XmlNodeStruct.namespace`). */
export const namespaceOf = (node: number): number => wordAt(node + NAMESPACE_AT);

/**
 * The NUL-terminated UTF-8 string at `pointer` ('' for a null pointer), as libxml2-wasm's UTF8ToString reads it, found
 * by Buffer.indexOf (memchr) and decoded by Node.js — UTF8ToString walks the bytes to the NUL in a JavaScript loop:
 * an ITI-41 envelope's attribute values and texts (its 13.7 KB inline Document among them) are read in about half the
 * time (docs/benchmarks.md, session 16). libxml2 keeps its strings in UTF-8 it checked while parsing: both decoders
 * read them alike (xml.test.ts compares them).
 */
export function libxmlString(pointer: number): string {
  if (pointer === 0) {
    return '';
  }
  const memory = libxmlHeap();
  const end = memory.indexOf(0, pointer);
  return memory.toString('utf8', pointer, end);
}

/** The UTF-8 string whose pointer is the word at `address` ('' for a null pointer). */
const stringAt = (address: number): string => libxmlString(wordAt(address));

/** A node's name (libxml2-wasm's `XmlNodeStruct.name_`), read as {@link libxmlString} does. */
export const libxmlName = (node: number): string => stringAt(node + NAME_AT);

/** A namespace's URI (libxml2-wasm's `XmlNsStruct.href`), read as {@link libxmlString} does. */
export const libxmlHref = (ns: number): string => stringAt(ns + HREF_AT);

/** A node's (element's, attribute's) name, by the pointer libxml2 interns it at (its dictionary): decoded once. */
function nameOf(ptr: number, names: Map<number, string>): string {
  const at = wordAt(ptr + NAME_AT);
  let name = names.get(at);
  if (name === undefined) {
    name = libxmlString(at);
    names.set(at, name);
  }
  return name;
}

/** A namespace's URI, decoded once per declaration. */
function hrefOf(ns: number, hrefs: Map<number, string>): string {
  let href = hrefs.get(ns);
  if (href === undefined) {
    href = stringAt(ns + HREF_AT);
    hrefs.set(ns, href);
  }
  return href;
}

/**
 * An attribute's value: its one text child's content read in place, as xmlNodeGetContent returns it then (a copy of
 * that content, allocated, decoded and freed); anything else (several children) through xmlNodeGetContent.
 */
function attributeValue(attr: number): string {
  const child = childrenOf(attr);
  if (child !== 0 && nextOf(child) === 0 && typeOf(child) === TEXT_NODE) {
    return stringAt(child + CONTENT_AT);
  }
  return xmlNodeGetContent(attr);
}

/**
 * The plain tree of an element, read from libxml2's structures through libxml2-wasm's accessors (the ones its node
 * objects use): one JavaScript object per element, none per node visited. Through the node objects, this and the
 * walk above cost an ITI-41 envelope's parse 1.16 ms against 0.56 now, an ITI-18's 0.53 against 0.24 (in process,
 * interleaved, loaded machine). Text children are TEXT nodes (CDATA,
 * comments and processing instructions are not text); attribute values as libxml2 gives them (xmlNodeGetContent).
 * Names and namespace URIs are decoded once per tree (`names`, `hrefs`, by libxml2's pointers), text read in place:
 * an ITI-41 envelope's tree (146 elements, 136 attributes) took 0.118 ms, 0.074 so (docs/benchmarks.md, session 15).
 */
function convert(
  ptr: number,
  token: string,
  names: Map<number, string>,
  hrefs: Map<number, string>,
): XElement {
  const attrs: Record<string, string> = {};
  let xop: string | undefined;
  for (let a = wordAt(ptr + PROPERTIES_AT); a !== 0; a = nextOf(a)) {
    const name = nameOf(a, names);
    const value = attributeValue(a);
    if (name === XOP_MARK && value.startsWith(token)) {
      xop = value.slice(token.length);
      continue;
    }
    const ns = namespaceOf(a);
    if (ns !== 0) {
      attrs[`{${hrefOf(ns, hrefs)}}${name}`] = value;
      attrs[name] ??= value;
    } else {
      attrs[name] = value;
    }
  }
  const children: XElement[] = [];
  let text = '';
  for (let n = childrenOf(ptr); n !== 0; n = nextOf(n)) {
    const type = typeOf(n);
    if (type === ELEMENT_NODE) {
      children.push(convert(n, token, names, hrefs));
    } else if (type === TEXT_NODE) {
      text += stringAt(n + CONTENT_AT);
    }
  }
  const ns = namespaceOf(ptr);
  return {
    ns: ns === 0 ? '' : hrefOf(ns, hrefs),
    name: nameOf(ptr, names),
    attrs,
    children,
    text,
    ...(xop !== undefined && { xop }),
    line: wordAt(ptr + LINE_AT),
  };
}

// ---------------------------------------------------------------------------------------------
// Navigation (pure)

export function kids(el: XElement | undefined, ns: string, name: string): XElement[] {
  return el ? el.children.filter((c) => c.ns === ns && c.name === name) : [];
}

export function kid(el: XElement | undefined, ns: string, name: string): XElement | undefined {
  return el?.children.find((c) => c.ns === ns && c.name === name);
}

/** All descendants (depth first) with that name. */
export function descendants(
  el: XElement,
  ns: string,
  name: string,
  out: XElement[] = [],
): XElement[] {
  for (const c of el.children) {
    if (c.ns === ns && c.name === name) {
      out.push(c);
    }
    descendants(c, ns, name, out);
  }
  return out;
}

/** Text of the element, trimmed. */
export function textOf(el: XElement | undefined): string | undefined {
  const t = el?.text.trim();
  return t === undefined || t === '' ? undefined : t;
}

// ---------------------------------------------------------------------------------------------
// Writing

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '\r': '&#13;',
};

/** A character that escaping changes: markup, CR, or one XML 1.0 cannot carry (surrogates are then checked). */
// eslint-disable-next-line no-control-regex -- the control characters XML 1.0 cannot carry are what it looks for
const NEEDS_ESCAPE = /[&<>"'\r\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;

/**
 * Escapes text or an attribute value; drops characters XML 1.0 cannot carry. Most values (codes, OIDs, dates) need
 * nothing: one test without the `u` flag answers them as they are; the two replacing passes run only when needed.
 */
export function esc(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) {
    return value;
  }
  return value
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/[&<>"'\r]/g, (c) => ESCAPES[c] ?? c);
}

type Content = string | undefined | false | readonly (string | undefined | false)[];

/** An element as text: `el('rim:Slot', {name: 'x'}, child1, child2)`; undefined attributes are left out. */
export function el(
  qname: string,
  attrs: Readonly<Record<string, string | undefined>> = {},
  ...content: readonly Content[]
): string {
  let out = `<${qname}`;
  for (const k in attrs) {
    const v = attrs[k];
    if (v !== undefined) {
      out += ` ${k}="${esc(v)}"`;
    }
  }
  let inner = '';
  for (const c of content) {
    if (typeof c === 'string') {
      inner += c;
    } else if (Array.isArray(c)) {
      for (const d of c as readonly (string | undefined | false)[]) {
        if (typeof d === 'string') {
          inner += d;
        }
      }
    }
  }
  return inner === '' ? `${out}/>` : `${out}>${inner}</${qname}>`;
}

/**
 * An XML writer into an array of chunks, joined once (a response of many elements is not re-joined at each nesting
 * level). Element and attribute names are the caller's constants (not escaped); values and text are escaped.
 */
export class XmlWriter {
  readonly #chunks: string[] = [];
  #open = false;

  /** Opens `<qname` with its attributes (undefined ones left out); `end()` or `close()` follows. */
  start(qname: string, attrs?: Readonly<Record<string, string | undefined>>): this {
    this.#closeStart();
    this.#chunks.push('<', qname);
    if (attrs) {
      for (const k in attrs) {
        const v = attrs[k];
        if (v !== undefined) {
          this.#chunks.push(' ', k, '="', esc(v), '"');
        }
      }
    }
    this.#open = true;
    return this;
  }

  /** One attribute of the element just started. */
  attr(name: string, value: string | undefined): this {
    if (value !== undefined) {
      this.#chunks.push(' ', name, '="', esc(value), '"');
    }
    return this;
  }

  /** Text content, escaped. */
  text(value: string): this {
    this.#closeStart();
    this.#chunks.push(esc(value));
    return this;
  }

  /** Markup already written (trusted: the caller's own output). */
  raw(xml: string): this {
    this.#closeStart();
    this.#chunks.push(xml);
    return this;
  }

  /** Closes the element just started as empty (`/>`). */
  end(): this {
    this.#chunks.push('/>');
    this.#open = false;
    return this;
  }

  /** Closes an element with content. */
  close(qname: string): this {
    this.#closeStart();
    this.#chunks.push('</', qname, '>');
    return this;
  }

  /** `<qname attrs>text</qname>`, text escaped. */
  leaf(qname: string, text: string): this {
    this.#closeStart();
    this.#chunks.push('<', qname, '>', esc(text), '</', qname, '>');
    return this;
  }

  toString(): string {
    this.#closeStart();
    return this.#chunks.join('');
  }

  #closeStart(): void {
    if (this.#open) {
      this.#chunks.push('>');
      this.#open = false;
    }
  }
}

/** Text content, escaped. */
export function txt(value: string): string {
  return esc(value);
}
