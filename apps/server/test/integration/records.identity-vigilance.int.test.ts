import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp, OPERATOR } from '../helpers/app.ts';
import * as fx from './documents.fixtures.ts';
import type { Json } from './documents.fixtures.ts';

/**
 * Issue 17 rule 8 (identity vigilance): the TD0.2 answer (GET /fhir/Patient?identifier=…) carries the record's
 * identity traits — birth name, used name, first names, sex, birth date — to a professional who may consult the
 * record, so that their software compares them with its own qualified identity; a professional without access
 * learns existence and standing only; a structure's software never gets them. Each decision is traced.
 */
const PS = {
  kind: 'professional',
  idNatPs: '810001000016',
  profession: '10',
  specialty: 'SM04',
  structure: '1750700007',
  mode: 'normal',
};
const STRANGER = { ...PS, idNatPs: '810001000040', structure: '1750800005' };
const SOFTWARE = {
  kind: 'software',
  structure: '1750700007',
  id: 'lps-hospital',
  profile: 'deposit',
};

describe('TD0.2 identity traits for professionals (issue 17 rule 8)', () => {
  let t: TestApp;
  let patientId: string;
  const ins = fx.nir('2790351215189');
  const auth = (token: string) => ({ authorization: `Bearer ${token}` });
  const td02 = async (token: string): Promise<Json> => {
    const res = await t.app.inject({
      method: 'GET',
      url: `/fhir/Patient?identifier=${encodeURIComponent(`${fx.TEST_SYSTEM}|${ins}`)}`,
      headers: auth(token),
    });
    expect(res.statusCode, res.body).toBe(200);
    const bundle = res.json<{ total: number; entry: { resource: Json }[] }>();
    expect(bundle.total).toBe(1);
    return bundle.entry[0]?.resource as Json;
  };
  const identityTraces = (actorId: string) =>
    t.db.owner<{ outcome: string; reason_code: string | null; via: string | null }[]>`
      SELECT outcome, reason_code, detail->>'via' AS via FROM audit_event
      WHERE patient_id = ${patientId} AND action = 'record.identity' AND actor_id = ${actorId} ORDER BY seq`;

  beforeAll(async () => {
    t = await buildTestApp();
    const operator = await t.token(OPERATOR);
    const body = fx.patientBody(ins);
    const res = await t.app.inject({
      method: 'POST',
      url: '/fhir/Patient',
      headers: { ...auth(operator), 'content-type': 'application/fhir+json' },
      payload: {
        ...body,
        name: [
          { use: 'official', family: 'LEROUX', given: ['Camille', 'Anne'] },
          { use: 'usual', family: 'MARCHAND', given: ['Camille'] },
        ],
      },
    });
    expect(res.statusCode, res.body).toBe(201);
    patientId = String(res.json<Json>()['id']);
  });
  afterAll(async () => {
    await t.close();
  });

  it('a professional without access learns existence and standing only; the withholding is traced', async () => {
    const stranger = await t.token(STRANGER);
    const patient = await td02(stranger);
    expect(patient['active']).toBe(true);
    expect(patient['name']).toBeUndefined();
    expect(patient['gender']).toBeUndefined();
    expect(patient['birthDate']).toBeUndefined();
    expect(JSON.stringify(patient)).not.toMatch(/LEROUX|MARCHAND|Camille/);
    expect(JSON.stringify(patient['extension'])).toContain('"authorized"');
    expect(await identityTraces(STRANGER.idNatPs)).toEqual([
      { outcome: 'denied', reason_code: 'ACCESS_NO_AUTHORIZATION', via: null },
    ]);
  });

  it('once authorized, the same professional gets birth name, used name, first names, sex and birth date', async () => {
    const ps = await t.token(PS);
    expect((await td02(ps))['name']).toBeUndefined();
    const consent = await t.app.inject({
      method: 'POST',
      url: '/fhir/Consent',
      headers: { ...auth(ps), 'content-type': 'application/fhir+json' },
      payload: fx.consentBody(ins, PS.idNatPs),
    });
    expect(consent.statusCode, consent.body).toBeLessThan(300);
    const patient = await td02(ps);
    expect(patient['name']).toEqual([
      { use: 'official', family: 'LEROUX', given: ['Camille', 'Anne'] },
      { use: 'usual', family: 'MARCHAND', given: ['Camille', 'Anne'] },
    ]);
    expect(patient['gender']).toBe('female');
    expect(patient['birthDate']).toBe(fx.patientBody(ins)['birthDate']);
    expect(patient['identifier']).toEqual([{ system: fx.TEST_SYSTEM, value: ins }]);
    expect(await identityTraces(PS.idNatPs)).toEqual([
      { outcome: 'denied', reason_code: 'ACCESS_NO_AUTHORIZATION', via: null },
      { outcome: 'success', reason_code: null, via: 'consent' },
    ]);
  });

  it('a professional in bris de glace on this record gets them too', async () => {
    const emergency = await t.token({
      ...STRANGER,
      idNatPs: '810001000057',
      mode: 'bris_de_glace',
      reason: 'Patiente inconsciente aux urgences',
      ins,
    });
    expect((await td02(emergency))['name']).toBeDefined();
  });

  it('a structure’s software never gets them', async () => {
    const software = await t.token(SOFTWARE);
    const patient = await td02(software);
    expect(patient['name']).toBeUndefined();
    expect(patient['birthDate']).toBeUndefined();
  });

  it('the patient reads their own used name', async () => {
    const patient = await t.token({ kind: 'patient', ins });
    expect(JSON.stringify((await td02(patient))['name'])).toContain('MARCHAND');
  });
});
