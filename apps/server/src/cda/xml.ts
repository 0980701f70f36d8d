/**
 * Minimal, safe XML text building for the CDA generators: every text and attribute value goes through `esc`,
 * characters XML 1.0 forbids are dropped. Pure.
 */

// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

/** Escapes text for an XML element or a double-quoted attribute. */
export function esc(value: string | number): string {
  return String(value)
    .replace(FORBIDDEN, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** ` name="value"` for each defined attribute, in order. */
export function attrs(a: Readonly<Record<string, string | number | undefined>>): string {
  return Object.entries(a)
    .filter((e): e is [string, string | number] => e[1] !== undefined)
    .map(([k, v]) => ` ${k}="${esc(v)}"`)
    .join('');
}

/** An element: self-closing when it has no content. */
export function el(
  name: string,
  attributes: Readonly<Record<string, string | number | undefined>> = {},
  ...children: readonly string[]
): string {
  const content = children.join('');
  return content === ''
    ? `<${name}${attrs(attributes)}/>`
    : `<${name}${attrs(attributes)}>${content}</${name}>`;
}

/** An element holding escaped text. */
export function textEl(
  name: string,
  text: string,
  attributes: Readonly<Record<string, string | number | undefined>> = {},
): string {
  return `<${name}${attrs(attributes)}>${esc(text)}</${name}>`;
}

/** HL7 TS: AAAAMMJJHHMMSS+0000 (UTC). */
export function hl7Time(at: Date): string {
  const iso = at.toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}+0000`;
}

/** HL7 TS date only from ISO AAAA-MM-JJ. */
export function hl7Date(isoDate: string): string {
  return isoDate.slice(0, 10).replace(/-/g, '');
}

/** JJ/MM/AAAA from ISO AAAA-MM-JJ. */
export function frenchDate(isoDate: string): string {
  return `${isoDate.slice(8, 10)}/${isoDate.slice(5, 7)}/${isoDate.slice(0, 4)}`;
}

/** The OID form of a UUID (ITU-T X.667 arc 2.25): a document uniqueId that is unique by construction. */
export function uuidOid(uuid: string): string {
  return `2.25.${BigInt(`0x${uuid.replace(/-/g, '')}`).toString()}`;
}
