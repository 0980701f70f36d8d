import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rewriteClinicalDocumentId, rewriteRecordTargetIns } from '../src/demo/cda-rewrite.ts';

/**
 * The benchmark's "10 KB CDA": the ANS level-1 (non-structured) example with its PDF body replaced by a plain-text
 * report, padded so the whole document is about 10 KB. It passes the full validation (XSD, header, metadata).
 */
const EXAMPLE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../reference/demo-documents/cda/DOC_NON_STRUCTURE_CDA-R2-N1.xml',
);

export function benchCdaTemplate(targetBytes = 10 * 1024): string {
  const xml = fs
    .readFileSync(EXAMPLE, 'utf8')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<\?(?!xml )[\s\S]*?\?>/g, '')
    .replace(/\n\s*\n/g, '\n');
  const open = xml.indexOf('<text mediaType="application/pdf"');
  const close = xml.indexOf('</text>', open);
  const head = xml.slice(0, open);
  const tail = xml.slice(close + '</text>'.length);
  const room = Math.max(256, targetBytes - head.length - tail.length - 60);
  const lines: string[] = [];
  let n = 0;
  while (lines.join('\n').length < (room * 3) / 4) {
    lines.push(
      `Ligne ${++n} : résultat dans les valeurs de référence, contrôle à prévoir selon l'évolution clinique.`,
    );
  }
  const body = Buffer.from(lines.join('\n'), 'utf8')
    .toString('base64')
    .slice(0, room - (room % 4));
  return `${head}<text mediaType="text/plain" representation="B64">${body}</text>${tail}`;
}

/** The traits of the benchmark's records (bench/run.ts creates them so): the CDA must agree with them. */
export const BENCH_PATIENT_TRAITS = { sex: 'female', birthDate: '1980-01-01' } as const;

export function benchCda(template: string, ins: string, docOid: string): Buffer {
  return Buffer.from(
    rewriteClinicalDocumentId(
      rewriteRecordTargetIns(template, ins, '1.2.250.1.213.1.4.10', BENCH_PATIENT_TRAITS),
      docOid,
    ),
    'utf8',
  );
}
