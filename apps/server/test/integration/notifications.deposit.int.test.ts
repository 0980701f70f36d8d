import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultJobs, runJobNow } from '../../src/jobs/scheduler.ts';
import { loadNotificationSettings } from '../../src/services/notifications/settings.ts';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp, GP, OPERATOR } from '../helpers/app.ts';
import * as fx from './documents.fixtures.ts';

/** A deposit through ITI-105 tells the patient, in the portal inbox — unless INVISIBLE_PATIENT hides it. */
describe('new-document notifications from real deposits', () => {
  let t: TestApp;
  const ins = fx.nir('2790351215189');
  const auth = (token: string) => ({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    t = await buildTestApp({ masterKey: randomBytes(32).toString('base64') });
    const operator = await t.token(OPERATOR);
    const res = await t.app.inject({
      method: 'POST',
      url: '/fhir/Patient',
      headers: { ...auth(operator), 'content-type': 'application/fhir+json' },
      payload: fx.patientBody(ins),
    });
    expect(res.statusCode).toBe(201);
  });
  afterAll(async () => {
    await t.close();
  });

  async function deposit(overrides: fx.Json = {}): Promise<string> {
    const gp = await t.token(GP);
    const bytes = fx.n1Bytes(ins);
    const res = await t.app.inject({
      method: 'POST',
      url: '/fhir/DocumentReference',
      headers: { ...auth(gp), 'content-type': 'application/fhir+json' },
      payload: fx.iti105(
        fx.pdfDocumentReference(
          ins,
          bytes,
          { idNatPs: GP.idNatPs, structure: GP.structure },
          overrides,
        ),
        bytes,
      ),
    });
    expect(res.statusCode, res.body).toBe(201);
    return String(res.json<fx.Json>()['id']);
  }

  async function inbox(): Promise<string[]> {
    await runJobNow(t.deps, 'outbox', defaultJobs({ notifications: loadNotificationSettings({}) }));
    const patient = await t.token({ kind: 'patient', ins });
    const res = await t.app.inject({
      method: 'GET',
      url: '/fhir/Communication',
      headers: auth(patient),
    });
    expect(res.statusCode, res.body).toBe(200);
    return JSON.stringify(res.json()).match(/DocumentReference\/[0-9a-f-]{36}/g) ?? [];
  }

  it('announces a new document to the patient, once', async () => {
    const id = await deposit();
    const refs = await inbox();
    expect(refs.filter((r) => r === `DocumentReference/${id}`).length).toBeGreaterThanOrEqual(1);
    const [row] = await t.db.owner<
      { n: number }[]
    >`SELECT count(*)::int AS n FROM outbox WHERE event_type = 'document.deposit'`;
    expect(row?.n).toBe(1);
  });

  it('does not announce a document the author made invisible to the patient', async () => {
    const id = await deposit({
      securityLabel: [
        {
          coding: [
            { system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'N' },
          ],
        },
        { coding: [{ system: fx.A07, code: 'INVISIBLE_PATIENT' }] },
      ],
    });
    expect(await inbox()).not.toContain(`DocumentReference/${id}`);
    const [row] = await t.db.owner<
      { n: number }[]
    >`SELECT count(*)::int AS n FROM outbox WHERE event_type = 'document.deposit'`;
    expect(row?.n).toBe(1);
  });
});
