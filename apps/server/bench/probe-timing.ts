/**
 * node bench/probe-timing.ts — can a caller tell "exists but refused" from "does not exist" by the time of the
 * answer? (issue 16, item 8). Both answer 404 with the same body; this measures how long each takes.
 *
 * The server is started as `npm run demo` starts it, on a fresh embedded database in a temporary folder. One CDA is
 * deposited on a fresh record; a professional with no authorization on that record then asks, interleaved, PROBES
 * times each (default 400): the document by id (GET /fhir/DocumentReference/{id}, refused → 404), its content
 * (GET /fhir/Binary/{id}, refused → 404), the record's medical profile (GET /fhir/Patient/{id}/$profile, refused →
 * 404), and random ids that name nothing (404). Prints the median, p90 and mean
 * of each, and the ratio of refused to missing. Run it on a quiet machine with the repository's node
 * (`../../node_modules/.bin/node bench/probe-timing.ts`).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as fx from '../test/integration/documents.fixtures.ts';
import { percentile } from './http-load.ts';
import { request, startDemoServer } from './memory-probe.ts';

const PROBES = Number(process.env['PROBES'] ?? 400);
const PORT = 19000 + Math.floor(Math.random() * 1000);

interface Series {
  readonly name: string;
  readonly ms: number[];
  readonly statuses: Set<number>;
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'opendmp-probe-'));
  fs.chmodSync(dataDir, 0o777); // the embedded PostgreSQL runs as its own user under root
  const server = await startDemoServer(dataDir, PORT);
  try {
    const base = server.base;
    const nir = fx.nir('1850275123457');
    const created = await request(`${base}/fhir/Patient`, {
      method: 'POST',
      body: Buffer.from(JSON.stringify(fx.patientBody(nir))),
      token: await server.token({ kind: 'operator', id: 'bench' }),
    });
    if (created.status !== 201) {
      throw new Error(`patient not created: ${created.body.toString()}`);
    }
    const recordId = (JSON.parse(created.body.toString()) as { id: string }).id;
    const template = fx.rewriteIns(fx.readExample('VAC-NOTE_2023.01.xml'), nir);
    const bytes = Buffer.from(fx.rewriteDocumentId(template, fx.freshOid()));
    const deposited = await request(`${base}/fhir/DocumentReference`, {
      method: 'POST',
      body: Buffer.from(JSON.stringify(fx.iti105(fx.cdaDocumentReference(nir, bytes), bytes))),
      token: await server.token(fx.authorTokenBody(fx.header(template))),
    });
    if (deposited.status !== 201) {
      throw new Error(`not deposited: ${deposited.body.toString().slice(0, 500)}`);
    }
    const doc = JSON.parse(deposited.body.toString()) as {
      id: string;
      content: { attachment: { url: string } }[];
    };
    const binary = String(doc.content[0]?.attachment.url).replace(/^https?:\/\/[^/]+/, base);
    // A professional of another structure, with no authorization on the record.
    const stranger = await server.token({
      kind: 'professional',
      idNatPs: '899700366241',
      profession: '10',
      specialty: 'SM26',
      structure: '1750300001',
      sector: 'SA07',
      mode: 'normal',
    });
    const series: Series[] = [
      { name: 'DocumentReference refused', ms: [], statuses: new Set() },
      { name: 'DocumentReference missing', ms: [], statuses: new Set() },
      { name: 'Binary refused', ms: [], statuses: new Set() },
      { name: 'Binary missing', ms: [], statuses: new Set() },
      { name: 'Patient/$profile refused', ms: [], statuses: new Set() },
      { name: 'Patient/$profile missing', ms: [], statuses: new Set() },
    ];
    const urls = (): string[] => [
      `${base}/fhir/DocumentReference/${doc.id}`,
      `${base}/fhir/DocumentReference/${randomUUID()}`,
      binary,
      `${base}/fhir/Binary/${randomUUID()}`,
      `${base}/fhir/Patient/${recordId}/$profile`,
      `${base}/fhir/Patient/${randomUUID()}/$profile`,
    ];
    for (let i = 0; i < PROBES + 20; i++) {
      const list = urls();
      // Alternate the order so that neither kind always follows the other.
      const order = i % 2 === 0 ? [0, 1, 2, 3, 4, 5] : [1, 0, 3, 2, 5, 4];
      for (const k of order) {
        const started = process.hrtime.bigint();
        const answer = await request(list[k] ?? '', { method: 'GET', token: stranger });
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        const s = series[k];
        if (s && i >= 20) {
          s.ms.push(ms); // the first 20 rounds warm the service up
          s.statuses.add(answer.status);
        }
      }
    }
    const stats = series.map((s) => {
      const sorted = [...s.ms].sort((a, b) => a - b);
      return {
        name: s.name,
        statuses: [...s.statuses].join(','),
        p50: percentile(sorted, 50),
        p90: percentile(sorted, 90),
        mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
      };
    });
    for (const s of stats) {
      console.log(
        `${s.name.padEnd(27)} status ${s.statuses}  p50 ${s.p50.toFixed(2)} ms  p90 ${s.p90.toFixed(2)} ms  mean ${s.mean.toFixed(2)} ms`,
      );
    }
    for (const [refused, missing] of [
      [0, 1],
      [2, 3],
      [4, 5],
    ] as const) {
      const r = stats[refused];
      const m = stats[missing];
      if (r && m) {
        console.log(
          `${r.name} / ${m.name}: p50 ×${(r.p50 / m.p50).toFixed(2)}, mean ×${(r.mean / m.mean).toFixed(2)}`,
        );
      }
    }
  } finally {
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
