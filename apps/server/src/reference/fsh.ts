/**
 * A small FHIR Shorthand (FSH) reader, enough for the NOS terminology files we ship: ValueSets made of
 * concept rules, CodeSystems made of concept rules, and `Instance`s (ConceptMaps) made of assignment rules.
 * It turns each entity into the plain JSON shape of the FHIR resource it defines, so the loader interprets
 * FSH, FHIR JSON and FHIR XML resources with the same code.
 *
 * Supported (FSH 3.0 spec, https://hl7.org/fhir/uv/shorthand/):
 *  F1. `Alias: $name = value` (value bare or quoted). Aliases are global to the set of files read together.
 *  F2. Entity declarations `ValueSet:`, `CodeSystem:`, `Instance:` with keywords `Id`, `Title`, `Description`,
 *      `InstanceOf`, `Usage`; any other entity kind (Profile, RuleSet, …) is skipped with its rules.
 *  F3. Caret rules `* ^path = value` on ValueSet/CodeSystem; caret rules on a concept (`* #code ^path = v`)
 *      are ignored (concept properties/designations are not used by the service).
 *  F4. ValueSet concept rules `* [include] SYSTEM#code ["display"]`, SYSTEM an alias, URL or `urn:…`.
 *      `include codes from …`, filters and `exclude` rules are refused (we would silently lose codes).
 *  F5. CodeSystem concept rules `* #code ["display" ["definition"]]`, hierarchies `* #parent #child …`
 *      flattened.
 *  F6. Instance assignment rules `* path = value` with soft indexing `[n]`, `[=]`, `[+]`; a path segment with
 *      no index on an existing array means index 0.
 *  F7. Values: `"string"` (with \" \\ \n \t \r escapes, may span lines), `"""multi-line"""`, `#code`,
 *      `#"quoted code"`, `SYSTEM#code ["display"]` (a Coding), `true`/`false`, numbers; other tokens are kept
 *      as strings.
 *  F8. `//` line comments and `/* … *\/` block comments, when they start a token (so `https://…` is not a
 *      comment).
 * Anything else throws a {@link FshError} with the file and line.
 */

/** A parse failure: the shipped data does not say what we think it says. */
export class FshError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FshError';
  }
}

type Json = string | number | boolean | JsonObject | Json[];
export interface JsonObject {
  [key: string]: Json;
}

/** One FSH entity we understood, as the JSON of the resource it defines. */
export interface FshResource {
  readonly resourceType: 'ValueSet' | 'CodeSystem' | 'ConceptMap';
  readonly json: JsonObject;
  readonly line: number;
}

interface LogicalLine {
  readonly text: string;
  readonly line: number;
}

/**
 * Splits FSH text into logical lines: newlines inside strings do not end a line; comments are removed;
 * CRLF/CR line ends become LF (also inside multi-line strings).
 */
function logicalLines(source: string): LogicalLine[] {
  const text = source.replace(/\r\n?/g, '\n');
  const out: LogicalLine[] = [];
  let current = '';
  let line = 1;
  let startLine = 1;
  let i = 0;
  const atTokenStart = (): boolean => current.length === 0 || /\s$/.test(current);
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === '"') {
      const triple = text.startsWith('"""', i);
      const end = triple ? text.indexOf('"""', i + 3) : findStringEnd(text, i + 1);
      if (end < 0) {
        throw new FshError(`unterminated string starting on line ${line}`);
      }
      const stop = triple ? end + 3 : end + 1;
      const chunk = text.slice(i, stop);
      line += countNewlines(chunk);
      current += chunk;
      i = stop;
      continue;
    }
    if (ch === '/' && text[i + 1] === '/' && atTokenStart()) {
      while (i < text.length && text[i] !== '\n') {
        i++;
      }
      continue;
    }
    if (ch === '/' && text[i + 1] === '*' && atTokenStart()) {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) {
        throw new FshError(`unterminated block comment starting on line ${line}`);
      }
      line += countNewlines(text.slice(i, end));
      i = end + 2;
      continue;
    }
    if (ch === '\n') {
      pushLine(out, current, startLine);
      current = '';
      line++;
      startLine = line;
      i++;
      continue;
    }
    current += ch;
    i++;
  }
  pushLine(out, current, startLine);
  return out;
}

function pushLine(out: LogicalLine[], text: string, line: number): void {
  const trimmed = text.trim();
  if (trimmed.length > 0) {
    out.push({ text: trimmed, line });
  }
}

function countNewlines(s: string): number {
  let n = 0;
  for (const c of s) {
    if (c === '\n') {
      n++;
    }
  }
  return n;
}

/** Index of the closing quote of a `"…"` string whose body starts at `from`, or -1. */
function findStringEnd(text: string, from: number): number {
  for (let j = from; j < text.length; j++) {
    const c = text[j];
    if (c === '\\') {
      j++;
    } else if (c === '"') {
      return j;
    }
  }
  return -1;
}

/** Splits a rule body into tokens: quoted strings stay whole (with their quotes), `a#"b c"` stays whole. */
function tokenize(s: string, where: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    let tok = '';
    while (i < s.length && !/\s/.test(s[i] as string)) {
      if (s[i] === '"') {
        const triple = s.startsWith('"""', i);
        const end = triple ? s.indexOf('"""', i + 3) : findStringEnd(s, i + 1);
        if (end < 0) {
          throw new FshError(`${where}: unterminated string`);
        }
        const stop = triple ? end + 3 : end + 1;
        tok += s.slice(i, stop);
        i = stop;
      } else {
        tok += s.charAt(i);
        i++;
      }
    }
    tokens.push(tok);
  }
  return tokens;
}

function isQuoted(tok: string): boolean {
  return tok.length >= 2 && tok.startsWith('"') && tok.endsWith('"');
}

/** The value of a quoted FSH string token (F7). */
function unquote(tok: string, where: string): string {
  if (tok.startsWith('"""') && tok.endsWith('"""') && tok.length >= 6) {
    return tok.slice(3, -3);
  }
  if (!isQuoted(tok)) {
    throw new FshError(`${where}: expected a quoted string, got ${tok}`);
  }
  const body = tok.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = body[++i];
    if (n === 'n') {
      out += '\n';
    } else if (n === 't') {
      out += '\t';
    } else if (n === 'r') {
      out += '\r';
    } else if (n !== undefined) {
      out += n;
    }
  }
  return out;
}

interface CodeRef {
  readonly system: string | undefined;
  readonly code: string;
}

/** Parses `SYSTEM#code`, `#code`, `#"code"`, resolving an alias system (F4, F7). */
function parseCodeRef(tok: string, aliases: ReadonlyMap<string, string>, where: string): CodeRef {
  const hash = tok.indexOf('#');
  if (hash < 0) {
    throw new FshError(`${where}: expected SYSTEM#code, got ${tok}`);
  }
  const rawSystem = tok.slice(0, hash);
  const rawCode = tok.slice(hash + 1);
  const code = isQuoted(rawCode) ? unquote(rawCode, where) : rawCode;
  if (code.length === 0) {
    throw new FshError(`${where}: empty code in ${tok}`);
  }
  if (rawSystem.length === 0) {
    return { system: undefined, code };
  }
  return { system: resolveSystem(rawSystem, aliases, where), code };
}

function resolveSystem(raw: string, aliases: ReadonlyMap<string, string>, where: string): string {
  if (raw.startsWith('$')) {
    const target = aliases.get(raw);
    if (target === undefined) {
      throw new FshError(`${where}: unknown alias ${raw}`);
    }
    return target;
  }
  return raw;
}

/** Parses an assignment value (F7). */
function parseValue(
  tokens: readonly string[],
  aliases: ReadonlyMap<string, string>,
  where: string,
): Json {
  const [first, second] = tokens;
  if (first === undefined) {
    throw new FshError(`${where}: missing value`);
  }
  if (isQuoted(first)) {
    if (tokens.length > 1) {
      throw new FshError(`${where}: unexpected tokens after a string`);
    }
    return unquote(first, where);
  }
  if (first.includes('#')) {
    const ref = parseCodeRef(first, aliases, where);
    if (ref.system === undefined && tokens.length === 1) {
      return ref.code;
    }
    const coding: JsonObject = { code: ref.code };
    if (ref.system !== undefined) {
      coding['system'] = ref.system;
    }
    if (second !== undefined) {
      coding['display'] = unquote(second, where);
    }
    return coding;
  }
  if (tokens.length > 1) {
    throw new FshError(`${where}: unexpected tokens in value`);
  }
  if (first === 'true' || first === 'false') {
    return first === 'true';
  }
  if (/^-?\d+(\.\d+)?$/.test(first)) {
    return Number(first);
  }
  return first.startsWith('$') ? resolveSystem(first, aliases, where) : first;
}

/** Assigns `value` at an FSH path with soft indexing (F6). `counters` is per entity. */
function assign(
  root: JsonObject,
  path: string,
  value: Json,
  counters: Map<string, number>,
  where: string,
): void {
  const segments = path.split('.');
  let node: JsonObject = root;
  let resolved = '';
  segments.forEach((segment, idx) => {
    const m = /^([A-Za-z_][A-Za-z0-9_-]*)(?:\[([^\]]+)\])?$/.exec(segment);
    if (!m) {
      throw new FshError(`${where}: unsupported path segment ${segment}`);
    }
    const name = m[1] as string;
    const rawIndex = m[2];
    const last = idx === segments.length - 1;
    const arrayPath = `${resolved}${resolved ? '.' : ''}${name}`;
    let index: number | undefined;
    if (rawIndex !== undefined) {
      const prev = counters.get(arrayPath);
      if (rawIndex === '+') {
        index = prev === undefined ? 0 : prev + 1;
      } else if (rawIndex === '=') {
        index = prev ?? 0;
      } else if (/^\d+$/.test(rawIndex)) {
        index = Number(rawIndex);
      } else {
        throw new FshError(`${where}: unsupported index [${rawIndex}] (slices are not supported)`);
      }
      counters.set(arrayPath, index);
    } else if (Array.isArray(node[name])) {
      index = 0;
    }
    if (index === undefined) {
      resolved = arrayPath;
      if (last) {
        node[name] = value;
        return;
      }
      const child = node[name];
      if (child === undefined) {
        const created: JsonObject = {};
        node[name] = created;
        node = created;
      } else if (typeof child === 'object' && !Array.isArray(child)) {
        node = child;
      } else {
        throw new FshError(`${where}: ${arrayPath} is not an object`);
      }
      return;
    }
    resolved = `${arrayPath}[${index}]`;
    let arr = node[name];
    if (arr === undefined) {
      arr = [];
      node[name] = arr;
    } else if (!Array.isArray(arr)) {
      if (index !== 0) {
        throw new FshError(`${where}: ${arrayPath} is not an array`);
      }
      arr = [arr];
      node[name] = arr;
    }
    if (last) {
      arr[index] = value;
      return;
    }
    const child = arr[index];
    if (child === undefined) {
      const created: JsonObject = {};
      arr[index] = created;
      node = created;
    } else if (typeof child === 'object' && !Array.isArray(child)) {
      node = child;
    } else {
      throw new FshError(`${where}: ${resolved} is not an object`);
    }
  });
}

const ENTITY =
  /^(ValueSet|CodeSystem|Instance|Profile|Extension|Logical|Resource|RuleSet|Mapping|Invariant|Alias):\s*([\s\S]*)$/;
const KEYWORD =
  /^(Id|Title|Description|InstanceOf|Usage|Parent|Source|Target|Severity|Expression|XPath):\s*([\s\S]*)$/;

/** Collects the aliases of one FSH text (F1). */
export function readFshAliases(text: string, file: string): Map<string, string> {
  const aliases = new Map<string, string>();
  for (const { text: l, line } of logicalLines(text)) {
    const m = /^Alias:\s*(\$?[^\s=]+)\s*=\s*([\s\S]+)$/.exec(l);
    if (m) {
      const value = (m[2] as string).trim();
      aliases.set(m[1] as string, isQuoted(value) ? unquote(value, `${file}:${line}`) : value);
    } else if (l.startsWith('Alias:')) {
      throw new FshError(`${file}:${line}: malformed alias`);
    }
  }
  return aliases;
}

interface Entity {
  readonly kind: string;
  readonly name: string;
  readonly line: number;
  readonly json: JsonObject;
  readonly counters: Map<string, number>;
  readonly concepts: JsonObject[];
  readonly includes: Map<string, JsonObject[]>;
  instanceOf?: string;
}

/**
 * Reads the ValueSets, CodeSystems and ConceptMap instances of one FSH text (F2–F8), with the global `aliases`
 * (from {@link readFshAliases} over every file of the set).
 */
export function readFsh(
  text: string,
  file: string,
  aliases: ReadonlyMap<string, string>,
): FshResource[] {
  const entities: Entity[] = [];
  let current: Entity | undefined;
  for (const { text: l, line } of logicalLines(text)) {
    const where = `${file}:${line}`;
    const entity = ENTITY.exec(l);
    if (entity) {
      const kind = entity[1] as string;
      if (kind === 'Alias') {
        continue;
      }
      current = {
        kind,
        name: (entity[2] as string).trim(),
        line,
        json: {},
        counters: new Map(),
        concepts: [],
        includes: new Map(),
      };
      entities.push(current);
      continue;
    }
    if (current === undefined) {
      throw new FshError(`${where}: rule outside any entity`);
    }
    const keyword = KEYWORD.exec(l);
    if (keyword) {
      applyKeyword(current, keyword[1] as string, (keyword[2] as string).trim(), where);
      continue;
    }
    if (!l.startsWith('*')) {
      throw new FshError(`${where}: unexpected line`);
    }
    if (
      current.kind === 'ValueSet' ||
      current.kind === 'CodeSystem' ||
      current.kind === 'Instance'
    ) {
      applyRule(current, l.slice(1).trim(), aliases, where);
    }
  }
  const out: FshResource[] = [];
  for (const e of entities) {
    const resource = finish(e);
    if (resource) {
      out.push(resource);
    }
  }
  return out;
}

function applyKeyword(e: Entity, keyword: string, raw: string, where: string): void {
  const value = isQuoted(raw) ? unquote(raw, where) : raw;
  if (keyword === 'Id') {
    e.json['id'] = value;
  } else if (keyword === 'Title') {
    e.json['title'] = value;
  } else if (keyword === 'Description') {
    e.json['description'] = value;
  } else if (keyword === 'InstanceOf') {
    e.instanceOf = value;
  }
}

function applyRule(
  e: Entity,
  body: string,
  aliases: ReadonlyMap<string, string>,
  where: string,
): void {
  if (e.kind === 'Instance') {
    const eq = /^((?:[^\s=[]|\[[^\]]*\])+)\s*=\s*([\s\S]+)$/.exec(body);
    if (!eq) {
      throw new FshError(`${where}: unsupported instance rule`);
    }
    assign(
      e.json,
      eq[1] as string,
      parseValue(tokenize(eq[2] as string, where), aliases, where),
      e.counters,
      where,
    );
    return;
  }
  if (body.startsWith('^')) {
    const eq = /^\^((?:[^\s=[]|\[[^\]]*\])+)\s*=\s*([\s\S]+)$/.exec(body);
    if (!eq) {
      throw new FshError(`${where}: unsupported caret rule`);
    }
    assign(
      e.json,
      eq[1] as string,
      parseValue(tokenize(eq[2] as string, where), aliases, where),
      e.counters,
      where,
    );
    return;
  }
  const tokens = tokenize(body, where);
  if (e.kind === 'CodeSystem') {
    applyCodeSystemConcept(e, tokens, where);
  } else {
    applyValueSetConcept(e, tokens, aliases, where);
  }
}

function applyCodeSystemConcept(e: Entity, tokens: string[], where: string): void {
  const codes: string[] = [];
  let i = 0;
  while (i < tokens.length && (tokens[i] as string).startsWith('#')) {
    codes.push(parseCodeRef(tokens[i] as string, new Map(), where).code);
    i++;
  }
  if (codes.length === 0) {
    throw new FshError(`${where}: unsupported CodeSystem rule`);
  }
  const rest = tokens.slice(i);
  if (rest[0]?.startsWith('^')) {
    return; // F3: caret rule on an existing concept.
  }
  if (rest.length > 2 || rest.some((t) => !isQuoted(t))) {
    throw new FshError(`${where}: unsupported CodeSystem concept rule`);
  }
  const concept: JsonObject = { code: codes[codes.length - 1] as string };
  if (rest[0] !== undefined) {
    concept['display'] = unquote(rest[0], where);
  }
  if (rest[1] !== undefined) {
    concept['definition'] = unquote(rest[1], where);
  }
  e.concepts.push(concept);
}

function applyValueSetConcept(
  e: Entity,
  tokens: string[],
  aliases: ReadonlyMap<string, string>,
  where: string,
): void {
  const t = tokens[0] === 'include' ? tokens.slice(1) : tokens;
  if (t[0] === 'exclude' || t.includes('codes') || t.includes('from') || t.includes('where')) {
    throw new FshError(`${where}: only explicit concept rules are supported in a ValueSet`);
  }
  const [refTok, displayTok, ...extra] = t;
  if (refTok === undefined || extra.length > 0) {
    throw new FshError(`${where}: unsupported ValueSet rule`);
  }
  const ref = parseCodeRef(refTok, aliases, where);
  if (ref.system === undefined) {
    throw new FshError(`${where}: a ValueSet concept needs a system`);
  }
  const concept: JsonObject = { code: ref.code };
  if (displayTok !== undefined) {
    concept['display'] = unquote(displayTok, where);
  }
  const list = e.includes.get(ref.system) ?? [];
  list.push(concept);
  e.includes.set(ref.system, list);
}

function finish(e: Entity): FshResource | undefined {
  if (e.kind === 'ValueSet') {
    const json: JsonObject = { resourceType: 'ValueSet', name: e.name, ...e.json };
    json['compose'] = {
      include: [...e.includes].map(([system, concept]) => ({ system, concept })),
    };
    return { resourceType: 'ValueSet', json, line: e.line };
  }
  if (e.kind === 'CodeSystem') {
    const json: JsonObject = {
      resourceType: 'CodeSystem',
      name: e.name,
      ...e.json,
      concept: e.concepts,
    };
    return { resourceType: 'CodeSystem', json, line: e.line };
  }
  if (e.kind === 'Instance') {
    if (e.instanceOf !== 'ConceptMap') {
      return undefined;
    }
    const json: JsonObject = { resourceType: 'ConceptMap', ...e.json };
    if (json['name'] === undefined) {
      json['name'] = e.name;
    }
    return { resourceType: 'ConceptMap', json, line: e.line };
  }
  return undefined;
}
