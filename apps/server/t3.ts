import { readFileSync } from 'node:fs';
import { XmlDocument, ParseOption } from 'libxml2-wasm';
import { parseCda, loadCdaSchema, hasDoctype } from './src/validation/cda.ts';
const ex = '/work/shared/data/external/ansforge-TestContenuCDA-3-0/ExemplesCDA/';
loadCdaSchema();
const b = readFileSync(ex + 'CNAM-HR_2021.01.xml');
const n = 200;
let t = performance.now();
for (let i = 0; i < n; i++) hasDoctype(b);
console.log('doctype', ((performance.now() - t) / n).toFixed(3));
t = performance.now();
for (let i = 0; i < n; i++) { const d = XmlDocument.fromBuffer(b, { option: ParseOption.XML_PARSE_NONET | ParseOption.XML_PARSE_NO_XXE }); d.dispose(); }
console.log('parse', ((performance.now() - t) / n).toFixed(3));
t = performance.now();
for (let i = 0; i < n; i++) { const d = XmlDocument.fromBuffer(b, { option: ParseOption.XML_PARSE_NONET | ParseOption.XML_PARSE_NO_XXE| ParseOption.XML_PARSE_NOWARNING }); d.dispose(); }
console.log('parse nowarn', ((performance.now() - t) / n).toFixed(3));
t = performance.now();
for (let i = 0; i < n; i++) parseCda(b);
console.log('full', ((performance.now() - t) / n).toFixed(3));
