import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audit } from '../../src/services/audit.ts';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp, OPERATOR } from '../helpers/app.ts';
import {
  auth,
  consentBody,
  createRecord,
  DR_CARDIO_EMERGENCY,
  DR_GENERALISTE,
  DR_MEDECIN,
  insertDocument,
  loadDirectory,
  postConsent,
  setMedecinTraitant,
  TEST_OID,
} from './notifications.fixtures.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- FHIR JSON walked freely in assertions
type Resource = Record<string, any>;
interface Bundle {
  entry?: { resource: Resource }[];
  link: { relation: string; url: string }[];
}

const R248 = 'https://mos.esante.gouv.fr/NOS/TRE_R248-ModeAcces/FHIR/TRE-R248-ModeAcces';
const NIR = '158037505610143';
const OTHER_NIR = '262076912310249';
const code = (e: Resource): string =>
  (e['subtype'] as { system: string; code: string }[]).find(
    (c) => c.system === 'https://opendmp.fr/fhir/CodeSystem/audit-action',
  )?.code ?? '';

describe('access history as FHIR AuditEvent', () => {
  let t: TestApp;
  let operator: string;
  let patient: string;
  let patientId: string;
  let otherId: string;

  beforeAll(async () => {
    t = await buildTestApp();
    await loadDirectory(t.db.owner);
    operator = await t.token(OPERATOR);
    patientId = await createRecord(t, operator, NIR, '1958-03-21');
    otherId = await createRecord(t, operator, OTHER_NIR, '1962-07-22', 'female');
    await setMedecinTraitant(t, operator, patientId, DR_GENERALISTE.idNatPs);
    patient = await t.token({ kind: 'patient', ins: NIR });
    await postConsent(t, await t.token(DR_MEDECIN), consentBody(NIR, 'permit', DR_MEDECIN.idNatPs));
    for (const nir of [NIR, OTHER_NIR]) {
      // One emergency declaration per record (issue 17 rule 6).
      const emergency = await t.token({ ...DR_CARDIO_EMERGENCY, ins: nir });
      await t.app.inject({
        method: 'GET',
        url: `/fhir/Patient?identifier=${encodeURIComponent(`${TEST_OID}|${nir}`)}`,
        headers: auth(emergency),
      });
    }
  });
  afterAll(async () => {
    await t.close();
  });

  async function search(
    token: string,
    query: string,
  ): Promise<{ status: number; bundle: Bundle; body: string }> {
    const res = await t.app.inject({
      method: 'GET',
      url: `/fhir/AuditEvent${query}`,
      headers: auth(token),
    });
    return { status: res.statusCode, bundle: res.json() as Bundle, body: res.body };
  }

  it('lets the patient read their history, newest first: who (name, profession, structure), when, mode and justification', async () => {
    const { status, bundle, body } = await search(
      patient,
      `?patient.identifier=${encodeURIComponent(`${TEST_OID}|${NIR}`)}`,
    );
    expect(status, body).toBe(200);
    const events = bundle.entry!.map((e) => e.resource);
    // The emergency TD0.2 shows the record's identity to Dr CARDIO (issue 17 rule 8): traced after the status.
    expect(events.map(code)).toEqual([
      'record.identity',
      'record.status',
      'consent.authorization',
      'record.medecin-traitant',
      'record.create',
    ]);
    const recorded = events.map((e) => String(e['recorded']));
    expect([...recorded].sort().reverse()).toEqual(recorded);

    const emergency = events[0]!;
    expect(emergency).toMatchObject({
      resourceType: 'AuditEvent',
      action: 'E',
      outcome: '0',
      type: { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest' },
      purposeOfEvent: [
        { coding: [{ system: R248, code: 'bris_de_glace' }], text: DR_CARDIO_EMERGENCY.reason },
      ],
      source: { observer: { display: 'opendmp' } },
    });
    expect(emergency['agent'][0]).toMatchObject({
      requestor: true,
      who: {
        identifier: { system: 'urn:oid:1.2.250.1.71.4.2.1', value: DR_CARDIO_EMERGENCY.idNatPs },
        display: 'Anne CARDIO',
      },
      role: [
        {
          coding: [
            {
              system:
                'https://mos.esante.gouv.fr/NOS/TRE_G15-ProfessionSante/FHIR/TRE-G15-ProfessionSante',
              code: '10',
            },
          ],
        },
        { coding: [{ code: 'SM04' }] },
      ],
    });
    expect(emergency['agent'][1]).toMatchObject({
      who: {
        identifier: { system: 'urn:oid:1.2.250.1.71.4.2.2', value: '1750700007' },
        display: 'Cabinet de cardiologie Voltaire',
      },
    });
    expect(emergency['entity'][0]).toMatchObject({
      what: { reference: `Patient/${patientId}`, identifier: { system: TEST_OID, value: NIR } },
      role: { code: '1' },
    });
    const consent = events[2]!;
    expect(consent).toMatchObject({
      action: 'C',
      purposeOfEvent: [{ coding: [{ code: 'normal' }] }],
    });
    expect(consent['entity'][1]['what']['reference']).toMatch(/^Consent\//);

    // Reading the history was itself traced.
    const [trace] = await t.db.owner`SELECT actor_kind, actor_id, outcome FROM audit_event
      WHERE patient_id = ${patientId} AND action = 'audit.read' ORDER BY seq DESC LIMIT 1`;
    expect(trace).toEqual({ actor_kind: 'patient', actor_id: NIR, outcome: 'success' });
  });

  it('serves the history to the patient without a patient parameter; to a representative token no registration names, the record does not exist', async () => {
    // Issue 17 rule 1: an adult has no legal representative; the token alone grants nothing.
    const rep = await t.token({
      kind: 'representative',
      ins: NIR,
      id: OTHER_NIR,
      name: 'Marie MARTIN',
    });
    const viaRep = await search(rep, `?patient=Patient/${patientId}`);
    const missing = await search(rep, `?patient=Patient/00000000-0000-4000-8000-000000000000`);
    expect(viaRep.status).toBe(404);
    expect(viaRep.body).toBe(missing.body);
    const [denial] = await t.db
      .owner`SELECT reason_code FROM audit_event WHERE patient_id = ${patientId}
      AND actor_kind = 'representative' AND outcome = 'denied'`;
    expect(denial).toEqual({ reason_code: 'ACCESS_NOT_REPRESENTATIVE' });
    const own = await search(patient, '');
    expect(own.status).toBe(200);
    expect(
      own.bundle.entry!.every(
        (e) => e.resource['entity'][0]['what']['reference'] === `Patient/${patientId}`,
      ),
    ).toBe(true);
  });

  it('pages with _count and next links, newest first, without overlap', async () => {
    const all = (await search(patient, '?_count=500')).bundle.entry!.map((e) =>
      String(e.resource['id']),
    );
    const seen: string[] = [];
    let url: string | undefined = `/fhir/AuditEvent?patient=${patientId}&_count=2`;
    let pages = 0;
    while (url) {
      const res = await t.app.inject({ method: 'GET', url, headers: auth(patient) });
      expect(res.statusCode).toBe(200);
      const b = res.json() as Bundle;
      const ids = (b.entry ?? []).map((e) => String(e.resource['id']));
      expect(ids.length).toBeLessThanOrEqual(2);
      seen.push(...ids);
      const next = b.link.find((l) => l.relation === 'next')?.url;
      url = next ? next.replace(t.deps.config.publicBaseUrl, '') : undefined;
      pages++;
    }
    expect(pages).toBeGreaterThan(2);
    // Every event present at the first page is seen once, in the same order (new audit.read traces are newer).
    expect(seen.filter((id) => all.includes(id))).toEqual(all);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('filters by date (ge, lt, a day) and rejects a malformed date', async () => {
    const pid = await createRecord(t, operator, '175111305510370', '1975-11-23');
    const holder = await t.token({ kind: 'patient', ins: '175111305510370' });
    t.clock.fixed = new Date('2026-01-15T10:00:00Z');
    await postConsent(t, holder, consentBody('175111305510370', 'permit', DR_MEDECIN.idNatPs));
    t.clock.fixed = new Date('2026-02-20T10:00:00Z');
    await postConsent(
      t,
      holder,
      consentBody('175111305510370', 'deny', DR_CARDIO_EMERGENCY.idNatPs),
    );
    t.clock.fixed = null;
    const q = (d: string) => search(holder, `?patient=${pid}&subtype=${d}`);
    const feb = await search(holder, `?patient=${pid}&date=ge2026-02-01&date=lt2026-03-01`);
    expect(feb.bundle.entry!.map((e) => code(e.resource))).toEqual(['consent.block']);
    const day = await search(holder, `?patient=${pid}&date=2026-01-15`);
    expect(day.bundle.entry!.map((e) => code(e.resource))).toEqual(['consent.authorization']);
    expect((await q('consent.block')).bundle.entry).toHaveLength(1);
    const bad = await search(holder, `?patient=${pid}&date=ge2026-13-01`);
    expect(bad.status).toBe(400);
  });

  it('refuses professionals (403) and another patient, and traces the denials', async () => {
    const gp = await t.token(DR_GENERALISTE); // even the médecin traitant
    const denied = await search(
      gp,
      `?patient.identifier=${encodeURIComponent(`${TEST_OID}|${NIR}`)}`,
    );
    expect(denied.status).toBe(403);
    expect(denied.body).toContain('ACCESS_ACTION_NOT_PERMITTED');
    const noPatient = await search(gp, '');
    expect(noPatient.status).toBe(403);
    const stranger = await t.token({ kind: 'patient', ins: OTHER_NIR });
    // Named by its id, another person's record answers as a missing one (issue 16); the trace says why.
    expect((await search(stranger, `?patient=${patientId}`)).status).toBe(404);
    const traces = await t.db.owner<{ actor_id: string; reason_code: string }[]>`
      SELECT actor_id, reason_code FROM audit_event WHERE patient_id = ${patientId}
        AND action = 'audit.read' AND outcome = 'denied' AND actor_kind <> 'representative' ORDER BY seq`;
    expect(traces).toEqual([
      { actor_id: DR_GENERALISTE.idNatPs, reason_code: 'ACCESS_ACTION_NOT_PERMITTED' },
      { actor_id: OTHER_NIR, reason_code: 'ACCESS_NOT_HOLDER' },
    ]);
    const [sys] = await t.db
      .owner`SELECT actor_id, outcome FROM system_audit_event WHERE action = 'audit.search'
      AND outcome = 'denied'`;
    expect(sys).toEqual({ actor_id: DR_GENERALISTE.idNatPs, outcome: 'denied' });
  });

  it('lets the operator search across records: system events, and one agent everywhere', async () => {
    const system = await search(operator, '?_count=200');
    expect(system.status).toBe(200);
    const codes = system.bundle.entry!.map((e) => code(e.resource));
    expect(codes).toContain('auth.login');
    const login = system.bundle.entry!.find((e) => code(e.resource) === 'auth.login')!.resource;
    expect(login['type']).toMatchObject({ code: '110114' });

    const byAgent = await search(
      operator,
      `?agent.identifier=${encodeURIComponent(`urn:oid:1.2.250.1.71.4.2.1|${DR_CARDIO_EMERGENCY.idNatPs}`)}`,
    );
    expect(byAgent.status).toBe(200);
    const patients = byAgent.bundle
      .entry!.map((e) => e.resource)
      .filter((e) => code(e) === 'record.status')
      .map((e) => String(e['entity'][0]['what']['reference']));
    expect(patients.sort()).toEqual([`Patient/${patientId}`, `Patient/${otherId}`].sort());
    expect(byAgent.bundle.entry!.map((e) => code(e.resource))).toContain('auth.login');
    const [trace] = await t.db.owner`SELECT actor_kind, detail FROM system_audit_event
      WHERE action = 'audit.search' AND outcome = 'success' ORDER BY recorded_at DESC, seq DESC LIMIT 1`;
    expect(trace).toMatchObject({
      actor_kind: 'operator',
      detail: { agent: DR_CARDIO_EMERGENCY.idNatPs },
    });
  });

  it('reads one AuditEvent by id under the same rules', async () => {
    const [row] = await t.db.owner<{ id: string }[]>`SELECT id FROM audit_event
      WHERE patient_id = ${patientId} AND action = 'record.status' LIMIT 1`;
    const get = (token: string) =>
      t.app.inject({ method: 'GET', url: `/fhir/AuditEvent/${row!.id}`, headers: auth(token) });
    const mine = await get(patient);
    expect(mine.statusCode).toBe(200);
    expect(mine.json()).toMatchObject({
      id: row!.id,
      purposeOfEvent: [{ coding: [{ code: 'bris_de_glace' }] }],
    });
    expect((await get(operator)).statusCode).toBe(200);
    expect((await get(await t.token({ kind: 'patient', ins: OTHER_NIR }))).statusCode).toBe(404);
    // A professional is refused as for a missing event (issue 16): a 403 said it exists.
    expect((await get(await t.token(DR_MEDECIN))).statusCode).toBe(404);
    const [sys] = await t.db.owner<{ id: string }[]>`SELECT id FROM system_audit_event LIMIT 1`;
    expect(
      (
        await t.app.inject({
          method: 'GET',
          url: `/fhir/AuditEvent/${sys!.id}`,
          headers: auth(patient),
        })
      ).statusCode,
    ).toBe(404);
  });

  it('hides from the patient the traces of a document still invisible to them, until it becomes visible', async () => {
    const depositedAt = new Date();
    const docId = await insertDocument(t.db.owner, patientId, {
      confidentiality: ['N', 'INVISIBLE_PATIENT'],
      depositedAt,
    });
    const author = {
      kind: 'professional',
      idNatPs: DR_MEDECIN.idNatPs,
      profession: '10',
      mode: 'normal',
    } as const;
    await t.deps.sql.begin(async (tx) => {
      await audit(tx, t.deps, author, patientId, {
        action: 'document.deposit',
        outcome: 'success',
        entityType: 'DocumentReference',
        entityId: docId,
      });
    });
    const hidden = (await search(patient, `?patient=${patientId}&_count=500`)).bundle.entry!.map(
      (e) => code(e.resource),
    );
    expect(hidden).not.toContain('document.deposit');
    const forOperator = (
      await search(operator, `?patient=${patientId}&_count=500`)
    ).bundle.entry!.map((e) => code(e.resource));
    expect(forOperator).toContain('document.deposit');
    t.clock.offsetMs = 32 * 86_400_000;
    try {
      const later = (await search(patient, `?patient=${patientId}&_count=500`)).bundle.entry!.map(
        (e) => code(e.resource),
      );
      expect(later).toContain('document.deposit');
    } finally {
      t.clock.offsetMs = 0;
    }
  });
});
