/**
 * Issue 21 point 7: a refused CDA explained in French with its reason — the real libxml2 messages of broken ANS
 * examples (schema line, missing header field), read through parseCda, then turned into `details.text`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseCda } from '../validation/cda.ts';
import { frenchCdaRefusal, frenchLibxmlMessage } from './cda-refusal-fr.ts';
import { frenchIssueText } from './error-text-fr.ts';

const VAC = fs.readFileSync(
  path.resolve(
    path.dirname(fileURLToPath(import.meta.url)),
    '../../reference/demo-documents/cda/VAC-NOTE_2023.01.xml',
  ),
  'utf8',
);

function refusal(xml: string): { code: string; message: string; text: string } {
  const out = parseCda(Buffer.from(xml, 'utf8'));
  if (out.ok) {
    throw new Error('expected a refusal');
  }
  const first = out.error[0];
  if (!first) {
    throw new Error('no issue');
  }
  return {
    code: first.code,
    message: first.message,
    text: frenchIssueText(first.code, 'invalid', first.message),
  };
}

function lineOf(xml: string, needle: string): number {
  return xml.slice(0, xml.indexOf(needle)).split('\n').length;
}

describe('CDA refusals in French (issue 21 point 7)', () => {
  it('a schema error names its line and the element, in French', () => {
    const xml = VAC.replace('<title>', '<titre>oups</titre><title>');
    const r = refusal(xml);
    expect(r.code).toBe('CDA_SCHEMA_INVALID');
    expect(r.text).toMatch(
      /^Le document CDA n’est pas conforme au schéma CDA R2 de l’ANS — ligne \d+ : élément « titre » : il n’est pas attendu à cet endroit/,
    );
    expect(r.text).toContain(`ligne ${lineOf(xml, '<titre>')} :`);
    expect(r.text).not.toMatch(/Element|expected|This/);
  });

  it('a missing attribute the schema requires is named', () => {
    const xml = VAC.replace(/<typeId ([^>]*)\/>/, '<typeId extension="POCD_HD000040"/>');
    const r = refusal(xml);
    expect(r.code).toBe('CDA_SCHEMA_INVALID');
    expect(r.text).toMatch(/élément « typeId » : l’attribut « root » est obligatoire et absent/);
  });

  it('a header without the document id names the header field', () => {
    const xml = VAC.replace(
      /(<ClinicalDocument[^]*?)<id root="[^"]*"( extension="[^"]*")?\s*\/>/,
      '$1<id nullFlavor="NI"/>',
    );
    const r = refusal(xml);
    expect(r.code).toBe('CDA_HEADER_INCOMPLETE');
    expect(r.text).toBe(
      'L’en-tête CDA est incomplet : le champ ClinicalDocument/id n’a pas d’attribut root (l’identifiant unique du document).',
    );
  });

  it('a file that is not well-formed XML says where', () => {
    const r = refusal(VAC.replace('</title>', ''));
    expect(r.code).toBe('CDA_NOT_WELL_FORMED');
    expect(r.text).toMatch(/^Le fichier n’est pas un XML bien formé — ligne \d+ : /);
  });

  it('a header check names its field', () => {
    expect(frenchCdaRefusal('DOC_CDA_PATIENT_MISMATCH', 'patient INS (recordTarget) differs')).toBe(
      'L’INS de l’en-tête CDA n’est pas celui du dossier (champ de l’en-tête : recordTarget/patientRole/id).',
    );
    expect(frenchCdaRefusal('DOC_NOT_FOUND', 'x')).toBeUndefined();
  });

  it.each([
    [
      "Element '{urn:hl7-org:v3}code': Missing child element(s). Expected is ( {urn:hl7-org:v3}originalText ).",
      'élément « code » : il manque un élément enfant (attendu : originalText)',
    ],
    [
      "Element '{urn:hl7-org:v3}effectiveTime', attribute 'value': '…' is not a valid value of the atomic type 'ts'.",
      'élément « effectiveTime », attribut « value » : la valeur n’est pas valide',
    ],
    ["Element 'x': something new", 'élément « x » : non conforme au schéma'],
  ])('%s', (message, french) => {
    expect(frenchLibxmlMessage(message)).toBe(french);
  });
});
