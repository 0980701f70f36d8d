import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp, GP, OPERATOR } from '../helpers/app.ts';
import { loadDirectory } from './notifications.fixtures.ts';

const TEST_OID = 'urn:oid:1.2.250.1.213.1.4.10';
const NIR = '158037505610143';
const PS_SYSTEM = 'urn:oid:1.2.250.1.71.4.2.1';
const R248 = 'https://mos.esante.gouv.fr/NOS/TRE_R248-ModeAcces/FHIR/TRE-R248-ModeAcces';

const codes = (body: string): string[] =>
  (JSON.parse(body) as { issue: { details?: { coding?: { code: string }[] } }[] }).issue.map(
    (i) => i.details?.coding?.[0]?.code ?? '',
  );

function consent(provision: Record<string, unknown>): Record<string, unknown> {
  return {
    resourceType: 'Consent',
    status: 'active',
    scope: {
      coding: [
        { system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' },
      ],
    },
    category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
    patient: { identifier: { system: TEST_OID, value: NIR } },
    provision,
  };
}

const actorPs = (idNatPs: string) => ({
  actor: [{ reference: { identifier: { system: PS_SYSTEM, value: idNatPs } } }],
});

describe('authorizations, blocks and emergency objections as FHIR Consent', () => {
  let t: TestApp;
  let gp: string;
  let patient: string;
  let patientId: string;
  const json = (token: string) => ({
    authorization: `Bearer ${token}`,
    'content-type': 'application/fhir+json',
  });

  async function standing(token: string): Promise<Record<string, unknown>> {
    const res = await t.app.inject({
      method: 'GET',
      url: `/fhir/Patient?identifier=${encodeURIComponent(`${TEST_OID}|${NIR}`)}`,
      headers: { authorization: `Bearer ${token}` },
    });
    const bundle = res.json() as {
      entry: {
        resource: {
          extension: { url: string; extension: { url: string; valueBoolean?: boolean }[] }[];
        };
      }[];
    };
    const ext = bundle.entry[0]?.resource.extension.find((e) =>
      e.url.endsWith('dmp-caller-standing'),
    );
    return Object.fromEntries((ext?.extension ?? []).map((e) => [e.url, e.valueBoolean]));
  }

  beforeAll(async () => {
    t = await buildTestApp();
    await loadDirectory(t.db.owner);
    const operator = await t.token(OPERATOR);
    const created = await t.app.inject({
      method: 'POST',
      url: '/fhir/Patient',
      headers: json(operator),
      payload: {
        resourceType: 'Patient',
        identifier: [{ system: TEST_OID, value: NIR }],
        name: [{ use: 'official', family: 'MARTIN', given: ['Jean'] }],
        gender: 'male',
        birthDate: '1958-03-21',
      },
    });
    patientId = (created.json() as { id: string }).id;
    gp = await t.token(GP);
    patient = await t.token({ kind: 'patient', ins: NIR });
  });
  afterAll(async () => {
    await t.close();
  });

  it('a professional declares the patient consent and becomes authorized (TD0.2 says so)', async () => {
    expect((await standing(gp))['authorized']).toBe(false);
    const res = await t.app.inject({
      method: 'POST',
      url: '/fhir/Consent',
      headers: json(gp),
      payload: consent(actorPs(GP.idNatPs)),
    });
    expect(res.statusCode).toBe(201);
    expect((await standing(gp))['authorized']).toBe(true);
    const again = await t.app.inject({
      method: 'POST',
      url: '/fhir/Consent',
      headers: json(gp),
      payload: consent(actorPs(GP.idNatPs)),
    });
    expect(again.statusCode).toBe(200);
  });

  it('refuses a professional declaring consent for someone else', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/fhir/Consent',
      headers: json(gp),
      payload: consent(actorPs('810001000016')),
    });
    expect(res.statusCode).toBe(403);
    expect(codes(res.body)).toEqual(['CONSENT_ACTOR_NOT_CALLER']);
  });

  it('the patient lists authorizations, blocks a professional, whose later consent is refused with 403', async () => {
    const list = await t.app.inject({
      method: 'GET',
      url: `/fhir/Consent?patient.identifier=${encodeURIComponent(`${TEST_OID}|${NIR}`)}`,
      headers: { authorization: `Bearer ${patient}` },
    });
    expect(list.statusCode).toBe(200);
    expect((list.json() as { total: number }).total).toBe(1);

    const cardio = await t.token({
      ...GP,
      idNatPs: '810001000016',
      specialty: 'SM04',
      structure: '1750700007',
    });
    const block = await t.app.inject({
      method: 'POST',
      url: '/fhir/Consent',
      headers: json(patient),
      payload: consent({ type: 'deny', ...actorPs('810001000016') }),
    });
    expect(block.statusCode).toBe(201);
    const refused = await t.app.inject({
      method: 'POST',
      url: '/fhir/Consent',
      headers: json(cardio),
      payload: consent(actorPs('810001000016')),
    });
    expect(refused.statusCode).toBe(403);
    expect(codes(refused.body)).toEqual(['ACCESS_BLOCKED']);
    expect((await standing(cardio))['blocked']).toBe(true);

    const blockId = (block.json() as { id: string }).id;
    const unblock = await t.app.inject({
      method: 'DELETE',
      url: `/fhir/Consent/${blockId}`,
      headers: { authorization: `Bearer ${patient}` },
    });
    expect(unblock.statusCode).toBe(204);
    const accepted = await t.app.inject({
      method: 'POST',
      url: '/fhir/Consent',
      headers: json(cardio),
      payload: consent(actorPs('810001000016')),
    });
    expect(accepted.statusCode).toBe(201);
  });

  it('a professional may not list or remove the patient’s authorizations', async () => {
    const list = await t.app.inject({
      method: 'GET',
      url: `/fhir/Consent?patient.identifier=${encodeURIComponent(`${TEST_OID}|${NIR}`)}`,
      headers: { authorization: `Bearer ${gp}` },
    });
    expect(list.statusCode).toBe(403);
  });

  it('the patient objects to bris de glace (NOS or OID system) and TD0.2 reports it closed', async () => {
    const bdg = await t.token({
      ...GP,
      idNatPs: '810001000024',
      structure: '1750300000',
      mode: 'bris_de_glace',
      reason: 'Patient inconscient aux urgences',
      ins: NIR,
    });
    expect((await standing(bdg))['bris_de_glace']).toBe(true);
    const obj = await t.app.inject({
      method: 'POST',
      url: '/fhir/Consent',
      headers: json(patient),
      payload: consent({
        type: 'deny',
        purpose: [{ system: 'urn:oid:1.2.250.1.213.1.1.4.248', code: 'bris_de_glace' }],
      }),
    });
    expect(obj.statusCode).toBe(201);
    expect(JSON.stringify(obj.json())).toContain(R248);
    expect((await standing(bdg))['bris_de_glace']).toBe(false);
    const bad = await t.app.inject({
      method: 'POST',
      url: '/fhir/Consent',
      headers: json(patient),
      payload: consent({ type: 'deny', purpose: [{ system: R248, code: 'normal' }] }),
    });
    expect(bad.statusCode).toBe(400);
    expect(codes(bad.body)).toEqual(['CONSENT_PURPOSE']);
  });

  it('the patient sets the médecin traitant through Patient.generalPractitioner', async () => {
    const kine = await t.token({
      kind: 'professional',
      idNatPs: '810001000081',
      profession: '70',
      structure: '1750800005',
      mode: 'normal',
    });
    const res = await t.app.inject({
      method: 'PATCH',
      url: `/fhir/Patient/${patientId}`,
      headers: {
        authorization: `Bearer ${patient}`,
        'content-type': 'application/json-patch+json',
      },
      payload: [
        {
          op: 'add',
          path: '/generalPractitioner',
          value: [{ identifier: { system: PS_SYSTEM, value: '810001000008' } }],
        },
      ],
    });
    expect(res.statusCode).toBe(200);
    const mt = await t.token({ ...GP, idNatPs: '810001000008', structure: '1750600009' });
    expect(await standing(mt)).toMatchObject({ medecinTraitant: true, authorized: true });
    const byPro = await t.app.inject({
      method: 'PATCH',
      url: `/fhir/Patient/${patientId}`,
      headers: { authorization: `Bearer ${kine}`, 'content-type': 'application/json-patch+json' },
      payload: [{ op: 'remove', path: '/generalPractitioner' }],
    });
    expect(byPro.statusCode).toBe(403);
  });

  it('traces every consent change and denial on the record', async () => {
    const rows = await t.db.owner<{ action: string; outcome: string }[]>`
      SELECT action, outcome FROM audit_event WHERE patient_id = ${patientId} ORDER BY seq`;
    const seen = rows.map((r) => `${r.action}:${r.outcome}`);
    expect(seen).toContain('consent.authorization:success');
    expect(seen).toContain('consent.authorization:denied');
    expect(seen).toContain('consent.block:success');
    expect(seen).toContain('consent.block.end:success');
    expect(seen).toContain('consent.emergency-objection:success');
    expect(seen).toContain('record.medecin-traitant:success');
    expect(seen).toContain('record.medecin-traitant:denied');
  });
});
