/**
 * Issue 16 follow-up: the access history looked up the documents its traces name through a loose UUID filter (36
 * characters of hexadecimal digits and dashes), so a trace naming a document by a 36-character non-UUID (all dashes)
 * reached SQL, whose uuid cast failed: the holder's history answered 500. The project's isUuid check now leaves
 * such an id out of the lookup, and the trace is shown like any other.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProfessionalActor } from '../../src/domain/access/actor.ts';
import { audit } from '../../src/services/audit.ts';
import { buildTestApp, OPERATOR, type TestApp } from '../helpers/app.ts';
import * as fx from './documents.fixtures.ts';
import type { Json } from './documents.fixtures.ts';

const PROFESSIONAL: ProfessionalActor = {
  kind: 'professional',
  idNatPs: '899700366240',
  profession: '10',
  structure: '1750300000',
  mode: 'normal',
};

describe('the access history of traces naming documents', () => {
  let t: TestApp;
  let recordId: string;
  const ins = fx.nir('2790351215189');

  beforeAll(async () => {
    t = await buildTestApp();
    const res = await t.app.inject({
      method: 'POST',
      url: '/fhir/Patient',
      headers: {
        authorization: `Bearer ${await t.token(OPERATOR)}`,
        'content-type': 'application/fhir+json',
      },
      payload: fx.patientBody(ins),
    });
    expect(res.statusCode, res.body).toBe(201);
    recordId = String(res.json<Json>()['id']);
  });
  afterAll(async () => {
    await t.close();
  });

  it('shows the holder a trace whose document id is 36 dashes', async () => {
    const dashes = '-'.repeat(36);
    await t.db.sql.begin(async (tx) => {
      await audit(tx, t.deps, PROFESSIONAL, recordId, {
        action: 'document.read',
        outcome: 'denied',
        reasonCode: 'ACCESS_NO_AUTHORIZATION',
        entityType: 'DocumentReference',
        entityId: dashes,
      });
    });
    const res = await t.app.inject({
      method: 'GET',
      url: `/fhir/AuditEvent?patient=${recordId}`,
      headers: { authorization: `Bearer ${await t.token({ kind: 'patient', ins })}` },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).toContain(dashes);
  });
});
