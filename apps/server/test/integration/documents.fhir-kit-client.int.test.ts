import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { Client } from 'fhir-kit-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp, OPERATOR } from '../helpers/app.ts';
import * as fx from './documents.fixtures.ts';
import type { Json } from './documents.fixtures.ts';

/**
 * Issue 3 acceptance: deposit (ITI-65 and ITI-105), find (ITI-67, with paging) and retrieve (ITI-68) driven by the
 * real `fhir-kit-client` npm package against the server listening on 127.0.0.1.
 */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        address && typeof address === 'object'
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

describe('documents: a real FHIR client (fhir-kit-client) against a listening server', () => {
  let t: TestApp;
  let base: string;
  let client: InstanceType<typeof Client>;
  const ins = fx.nir('2790351215189');
  let bytes: Buffer;
  let authorBody: Json;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${String(port)}`;
    t = await buildTestApp({ masterKey: randomBytes(32).toString('base64'), publicBaseUrl: base });
    await t.app.listen({ port, host: '127.0.0.1' });
    const operator = new Client({ baseUrl: `${base}/fhir`, bearerToken: await t.token(OPERATOR) });
    await operator.create({ resourceType: 'Patient', body: fx.patientBody(ins) as never });
    bytes = Buffer.from(fx.rewriteIns(fx.readExample('VAC_2023.01.xml'), ins), 'utf8');
    authorBody = fx.authorTokenBody(fx.header(bytes));
    client = new Client({ baseUrl: `${base}/fhir`, bearerToken: await t.token(authorBody) });
    await client.create({
      resourceType: 'Consent',
      body: fx.consentBody(ins, String(authorBody['idNatPs'])) as never,
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('deposits through ITI-65 (transaction) and ITI-105 (create), finds and retrieves byte-identical', async () => {
    const response = (await client.transaction({
      body: fx.iti65(ins, [{ docRef: fx.cdaDocumentReference(ins, bytes), bytes }]) as never,
    })) as Json;
    expect(response['type']).toBe('transaction-response');
    const location = String(
      (((response['entry'] as Json[])[1] as Json)['response'] as Json)['location'],
    );
    const viaBundle = /^DocumentReference\/([0-9a-f-]{36})/.exec(location)?.[1] as string;

    const second = Buffer.from(fx.rewriteDocumentId(bytes.toString('utf8'), fx.freshOid()), 'utf8');
    const created = (await client.create({
      resourceType: 'DocumentReference',
      body: fx.iti105(fx.cdaDocumentReference(ins, second), second) as never,
    })) as Json;
    expect(created['status']).toBe('current');

    const bundle = (await client.search({
      resourceType: 'DocumentReference',
      searchParams: {
        'patient.identifier': `${fx.TEST_SYSTEM}|${ins}`,
        type: '11369-6',
        _count: '1',
      },
    })) as Json;
    expect(bundle['total']).toBe(2);
    const firstPage = (bundle['entry'] as Json[]).map((e) => (e['resource'] as Json)['id']);
    const next = (await client.nextPage({ bundle: bundle as never })) as Json;
    const secondPage = (next['entry'] as Json[]).map((e) => (e['resource'] as Json)['id']);
    expect([...firstPage, ...secondPage]).toEqual([created['id'], viaBundle]);

    const read = (await client.read({ resourceType: 'DocumentReference', id: viaBundle })) as Json;
    const url = String((((read['content'] as Json[])[0] as Json)['attachment'] as Json)['url']);
    expect(url.startsWith(`${base}/fhir/Binary/`)).toBe(true);
    const binary = (await client.read({
      resourceType: 'Binary',
      id: url.split('/').pop() as string,
    })) as Json;
    expect(binary['contentType']).toBe('text/xml');
    expect(Buffer.from(String(binary['data']), 'base64').equals(bytes)).toBe(true);

    const raw = await fetch(url, {
      headers: { authorization: `Bearer ${await t.token(authorBody)}`, accept: 'text/xml' },
    });
    expect(raw.status).toBe(200);
    expect(raw.headers.get('content-type')).toMatch(/^text\/xml/);
    expect(Buffer.from(await raw.arrayBuffer()).equals(bytes)).toBe(true);
    const anonymous = await fetch(url);
    expect(anonymous.status).toBe(401);
  });

  it('concurrent search answers over real connections: each whole, as asked, sent with its Content-Length', async () => {
    const token = await t.token(authorBody);
    const url = (count: number) =>
      `${base}/fhir/DocumentReference?patient.identifier=${encodeURIComponent(`${fx.TEST_SYSTEM}|${ins}`)}&_count=${String(count)}`;
    const answers = await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        const count = (i % 2) + 1;
        const res = await fetch(url(count), { headers: { authorization: `Bearer ${token}` } });
        const text = await res.text();
        return { count, text, length: res.headers.get('content-length') };
      }),
    );
    for (const a of answers) {
      expect(Number(a.length)).toBe(Buffer.byteLength(a.text));
      const bundle = JSON.parse(a.text) as { total: number; entry: unknown[] };
      expect(bundle.total).toBe(2);
      expect(bundle.entry).toHaveLength(a.count);
    }
  });

  it('surfaces a refusal as an OperationOutcome to the client', async () => {
    const bad = fx.withPath(fx.cdaDocumentReference(ins, bytes), 'content.0.attachment.size', 1);
    await expect(
      client.create({ resourceType: 'DocumentReference', body: fx.iti105(bad, bytes) as never }),
    ).rejects.toMatchObject({
      response: { status: 422, data: { resourceType: 'OperationOutcome' } },
    });
  });
});
