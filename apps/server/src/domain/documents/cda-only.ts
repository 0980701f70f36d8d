/**
 * CDA-only content (issue 17 rule 9): the DMP stores CDA R2 documents. A PDF, a scan or a text is deposited as a
 * CDA R2 level 1 document ("CDA N1": a header and a `nonXMLBody` holding the file in base64), never bare. Pure.
 *
 * Rules (each failure one issue with a stable code; the message says how to wrap, docs/api.md "CDA-only content"):
 *  K1. The format codes of content that is not a CDA — the detached signature (urn:ihe:iti:dsg:detached:2014,
 *      xmldsig) and the DICOM KOS manifest — are outside this rule: their content is what they name.
 *  K2. Every other document (an XDS-SD format code, a CI-SIS or IHE CDA format, or no format code at all) is a
 *      CDA R2 document: its contentType is an XML media type (`text/xml`, the DMP's mimeType for CDA;
 *      `application/xml` and `application/hl7-v3+xml` read as the same); without a contentType the bytes must look
 *      like XML. Otherwise DOC_CDA_REQUIRED, naming the level 1 format code that wraps the declared media type.
 *  K3. An XDS-SD format code (urn:ihe:iti:xds-sd:pdf:2008, …:text:2008, urn:ihe:iti-fr:xds-sd:jpeg|rtf|tiff:2010)
 *      names a level 1 document: the CDA has a `nonXMLBody` whose `text/@mediaType` is that format's media type
 *      (application/pdf for …:pdf:2008 …). A structured body, no body, or another media type:
 *      DOC_CDA_FORMAT_MISMATCH.
 */
import type { DomainIssue } from '../errors.ts';
import type { CdaBody } from './cda-header.ts';
import { FIELD } from './model.ts';

/** Where the rule is explained, with a runnable example (served as the issue's pointer). */
export const CDA_ONLY_DOC = 'docs/api.md#cda-only-content';

/** XDS-SD format code → the media types its nonXMLBody may carry (K3). */
export const LEVEL_ONE_FORMATS: ReadonlyMap<string, readonly string[]> = new Map([
  ['urn:ihe:iti:xds-sd:pdf:2008', ['application/pdf']],
  ['urn:ihe:iti:xds-sd:text:2008', ['text/plain']],
  ['urn:ihe:iti-fr:xds-sd:jpeg:2010', ['image/jpeg']],
  ['urn:ihe:iti-fr:xds-sd:rtf:2010', ['text/rtf', 'application/rtf']],
  ['urn:ihe:iti-fr:xds-sd:tiff:2010', ['image/tiff']],
]);

/** K1: format codes whose content is not a CDA document. */
export const NON_CDA_FORMATS: ReadonlySet<string> = new Set([
  'urn:ihe:iti:dsg:detached:2014',
  'http://www.w3.org/2000/09/xmldsig#',
  '1.2.840.10008.5.1.4.1.1.88.59',
]);

/** Media types under which the DMP stores a CDA R2 document (K2). */
export const CDA_MEDIA_TYPES: ReadonlySet<string> = new Set([
  'text/xml',
  'application/xml',
  'application/hl7-v3+xml',
]);

/** The media type of a contentType, lower case, without parameters. */
export function mediaTypeOf(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

/** The XDS-SD format code that wraps a file of this media type in a CDA N1, if the DMP knows one. */
export function levelOneFormatFor(mediaType: string): string | undefined {
  const media = mediaTypeOf(mediaType);
  for (const [code, medias] of LEVEL_ONE_FORMATS) {
    if (medias.includes(media)) {
      return code;
    }
  }
  return undefined;
}

/** Whether the bytes start (after a BOM and spaces) with '<': XML when no contentType says otherwise. */
export function looksLikeXml(bytes: Uint8Array): boolean {
  for (let i = 0; i < Math.min(bytes.length, 64); i++) {
    const b = bytes[i];
    if (b === 0x3c) {
      return true;
    }
    if (!(
      b === 0xef ||
      b === 0xbb ||
      b === 0xbf ||
      b === 0x20 ||
      b === 0x0a ||
      b === 0x0d ||
      b === 0x09
    )) {
      return false;
    }
  }
  return false;
}

export interface DeclaredContent {
  /** attachment.contentType, when sent. */
  readonly contentType?: string;
  /** The format code sent, when sent. */
  readonly formatCode?: string;
  readonly bytes: Uint8Array;
}

/** Whether the content is to be read as a CDA document (K1, K2): false only for the non-CDA formats. */
export function expectsCda(formatCode: string | undefined): boolean {
  return formatCode === undefined || !NON_CDA_FORMATS.has(formatCode);
}

/** K2: the content of a document that must be a CDA is declared (or sniffed) as XML. */
export function checkCdaContent(content: DeclaredContent): DomainIssue[] {
  if (!expectsCda(content.formatCode)) {
    return [];
  }
  const declared =
    content.contentType === undefined ? undefined : mediaTypeOf(content.contentType).slice(0, 100);
  const xml = declared === undefined ? looksLikeXml(content.bytes) : CDA_MEDIA_TYPES.has(declared);
  if (xml) {
    return [];
  }
  const wrapping =
    (declared && levelOneFormatFor(declared)) ??
    (content.formatCode && LEVEL_ONE_FORMATS.has(content.formatCode)
      ? content.formatCode
      : undefined);
  const what = declared ? `${declared} content` : 'content that is not XML';
  const how = wrapping
    ? `wrap it in a CDA R2 level 1 document (header + nonXMLBody holding the file in base64, mediaType ${
        LEVEL_ONE_FORMATS.get(wrapping)?.[0] ?? declared ?? ''
      }) and send it as contentType text/xml with format ${wrapping}`
    : 'send a CDA R2 document as contentType text/xml (a PDF, text, JPEG, RTF or TIFF file goes in a CDA R2 level 1 nonXMLBody)';
  return [
    {
      code: 'DOC_CDA_REQUIRED',
      message: `The DMP stores CDA R2 documents only, and this is ${what}: ${how}. See ${CDA_ONLY_DOC}.`,
      location: [FIELD.mimeType],
    },
  ];
}

/** K3: an XDS-SD format code names a level 1 document carrying its media type. */
export function checkLevelOneBody(formatCode: string | undefined, body: CdaBody): DomainIssue[] {
  const medias = formatCode === undefined ? undefined : LEVEL_ONE_FORMATS.get(formatCode);
  if (medias === undefined) {
    return [];
  }
  const media = body.kind === 'nonXML' ? body.mediaType?.toLowerCase() : undefined;
  if (media !== undefined && medias.includes(media)) {
    return [];
  }
  const found =
    body.kind === 'nonXML'
      ? `a nonXMLBody of mediaType ${media ?? '(none)'}`
      : body.kind === 'structured'
        ? 'a structuredBody'
        : 'no body';
  return [
    {
      code: 'DOC_CDA_FORMAT_MISMATCH',
      message: `format ${String(formatCode)} is a CDA R2 level 1 document whose nonXMLBody has mediaType ${medias.join(
        ' or ',
      )}; the document has ${found}. See ${CDA_ONLY_DOC}.`,
      location: [FIELD.format],
    },
  ];
}
