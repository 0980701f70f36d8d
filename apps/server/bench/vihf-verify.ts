/**
 * node bench/vihf-verify.ts — CPU time of one VIHF verification (issue 19): the assertion captured from the envelope's
 * own parse (xmldsig.ts D1, inside the parse, as the SOAP plugin does) and verified (vihf.ts verifyVihf: signature,
 * digest, attributes), with the demo structure's certificate, on an ITI-18-sized envelope. Process CPU (user + system)
 * per verification, in batches of BATCH (default 20), the median and p90 of ROUNDS batches (default 300) after a
 * warm-up; the envelope's parse is measured apart (it is the request's, not the VIHF's). Run with the repository's
 * node: `../../node_modules/.bin/node bench/vihf-verify.ts`.
 */
import { cpuMs, demoVihf } from './vihf-demo.ts';
import { captureAssertion, verifyVihf } from '../src/xds/vihf.ts';
import { parseXml, type XElement } from '../src/xds/xml.ts';
import { iti18 } from '../test/integration/xds.fixtures.ts';

const BATCH = Number(process.env['BATCH'] ?? 20);
const ROUNDS = Number(process.env['ROUNDS'] ?? 300);

const { assertion, lookup, now } = demoVihf({
  idNatPs: '899700366240',
  profession: '10',
  specialty: 'SM26',
  structure: '1750300000',
  sector: 'SA07',
  name: 'Dr Test',
  mode: 'normal',
});
const bytes = Buffer.from(
  iti18(assertion, 'urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d', {
    $XDSDocumentEntryPatientId: "'185057512345678^^^&amp;1.2.250.1.213.1.4.10&amp;ISO'",
  }),
);

function parse(): { root: XElement; captured: string | undefined } {
  let captured: string | undefined;
  const root = parseXml(bytes, {
    validate: (doc) => {
      captured = captureAssertion(doc);
    },
  });
  return { root, captured };
}

async function series(name: string, run: () => Promise<void> | void): Promise<void> {
  for (let i = 0; i < 200; i++) {
    await run();
  }
  const per: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.cpuUsage();
    for (let i = 0; i < BATCH; i++) {
      await run();
    }
    per.push(cpuMs(start) / BATCH);
  }
  per.sort((a, b) => a - b);
  const at = (q: number): string => (per[Math.floor(q * (per.length - 1))] ?? 0).toFixed(3);
  console.log(`${name}: median ${at(0.5)} ms CPU, p90 ${at(0.9)} ms (${ROUNDS} × ${BATCH})`);
}

const parsed = parse();
await series('envelope parse + capture', () => {
  parse();
});
await series('verifyVihf', async () => {
  await verifyVihf(parsed.captured, parsed.root, lookup, now);
});
