import { describe, expect, it } from 'vitest';
import type { CdaBody } from './cda-header.ts';
import { checkCdaContent, checkLevelOneBody, levelOneFormatFor } from './cda-only.ts';

const PDF = new TextEncoder().encode('%PDF-1.4\n%%EOF\n');
const XML = new TextEncoder().encode('\uFEFF  <ClinicalDocument/>');
const PDF_FORMAT = 'urn:ihe:iti:xds-sd:pdf:2008';

const codes = (issues: readonly { code: string }[]): string[] => issues.map((i) => i.code);

describe('checkCdaContent (K1, K2)', () => {
  it.each([
    ['a bare PDF under the PDF format', 'application/pdf', PDF_FORMAT, PDF, ['DOC_CDA_REQUIRED']],
    ['HTML under the PDF format', 'text/html', PDF_FORMAT, PDF, ['DOC_CDA_REQUIRED']],
    ['a bare JPEG', 'image/jpeg', 'urn:ihe:iti-fr:xds-sd:jpeg:2010', PDF, ['DOC_CDA_REQUIRED']],
    ['a bare PDF with no format', 'application/pdf', undefined, PDF, ['DOC_CDA_REQUIRED']],
    [
      'a PDF under a level 3 format',
      'application/pdf',
      'urn:asip:ci-sis:vsm:2012',
      PDF,
      ['DOC_CDA_REQUIRED'],
    ],
    ['no contentType, PDF bytes', undefined, PDF_FORMAT, PDF, ['DOC_CDA_REQUIRED']],
    ['a CDA as text/xml', 'text/xml', PDF_FORMAT, XML, []],
    [
      'a CDA as application/hl7-v3+xml; charset',
      'application/hl7-v3+xml; charset=utf-8',
      PDF_FORMAT,
      XML,
      [],
    ],
    ['no contentType, XML bytes', undefined, undefined, XML, []],
    [
      'a DICOM KOS manifest (not a CDA format)',
      'application/dicom',
      '1.2.840.10008.5.1.4.1.1.88.59',
      PDF,
      [],
    ],
    ['a detached signature', 'text/xml', 'urn:ihe:iti:dsg:detached:2014', PDF, []],
  ] as const)('%s', (_label, contentType, formatCode, bytes, expected) => {
    const issues = checkCdaContent({
      ...(contentType !== undefined ? { contentType } : {}),
      ...(formatCode !== undefined ? { formatCode } : {}),
      bytes,
    });
    expect(codes(issues)).toEqual(expected);
  });

  it('says how to wrap the file, with the format code and the docs', () => {
    const [issue] = checkCdaContent({ contentType: 'application/pdf', bytes: PDF });
    expect(issue?.message).toMatch(/CDA R2 level 1/);
    expect(issue?.message).toContain('nonXMLBody');
    expect(issue?.message).toContain(PDF_FORMAT);
    expect(issue?.message).toContain('docs/api.md#cda-only-content');
    expect(issue?.location).toEqual(['mimeType']);
  });

  it('knows the level 1 format of each wrapped media type', () => {
    expect(levelOneFormatFor('application/pdf')).toBe(PDF_FORMAT);
    expect(levelOneFormatFor('IMAGE/JPEG')).toBe('urn:ihe:iti-fr:xds-sd:jpeg:2010');
    expect(levelOneFormatFor('text/plain; charset=utf-8')).toBe('urn:ihe:iti:xds-sd:text:2008');
    expect(levelOneFormatFor('application/rtf')).toBe('urn:ihe:iti-fr:xds-sd:rtf:2010');
    expect(levelOneFormatFor('text/html')).toBeUndefined();
  });
});

describe('checkLevelOneBody (K3)', () => {
  const nonXml = (mediaType?: string): CdaBody => ({
    kind: 'nonXML',
    ...(mediaType !== undefined ? { mediaType } : {}),
  });
  it.each([
    ['a PDF body under the PDF format', PDF_FORMAT, nonXml('application/pdf'), []],
    ['a PDF body (upper case) under the PDF format', PDF_FORMAT, nonXml('APPLICATION/PDF'), []],
    [
      'an RTF body as application/rtf',
      'urn:ihe:iti-fr:xds-sd:rtf:2010',
      nonXml('application/rtf'),
      [],
    ],
    [
      'an HTML body under the PDF format',
      PDF_FORMAT,
      nonXml('text/html'),
      ['DOC_CDA_FORMAT_MISMATCH'],
    ],
    ['a body without mediaType', PDF_FORMAT, nonXml(), ['DOC_CDA_FORMAT_MISMATCH']],
    [
      'a structured body under the PDF format',
      PDF_FORMAT,
      { kind: 'structured' },
      ['DOC_CDA_FORMAT_MISMATCH'],
    ],
    [
      'no body under the text format',
      'urn:ihe:iti:xds-sd:text:2008',
      { kind: 'none' },
      ['DOC_CDA_FORMAT_MISMATCH'],
    ],
    [
      'a structured body under a level 3 format',
      'urn:asip:ci-sis:vsm:2012',
      { kind: 'structured' },
      [],
    ],
    ['no format code', undefined, { kind: 'structured' }, []],
  ] as const)('%s', (_label, format, body, expected) => {
    expect(codes(checkLevelOneBody(format, body))).toEqual(expected);
  });
});
