import { isUtf8 } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { DomainFailure, domainError } from '../domain/errors.ts';

/**
 * Reading a JSON request body (FHIR JSON, JSON Patch, portal JSON) — the body half of the input gate:
 * - B1 the body is UTF-8 (HTTP_BODY_CHARACTER) and JSON (HTTP_BODY_NOT_JSON); a leading byte order mark is ignored;
 * - B2 no string, key or value, holds a NUL character or an unpaired surrogate (HTTP_BODY_CHARACTER): PostgreSQL
 *   refuses both in text, and neither has a meaning in FHIR;
 * - B3 no `__proto__` key and no `constructor.prototype` (HTTP_BODY_PROTOTYPE_KEY), as Fastify's own parser;
 * - B4 in a large body, every `"data"` value that is a long, plain base64 string (a document's content, in
 *   `attachment.data` or `Binary.data`) is cut out of the raw bytes and decoded straight to a Buffer, a piece at a
 *   time; the JSON parsed keeps a placeholder that `contentOf` resolves. So a 19 MB deposit is held as its raw
 *   bytes and its decoded bytes, never as a 25 MB JavaScript string and its parsed copy;
 * - B5 bounded shape (HTTP_BODY_TOO_COMPLEX, 413): nesting depth, items per array and values per body are capped, so
 *   that no later step (structure validation, mapping, storage) works on an unbounded value.
 */
export interface JsonBody {
  readonly value: unknown;
  /** Decoded contents by placeholder (empty when nothing was cut out). */
  readonly contents: ReadonlyMap<string, Buffer>;
}

/** base64 strings shorter than this stay in the JSON (decoding them in place saves nothing). */
export const MIN_CUT_BASE64 = 64 * 1024;
/** Bytes of base64 decoded at a time (a multiple of 4): the only string made while decoding. */
const DECODE_STEP = 1024 * 1024;
/** Placeholders carry a per-process random token: a client cannot forge one. */
const TOKEN = randomBytes(12).toString('hex');
const PLACEHOLDER_PREFIX = `opendmp-content:${TOKEN}:`;

const NO_CONTENTS: ReadonlyMap<string, Buffer> = new Map();

function refused(code: string, message: string): DomainFailure {
  return new DomainFailure(domainError('invalid', code, message));
}

export const NOT_JSON = (): DomainFailure =>
  refused('HTTP_BODY_NOT_JSON', 'The request body is not valid JSON.');

const BAD_CHARACTER = (): DomainFailure =>
  refused(
    'HTTP_BODY_CHARACTER',
    'The request body must be UTF-8 JSON whose strings hold no NUL character and no unpaired surrogate.',
  );

/** True when a string may be stored: no NUL and no unpaired surrogate. */
export function isStorableText(s: string): boolean {
  return !s.includes('\0') && !LONE_SURROGATE.test(s);
}

/** With the `u` flag, a surrogate matches only when unpaired. */
const LONE_SURROGATE = /\p{Cs}/u;

const BASE64 = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') {
  BASE64[c.charCodeAt(0)] = 1;
}
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const DATA_KEY = Buffer.from('data');

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

/** End of the string starting after the quote at `start`, and whether it is plain base64 (padding at its end). */
function scanString(raw: Buffer, start: number): { end: number; base64: boolean } {
  let j = start;
  let base64 = true;
  let padding = 0;
  const n = raw.length;
  while (j < n) {
    const b = raw[j] as number;
    if (b === QUOTE) {
      break;
    }
    if (b === BACKSLASH) {
      base64 = false;
      j += 2;
      continue;
    }
    if (base64) {
      if (b === 0x3d) {
        padding++;
      } else if (padding > 0 || BASE64[b] !== 1) {
        base64 = false;
      }
    }
    j++;
  }
  return { end: j, base64: base64 && padding <= 2 && (j - start) % 4 === 0 };
}

/** Decodes raw[start, end) (plain base64, length a multiple of 4) into a new Buffer, a step at a time. */
function decodeSlice(raw: Buffer, start: number, end: number): Buffer {
  const length = end - start;
  let padding = 0;
  if (length > 0 && raw[end - 1] === 0x3d) {
    padding = raw[end - 2] === 0x3d ? 2 : 1;
  }
  const out = Buffer.allocUnsafe((length / 4) * 3 - padding);
  let written = 0;
  for (let at = start; at < end; at += DECODE_STEP) {
    written += out.write(
      raw.toString('latin1', at, Math.min(end, at + DECODE_STEP)),
      written,
      'base64',
    );
  }
  return out.subarray(0, written);
}

/** Cuts the long base64 `"data"` strings out of `raw` (rule B4): the remaining JSON and the decoded contents. */
export function cutContents(
  raw: Buffer,
  minBase64 = MIN_CUT_BASE64,
): { json: Buffer; contents: Map<string, Buffer> } {
  const contents = new Map<string, Buffer>();
  const pieces: Buffer[] = [];
  let copied = 0;
  let lastWasDataKey = false;
  let valueOfData = false;
  let i = 0;
  const n = raw.length;
  while (i < n) {
    const b = raw[i] as number;
    if (b === QUOTE) {
      const { end, base64 } = scanString(raw, i + 1);
      if (valueOfData && base64 && end - i - 1 >= minBase64) {
        const placeholder = `${PLACEHOLDER_PREFIX}${String(contents.size)}`;
        contents.set(placeholder, decodeSlice(raw, i + 1, end));
        pieces.push(raw.subarray(copied, i + 1), Buffer.from(placeholder));
        copied = end;
        lastWasDataKey = false;
      } else {
        lastWasDataKey = end - i - 1 === 4 && raw.compare(DATA_KEY, 0, 4, i + 1, end) === 0;
      }
      valueOfData = false;
      i = end + 1;
      continue;
    }
    if (b === COLON) {
      valueOfData = lastWasDataKey;
      lastWasDataKey = false;
    } else if (!isSpace(b)) {
      lastWasDataKey = false;
      valueOfData = false;
    }
    i++;
  }
  if (contents.size === 0) {
    return { json: raw, contents };
  }
  pieces.push(raw.subarray(copied));
  return { json: Buffer.concat(pieces), contents };
}

/** Nesting depth of a JSON body at most (rule B5; a FHIR resource nests about 15 deep). */
export const MAX_DEPTH = 64;
/** Items of one array at most (rule B5). */
export const MAX_ITEMS = 10_000;
/** Values (objects, arrays, strings, numbers…) in one body at most (rule B5). */
export const MAX_VALUES = 250_000;

const TOO_COMPLEX = (what: string): DomainFailure =>
  new DomainFailure(
    domainError(
      'too-large',
      'HTTP_BODY_TOO_COMPLEX',
      `The request body is too complex: ${what} (limits: depth ${String(MAX_DEPTH)}, ${String(MAX_ITEMS)} items per array, ${String(MAX_VALUES)} values).`,
    ),
  );

/**
 * Rule B5 over a parsed value, and rules B2–B3 when `strings` (iterative: nesting costs no stack). Each later step
 * (structure validation, mapping, storage) then works on a bounded value.
 */
function inspect(value: unknown, strings: boolean): void {
  const stack: unknown[] = [value];
  const depths: number[] = [1];
  let values = 0;
  while (stack.length > 0) {
    const v = stack.pop();
    const depth = depths.pop() ?? 1;
    if (++values > MAX_VALUES) {
      throw TOO_COMPLEX(`more than ${String(MAX_VALUES)} values`);
    }
    if (typeof v === 'string') {
      if (strings && !isStorableText(v)) {
        throw BAD_CHARACTER();
      }
      continue;
    }
    if (typeof v !== 'object' || v === null) {
      continue;
    }
    if (depth > MAX_DEPTH) {
      throw TOO_COMPLEX(`nested deeper than ${String(MAX_DEPTH)}`);
    }
    if (Array.isArray(v)) {
      if (v.length > MAX_ITEMS) {
        throw TOO_COMPLEX(`an array of ${String(v.length)} items`);
      }
      for (const item of v) {
        stack.push(item);
        depths.push(depth + 1);
      }
      continue;
    }
    for (const [key, item] of Object.entries(v as Record<string, unknown>)) {
      if (strings && !isStorableText(key)) {
        throw BAD_CHARACTER();
      }
      if (
        key === '__proto__' ||
        (key === 'constructor' &&
          typeof item === 'object' &&
          item !== null &&
          Object.hasOwn(item, 'prototype'))
      ) {
        throw refused(
          'HTTP_BODY_PROTOTYPE_KEY',
          'The request body may not hold a __proto__ or constructor.prototype key.',
        );
      }
      stack.push(item);
      depths.push(depth + 1);
    }
  }
}

/** Parses JSON text under rules B1–B3 and B5. */
export function parseJsonText(text: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw NOT_JSON();
  }
  // A NUL or an unpaired surrogate can only come from a \u escape (raw control characters are not JSON, and
  // invalid UTF-8 is refused before): strings are looked at only when the text has one.
  inspect(value, body.includes('\\u'));
  return value;
}

/** Parses a raw JSON body under rules B1–B5. */
export function parseJsonBody(raw: Buffer, minBase64 = MIN_CUT_BASE64): JsonBody {
  if (!isUtf8(raw)) {
    throw BAD_CHARACTER();
  }
  if (raw.length === 0) {
    throw NOT_JSON();
  }
  if (raw.length < minBase64) {
    return { value: parseJsonText(raw.toString('utf8')), contents: NO_CONTENTS };
  }
  const { json, contents } = cutContents(raw, minBase64);
  return { value: parseJsonText(json.toString('utf8')), contents };
}

/** The decoded content a placeholder stands for, if `data` is one. */
export function contentOf(
  data: unknown,
  contents: ReadonlyMap<string, Buffer> | undefined,
): Buffer | undefined {
  return typeof data === 'string' && contents !== undefined ? contents.get(data) : undefined;
}
