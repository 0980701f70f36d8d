/**
 * node bench/answer-bytes.ts <iti18-answer.xml> <fhir-bundle.json> — what an answer's bytes cost, apart from how it is
 * made (issue 19, ITI-18 against the FHIR search of the same documents): a plain node:http server (a child process)
 * sends each answer as stored, with its Content-Length, and this process reads it with the bench's own client
 * (http-load.ts `request`, `discardBody` and the 2 KB head the ITI-18 client keeps), 8 requests at a time. Printed per
 * answer: the client's CPU and the server's (user + system, medians of ROUNDS batches of 80, the answers in turn in
 * each round). Besides the two files, two forms of the ITI-18 answer that would be smaller and stay valid ebRS 3.0
 * (checked here against the schema set of the SOAP services): without the optional `objectType` of the Classifications
 * and ExternalIdentifiers nested in an object, and that with `rim` as the default namespace of the RegistryObjectList.
 * Neither is what the service answers (docs/benchmarks.md, thirteenth session; since ADR 0041 its ExtrinsicObjects
 * are already unprefixed, each declaring rim as its default namespace). The two files: an ITI-18 FindDocuments
 * answer and the FHIR searchset of the same documents — the bench's own, written by `BENCH_ANSWERS=<dir> npm run bench`
 * (iti18.xml and fhir.json: the searched record's 200 documents).
 * Run with the repository's node: `../../node_modules/.bin/node bench/answer-bytes.ts a.xml b.json`.
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { request } from './http-load.ts';
import { validateEnvelope } from '../src/xds/schema.ts';
import { parseXml } from '../src/xds/xml.ts';

const ROUNDS = Number(process.env['ROUNDS'] ?? 40);
const BATCH = 80;
const CONCURRENCY = 8;
const OBJECT_TYPE =
  / objectType="urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:(?:Classification|ExternalIdentifier)"/g;

/** The ITI-18 answer without the nested objects' objectType, then also with rim as the default namespace. */
function variants(xml: string): Record<string, string> {
  const lean = xml.replace(OBJECT_TYPE, '');
  const start = lean.indexOf('<rim:RegistryObjectList>');
  const end = lean.lastIndexOf('</rim:RegistryObjectList>');
  const unprefixed =
    start < 0 || end < 0
      ? lean
      : `${lean.slice(0, start)}<RegistryObjectList xmlns="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0">${lean
          .slice(start + '<rim:RegistryObjectList>'.length, end)
          .replaceAll('<rim:', '<')
          .replaceAll(
            '</rim:',
            '</',
          )}</RegistryObjectList>${lean.slice(end + '</rim:RegistryObjectList>'.length)}`;
  return {
    'ITI-18, nested objectType left out': lean,
    'ITI-18, and rim as default namespace': unprefixed,
  };
}

if (process.argv[2] === '--serve') {
  const answers = JSON.parse(process.argv[3] ?? '[]') as string[];
  const bodies = answers.map((f) => fs.readFileSync(f));
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const body = bodies[Number((req.url ?? '/0').slice(1))] ?? Buffer.alloc(0);
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': body.length,
      });
      res.end(body);
    });
  });
  process.on('message', (m) => {
    if (m === 'cpu') {
      process.send?.(process.cpuUsage());
    }
  });
  server.listen(0, '127.0.0.1', () => {
    process.send?.((server.address() as { port: number }).port);
  });
} else {
  const [xmlFile, jsonFile] = process.argv.slice(2);
  if (!xmlFile || !jsonFile) {
    process.stderr.write(
      'usage: node bench/answer-bytes.ts <iti18-answer.xml> <fhir-bundle.json>\n',
    );
    process.exit(2);
  }
  const dir = fs.mkdtempSync('/tmp/answer-bytes-');
  const files: Record<string, string> = {
    'FHIR searchset': jsonFile,
    'ITI-18 as answered': xmlFile,
  };
  for (const [name, xml] of Object.entries(variants(fs.readFileSync(xmlFile, 'utf8')))) {
    parseXml(Buffer.from(xml), { validate: validateEnvelope }); // throws when not valid ebRS 3.0
    const file = `${dir}/${Object.keys(files).length}.xml`;
    fs.writeFileSync(file, xml);
    files[name] = file;
  }
  const names = Object.keys(files);
  const child = fork(new URL(import.meta.url).pathname, [
    '--serve',
    JSON.stringify(Object.values(files)),
  ]);
  const port = await new Promise<number>((resolve) =>
    child.once('message', (m) => resolve(m as number)),
  );
  const serverCpu = (): Promise<NodeJS.CpuUsage> =>
    new Promise((resolve) => {
      child.once('message', (m) => resolve(m as NodeJS.CpuUsage));
      child.send('cpu');
    });
  const base = new URL(`http://127.0.0.1:${String(port)}`);
  const client: number[][] = names.map(() => []);
  const server: number[][] = names.map(() => []);
  for (let round = -3; round < ROUNDS; round++) {
    for (let i = 0; i < names.length; i++) {
      const s0 = await serverCpu();
      const c0 = process.cpuUsage();
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next++ < BATCH) {
            const r = await request(base, {
              method: 'GET',
              path: `/${String(i)}`,
              discardBody: true,
              keepHead: 2048,
            });
            if (r.status !== 200) {
              throw new Error(`status ${String(r.status)}`);
            }
          }
        }),
      );
      const c = process.cpuUsage(c0);
      const s1 = await serverCpu();
      if (round >= 0) {
        (client[i] as number[]).push((c.user + c.system) / 1000 / BATCH);
        (server[i] as number[]).push((s1.user - s0.user + s1.system - s0.system) / 1000 / BATCH);
      }
    }
  }
  const median = (v: number[]): string =>
    (v.sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? 0).toFixed(3);
  names.forEach((name, i) => {
    const bytes = fs.statSync(files[name] as string).size;
    console.log(
      `${name}: ${bytes.toLocaleString('en')} bytes, client ${median(client[i] as number[])} ms, server ${median(server[i] as number[])} ms CPU per answer`,
    );
  });
  child.kill();
  fs.rmSync(dir, { recursive: true, force: true });
}
