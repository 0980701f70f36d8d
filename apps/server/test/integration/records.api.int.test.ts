import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp, GP, OPERATOR } from '../helpers/app.ts';
import { validateFhirResource } from '../../src/validation/fhir-schema.ts';

const TEST_OID = 'urn:oid:1.2.250.1.213.1.4.10';
const GOOD_NIR = '158037505610143';
const BAD_KEY_NIR = '158037505610144';

function patientBody(
  nir: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    resourceType: 'Patient',
    identifier: [{ system: TEST_OID, value: nir }],
    name: [{ use: 'official', family: 'MARTIN', given: ['Jean', 'Pierre'] }],
    gender: 'male',
    birthDate: '1958-03-21',
    extension: [
      { url: 'https://opendmp.fr/fhir/StructureDefinition/birth-place-code', valueCode: '75056' },
    ],
    ...overrides,
  };
}

function codes(body: string): string[] {
  const oo = JSON.parse(body) as { issue: { details?: { coding?: { code: string }[] } }[] };
  return oo.issue.map((i) => i.details?.coding?.[0]?.code ?? '');
}

describe('record lifecycle over FHIR', () => {
  let t: TestApp;
  let operator: string;
  let gp: string;
  const auth = (token: string) => ({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    t = await buildTestApp();
    operator = await t.token(OPERATOR);
    gp = await t.token(GP);
  });
  afterAll(async () => {
    await t.close();
  });

  async function create(nir: string, overrides: Record<string, unknown> = {}) {
    return t.app.inject({
      method: 'POST',
      url: '/fhir/Patient',
      headers: { ...auth(operator), 'content-type': 'application/fhir+json' },
      payload: patientBody(nir, overrides),
    });
  }

  async function lookup(token: string, nir: string) {
    return t.app.inject({
      method: 'GET',
      url: `/fhir/Patient?identifier=${encodeURIComponent(`${TEST_OID}|${nir}`)}`,
      headers: auth(token),
    });
  }

  it('serves an R4 CapabilityStatement without a token', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/fhir/metadata' });
    expect(res.statusCode).toBe(200);
    const cs = res.json() as { resourceType: string; fhirVersion: string; kind: string };
    expect(cs).toMatchObject({
      resourceType: 'CapabilityStatement',
      fhirVersion: '4.0.1',
      kind: 'instance',
    });
    // valid against the official FHIR R4 JSON schema, and the same check catches a broken one
    expect(validateFhirResource(cs, 'CapabilityStatement')).toEqual([]);
    expect(validateFhirResource({ ...cs, kind: 'nonsense' }, 'CapabilityStatement')).not.toEqual(
      [],
    );
  });

  it('refuses a request without a token with 401', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: `/fhir/Patient?identifier=${TEST_OID}|${GOOD_NIR}`,
    });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ resourceType: 'OperationOutcome' });
  });

  it('refuses a NIR with a wrong key with 400 and a stable code, and stores nothing', async () => {
    const res = await create(BAD_KEY_NIR);
    expect(res.statusCode).toBe(400);
    expect(codes(res.body)).toContain('ID_INS_KEY');
    const [row] = await t.db.owner`SELECT count(*)::int AS n FROM patient_record`;
    expect(row?.['n']).toBe(0);
  });

  it('locates each refusal of a Patient on its FHIRPath (issue 18: the core names the neutral field)', async () => {
    const refusals = async (overrides: Record<string, unknown>, nir = GOOD_NIR) => {
      const res = await create(nir, overrides);
      expect(res.statusCode, res.body).toBe(400);
      const oo = res.json() as {
        issue: { details?: { coding?: { code: string }[] }; expression?: string[] }[];
      };
      return oo.issue.map((i) => [i.details?.coding?.[0]?.code, ...(i.expression ?? [])]);
    };
    expect(await refusals({}, BAD_KEY_NIR)).toEqual([
      ['ID_INS_KEY', 'Patient.identifier[0].value'],
    ]);
    expect(await refusals({ identifier: [{ system: 'urn:oid:1.2.3', value: 'x' }] })).toEqual([
      ['REC_INS_REQUIRED', 'Patient.identifier'],
    ]);
    expect(await refusals({ name: [{ use: 'usual', text: 'Jean Martin' }] })).toEqual([
      ['REC_BIRTH_NAME_REQUIRED', 'Patient.name'],
      ['REC_GIVEN_NAME_REQUIRED', 'Patient.name'],
    ]);
    expect(await refusals({ birthDate: '2999-01-01' })).toEqual([
      ['REC_BIRTH_DATE_FUTURE', 'Patient.birthDate'],
      ['REC_TRAITS_MISMATCH', 'Patient.birthDate'],
    ]);
    expect(await refusals({ gender: 'female' })).toEqual([
      ['REC_TRAITS_MISMATCH', 'Patient.gender'],
    ]);
    expect(
      await refusals({
        extension: [
          {
            url: 'https://opendmp.fr/fhir/StructureDefinition/birth-place-code',
            valueCode: '7505',
          },
        ],
      }),
    ).toEqual([['REC_BIRTH_PLACE_INVALID', 'Patient.extension']]);
    const [row] = await t.db.owner`SELECT count(*)::int AS n FROM patient_record`;
    expect(row?.['n']).toBe(0);
  });

  it('refuses creation for an INS with a registered opposition, with a clear outcome', async () => {
    const nir = '170066444512141';
    const reg = await t.app.inject({
      method: 'POST',
      url: '/fhir/Patient/$opposition',
      headers: { ...auth(operator), 'content-type': 'application/fhir+json' },
      payload: {
        resourceType: 'Parameters',
        parameter: [
          { name: 'identifier', valueIdentifier: { system: TEST_OID, value: nir } },
          { name: 'action', valueCode: 'register' },
        ],
      },
    });
    expect(reg.statusCode).toBe(200);
    const res = await create(nir, { birthDate: '1970-06-23' });
    expect(res.statusCode).toBe(422);
    expect(codes(res.body)).toEqual(['REC_OPPOSITION']);
    expect((await lookup(gp, nir)).json()).toMatchObject({ total: 0 });
    const [trace] = await t.db
      .owner`SELECT outcome, reason_code FROM system_audit_event WHERE action = 'record.create'`;
    expect(trace).toMatchObject({ outcome: 'denied', reason_code: 'REC_OPPOSITION' });
  });

  it('creates a record (201) that the TD0.2 search finds active, without traits for a professional', async () => {
    const res = await create(GOOD_NIR);
    expect(res.statusCode).toBe(201);
    expect(res.headers['location']).toMatch(/\/fhir\/Patient\/[0-9a-f-]{36}/);
    const found = await lookup(gp, GOOD_NIR);
    expect(found.statusCode).toBe(200);
    const bundle = found.json() as {
      total: number;
      entry: { resource: Record<string, unknown> }[];
    };
    expect(bundle.total).toBe(1);
    const patient = bundle.entry[0]?.resource ?? {};
    expect(patient['active']).toBe(true);
    expect(patient['name']).toBeUndefined();
    expect(patient['birthDate']).toBeUndefined();
    expect(patient['gender']).toBeUndefined();
    expect(JSON.stringify(patient)).not.toContain('MARTIN');
  });

  it('refuses a second record for the same INS with 409', async () => {
    const res = await create(GOOD_NIR);
    expect(res.statusCode).toBe(409);
    expect(codes(res.body)).toEqual(['REC_ALREADY_EXISTS']);
  });

  it('refuses record creation by a professional with 403', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/fhir/Patient',
      headers: { ...auth(gp), 'content-type': 'application/fhir+json' },
      payload: patientBody('262076912310249', { gender: 'female', birthDate: '1962-07-22' }),
    });
    expect(res.statusCode).toBe(403);
  });

  it('closes for death, reports it to TD0.2, and lets only the operator reopen', async () => {
    const created = await create('262076912310249', { gender: 'female', birthDate: '1962-07-22' });
    const id = (created.json() as { id: string }).id;
    const close = await t.app.inject({
      method: 'POST',
      url: `/fhir/Patient/${id}/$close`,
      headers: { ...auth(operator), 'content-type': 'application/fhir+json' },
      payload: { resourceType: 'Parameters', parameter: [{ name: 'reason', valueCode: 'death' }] },
    });
    expect(close.statusCode).toBe(200);
    const status = (await lookup(gp, '262076912310249')).json() as {
      entry: { resource: { active: boolean; extension: unknown[] } }[];
    };
    const resource = status.entry[0]?.resource;
    expect(resource?.active).toBe(false);
    expect(JSON.stringify(resource?.extension)).toContain('"closureReason"');
    expect(JSON.stringify(resource?.extension)).toContain('"death"');

    const holder = await t.token({ kind: 'patient', ins: '262076912310249' });
    const holderReopen = await t.app.inject({
      method: 'POST',
      url: `/fhir/Patient/${id}/$reopen`,
      headers: auth(holder),
    });
    expect(holderReopen.statusCode).toBe(403);
    const again = await t.app.inject({
      method: 'POST',
      url: `/fhir/Patient/${id}/$close`,
      headers: { ...auth(operator), 'content-type': 'application/fhir+json' },
      payload: {
        resourceType: 'Parameters',
        parameter: [{ name: 'reason', valueCode: 'operator-decision' }],
      },
    });
    expect(again.statusCode).toBe(409);
    const reopen = await t.app.inject({
      method: 'POST',
      url: `/fhir/Patient/${id}/$reopen`,
      headers: auth(operator),
    });
    expect(reopen.statusCode).toBe(200);
    expect((reopen.json() as { active: boolean }).active).toBe(true);
  });

  it('lets the holder close and reopen their own record, but not someone else’s', async () => {
    const created = await create('175111305510370', { birthDate: '1975-11-23' });
    const id = (created.json() as { id: string }).id;
    const holder = await t.token({ kind: 'patient', ins: '175111305510370' });
    const stranger = await t.token({ kind: 'patient', ins: GOOD_NIR });
    const denied = await t.app.inject({
      method: 'POST',
      url: `/fhir/Patient/${id}/$close`,
      headers: auth(stranger),
    });
    // As if the record did not exist (issue 16): a 403 would tell that it does.
    expect(denied.statusCode).toBe(404);
    expect(denied.json()).toMatchObject({
      issue: [{ details: { coding: [{ code: 'REC_NOT_FOUND' }] } }],
    });
    const close = await t.app.inject({
      method: 'POST',
      url: `/fhir/Patient/${id}/$close`,
      headers: auth(holder),
    });
    expect(close.statusCode).toBe(200);
    expect((close.json() as { active: boolean }).active).toBe(false);
    const reopen = await t.app.inject({
      method: 'POST',
      url: `/fhir/Patient/${id}/$reopen`,
      headers: auth(holder),
    });
    expect(reopen.statusCode).toBe(200);
    const traces = await t.db.owner<{ action: string; outcome: string }[]>`
      SELECT action, outcome FROM audit_event WHERE patient_id = ${id} ORDER BY seq`;
    expect(traces.map((r) => `${r.action}:${r.outcome}`)).toEqual([
      'record.create:success',
      'record.close:denied',
      'record.close:success',
      'record.reopen:success',
    ]);
  });

  it('purges a record whose deletion was requested, leaving only a tombstone', async () => {
    const created = await create('281023306310462', { gender: 'female', birthDate: '1981-02-24' });
    const id = (created.json() as { id: string }).id;
    const holder = await t.token({ kind: 'patient', ins: '281023306310462' });
    const before = await t.app.inject({
      method: 'GET',
      url: `/fhir/DocumentReference?patient.identifier=${encodeURIComponent('urn:oid:1.2.250.1.213.1.4.10|281023306310462')}`,
      headers: auth(holder),
    });
    expect(before.statusCode).toBe(200);
    const req = await t.app.inject({
      method: 'POST',
      url: `/fhir/Patient/${id}/$request-deletion`,
      headers: auth(holder),
    });
    expect(req.statusCode).toBe(200);
    expect((req.json() as { active: boolean }).active).toBe(false);
    const { purgeDueRecords } = await import('../../src/services/records.ts');
    t.clock.offsetMs = 24 * 3600 * 1000;
    const result = await purgeDueRecords(t.deps);
    t.clock.offsetMs = 0;
    expect(result.purged).toBe(1);
    const [rec] = await t.db
      .owner`SELECT count(*)::int AS n FROM patient_record WHERE patient_id = ${id}`;
    expect(rec?.['n']).toBe(0);
    const [audits] = await t.db
      .owner`SELECT count(*)::int AS n FROM audit_event WHERE patient_id = ${id}`;
    expect(audits?.['n']).toBe(0);
    const [tomb] = await t.db
      .owner`SELECT ins, purge_reason FROM record_tombstone WHERE patient_id = ${id}`;
    expect(tomb).toMatchObject({ ins: '281023306310462', purge_reason: 'deletion-requested' });
    expect((await lookup(gp, '281023306310462')).json()).toMatchObject({ total: 0 });

    // The same INS gets a new record: requests by INS reach the new one, never the purged one.
    const again = await create('281023306310462', { gender: 'female', birthDate: '1981-02-24' });
    const newId = (again.json() as { id: string }).id;
    expect(newId).not.toBe(id);
    const search = await t.app.inject({
      method: 'GET',
      url: `/fhir/DocumentReference?patient.identifier=${encodeURIComponent('urn:oid:1.2.250.1.213.1.4.10|281023306310462')}`,
      headers: auth(holder),
    });
    expect(search.statusCode).toBe(200);
    const [traced] = await t.db.owner`SELECT count(*)::int AS n FROM audit_event
      WHERE patient_id = ${newId} AND action = 'document.search'`;
    expect(traced?.['n']).toBe(1);
  });

  it('keeps a closed record for ten years, then purges it', async () => {
    const created = await create('190055935010509', { birthDate: '1990-05-25' });
    const id = (created.json() as { id: string }).id;
    await t.app.inject({
      method: 'POST',
      url: `/fhir/Patient/${id}/$close`,
      headers: { ...auth(operator), 'content-type': 'application/fhir+json' },
      payload: {
        resourceType: 'Parameters',
        parameter: [{ name: 'reason', valueCode: 'operator-decision' }],
      },
    });
    const { purgeDueRecords } = await import('../../src/services/records.ts');
    t.clock.offsetMs = 9 * 365 * 24 * 3600 * 1000;
    expect((await purgeDueRecords(t.deps)).purged).toBe(0);
    t.clock.offsetMs = 10 * 366 * 24 * 3600 * 1000;
    expect((await purgeDueRecords(t.deps)).purged).toBe(1);
    t.clock.offsetMs = 0;
    const [tomb] = await t.db
      .owner`SELECT purge_reason FROM record_tombstone WHERE patient_id = ${id}`;
    expect(tomb).toMatchObject({ purge_reason: 'retention-expired' });
  });

  it('forbids the application role to alter traces', async () => {
    await expect(t.db.sql`UPDATE audit_event SET action = 'x'`).rejects.toThrow(
      /permission denied/,
    );
    await expect(t.db.sql`DELETE FROM audit_event`).rejects.toThrow(/permission denied/);
  });
});
