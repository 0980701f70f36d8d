import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemoData } from '../../src/demo/load.ts';
import { loadDemoProfiles } from '../../src/demo/profiles.ts';
import { purgeDueRecords } from '../../src/services/records.ts';
import { parseCda } from '../../src/validation/cda.ts';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp, OPERATOR } from '../helpers/app.ts';

const TEST_OID = 'urn:oid:1.2.250.1.213.1.4.10';
const NIR = '175111305510370'; // THOMAS: no médecin traitant
const MINOR = '112019205011928'; // FOURNIER Noah, represented by Marc FOURNIER
const SUBJECT = { identifier: { system: TEST_OID, value: NIR } };
const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';
const PS = 'urn:oid:1.2.250.1.71.4.2.1';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions walk FHIR JSON
type Json = Record<string, any>;
type Bundle = { entry: { resource: Json }[]; link: { relation: string; url: string }[] };
const codes = (body: string): string[] =>
  (JSON.parse(body) as { issue: { details?: { coding?: { code: string }[] } }[] }).issue.map(
    (i) => i.details?.coding?.[0]?.code ?? '',
  );

const pro = (idNatPs: string, profession: string, structure: string, specialty?: string) => ({
  kind: 'professional',
  idNatPs,
  profession,
  ...(specialty ? { specialty } : {}),
  structure,
  mode: 'normal',
});

describe('medical profile', () => {
  let t: TestApp;
  let patient: string;
  let patientId: string;
  const created: Record<string, string> = {};
  const auth = (token: string) => ({ authorization: `Bearer ${token}` });
  const json = (token: string) => ({ ...auth(token), 'content-type': 'application/fhir+json' });
  const post = (token: string, type: string, body: Json) =>
    t.app.inject({ method: 'POST', url: `/fhir/${type}`, headers: json(token), payload: body });
  const get = (token: string, url: string) =>
    t.app.inject({ method: 'GET', url, headers: auth(token) });
  const byIns = (ins: string) => `patient.identifier=${encodeURIComponent(`${TEST_OID}|${ins}`)}`;

  async function consent(token: string, idNatPs: string): Promise<void> {
    const res = await t.app.inject({
      method: 'POST',
      url: '/fhir/Consent',
      headers: json(token),
      payload: {
        resourceType: 'Consent',
        status: 'active',
        scope: {
          coding: [
            {
              system: 'http://terminology.hl7.org/CodeSystem/consentscope',
              code: 'patient-privacy',
            },
          ],
        },
        category: [{ coding: [{ system: LOINC, code: '59284-0' }] }],
        patient: { identifier: { system: TEST_OID, value: NIR } },
        provision: {
          type: 'permit',
          actor: [{ reference: { identifier: { system: PS, value: idNatPs } } }],
        },
      },
    });
    expect(res.statusCode).toBe(201);
  }

  beforeAll(async () => {
    t = await buildTestApp({ masterKey: randomBytes(32).toString('base64') });
    await loadDemoData(t.deps);
    patient = await t.token({ kind: 'patient', ins: NIR });
    const [row] = await t.db.owner`SELECT patient_id FROM ins_index WHERE ins = ${NIR}`;
    patientId = row?.['patient_id'] as string;
  });
  afterAll(async () => {
    await t.close();
  });

  it('the patient creates entries of every section, validated, with the patient as author', async () => {
    const bodies: [string, string, Json][] = [
      [
        'condition',
        'Condition',
        {
          resourceType: 'Condition',
          subject: SUBJECT,
          code: {
            coding: [{ system: 'http://hl7.org/fhir/sid/icd-10', code: 'J45', display: 'Asthme' }],
          },
          recorder: { reference: 'Practitioner/someone' },
        },
      ],
      [
        'allergy',
        'AllergyIntolerance',
        {
          resourceType: 'AllergyIntolerance',
          patient: SUBJECT,
          code: { text: 'Pénicilline' },
          criticality: 'high',
        },
      ],
      [
        'treatment',
        'MedicationStatement',
        {
          resourceType: 'MedicationStatement',
          status: 'active',
          subject: SUBJECT,
          medicationCodeableConcept: { text: 'Salbutamol' },
        },
      ],
      [
        'vaccine',
        'Immunization',
        {
          resourceType: 'Immunization',
          status: 'completed',
          patient: SUBJECT,
          vaccineCode: { text: 'Grippe' },
          occurrenceDateTime: '2025-10-15',
        },
      ],
      [
        'weight',
        'Observation',
        {
          resourceType: 'Observation',
          status: 'final',
          subject: SUBJECT,
          code: { coding: [{ system: LOINC, code: '29463-7' }] },
          effectiveDateTime: '2025-10-15',
          valueQuantity: { value: 80, unit: 'kg', system: UCUM, code: 'kg' },
        },
      ],
      [
        'directives',
        'Observation',
        {
          resourceType: 'Observation',
          status: 'final',
          subject: SUBJECT,
          code: { coding: [{ system: LOINC, code: '42348-3' }] },
          valueString: 'Pas de réanimation.',
        },
      ],
      [
        'trusted',
        'RelatedPerson',
        {
          resourceType: 'RelatedPerson',
          patient: SUBJECT,
          name: [{ family: 'THOMAS', given: ['Julie'] }],
          relationship: [
            {
              coding: [
                {
                  system: 'https://opendmp.fr/fhir/CodeSystem/profile-relationship',
                  code: 'personne-de-confiance',
                },
              ],
            },
          ],
        },
      ],
    ];
    for (const [key, type, body] of bodies) {
      const res = await post(patient, type, body);
      expect(res.statusCode, `${key}: ${res.body}`).toBe(201);
      const r = res.json() as Json;
      created[key] = r['id'] as string;
      expect(res.headers['location']).toContain(`/fhir/${type}/${r['id']}`);
      expect(r['meta'].tag).toContainEqual({
        system: 'https://opendmp.fr/fhir/CodeSystem/profile-author',
        code: 'patient',
      });
    }
    const condition = (
      await get(patient, `/fhir/Condition/${created['condition']}`)
    ).json() as Json;
    expect(condition).toMatchObject({
      subject: { reference: `Patient/${patientId}`, identifier: { value: NIR } },
      recorder: { reference: `Patient/${patientId}` },
      asserter: { reference: `Patient/${patientId}` },
    });
  });

  it('refuses invalid entries with located codes, and writes by anyone but the holder side', async () => {
    const badUnit = await post(patient, 'Observation', {
      resourceType: 'Observation',
      status: 'final',
      subject: SUBJECT,
      code: { coding: [{ system: LOINC, code: '29463-7' }] },
      effectiveDateTime: '2025-10-15',
      valueQuantity: { value: 170, system: UCUM, code: '[lb_av]' },
    });
    expect(badUnit.statusCode).toBe(422);
    expect(codes(badUnit.body)).toEqual(['PROFILE_UNIT']);
    const structure = await post(patient, 'Condition', {
      resourceType: 'Condition',
      subject: SUBJECT,
      code: { text: 'x' },
      onsetDateTime: 12,
    });
    expect(structure.statusCode).toBe(400);
    const wrongType = await post(patient, 'Condition', {
      resourceType: 'AllergyIntolerance',
      patient: SUBJECT,
      code: { text: 'x' },
    });
    expect(wrongType.statusCode).toBe(400);

    const gp = await t.token(pro('810001000008', '10', '1750600009', 'SM26'));
    const byPro = await post(gp, 'Condition', {
      resourceType: 'Condition',
      subject: SUBJECT,
      code: { text: 'HTA' },
    });
    expect(byPro.statusCode).toBe(403);
    expect(codes(byPro.body)).toEqual(['ACCESS_ACTION_NOT_PERMITTED']);
    const other = await t.token({ kind: 'patient', ins: '158037505610143' });
    const intoOther = await post(other, 'Condition', {
      resourceType: 'Condition',
      subject: SUBJECT,
      code: { text: 'HTA' },
    });
    expect(intoOther.statusCode).toBe(403);
    expect(codes(intoOther.body)).toEqual(['ACCESS_NOT_HOLDER']);
  });

  it('an authorized médecin sees the entries, an unauthorized one does not, and each read is in the access history', async () => {
    const search = (token: string, type: string) => get(token, `/fhir/${type}?${byIns(NIR)}`);
    const cardio = await t.token(pro('810001000016', '10', '1750700007', 'SM04'));
    const refused = await search(cardio, 'Condition');
    expect(refused.statusCode).toBe(403);
    expect(codes(refused.body)).toEqual(['ACCESS_NO_AUTHORIZATION']);
    const byId = await get(cardio, `/fhir/Condition/${created['condition']}`);
    expect(byId.statusCode).toBe(403);
    expect(codes(byId.body)).toEqual(['ACCESS_NO_AUTHORIZATION']);

    const medecin = await t.token(pro('899700366240', '10', '1750300000', 'SM26'));
    await consent(medecin, '899700366240');
    const conditions = (await search(medecin, 'Condition')).json() as Bundle;
    expect(conditions.entry.map((e) => e.resource['id'])).toEqual([created['condition']]);
    const observations = (await search(medecin, 'Observation')).json() as Bundle;
    expect(observations.entry.map((e) => e.resource['id']).sort()).toEqual(
      [created['weight'], created['directives']].sort(),
    );
    expect((await get(medecin, `/fhir/AllergyIntolerance/${created['allergy']}`)).statusCode).toBe(
      200,
    );
    const whole = (await get(medecin, `/fhir/Patient/${patientId}/$profile`)).json() as Bundle;
    expect(whole.entry).toHaveLength(7);

    // A dentist with consent sees the profile but not the advance directives (matrix type exception EXPPAT_3).
    const dentist = await t.token(pro('810001000057', '40', '1690100003'));
    await consent(dentist, '810001000057');
    const dentistView = (await search(dentist, 'Observation')).json() as Bundle;
    expect(dentistView.entry.map((e) => e.resource['id'])).toEqual([created['weight']]);
    expect((await get(dentist, `/fhir/Observation/${created['directives']}`)).statusCode).toBe(404);

    const operator = await search(await t.token(OPERATOR), 'Condition');
    expect(operator.statusCode).toBe(403);
    expect(codes(operator.body)).toEqual(['ACCESS_OPERATOR_NO_CLINICAL']);

    const history = await get(patient, `/fhir/AuditEvent?${byIns(NIR)}&_count=200`);
    expect(history.statusCode).toBe(200);
    const rows = await t.db
      .owner`SELECT action, outcome, actor_id, entity_type, entity_id, reason_code, detail FROM audit_event
      WHERE patient_id = ${patientId} AND action LIKE 'profile.%' ORDER BY seq`;
    const reads = rows.filter(
      (r) => r['outcome'] === 'success' && r['actor_id'] === '899700366240',
    );
    expect(reads.map((r) => r['action'])).toEqual([
      'profile.search',
      'profile.search',
      'profile.read',
      'profile.search',
    ]);
    expect(reads.find((r) => r['action'] === 'profile.read')).toMatchObject({
      entity_type: 'AllergyIntolerance',
      entity_id: created['allergy'],
    });
    expect(
      rows
        .filter((r) => r['outcome'] === 'denied' && r['actor_id'] === '810001000016')
        .map((r) => r['reason_code']),
    ).toEqual(['ACCESS_NO_AUTHORIZATION', 'ACCESS_NO_AUTHORIZATION']);
    expect(rows.some((r) => JSON.stringify(r['detail']).includes('Asthme'))).toBe(false);
  });

  it('updates with If-Match, deletes, and a deleted entry is never served again', async () => {
    const id = created['treatment'] as string;
    const body = {
      resourceType: 'MedicationStatement',
      id,
      status: 'stopped',
      subject: SUBJECT,
      medicationCodeableConcept: { text: 'Salbutamol' },
    };
    const stale = await t.app.inject({
      method: 'PUT',
      url: `/fhir/MedicationStatement/${id}`,
      headers: { ...json(patient), 'if-match': 'W/"7"' },
      payload: body,
    });
    expect(stale.statusCode).toBe(409);
    const ok = await t.app.inject({
      method: 'PUT',
      url: `/fhir/MedicationStatement/${id}`,
      headers: { ...json(patient), 'if-match': 'W/"1"' },
      payload: body,
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['etag']).toBe('W/"2"');
    expect((ok.json() as Json)['status']).toBe('stopped');
    const del = await t.app.inject({
      method: 'DELETE',
      url: `/fhir/MedicationStatement/${id}`,
      headers: auth(patient),
    });
    expect(del.statusCode).toBe(204);
    expect((await get(patient, `/fhir/MedicationStatement/${id}`)).statusCode).toBe(404);
    const list = (await get(patient, `/fhir/MedicationStatement?${byIns(NIR)}`)).json() as Bundle;
    expect(list.entry).toHaveLength(0);
  });

  it('concurrent writes to one record queue instead of deadlocking', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        post(patient, 'Observation', {
          resourceType: 'Observation',
          status: 'final',
          subject: SUBJECT,
          code: { coding: [{ system: LOINC, code: '8867-4' }] },
          effectiveDateTime: `2025-01-${String(i + 10)}`,
          valueQuantity: { value: 60 + i, system: UCUM, code: '/min' },
        }),
      ),
    );
    expect(results.map((r) => r.statusCode)).toEqual(Array.from({ length: 8 }, () => 201));
    for (const r of results) {
      await t.app.inject({
        method: 'DELETE',
        url: `/fhir/Observation/${(r.json() as Json)['id']}`,
        headers: auth(patient),
      });
    }
  });

  it('a legal representative writes the minor’s profile, as representative', async () => {
    // Hugo SIMON (born 2012), whose mother the demo loader registers with her own identifier (issue 17 rule 1).
    const hugo = '112087505611139';
    const rep = await t.token({
      kind: 'representative',
      ins: hugo,
      id: '284067505600131',
      name: 'Claire SIMON',
    });
    const res = await post(rep, 'Immunization', {
      resourceType: 'Immunization',
      status: 'completed',
      patient: { identifier: { system: TEST_OID, value: hugo } },
      vaccineCode: { text: 'ROR' },
      occurrenceDateTime: '2010-06-01',
    });
    expect(res.statusCode).toBe(201);
    expect((res.json() as Json)['meta'].tag).toContainEqual({
      system: 'https://opendmp.fr/fhir/CodeSystem/profile-author',
      code: 'representative',
    });
    // Leaves Hugo's profile empty for the demo profiles loaded below.
    const removed = await t.app.inject({
      method: 'DELETE',
      url: `/fhir/Immunization/${String((res.json() as Json)['id'])}`,
      headers: auth(rep),
    });
    expect(removed.statusCode).toBeLessThan(300);
  });

  it('exports the profile as the DOCPAT08 document, deposited and found through ITI-67, replaced by the next export', async () => {
    const exp = async () =>
      t.app.inject({
        method: 'POST',
        url: `/fhir/Patient/${patientId}/$export-profile`,
        headers: json(patient),
        payload: { resourceType: 'Parameters', parameter: [] },
      });
    const first = await exp();
    expect(first.statusCode, first.body).toBe(201);
    const params = (first.json() as Json)['parameter'] as Json[];
    const docRef = params.find((p) => p['name'] === 'document')?.['valueReference']
      .reference as string;
    const content = Buffer.from(
      params.find((p) => p['name'] === 'content')?.['valueAttachment'].data as string,
      'base64',
    );
    const parsed = parseCda(content);
    expect(parsed.ok ? [] : parsed.error).toEqual([]);
    expect(content.toString('utf8')).toContain('Asthme');
    const found = (
      await get(patient, `/fhir/DocumentReference?${byIns(NIR)}&type=DOCPAT08&status=current`)
    ).json() as Bundle;
    expect(found.entry.map((e) => `DocumentReference/${e.resource['id']}`)).toEqual([docRef]);

    const second = await exp();
    expect(second.statusCode).toBe(201);
    const again = (
      await get(patient, `/fhir/DocumentReference?${byIns(NIR)}&type=DOCPAT08&status=current`)
    ).json() as Bundle;
    expect(again.entry).toHaveLength(1);
    expect(`DocumentReference/${again.entry[0]?.resource['id']}`).not.toBe(docRef);

    const onlyReturn = await t.app.inject({
      method: 'POST',
      url: `/fhir/Patient/${patientId}/$export-profile`,
      headers: json(patient),
      payload: {
        resourceType: 'Parameters',
        parameter: [{ name: 'deposit', valueBoolean: false }],
      },
    });
    expect(onlyReturn.statusCode).toBe(200);
    const gp = await t.token(pro('899700366240', '10', '1750300000', 'SM26'));
    const byPro = await t.app.inject({
      method: 'POST',
      url: `/fhir/Patient/${patientId}/$export-profile`,
      headers: auth(gp),
    });
    expect(byPro.statusCode).toBe(403);
    expect(codes(byPro.body)).toEqual(['ACCESS_ACTION_NOT_PERMITTED']);
  });

  it('loads the demo profiles once (idempotent)', async () => {
    const first = await loadDemoProfiles(t.deps);
    expect(first.patients).toBe(5);
    expect(first.entries).toBeGreaterThan(25);
    expect(await loadDemoProfiles(t.deps)).toEqual({ patients: 0, entries: 0 });
  });

  it('the purge of a record removes its profile, care history and lookups', async () => {
    const minor = (await t.db.owner`SELECT patient_id FROM ins_index WHERE ins = ${MINOR}`)[0]?.[
      'patient_id'
    ] as string;
    const operator = await t.token(OPERATOR);
    const res = await t.app.inject({
      method: 'POST',
      url: `/fhir/Patient/${minor}/$request-deletion`,
      headers: auth(operator),
    });
    expect(res.statusCode).toBe(200);
    expect((await purgeDueRecords(t.deps)).purged).toBeGreaterThanOrEqual(1);
    for (const table of [
      'profile_entry',
      'profile_locator',
      'care_line',
      'care_history_state',
      'profile_export',
    ]) {
      const left = await t.db.owner.unsafe(
        `SELECT count(*)::int AS n FROM ${table} WHERE patient_id = $1`,
        [minor],
      );
      expect(left[0]?.['n'], table).toBe(0);
    }
  });
});
