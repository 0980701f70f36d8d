import { randomBytes } from 'node:crypto';
import { MedplumClient } from '@medplum/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp, OPERATOR } from '../helpers/app.ts';
import { freePort } from '../helpers/child-service.ts';
import * as fx from './documents.fixtures.ts';

/**
 * Issue 22: without OPENDMP_PUBLIC_URL (the demo), links must work for a client that reached the service under
 * either loopback name. A real FHIR client, MedplumClient, sends its token only to URLs under its own base URL: a
 * client configured on http://127.0.0.1 got attachment URLs under http://localhost and its download answered 401.
 */
describe('links follow the loopback name the client used (MedplumClient)', () => {
  let t: TestApp;
  let port: number;
  const ins = fx.nir('1840575123456');
  let bytes: Buffer;
  let authorBody: fx.Json;

  beforeAll(async () => {
    port = await freePort();
    // As `npm run demo` configures it: no OPENDMP_PUBLIC_URL, links default to http://localhost:$PORT.
    t = await buildTestApp({
      masterKey: randomBytes(32).toString('base64'),
      port,
      publicBaseUrl: `http://localhost:${String(port)}`,
    });
    expect(t.deps.config.publicBaseUrlSet).toBe(false);
    await t.app.listen({ port, host: '127.0.0.1' });
    const operator = await t.token(OPERATOR);
    const created = await t.app.inject({
      method: 'POST',
      url: '/fhir/Patient',
      headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/fhir+json' },
      payload: fx.patientBody(ins),
    });
    expect(created.statusCode).toBe(201);
    bytes = Buffer.from(fx.rewriteIns(fx.readExample('VAC_2023.01.xml'), ins), 'utf8');
    authorBody = fx.authorTokenBody(fx.header(bytes));
    const author = await t.token(authorBody);
    const headers = { authorization: `Bearer ${author}`, 'content-type': 'application/fhir+json' };
    const consent = await t.app.inject({
      method: 'POST',
      url: '/fhir/Consent',
      headers,
      payload: fx.consentBody(ins, String(authorBody['idNatPs'])),
    });
    expect(consent.statusCode).toBe(201);
    const deposit = await t.app.inject({
      method: 'POST',
      url: '/fhir',
      headers,
      payload: fx.iti65(ins, [{ docRef: fx.cdaDocumentReference(ins, bytes), bytes }]),
    });
    expect(deposit.statusCode).toBe(200);
  });
  afterAll(async () => {
    await t.close();
  });

  it.each(['127.0.0.1', 'localhost'])(
    'a client configured on http://%s:$PORT finds the document and downloads it with its token',
    async (host) => {
      const base = `http://${host}:${String(port)}`;
      const client = new MedplumClient({ baseUrl: `${base}/`, fhirUrlPath: 'fhir' });
      client.setAccessToken(await t.token(authorBody));
      const found = (await client.searchResources('DocumentReference', {
        'patient.identifier': `${fx.TEST_SYSTEM}|${ins}`,
      })) as unknown as { content: { attachment: { url: string } }[] }[];
      expect(found).toHaveLength(1);
      const url = found[0]?.content[0]?.attachment.url as string;
      expect(url.startsWith(`${base}/fhir/Binary/`)).toBe(true);
      const blob = await client.download(url, { headers: { Accept: 'text/xml' } });
      expect(Buffer.from(await blob.arrayBuffer()).equals(bytes)).toBe(true);
    },
  );
});
