import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp, GP, OPERATOR } from '../helpers/app.ts';
import * as fx from './documents.fixtures.ts';

/** ITI-67 `related` (XDS referenceIdList) and ITI-66 List `date` / `identifier`. */
describe('searching by related identifiers and listing submission sets by date', () => {
  let t: TestApp;
  const ins = fx.nir('2790351215189');
  const auth = (token: string) => ({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    t = await buildTestApp({ masterKey: randomBytes(32).toString('base64') });
    const operator = await t.token(OPERATOR);
    await t.app.inject({
      method: 'POST',
      url: '/fhir/Patient',
      headers: { ...auth(operator), 'content-type': 'application/fhir+json' },
      payload: fx.patientBody(ins),
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('keeps context.related and finds the document by it', async () => {
    const gp = await t.token(GP);
    const bytes = fx.n1Bytes(ins);
    const base = fx.pdfDocumentReference(ins, bytes, {
      idNatPs: GP.idNatPs,
      structure: GP.structure,
    });
    const docRef = {
      ...base,
      context: {
        ...(base['context'] as fx.Json),
        related: [{ identifier: { system: 'urn:oid:1.2.250.1.999', value: 'ORDER-42' } }],
      },
    };
    const res = await t.app.inject({
      method: 'POST',
      url: '/fhir/DocumentReference',
      headers: { ...auth(gp), 'content-type': 'application/fhir+json' },
      payload: fx.iti105(docRef, bytes),
    });
    expect(res.statusCode, res.body).toBe(201);
    const id = String(res.json<fx.Json>()['id']);
    const patient = await t.token({ kind: 'patient', ins });
    const found = await t.app.inject({
      method: 'GET',
      url: `/fhir/DocumentReference?patient.identifier=${encodeURIComponent(`${fx.TEST_SYSTEM}|${ins}`)}&related=${encodeURIComponent('urn:oid:1.2.250.1.999|ORDER-42')}`,
      headers: auth(patient),
    });
    expect(found.statusCode, found.body).toBe(200);
    const bundle = found.json<{ total: number; entry: { resource: fx.Json }[] }>();
    expect(bundle.total).toBe(1);
    expect(bundle.entry[0]?.resource['id']).toBe(id);
    expect(JSON.stringify(bundle.entry[0]?.resource['context'])).toContain('ORDER-42');
    const none = await t.app.inject({
      method: 'GET',
      url: `/fhir/DocumentReference?patient.identifier=${encodeURIComponent(`${fx.TEST_SYSTEM}|${ins}`)}&related=ORDER-43`,
      headers: auth(patient),
    });
    expect(none.json<{ total: number }>().total).toBe(0);
  });

  it('filters submission sets by date', async () => {
    const patient = await t.token({ kind: 'patient', ins });
    const q = (extra: string) =>
      t.app.inject({
        method: 'GET',
        url: `/fhir/List?patient.identifier=${encodeURIComponent(`${fx.TEST_SYSTEM}|${ins}`)}&code=${encodeURIComponent(`${fx.MHD_LIST_TYPES}|submissionset`)}${extra}`,
        headers: auth(patient),
      });
    const all = await q('');
    expect(all.statusCode, all.body).toBe(200);
    expect(all.json<{ total: number }>().total).toBe(1);
    const future = await q('&date=ge2999-01-01');
    expect(future.statusCode, future.body).toBe(200);
    expect(future.json<{ total: number }>().total).toBe(0);
  });
});
