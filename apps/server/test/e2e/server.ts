/**
 * The real opendmp server for the browser tests: a fresh database cloned from the migrated template, the demo
 * data set loaded through the services, the background jobs running (the outbox delivers notifications), and
 * the HTTP server listening on a free loopback port — the browser talks to it like to `npm run demo`.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { rewriteClinicalDocumentId, rewriteRecordTargetIns } from '../../src/demo/cda-rewrite.ts';
import { DEMO_CDA_DIR, loadDemoDocuments } from '../../src/demo/documents.ts';
import { PATIENTS } from '../../src/demo/directory.ts';
import { loadDemoData } from '../../src/demo/load.ts';
import { portalsBuilt } from '../../src/http/portal/portal.plugin.ts';
import { startJobs } from '../../src/jobs/scheduler.ts';
import type { Clock, Deps } from '../../src/services/deps.ts';
import { systemClock, uuid } from '../../src/services/deps.ts';
import { documentDeps } from '../../src/services/documents/context.ts';
import { publishDocument } from '../../src/http/fhir/publish.ts';
import { createNotifier } from '../../src/services/notifications/notify.ts';
import { parseCda } from '../../src/validation/cda.ts';
import type { TestDatabase } from '../helpers/db.ts';
import { createTestDatabase } from '../helpers/db.ts';
import { createCaches } from '../../src/caches.ts';
import { fhirEncodings } from '../../src/http/fhir/document-resource.ts';

export interface PortalServer {
  readonly baseUrl: string;
  readonly app: FastifyInstance;
  readonly deps: Deps;
  readonly db: TestDatabase;
  close(): Promise<void>;
}

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

/** Builds the portals if they are missing or stale (a no-op when `npm test` already did). */
export function ensurePortalsBuilt(): void {
  execFileSync(process.execPath, [path.join(repo, 'apps/portal/scripts/ensure-built.ts')], {
    cwd: repo,
    stdio: 'inherit',
  });
  if (!portalsBuilt()) {
    throw new Error('the portals could not be built (apps/portal/dist is missing)');
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface PortalServerOptions {
  /** The server's clock (default: the system's); an AdjustableClock lets a test place events in the past. */
  readonly clock?: Clock;
}

export async function startPortalServer(options: PortalServerOptions = {}): Promise<PortalServer> {
  ensurePortalsBuilt();
  const db = await createTestDatabase();
  const port = await freePort();
  const config = {
    ...loadConfig({
      OPENDMP_CACHES: process.env['OPENDMP_CACHES'],
      OPENDMP_DEMO: '1',
      PORT: String(port),
      OPENDMP_PUBLIC_URL: `http://localhost:${port}`,
    }),
    host: '127.0.0.1',
    jobs: true,
  };
  const deps: Deps = {
    sql: db.sql,
    config,
    clock: options.clock ?? systemClock,
    ids: uuid,
    log: pino({ level: 'silent' }),
    notify: createNotifier({ clock: options.clock ?? systemClock, ids: uuid }),
    caches: createCaches(config),
    encodings: fhirEncodings,
  };
  await loadDemoData(deps);
  await loadDemoDocuments(deps);
  const app = await buildApp(deps);
  await app.listen({ port, host: '127.0.0.1' });
  const jobs = startJobs(deps);
  return {
    baseUrl: `http://localhost:${port}`,
    app,
    deps,
    db,
    async close() {
      await jobs.stop();
      await app.close();
      await db.drop();
    },
  };
}

export const HOSTILE_TITLE = 'Note de vaccination (test de sécurité)';

/**
 * Deposits, through the ITI-105 service as its author, a real CDA example whose narrative carries markup that
 * would run script if a viewer inserted it as HTML: a CDATA `<img onerror>` and `<script>`, and a
 * `javascript:` link. The CDA stays schema-valid (the narrative schema allows both).
 */
export async function depositHostileCda(deps: Deps, ins: string): Promise<void> {
  const source = fs.readFileSync(path.join(DEMO_CDA_DIR, 'VAC-NOTE_2023.01.xml'), 'utf8');
  const hostile = source
    .replace(
      /(<title>Note de vaccination<\/title>\s*<text>)/,
      `$1<paragraph>Texte piégé : <![CDATA[<img src="x" onerror="window.__pwned=1"><script>window.__pwned=2</script>]]></paragraph>` +
        `<paragraph><linkHtml href="javascript:window.__pwned=3">lien piégé</linkHtml></paragraph>`,
    )
    // The header's title (the first one) names the document in the lists.
    .replace(/<title>[^<]*<\/title>/, `<title>${HOSTILE_TITLE}</title>`);
  const xml = rewriteClinicalDocumentId(
    rewriteRecordTargetIns(
      hostile,
      ins,
      '1.2.250.1.213.1.4.10',
      PATIENTS.find((p) => p.ins === ins),
    ),
    '1.2.250.1.213.1.4.10.999.4242.1',
  );
  await publishCda(deps, ins, Buffer.from(xml, 'utf8'));
}

export const LATIN1_TITLE = 'Vaccination : réaction fébrile à surveiller';
export const LATIN1_TEXT = "Fièvre à 38,5 °C après l'injection, résolutive en 48 h.";

/**
 * Deposits the ANS vaccination note encoded in ISO-8859-1 (its XML declaration says so), with accents in its title
 * and narrative: the portal must decode it by that declaration (issue 17 rule 10).
 */
export async function depositLatin1Cda(deps: Deps, ins: string): Promise<void> {
  const source = fs.readFileSync(path.join(DEMO_CDA_DIR, 'VAC-NOTE_2023.01.xml'), 'utf8');
  const xml = rewriteClinicalDocumentId(
    rewriteRecordTargetIns(
      source,
      ins,
      '1.2.250.1.213.1.4.10',
      PATIENTS.find((p) => p.ins === ins),
    ),
    '1.2.250.1.213.1.4.10.999.4242.2',
  )
    .replace(
      /(<title>Note de vaccination<\/title>\s*<text>)/,
      `$1<paragraph>${LATIN1_TEXT}</paragraph>`,
    )
    .replace(/<title>[^<]*<\/title>/, `<title>${LATIN1_TITLE}</title>`)
    .replace(/[^\t\n\r -\u00ff]/g, "'")
    .replace(/encoding="utf-8"/i, 'encoding="ISO-8859-1"');
  await publishCda(deps, ins, Buffer.from(xml, 'latin1'));
}

/**
 * Deposits the ANS vaccination note for `ins` as written by `author` (acting from their structure), under `title`:
 * a professional's own document, for the own-documents journey (issue 17 rule 5).
 */
export async function depositCdaAs(
  deps: Deps,
  ins: string,
  author: { readonly idNatPs: string; readonly structure: string },
  title: string,
): Promise<void> {
  const source = fs.readFileSync(path.join(DEMO_CDA_DIR, 'VAC-NOTE_2023.01.xml'), 'utf8');
  const xml = rewriteClinicalDocumentId(
    rewriteRecordTargetIns(
      source,
      ins,
      '1.2.250.1.213.1.4.10',
      PATIENTS.find((p) => p.ins === ins),
    ),
    '1.2.250.1.213.1.4.10.999.4242.3',
  )
    .replace(/<title>[^<]*<\/title>/, `<title>${title}</title>`)
    .replaceAll('extension="801234567897"', `extension="${author.idNatPs}"`)
    .replaceAll('extension="1750803447"', `extension="${author.structure}"`);
  await publishCda(deps, ins, Buffer.from(xml, 'utf8'));
}

/** Deposits one of the demo CDA examples (e.g. `VSM_1.4_2022.01.xml`) for `ins`, as its own author. */
export async function depositDemoCda(
  deps: Deps,
  ins: string,
  file: string,
  uniqueArc: string,
): Promise<void> {
  const source = fs.readFileSync(path.join(DEMO_CDA_DIR, file), 'utf8');
  const xml = rewriteClinicalDocumentId(
    rewriteRecordTargetIns(
      source,
      ins,
      '1.2.250.1.213.1.4.10',
      PATIENTS.find((p) => p.ins === ins),
    ),
    `1.2.250.1.213.1.4.10.999.4242.${uniqueArc}`,
  );
  await publishCda(deps, ins, Buffer.from(xml, 'utf8'));
}

/**
 * Deposits the ANS vaccination note for `ins` under `title` with, first in its narrative, a table of `columns`
 * columns whose headers are `Colonne 1`… and whose cells are long words: the print test's wide table.
 */
export async function depositWideTableCda(
  deps: Deps,
  ins: string,
  title: string,
  columns: number,
): Promise<void> {
  const source = fs.readFileSync(path.join(DEMO_CDA_DIR, 'VAC-NOTE_2023.01.xml'), 'utf8');
  const heads = Array.from({ length: columns }, (_, i) => `<th>Colonne ${String(i + 1)}</th>`).join(
    '',
  );
  const cells = Array.from(
    { length: columns },
    (_, i) => `<td>Valeur-tres-longue-de-la-colonne-${String(i + 1)}</td>`,
  ).join('');
  const table = `<table><thead><tr>${heads}</tr></thead><tbody><tr>${cells}</tr><tr>${cells}</tr></tbody></table>`;
  const xml = rewriteClinicalDocumentId(
    rewriteRecordTargetIns(
      source,
      ins,
      '1.2.250.1.213.1.4.10',
      PATIENTS.find((p) => p.ins === ins),
    ),
    '1.2.250.1.213.1.4.10.999.4242.9',
  )
    .replace(/(<title>Note de vaccination<\/title>\s*<text>)/, `$1${table}`)
    .replace(/<title>[^<]*<\/title>/, `<title>${title}</title>`);
  await publishCda(deps, ins, Buffer.from(xml, 'utf8'));
}

/** Publishes a CDA through the ITI-105 service as its first identified author. */
async function publishCda(deps: Deps, ins: string, bytes: Buffer): Promise<void> {
  const header = parseCda(bytes);
  if (!header.ok) {
    throw new Error(`CDA refused: ${JSON.stringify(header.error)}`);
  }
  const author = header.value.authors.find((a) => a.idNatPs) ?? header.value.authors[0];
  const structure = author?.organization?.ids.find(
    (i) => i.root === '1.2.250.1.71.4.2.2',
  )?.extension;
  await publishDocument(
    documentDeps(deps),
    {
      kind: 'professional',
      idNatPs: author?.idNatPs ?? '899700366240',
      profession: /^G15_(\w+)/.exec(author?.role?.code ?? '')?.[1] ?? '10',
      ...(structure ? { structure } : {}),
      mode: 'normal',
    },
    {
      resourceType: 'DocumentReference',
      status: 'current',
      subject: { reference: `Patient?identifier=urn:oid:1.2.250.1.213.1.4.10|${ins}` },
      content: [{ attachment: { contentType: 'text/xml', data: bytes.toString('base64') } }],
    },
  );
}
