import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestDatabase } from '../helpers/db.ts';
import { createTestDatabase } from '../helpers/db.ts';
import type { ChildService } from '../helpers/child-service.ts';
import { builtMain, ready, scriptFlags, startService } from '../helpers/child-service.ts';

/**
 * ADR 0042: `npm start` and `npm run demo` run the service built to JavaScript (apps/server/dist), not its TypeScript
 * sources. The build must be whole — every module, its relative imports rewritten to `.js`, the files beside the code
 * (migrations, schemas, the demo VIHF key) copied — and must run without Node's TypeScript stripper: the service is
 * started here as the demo script starts it, with type stripping turned off, so that one `.ts` module left in the
 * build fails the start.
 */
describe('the built service (npm start, npm run demo)', () => {
  let db: TestDatabase;
  let dataDir: string;
  let service: ChildService | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'opendmp-built-'));
  });
  afterAll(async () => {
    service?.child.kill('SIGKILL');
    await db.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('holds JavaScript importing JavaScript, and the files the service reads', () => {
    const main = builtMain();
    const dist = path.dirname(main);
    const files = fs.readdirSync(dist, { recursive: true, encoding: 'utf8' });
    expect(files.filter((f) => f.endsWith('.ts'))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.test.js'))).toEqual([]);
    const tsImports = files
      .filter((f) => f.endsWith('.js'))
      .filter((f) =>
        /(?:from\s*|import\s*\(\s*)['"][^'"]+\.ts['"]/.test(
          fs.readFileSync(path.join(dist, f), 'utf8'),
        ),
      );
    expect(tsImports).toEqual([]);
    const sources = path.join(dist, '../src');
    for (const asset of ['db/migrations', 'xds/schemas', 'xds/demo']) {
      expect(fs.readdirSync(path.join(dist, asset)).sort()).toEqual(
        fs.readdirSync(path.join(sources, asset)).sort(),
      );
    }
  });

  // The first start loads the demo's data: three minutes, as the other tests that start the demo on Citus.
  it('starts without type stripping and serves FHIR and SOAP', async () => {
    const flags = scriptFlags('demo');
    service = await startService(
      {
        ...flags.env,
        DATABASE_URL: db.url,
        OPENDMP_DEMO: '1',
        OPENDMP_JOBS: '0',
        DATA_DIR: dataDir,
      },
      [...flags.args, '--no-experimental-strip-types'],
      builtMain(),
    );
    await ready(service, 170_000);
    const base = `http://127.0.0.1:${String(service.port)}`;
    const metadata = await fetch(`${base}/fhir/metadata`);
    expect(metadata.status).toBe(200);
    expect(((await metadata.json()) as { resourceType: string }).resourceType).toBe(
      'CapabilityStatement',
    );
    // A SOAP request without envelope: a SOAP fault from the XDS services (their schemas loaded from the build).
    const soap = await fetch(`${base}/si-dmp-server/v2/services/registry`, {
      method: 'POST',
      headers: { 'content-type': 'application/soap+xml' },
      body: '<not-soap/>',
    });
    expect(soap.status).toBe(400);
    expect(await soap.text()).toContain('Fault');
  }, 180_000);
});
