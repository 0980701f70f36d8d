import { systemOid } from '../identity/code-systems.ts';
import { OID_IDNAT_PS } from './cda-header.ts';
import type { DocumentAuthor } from './model.ts';

/**
 * Authors named by their XDS authorPerson (an HL7 v2 XCN, `id^family^given^^^prefix^^^&OID&ISO`) — the ITI-18 author
 * parameters `$XDSDocumentEntryAuthorPerson` and `$XDSSubmissionSetAuthorPerson` (ITI TF-2a 3.18.4.1.2.3.5). Pure.
 *
 *  A1. A value is matched against the authorPerson of each author as the registry answers it ({@link xcn}), with SQL
 *      LIKE semantics: `%` any string (empty too), `_` exactly one character, `\%` `\_` `\\` the character itself
 *      (PostgreSQL's LIKE escape); any other character is itself, case included. The whole value must match the
 *      whole XCN.
 *  A2. A value without wildcard also names a professional by the XCN's id component alone, whatever the rest: an
 *      author matches when its id and assigning authority are the value's (no authority in the value: IdNat_PS,
 *      1.2.250.1.71.4.2.1). `810001000008` and `810001000008^^^^^^^^&1.2.250.1.71.4.2.1&ISO` both find
 *      `810001000008^DUPONT^Jean^^^^^^&1.2.250.1.71.4.2.1&ISO`.
 *  A3. Several values are OR'd: an author matches when one value does; a document (SubmissionSet) when one of its
 *      authors does.
 *  A4. A value that is empty, longer than {@link AUTHOR_PATTERN_MAX} characters or ends with a lone `\` is no value
 *      ({@link authorPersonPattern} answers undefined; the interface refuses the query).
 *
 * Cost: a match is linear in the XCN for each `%`-free segment of the value (no backtracking regular expression: a
 * client's pattern cannot make it explode); the patterns are read once per query.
 */
export const AUTHOR_PATTERN_MAX = 256;

/** One piece of a value: a literal character, `_` (one character) or `%` (any string). */
type Token = string | typeof ONE | typeof ANY;
const ONE = Symbol('_');
const ANY = Symbol('%');

export interface AuthorPersonPattern {
  /** The value as sent. */
  readonly value: string;
  /** `%`-separated segments of literal characters and `_` (code points); one segment: no `%`. */
  readonly segments: readonly (readonly (string | typeof ONE)[])[];
  /** The literal value (escapes resolved) when it has no wildcard (rule A2). */
  readonly literal?: string;
  /** Rule A2: the id and assigning authority OID it names a professional by, when literal with an id. */
  readonly id?: { readonly value: string; readonly authority: string };
}

/** A value read as a pattern (rule A4: undefined when it is none). */
export function authorPersonPattern(value: string): AuthorPersonPattern | undefined {
  if (value === '' || value.length > AUTHOR_PATTERN_MAX) {
    return undefined;
  }
  const tokens: Token[] = [];
  const chars = Array.from(value);
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string;
    if (c === '\\') {
      const next = chars[++i];
      if (next === undefined) {
        return undefined;
      }
      tokens.push(next);
    } else {
      tokens.push(c === '%' ? ANY : c === '_' ? ONE : c);
    }
  }
  const segments: (string | typeof ONE)[][] = [[]];
  for (const t of tokens) {
    if (t === ANY) {
      segments.push([]);
    } else {
      (segments[segments.length - 1] as (string | typeof ONE)[]).push(t);
    }
  }
  const wild = tokens.some((t) => typeof t !== 'string');
  const literal = wild ? undefined : (tokens as string[]).join('');
  const named = literal !== undefined ? idOf(literal) : undefined;
  return {
    value,
    segments,
    ...(literal !== undefined && { literal }),
    ...(named !== undefined && { id: named }),
  };
}

/** The id component of an XCN and its assigning authority's OID (none written: IdNat_PS). */
function idOf(xcnValue: string): { value: string; authority: string } | undefined {
  const f = xcnValue.split('^');
  const id = f[0]?.trim() ?? '';
  if (id === '') {
    return undefined;
  }
  const authority = f[8] ?? '';
  const oid = authority === '' ? OID_IDNAT_PS : /^&([^&]*)&/.exec(`${authority}&`)?.[1];
  return oid === undefined || oid === '' ? undefined : { value: id, authority: oid };
}

/**
 * Rule A2's fast form: the IdNat_PS a literal pattern names a professional by, or undefined (a wildcard, another
 * authority, no id). A query whose values all have one is the same as a search by IdNat_PS (the registry's indexed
 * author_ids).
 */
export function namedIdNatPs(p: AuthorPersonPattern): string | undefined {
  return p.id?.authority === OID_IDNAT_PS ? p.id.value : undefined;
}

/** Whether one `%`-free segment matches `s` at `at` (code points). */
function segmentAt(
  seg: readonly (string | typeof ONE)[],
  s: readonly string[],
  at: number,
): boolean {
  if (at + seg.length > s.length) {
    return false;
  }
  for (let j = 0; j < seg.length; j++) {
    const t = seg[j];
    if (t !== ONE && t !== s[at + j]) {
      return false;
    }
  }
  return true;
}

/** Rule A1 on one XCN: LIKE, the first segment anchored at the start, the last at the end, the others leftmost. */
function like(p: AuthorPersonPattern, value: string): boolean {
  const s = Array.from(value);
  const segs = p.segments;
  const first = segs[0] ?? [];
  if (segs.length === 1) {
    return first.length === s.length && segmentAt(first, s, 0);
  }
  const last = segs[segs.length - 1] ?? [];
  if (first.length + last.length > s.length) {
    return false;
  }
  if (!segmentAt(first, s, 0) || !segmentAt(last, s, s.length - last.length)) {
    return false;
  }
  let at = first.length;
  const end = s.length - last.length;
  for (let k = 1; k < segs.length - 1; k++) {
    const seg = segs[k] ?? [];
    let found = -1;
    for (let i = at; i + seg.length <= end; i++) {
      if (segmentAt(seg, s, i)) {
        found = i;
        break;
      }
    }
    if (found < 0) {
      return false;
    }
    at = found + seg.length;
  }
  return true;
}

/** Rules A1–A2: does one pattern match one authorPerson value? */
export function authorPersonMatches(p: AuthorPersonPattern, authorPerson: string): boolean {
  if (p.literal !== undefined) {
    if (p.literal === authorPerson) {
      return true;
    }
    const id = p.id;
    const theirs = id && idOf(authorPerson);
    return (
      id !== undefined &&
      theirs !== undefined &&
      theirs.value === id.value &&
      theirs.authority === id.authority
    );
  }
  return like(p, authorPerson);
}

/** Rule A3: does one of the patterns match one of the authors (their authorPerson values, {@link xcn})? */
export function anyAuthorMatches(
  patterns: readonly AuthorPersonPattern[],
  authorPersons: readonly string[],
): boolean {
  for (const a of authorPersons) {
    for (const p of patterns) {
      if (authorPersonMatches(p, a)) {
        return true;
      }
    }
  }
  return false;
}

/**
 * An author's authorPerson as the registry writes it: XCN `id^family^given^^^prefix^^^&OID&ISO`, trailing empty
 * components left out; undefined for an author with neither id nor name (an organization or device named otherwise).
 */
export function xcn(a: DocumentAuthor): string | undefined {
  const id = a.idNatPs ?? a.identifier?.value;
  const oid =
    a.idNatPs !== undefined
      ? OID_IDNAT_PS
      : a.identifier
        ? systemOid(a.identifier.system)
        : undefined;
  if (id === undefined && a.name === undefined) {
    return undefined;
  }
  return [
    id ?? '',
    a.name?.family ?? '',
    a.name?.given[0] ?? '',
    '',
    '',
    a.name?.prefix ?? '',
    '',
    '',
    oid ? `&${oid}&ISO` : '',
  ]
    .join('^')
    .replace(/\^+$/, '');
}

/** The authorPerson values of a document's authors (those that have one). */
export function authorPersons(authors: readonly DocumentAuthor[]): string[] {
  return authors.flatMap((a) => {
    const v = xcn(a);
    return v === undefined ? [] : [v];
  });
}
