import { readFileSync, readdirSync } from 'node:fs';
import { parseCda, loadCdaSchema } from './src/validation/cda.ts';
const ex = '/work/shared/data/external/ansforge-TestContenuCDA-3-0/ExemplesCDA/';
let t = performance.now(); loadCdaSchema(); console.log('schema compile ms', (performance.now() - t).toFixed(1));
// 10 KB: VAC-NOTE without comments
const s = readFileSync(ex + 'VAC-NOTE_2023.01.xml', 'utf8').replace(/<!--[\s\S]*?-->/g, '').replace(/\n\s*\n/g, '\n');
const b = new TextEncoder().encode(s);
console.log('size', b.length, parseCda(b).ok);
for (const [name, bytes] of [['10k', b], ...readdirSync(ex).map((f) => [f, readFileSync(ex + f)] as const)] as Array<[string, Uint8Array]>) {
  for (let i = 0; i < 20; i++) parseCda(bytes);
  const n = 200; t = performance.now();
  for (let i = 0; i < n; i++) parseCda(bytes);
  console.log(name, bytes.length, ((performance.now() - t) / n).toFixed(3), 'ms');
}
console.log('rss MB', (process.memoryUsage().rss / 1e6).toFixed(0));
