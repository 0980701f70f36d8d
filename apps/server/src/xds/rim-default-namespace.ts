/**
 * An ebRIM object written with `rim:` prefixes (xds/ebrim.ts) as the same object with the rim namespace declared as
 * its default, its elements unprefixed (ADR 0041). Pure.
 *
 * The XML Information Set is the same — every element keeps its namespace (urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0)
 * and local name, every attribute and value is kept — so the object stays valid against the ebRS 3.0 schemas and reads
 * the same in any namespace-aware parser; only the markup is shorter: an ITI-18 DocumentEntry of the DMP carries about
 * 150 elements, each with a start and an end tag, and `rim:` on each cost 9.6 % of a FindDocuments answer.
 *
 * Rules:
 * N1. The input is one element whose start tag is `<rim:Name` (the caller's own writer's output, never foreign XML).
 * N2. Its start tag gets `xmlns="<rim namespace>"` as its first attribute: the object declares its namespace itself,
 *     so it reads the same wherever it is put (a remembered fragment copied into any answer).
 * N3. Every `<rim:` and `</rim:` of the markup loses its prefix. No other text can contain them: the writer escapes
 *     `<` in every attribute value and text (xml.ts `esc`), so a `<` in the output always starts markup.
 * N4. Attributes are unprefixed in ebRIM (the rim prefix names no attribute): nothing else changes.
 */
import { NS } from './xml.ts';

const OPEN = '<rim:';
const CLOSE = '</rim:';

/** `xml` (rule N1) with the rim namespace as its default (N2–N4). Throws when `xml` does not start with a rim element. */
export function withRimAsDefault(xml: string): string {
  if (!xml.startsWith(OPEN)) {
    throw new Error('withRimAsDefault: not a rim: element');
  }
  const nameLength = xml.slice(OPEN.length).search(/[\s/>]/);
  if (nameLength <= 0) {
    throw new Error('withRimAsDefault: not a rim: element');
  }
  const nameEnd = OPEN.length + nameLength;
  return (
    `<${xml.slice(OPEN.length, nameEnd)} xmlns="${NS.rim}"` +
    xml.slice(nameEnd).replaceAll(CLOSE, '</').replaceAll(OPEN, '<')
  );
}
