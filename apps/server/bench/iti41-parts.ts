/**
 * node bench/iti41-parts.ts — CPU time of the parts of an ITI-41 that ITI-105 does not do (issue 19), in process: the
 * bench's request (one 10 KB CDA inline base64, its metadata from the CDA's header, a VIHF signed with the demo
 * structure's certificate) parsed, validated and its assertion captured as the SOAP plugin does; the envelope and
 * SubmitObjectsRequest read; the inline Document decoded; the VIHF verified; the CDA's intake (shared with ITI-105,
 * for scale); the answer written. Process CPU (user + system) per call, in batches of BATCH (default 20), the median
 * and p90 of ROUNDS batches (default 200) after a warm-up; the series of a part are interleaved (A B A B …) when
 * compared. Run with the repository's node: `../../node_modules/.bin/node bench/iti41-parts.ts`.
 */
import { cpuMs, demoVihf } from './vihf-demo.ts';
import { inlineDocumentBytes } from '../src/http/xds/repository.ts';
import { loadConfig } from '../src/config.ts';
import { prepareDocument } from '../src/services/documents/intake.ts';
import { loadReferenceData } from '../src/reference/value-sets.ts';
import { readSubmitObjects, registryResponse } from '../src/xds/ebrim.ts';
import { validateEnvelope } from '../src/xds/schema.ts';
import { ACTIONS, readEnvelope, responseEnvelope } from '../src/xds/soap.ts';
import { captureAssertion, verifyVihf } from '../src/xds/vihf.ts';
import { kid, kids, NS, parseXml, type XElement } from '../src/xds/xml.ts';
import { envelope, metadataOf, pnrBody } from '../test/integration/xds.fixtures.ts';
import { benchCda, benchCdaTemplate } from './bench-cda.ts';

const BATCH = Number(process.env['BATCH'] ?? 20);
const ROUNDS = Number(process.env['ROUNDS'] ?? 200);

const { assertion, lookup, now } = demoVihf({
  idNatPs: '801234534765',
  profession: '10',
  specialty: 'SM03',
  structure: '1120459876',
  mode: 'normal',
});
const cda = benchCda(benchCdaTemplate(), '280017512345602', `1.2.250.1.213.1.4.10.777.1`);
const meta = metadataOf(cda);
const bytes = Buffer.from(
  envelope(ACTIONS['ITI-41'].request, assertion, pnrBody([{ bytes: cda, meta }], false).xml),
);

function parse(validate: boolean): { root: XElement; captured: string | undefined } {
  let captured: string | undefined;
  const root = parseXml(bytes, {
    validate: (doc) => {
      if (validate) {
        validateEnvelope(doc);
      }
      captured = captureAssertion(doc);
    },
  });
  return { root, captured };
}

type Run = () => Promise<void> | void;

/** Interleaved series: one batch of each in turn, ROUNDS times; the median and p90 of each. */
async function series(runs: Readonly<Record<string, Run>>): Promise<void> {
  const names = Object.keys(runs);
  const per = new Map<string, number[]>(names.map((n) => [n, []]));
  for (const name of names) {
    for (let i = 0; i < 100; i++) {
      await runs[name]?.();
    }
  }
  for (let r = 0; r < ROUNDS; r++) {
    for (const name of names) {
      const run = runs[name] as Run;
      const start = process.cpuUsage();
      for (let i = 0; i < BATCH; i++) {
        await run();
      }
      per.get(name)?.push(cpuMs(start) / BATCH);
    }
  }
  for (const name of names) {
    const s = (per.get(name) ?? []).sort((a, b) => a - b);
    const at = (q: number): string => (s[Math.floor(q * (s.length - 1))] ?? 0).toFixed(3);
    console.log(`${name}: median ${at(0.5)} ms CPU, p90 ${at(0.9)} ms (${ROUNDS} × ${BATCH})`);
  }
}

const parsed = parse(true);
const request = readEnvelope(parsed.root).payload;
const documentText = kids(request, NS.xdsb, 'Document')[0]?.text ?? '';
const reference = loadReferenceData();
const config = loadConfig({});
const so = readSubmitObjects(kid(request, NS.lcm, 'SubmitObjectsRequest') as XElement);
const draft = so.documents[0]?.draft;
if (!draft) {
  throw new Error('no DocumentEntry');
}
console.log(`ITI-41 envelope ${String(bytes.length)} bytes, CDA ${String(cda.length)} bytes`);

const only = process.argv[2];
const groups: Record<string, Record<string, Run>> = {
  parse: {
    'parse + schema + capture (the plugin)': () => {
      parse(true);
    },
    'parse + capture, no schema': () => {
      parse(false);
    },
  },
  read: {
    'readEnvelope + readSubmitObjects': () => {
      readSubmitObjects(
        kid(readEnvelope(parsed.root).payload, NS.lcm, 'SubmitObjectsRequest') as XElement,
      );
    },
    'inline Document decoded (inlineDocumentBytes)': () => {
      inlineDocumentBytes(documentText);
    },
    'inline Document decoded, as before (strip, RegExp, decode)': () => {
      const text = documentText.replace(/\s+/g, '');
      if (/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
        Buffer.from(text, 'base64');
      }
    },
  },
  vihf: {
    verifyVihf: async () => {
      await verifyVihf(parsed.captured, parsed.root, lookup, now);
    },
  },
  intake: {
    'CDA intake (prepareDocument, shared with ITI-105)': () => {
      prepareDocument(
        { key: 'd', bytes: cda, root: 'DocumentEntry[0]', referenceIds: [], asSent: undefined },
        draft,
        { reference, config },
      );
    },
    'answer (responseEnvelope of a Success)': () => {
      responseEnvelope(ACTIONS['ITI-41'].response, 'urn:uuid:x', registryResponse([]));
    },
  },
};
for (const [name, runs] of Object.entries(groups)) {
  if (only === undefined || only === name) {
    await series(runs);
  }
}
