import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJobNow } from '../../src/jobs/scheduler.ts';
import { verifyAuditChains } from '../../src/services/audit-verify.ts';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp, OPERATOR } from '../helpers/app.ts';
import {
  auth,
  consentBody,
  createRecord,
  DR_CARDIO_EMERGENCY,
  DR_MEDECIN,
  loadDirectory,
  patientBody,
  postConsent,
  setMedecinTraitant,
  TEST_OID,
} from './notifications.fixtures.ts';

interface Trace {
  action: string;
  outcome: string;
  reason_code: string | null;
  actor_kind: string;
  actor_id: string;
  actor_profession: string | null;
  actor_structure: string | null;
  access_mode: string | null;
  justification: string | null;
  entity_type: string | null;
  entity_id: string | null;
}

/**
 * One trace per event kind, with the right actor (product.md §2 "Traceability"): record lifecycle, opposition,
 * médecin traitant, authorizations added and removed, blocks, emergency access with its justification, logins,
 * reading the history, preferences, and denials (committed although the request fails).
 */
describe('an audit record for every event kind', () => {
  let t: TestApp;
  let operator: string;
  const NIR = '158037505610143';
  let patientId: string;

  beforeAll(async () => {
    t = await buildTestApp();
    await loadDirectory(t.db.owner);
    operator = await t.token(OPERATOR);
    patientId = await createRecord(t, operator, NIR, '1958-03-21');
  });
  afterAll(async () => {
    // Whatever the tests did, every chain is still intact.
    expect((await verifyAuditChains(t.db.owner)).intact).toBe(true);
    await t.close();
  });

  async function last(
    action: string,
    where: { patientId?: string | null; outcome?: string } = {},
  ): Promise<Trace> {
    const pid = where.patientId === undefined ? patientId : where.patientId;
    const outcome = where.outcome ?? 'success';
    const rows =
      pid === null
        ? await t.db.owner<
            Trace[]
          >`SELECT * FROM system_audit_event WHERE action = ${action} AND outcome = ${outcome}
            ORDER BY recorded_at DESC, seq DESC LIMIT 1`
        : await t.db.owner<
            Trace[]
          >`SELECT * FROM audit_event WHERE patient_id = ${pid} AND action = ${action}
            AND outcome = ${outcome} ORDER BY seq DESC LIMIT 1`;
    const row = rows[0];
    if (!row) {
      throw new Error(`no ${outcome} trace ${action}`);
    }
    return row;
  }

  it('traces logins (dev token issuance) with the actor, on the system chain', async () => {
    await t.token(DR_MEDECIN);
    expect(await last('auth.login', { patientId: null })).toMatchObject({
      actor_kind: 'professional',
      actor_id: DR_MEDECIN.idNatPs,
      actor_profession: '10',
      actor_structure: DR_MEDECIN.structure,
      access_mode: 'normal',
    });
    await t.token({ kind: 'patient', ins: NIR });
    expect(await last('auth.login', { patientId: null })).toMatchObject({
      actor_kind: 'patient',
      actor_id: NIR,
    });
  });

  it('traces the record lifecycle: creation by the operator, closure, reopening and deletion request by the holder', async () => {
    expect(await last('record.create')).toMatchObject({
      actor_kind: 'operator',
      actor_id: OPERATOR.id,
      entity_id: patientId,
    });
    const holder = await t.token({ kind: 'patient', ins: NIR });
    await t.app.inject({
      method: 'POST',
      url: `/fhir/Patient/${patientId}/$close`,
      headers: auth(holder),
    });
    await t.app.inject({
      method: 'POST',
      url: `/fhir/Patient/${patientId}/$reopen`,
      headers: auth(holder),
    });
    expect(await last('record.close')).toMatchObject({ actor_kind: 'patient', actor_id: NIR });
    expect(await last('record.reopen')).toMatchObject({ actor_kind: 'patient', actor_id: NIR });
    await setMedecinTraitant(t, operator, patientId, '810001000008');
    expect(await last('record.medecin-traitant')).toMatchObject({ actor_kind: 'operator' });
    const read = await t.app.inject({
      method: 'GET',
      url: `/fhir/Patient/${patientId}`,
      headers: auth(holder),
    });
    expect(read.statusCode).toBe(200);
    expect(await last('record.read')).toMatchObject({ actor_kind: 'patient' });
  });

  it('traces the purge on the system chain by the system, leaving a tombstone', async () => {
    const nir = '281023306310462';
    const pid = await createRecord(t, operator, nir, '1981-02-24', 'female');
    const holder = await t.token({ kind: 'patient', ins: nir });
    await t.app.inject({
      method: 'POST',
      url: `/fhir/Patient/${pid}/$request-deletion`,
      headers: auth(holder),
    });
    expect(await last('record.request-deletion', { patientId: pid })).toMatchObject({
      actor_kind: 'patient',
      actor_id: nir,
    });
    t.clock.offsetMs = 86_400_000;
    try {
      expect(await runJobNow(t.deps, 'purge')).toEqual({ purged: 1 });
    } finally {
      t.clock.offsetMs = 0;
    }
    expect(await last('record.purge', { patientId: null })).toMatchObject({
      actor_kind: 'system',
      entity_type: 'Patient',
      entity_id: pid,
    });
    expect(await last('job.purge', { patientId: null })).toMatchObject({ actor_kind: 'system' });
  });

  it('traces oppositions registered and lifted by the operator', async () => {
    const body = (action: string) => ({
      resourceType: 'Parameters',
      parameter: [
        { name: 'identifier', valueIdentifier: { system: TEST_OID, value: '170066444512141' } },
        { name: 'action', valueCode: action },
      ],
    });
    for (const action of ['register', 'lift']) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/fhir/Patient/$opposition',
        headers: { ...auth(operator), 'content-type': 'application/fhir+json' },
        payload: body(action),
      });
      expect(res.statusCode).toBe(200);
      expect(await last(`opposition.${action}`, { patientId: null })).toMatchObject({
        actor_kind: 'operator',
        entity_type: 'ins',
        entity_id: '170066444512141',
      });
    }
  });

  it('traces authorizations added and removed, and blocks, with who did them', async () => {
    const pro = await t.token(DR_MEDECIN);
    const consentId = await postConsent(t, pro, consentBody(NIR, 'permit', DR_MEDECIN.idNatPs));
    expect(await last('consent.authorization')).toMatchObject({
      actor_kind: 'professional',
      actor_id: DR_MEDECIN.idNatPs,
      actor_structure: DR_MEDECIN.structure,
      access_mode: 'normal',
      entity_type: 'Consent',
      entity_id: consentId,
    });
    const holder = await t.token({ kind: 'patient', ins: NIR });
    const removed = await t.app.inject({
      method: 'DELETE',
      url: `/fhir/Consent/${consentId}`,
      headers: auth(holder),
    });
    expect(removed.statusCode).toBe(204);
    expect(await last('consent.authorization.end')).toMatchObject({
      actor_kind: 'patient',
      actor_id: NIR,
      entity_id: consentId,
    });
    const blockId = await postConsent(
      t,
      holder,
      consentBody(NIR, 'deny', DR_CARDIO_EMERGENCY.idNatPs),
    );
    expect(await last('consent.block')).toMatchObject({
      actor_kind: 'patient',
      entity_id: blockId,
    });
    const unblocked = await t.app.inject({
      method: 'DELETE',
      url: `/fhir/Consent/${blockId}`,
      headers: auth(holder),
    });
    expect(unblocked.statusCode).toBe(204);
    expect(await last('consent.block.end')).toMatchObject({
      actor_kind: 'patient',
      entity_id: blockId,
    });
  });

  it('traces an emergency access with its mode and written justification', async () => {
    const emergency = await t.token({ ...DR_CARDIO_EMERGENCY, ins: NIR });
    const res = await t.app.inject({
      method: 'GET',
      url: `/fhir/Patient?identifier=${encodeURIComponent(`${TEST_OID}|${NIR}`)}`,
      headers: auth(emergency),
    });
    expect(res.statusCode).toBe(200);
    expect(await last('record.status')).toMatchObject({
      actor_kind: 'professional',
      actor_id: DR_CARDIO_EMERGENCY.idNatPs,
      actor_structure: DR_CARDIO_EMERGENCY.structure,
      access_mode: 'bris_de_glace',
      justification: DR_CARDIO_EMERGENCY.reason,
    });
    const [n] = await t.db
      .owner`SELECT count(*)::int AS n FROM outbox WHERE patient_id = ${patientId}
      AND event_type = 'emergency.access'`;
    expect(n?.['n']).toBeGreaterThan(0); // and notified (notifications.int.test.ts checks who)
  });

  it('traces denials although the request fails, with the reason', async () => {
    const pro = await t.token(DR_MEDECIN);
    const close = await t.app.inject({
      method: 'POST',
      url: `/fhir/Patient/${patientId}/$close`,
      headers: auth(pro),
    });
    expect(close.statusCode).toBe(404); // as if the record did not exist (issue 16); the trace says why
    expect(await last('record.close', { outcome: 'denied' })).toMatchObject({
      actor_kind: 'professional',
      actor_id: DR_MEDECIN.idNatPs,
      reason_code: 'REC_NOT_HOLDER',
    });
    const history = await t.app.inject({
      method: 'GET',
      url: `/fhir/AuditEvent?patient=${patientId}`,
      headers: auth(pro),
    });
    expect(history.statusCode).toBe(404); // named by id: as if the record did not exist (issue 16)
    expect(await last('audit.read', { outcome: 'denied' })).toMatchObject({
      reason_code: 'ACCESS_ACTION_NOT_PERMITTED',
    });

    const holder = await t.token({ kind: 'patient', ins: NIR });
    await postConsent(t, holder, consentBody(NIR, 'deny', DR_MEDECIN.idNatPs));
    const blocked = await t.app.inject({
      method: 'POST',
      url: '/fhir/Consent',
      headers: { ...auth(pro), 'content-type': 'application/fhir+json' },
      payload: consentBody(NIR, 'permit', DR_MEDECIN.idNatPs),
    });
    expect(blocked.statusCode).toBe(403);
    expect(await last('consent.authorization', { outcome: 'denied' })).toMatchObject({
      actor_id: DR_MEDECIN.idNatPs,
      reason_code: 'ACCESS_BLOCKED',
    });
    const unknown = await t.app.inject({
      method: 'POST',
      url: '/fhir/Patient',
      headers: { ...auth(pro), 'content-type': 'application/fhir+json' },
      // A well-formed record: the refusal is about who asks, not about the body.
      payload: patientBody('179035121518942', '1979-03-21'),
    });
    expect(unknown.statusCode).toBe(403);
    expect(await last('record.create', { patientId: null, outcome: 'denied' })).toMatchObject({
      actor_id: DR_MEDECIN.idNatPs,
      reason_code: 'REC_OPERATOR_ONLY',
    });
  });

  it('traces reading the history, the notifications and the preferences', async () => {
    const holder = await t.token({ kind: 'patient', ins: NIR });
    await t.app.inject({ method: 'GET', url: '/fhir/AuditEvent', headers: auth(holder) });
    expect(await last('audit.read')).toMatchObject({ actor_kind: 'patient', actor_id: NIR });
    await t.app.inject({ method: 'GET', url: '/fhir/Communication', headers: auth(holder) });
    expect(await last('communication.search')).toMatchObject({ actor_kind: 'patient' });
    await t.app.inject({
      method: 'PUT',
      url: '/portal-api/notification-preferences',
      headers: auth(holder),
      payload: { channels: ['inbox'], muted: ['document'] },
    });
    expect(await last('notification.preferences.update')).toMatchObject({ actor_kind: 'patient' });
  });
});
