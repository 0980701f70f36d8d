import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultJobs, runJobNow } from '../../src/jobs/scheduler.ts';
import type { Job } from '../../src/jobs/scheduler.ts';
import { loadNotificationSettings } from '../../src/services/notifications/settings.ts';
import { writeNotifications } from '../../src/services/notifications/notify.ts';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp, OPERATOR } from '../helpers/app.ts';
import type { TestSmtpServer } from '../helpers/smtp.ts';
import { startSmtpServer } from '../helpers/smtp.ts';
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

interface Bundle {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- FHIR JSON walked freely in assertions
  entry?: { resource: Record<string, any> }[];
  link: { relation: string; url: string }[];
}

describe('notifications through the outbox', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let jobs: Job[];
  let operator: string;

  beforeAll(async () => {
    t = await buildTestApp();
    smtp = await startSmtpServer();
    jobs = defaultJobs({ notifications: loadNotificationSettings({ OPENDMP_SMTP_URL: smtp.url }) });
    await loadDirectory(t.db.owner);
    operator = await t.token(OPERATOR);
  });
  afterAll(async () => {
    await smtp.close();
    await t.close();
  });

  const deliver = () => runJobNow(t.deps, 'outbox', jobs);

  async function communications(token: string, query = ''): Promise<Bundle> {
    const res = await t.app.inject({
      method: 'GET',
      url: `/fhir/Communication${query}`,
      headers: auth(token),
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as Bundle;
  }

  it('sends an e-mail notification to a real SMTP server, with a Message-ID derived from the notification id', async () => {
    const nir = '158037505610143';
    const patientId = await createRecord(t, operator, nir, '1958-03-21');
    const patient = await t.token({ kind: 'patient', ins: nir });
    const prefs = await t.app.inject({
      method: 'PUT',
      url: '/portal-api/notification-preferences',
      headers: auth(patient),
      payload: { channels: ['inbox', 'email'], email: 'jean.martin@example.org' },
    });
    expect(prefs.statusCode, prefs.body).toBe(200);
    expect(prefs.json()).toMatchObject({
      channels: ['inbox', 'email'],
      email: 'jean.martin@example.org',
      muted: [],
    });

    const gp = await t.token(DR_MEDECIN);
    const consentId = await postConsent(t, gp, consentBody(nir, 'permit', DR_MEDECIN.idNatPs));

    const pending = await t.db.owner<
      { id: string; channel: string; status: string; payload: Record<string, unknown> }[]
    >`
      SELECT id, channel, status, payload FROM outbox WHERE patient_id = ${patientId} ORDER BY channel`;
    expect(pending.map((r) => `${r.channel}:${r.status}`)).toEqual([
      'email:pending',
      'inbox:pending',
    ]);
    expect(pending[0]?.payload).toMatchObject({
      consentId,
      subjectId: DR_MEDECIN.idNatPs,
      change: 'added',
    });

    const result = await deliver();
    expect(result).toMatchObject({ delivered: 2, retried: 0, failed: 0 });
    const email = pending.find((r) => r.channel === 'email');
    expect(smtp.accepted).toHaveLength(1);
    const mail = smtp.accepted[0]!;
    expect(mail.to).toEqual(['jean.martin@example.org']);
    expect(mail.messageId).toBe(`<${email?.id}@opendmp.localhost>`);
    expect(mail.subject).toMatch(/Autorisation/);
    // No identity and no clinical content in the e-mail.
    expect(mail.raw).not.toContain(nir);
    expect(mail.raw).not.toContain('MARTIN');

    const ledger = await t.db.owner<{ channel: string; message_id: string | null }[]>`
      SELECT channel, message_id FROM inbox WHERE patient_id = ${patientId} ORDER BY channel`;
    expect(ledger).toEqual([
      { channel: 'email', message_id: mail.messageId },
      { channel: 'inbox', message_id: null },
    ]);

    // The in-portal inbox as FHIR Communication, with the professional's name from the directory.
    const inbox = await communications(patient);
    expect(inbox.entry).toHaveLength(1);
    const c = inbox.entry![0]!.resource;
    expect(c).toMatchObject({
      resourceType: 'Communication',
      status: 'in-progress',
      priority: 'routine',
      subject: { reference: `Patient/${patientId}` },
      about: [{ reference: `Consent/${consentId}` }],
      recipient: [{ identifier: { system: TEST_OID, value: nir } }],
    });
    expect(c['category'][0].coding[0].code).toBe('consent.authorization');
    expect(c['payload'][0].contentString).toContain('Dr Hélène MEDECIN');
    expect((await communications(patient, '?medium=EMAILWRIT')).entry).toHaveLength(1);

    // Marking as read.
    const read = await t.app.inject({
      method: 'PATCH',
      url: `/fhir/Communication/${String(c['id'])}`,
      headers: { ...auth(patient), 'content-type': 'application/json-patch+json' },
      payload: [{ op: 'replace', path: '/status', value: 'completed' }],
    });
    expect(read.statusCode, read.body).toBe(200);
    expect(read.json()).toMatchObject({ status: 'completed' });
    expect((await communications(patient, '?status=in-progress')).entry ?? []).toHaveLength(0);
    expect((await communications(patient, '?status=completed')).entry).toHaveLength(1);

    // Nobody else reads it.
    const other = await t.token({ kind: 'patient', ins: '262076912310249' });
    const foreign = await t.app.inject({
      method: 'GET',
      url: `/fhir/Communication/${String(c['id'])}`,
      headers: auth(other),
    });
    expect(foreign.statusCode).toBe(404);
    const byGp = await t.app.inject({
      method: 'GET',
      url: `/fhir/Communication?recipient=Patient/${patientId}`,
      headers: auth(gp),
    });
    expect(byGp.statusCode).toBe(404); // named by its id: as if the record did not exist (issue 16)
  });

  it('notifies an emergency access to the patient and the médecin traitant, whatever the preferences', async () => {
    const nir = '262076912310249';
    const patientId = await createRecord(t, operator, nir, '1962-07-22', 'female');
    await setMedecinTraitant(t, operator, patientId, DR_GENERALISTE.idNatPs);
    const patient = await t.token({ kind: 'patient', ins: nir });
    // The patient muted everything they can and gave no e-mail address.
    const prefs = await t.app.inject({
      method: 'PUT',
      url: '/portal-api/notification-preferences',
      headers: auth(patient),
      payload: { channels: ['inbox'], muted: ['document', 'authorization', 'block', 'record'] },
    });
    expect(prefs.statusCode, prefs.body).toBe(200);

    const emergency = await t.token({ ...DR_CARDIO_EMERGENCY, ins: nir });
    const lookup = await t.app.inject({
      method: 'GET',
      url: `/fhir/Patient?identifier=${encodeURIComponent(`${TEST_OID}|${nir}`)}`,
      headers: auth(emergency),
    });
    expect(lookup.statusCode).toBe(200);
    // A second access the same day is the same notification.
    await t.app.inject({
      method: 'GET',
      url: `/fhir/Patient?identifier=${encodeURIComponent(`${TEST_OID}|${nir}`)}`,
      headers: auth(emergency),
    });

    const rows = await t.db.owner<
      { recipient_kind: string; recipient_id: string; channel: string; priority: string }[]
    >`
      SELECT recipient_kind, recipient_id, channel, priority FROM outbox
      WHERE patient_id = ${patientId} AND event_type = 'emergency.access' ORDER BY recipient_kind, channel`;
    expect(rows).toEqual([
      {
        recipient_kind: 'medecin-traitant',
        recipient_id: DR_GENERALISTE.idNatPs,
        channel: 'email',
        priority: 'urgent',
      },
      {
        recipient_kind: 'medecin-traitant',
        recipient_id: DR_GENERALISTE.idNatPs,
        channel: 'inbox',
        priority: 'urgent',
      },
      { recipient_kind: 'patient', recipient_id: nir, channel: 'inbox', priority: 'urgent' },
    ]);

    const before = smtp.accepted.length;
    await deliver();
    const mails = smtp.accepted.slice(before);
    expect(mails.map((m) => m.to[0])).toEqual(['paul.generaliste@cabinet-lilas.example']);
    expect(mails[0]?.subject).toMatch(/urgence/i);
    expect(mails[0]?.raw).not.toContain(nir);

    const mine = await communications(patient);
    expect(mine.entry).toHaveLength(1);
    const forPatient = mine.entry![0]!.resource;
    expect(forPatient).toMatchObject({ priority: 'urgent' });
    expect(forPatient['category'][0].coding[0].code).toBe('emergency.access');
    expect(forPatient['payload'][0].contentString).toMatch(
      /Dr Anne CARDIO \(Cabinet de cardiologie Voltaire\).*bris de glace/,
    );

    const mt = await t.token(DR_GENERALISTE);
    const theirs = await communications(mt);
    expect(theirs.entry).toHaveLength(1);
    expect(theirs.entry![0]!.resource).toMatchObject({
      priority: 'urgent',
      subject: { reference: `Patient/${patientId}`, identifier: { value: nir } },
      recipient: [{ identifier: { value: DR_GENERALISTE.idNatPs } }],
    });
    const named = await communications(
      mt,
      `?recipient.identifier=${encodeURIComponent(`urn:oid:1.2.250.1.71.4.2.1|${DR_GENERALISTE.idNatPs}`)}`,
    );
    expect(named.entry).toHaveLength(1);
    const spoof = await t.app.inject({
      method: 'GET',
      url: `/fhir/Communication?recipient.identifier=${encodeURIComponent(`urn:oid:1.2.250.1.71.4.2.1|${DR_MEDECIN.idNatPs}`)}`,
      headers: auth(mt),
    });
    expect(spoof.statusCode).toBe(403);

    // Muted categories are respected for the rest: a new authorization notifies nobody.
    await postConsent(t, await t.token(DR_MEDECIN), consentBody(nir, 'permit', DR_MEDECIN.idNatPs));
    const [n] = await t.db.owner`SELECT count(*)::int AS n FROM outbox
      WHERE patient_id = ${patientId} AND event_type = 'consent.authorization'`;
    expect(n?.['n']).toBe(0);
  });

  it('notifies authorization removal, block and record closure, but not a closure for death', async () => {
    const nir = '175111305510370';
    const patientId = await createRecord(t, operator, nir, '1975-11-23');
    const patient = await t.token({ kind: 'patient', ins: nir });
    const consentId = await postConsent(t, patient, consentBody(nir, 'permit', DR_MEDECIN.idNatPs));
    const removed = await t.app.inject({
      method: 'DELETE',
      url: `/fhir/Consent/${consentId}`,
      headers: auth(patient),
    });
    expect(removed.statusCode).toBe(204);
    const blockId = await postConsent(
      t,
      patient,
      consentBody(nir, 'deny', DR_CARDIO_EMERGENCY.idNatPs),
    );
    const close = await t.app.inject({
      method: 'POST',
      url: `/fhir/Patient/${patientId}/$close`,
      headers: auth(patient),
    });
    expect(close.statusCode, close.body).toBe(200);

    const events = await t.db.owner<{ event_type: string }[]>`SELECT event_type FROM outbox
      WHERE patient_id = ${patientId} ORDER BY created_at, event_type`;
    expect(events.map((e) => e.event_type).sort()).toEqual(
      [
        'consent.authorization',
        'consent.authorization.end',
        'consent.block',
        'record.close',
      ].sort(),
    );
    const [block] = await t.db.owner<
      { payload: Record<string, unknown> }[]
    >`SELECT payload FROM outbox
      WHERE patient_id = ${patientId} AND event_type = 'consent.block'`;
    expect(block?.payload).toMatchObject({
      consentId: blockId,
      subjectId: DR_CARDIO_EMERGENCY.idNatPs,
    });

    const deceased = '190055935010509';
    const deadId = await createRecord(t, operator, deceased, '1990-05-25');
    const death = await t.app.inject({
      method: 'POST',
      url: `/fhir/Patient/${deadId}/$close`,
      headers: { ...auth(operator), 'content-type': 'application/fhir+json' },
      payload: { resourceType: 'Parameters', parameter: [{ name: 'reason', valueCode: 'death' }] },
    });
    expect(death.statusCode).toBe(200);
    const [none] = await t.db
      .owner`SELECT count(*)::int AS n FROM outbox WHERE patient_id = ${deadId}`;
    expect(none?.['n']).toBe(0);
  });

  it('does not announce a document while INVISIBLE_PATIENT hides it; the job sends the two-week notice, then the announcement after a month, each traced', async () => {
    const nir = '281023306310462';
    const patientId = await createRecord(t, operator, nir, '1981-02-24', 'female');
    const depositedAt = new Date('2026-01-10T09:00:00Z');
    t.clock.fixed = depositedAt;
    try {
      const visible = await insertDocument(t.db.owner, patientId, {
        confidentiality: ['N'],
        depositedAt,
      });
      const hidden = await insertDocument(t.db.owner, patientId, {
        confidentiality: ['N', 'INVISIBLE_PATIENT'],
        depositedAt,
      });
      const gp = {
        kind: 'professional',
        idNatPs: DR_MEDECIN.idNatPs,
        profession: '10',
        mode: 'normal',
      } as const;
      await t.deps.sql.begin(async (tx) => {
        await writeNotifications(tx, t.deps, {
          type: 'document.deposit',
          patientId,
          actor: gp,
          documentId: visible,
        });
        await writeNotifications(tx, t.deps, {
          type: 'document.deposit',
          patientId,
          actor: gp,
          documentId: hidden,
        });
      });
      const atDeposit = await t.db.owner<
        { event_type: string; payload: Record<string, unknown> }[]
      >`
        SELECT event_type, payload FROM outbox WHERE patient_id = ${patientId}`;
      expect(atDeposit).toEqual([
        { event_type: 'document.deposit', payload: { documentId: visible } },
      ]);

      // Day 13: nothing yet. Day 14: the notice, without the document id.
      t.clock.fixed = new Date(depositedAt.getTime() + 13 * 86_400_000);
      expect(await runJobNow(t.deps, 'visibility', jobs)).toEqual({ notices: 0, madeVisible: 0 });
      t.clock.fixed = new Date(depositedAt.getTime() + 14 * 86_400_000);
      expect(await runJobNow(t.deps, 'visibility', jobs)).toEqual({ notices: 1, madeVisible: 0 });
      expect(await runJobNow(t.deps, 'visibility', jobs)).toEqual({ notices: 0, madeVisible: 0 });
      // 9 February: still under a calendar month. 10 February: visible.
      t.clock.fixed = new Date('2026-02-10T08:59:00Z');
      expect(await runJobNow(t.deps, 'visibility', jobs)).toEqual({ notices: 0, madeVisible: 0 });
      t.clock.fixed = new Date('2026-02-10T09:00:00Z');
      expect(await runJobNow(t.deps, 'visibility', jobs)).toEqual({ notices: 0, madeVisible: 1 });
      expect(await runJobNow(t.deps, 'visibility', jobs)).toEqual({ notices: 0, madeVisible: 0 });

      const rows = await t.db.owner<{ event_type: string; payload: Record<string, unknown> }[]>`
        SELECT event_type, payload FROM outbox WHERE patient_id = ${patientId} ORDER BY created_at`;
      expect(rows).toEqual([
        { event_type: 'document.deposit', payload: { documentId: visible } },
        { event_type: 'document.pending-notice', payload: {} },
        { event_type: 'document.available', payload: { documentId: hidden } },
      ]);
      const traces = await t.db.owner<{ action: string; actor_kind: string; entity_id: string }[]>`
        SELECT action, actor_kind, entity_id FROM audit_event
        WHERE patient_id = ${patientId} AND action LIKE 'document.%' ORDER BY seq`;
      expect(traces).toEqual([
        { action: 'document.pending-notice', actor_kind: 'system', entity_id: hidden },
        { action: 'document.visible-to-patient', actor_kind: 'system', entity_id: hidden },
      ]);
      const runs = await t.db
        .owner`SELECT count(*)::int AS n FROM system_audit_event WHERE action = 'job.visibility'`;
      expect(runs[0]?.['n']).toBe(6); // every run traced
    } finally {
      t.clock.fixed = null;
    }
  });

  it('keeps the preferences to the holder side and validates them', async () => {
    const gp = await t.token(DR_MEDECIN);
    const denied = await t.app.inject({
      method: 'GET',
      url: '/portal-api/notification-preferences',
      headers: auth(gp),
    });
    expect(denied.statusCode).toBe(403);
    // The body is read at the portal's edge, but a caller without preferences is refused whatever it sent.
    const deniedBad = await t.app.inject({
      method: 'PUT',
      url: '/portal-api/notification-preferences',
      headers: auth(gp),
      payload: { channels: 'sms' },
    });
    expect(deniedBad.statusCode, deniedBad.body).toBe(403);
    expect(deniedBad.body).toContain('NOTIF_HOLDER_ONLY');
    const patient = await t.token({ kind: 'patient', ins: '158037505610143' });
    const bad = await t.app.inject({
      method: 'PUT',
      url: '/portal-api/notification-preferences',
      headers: auth(patient),
      payload: { channels: ['email'], muted: ['emergency'] },
    });
    expect(bad.statusCode).toBe(400);
    const codes = (
      bad.json() as { issue: { details: { coding: { code: string }[] } }[] }
    ).issue.map((i) => i.details.coding[0]?.code);
    expect(codes).toEqual(['NOTIF_EMAIL_REQUIRED', 'NOTIF_MUTED_INVALID']);
    const got = await t.app.inject({
      method: 'GET',
      url: '/portal-api/notification-preferences',
      headers: auth(patient),
    });
    expect(got.json()).toMatchObject({
      channels: ['inbox', 'email'],
      email: 'jean.martin@example.org',
    });
  });
});
