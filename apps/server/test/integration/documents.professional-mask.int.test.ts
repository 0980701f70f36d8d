import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp, OPERATOR } from '../helpers/app.ts';
import * as fx from './documents.fixtures.ts';
import type { Json } from './documents.fixtures.ts';
import { loadDirectory } from './notifications.fixtures.ts';
import { client, HOSPITAL, pro, type Client } from './issue17.fixtures.ts';

/**
 * Issue 17 rule 4 (TD3.3a) over HTTP: at the patient's request, the author or a professional authorized on the
 * record sets or lifts MASQUE_PS after deposit (before, only the patient could); each change is traced and the
 * patient is notified. What each professional finds, reads and retrieves follows the mask.
 */
const AUTHOR = pro('810001000024', '10', HOSPITAL, { specialty: 'SM54' });
const MT = pro('810001000008', '10', '1750600009', { specialty: 'SM26' });
const CARDIO = pro('810001000016', '10', '1750700007', { specialty: 'SM04' });
const STRANGER = pro('810001000107', '10', '1750700007', { specialty: 'SM04' });
const MASK = [
  {
    op: 'add',
    path: '/securityLabel/-',
    value: { coding: [{ system: fx.A07, code: 'MASQUE_PS' }] },
  },
];
const UNMASK = [{ op: 'remove', path: '/securityLabel/1' }];

describe('professionals mask and unmask at the patient’s request (issue 17 rule 4)', () => {
  let t: TestApp;
  let c: Client;
  const ins = fx.nir('2790351215189');
  const patient = { kind: 'patient', ins };
  let patientId: string;
  const docs = new Map<string, Json>();
  const one = (k: string) => new Map([[k, docs.get(k) ?? {}]]);
  const all = (x: { search: string[] | number; read: string[]; retrieve: string[] }) => x;

  const patch = (actor: Json, key: string, ops: unknown) =>
    c.call(
      actor,
      'PATCH',
      `/fhir/DocumentReference/${String(docs.get(key)?.['id'])}`,
      ops,
      'application/json-patch+json',
    );
  const notices = async () =>
    (
      await t.db.owner<{ event_type: string; recipient_kind: string; actor: string }[]>`
        SELECT event_type, recipient_kind, payload->>'actorId' AS actor FROM outbox
        WHERE patient_id = ${patientId} AND event_type IN ('document.masked', 'document.unmasked')
        ORDER BY created_at, event_type`
    ).map((r) => `${r.event_type}:${r.recipient_kind}:${r.actor}`);
  const visibilityTraces = async (key: string) =>
    (
      await t.db.owner<
        { outcome: string; op: string | null; actor_id: string; reason_code: string | null }[]
      >`
        SELECT outcome, detail->>'operation' AS op, actor_id, reason_code FROM audit_event
        WHERE entity_id = ${String(docs.get(key)?.['id'])} AND action = 'document.visibility' ORDER BY seq`
    ).map((r) => `${r.outcome}:${r.op ?? ''}:${r.actor_id}:${r.reason_code ?? ''}`);

  beforeAll(async () => {
    t = await buildTestApp();
    c = client(t);
    await loadDirectory(t.db.owner);
    patientId = await c.createRecord(ins);
    const gp = await c.call(
      patient,
      'PATCH',
      `/fhir/Patient/${patientId}`,
      [
        {
          op: 'add',
          path: '/generalPractitioner',
          value: [{ identifier: { system: fx.IDNAT_PS, value: MT['idNatPs'] } }],
        },
      ],
      'application/json-patch+json',
    );
    expect(gp.status, gp.body).toBe(200);
    const consent = await c.call(
      CARDIO,
      'POST',
      '/fhir/Consent',
      fx.consentBody(ins, String(CARDIO['idNatPs'])),
    );
    expect(consent.status, consent.body).toBe(201);
    docs.set('cr', await c.deposit(AUTHOR, ins));
    docs.set('letter', await c.deposit(AUTHOR, ins));
  });

  afterAll(async () => {
    await t.close();
  });

  it('the author masks without any authorization: the consented cardiologist loses it, the médecin traitant and the patient keep it, the patient is told', async () => {
    expect(all(await c.sees(CARDIO, ins, one('cr')))).toEqual({
      search: ['cr'],
      read: ['cr'],
      retrieve: ['cr'],
    });
    const res = await patch(AUTHOR, 'cr', MASK);
    expect(res.status, res.body).toBe(200);
    expect(res.body).toContain('MASQUE_PS');
    expect(await c.sees(CARDIO, ins, one('cr'))).toEqual({ search: [], read: [], retrieve: [] });
    for (const who of [MT, patient]) {
      expect(await c.sees(who, ins, one('cr'))).toEqual({
        search: ['cr'],
        read: ['cr'],
        retrieve: ['cr'],
      });
    }
    expect(await notices()).toEqual([`document.masked:patient:${String(AUTHOR['idNatPs'])}`]);
  });

  it('a professional the mask hides the document from cannot lift it: answered as missing', async () => {
    const res = await patch(CARDIO, 'cr', UNMASK);
    expect(res.status).toBe(404);
    expect(await c.sees(CARDIO, ins, one('cr'))).toEqual({ search: [], read: [], retrieve: [] });
  });

  it('the médecin traitant lifts the mask: the cardiologist finds it again, the patient is told', async () => {
    const res = await patch(MT, 'cr', UNMASK);
    expect(res.status, res.body).toBe(200);
    expect(await c.sees(CARDIO, ins, one('cr'))).toEqual({
      search: ['cr'],
      read: ['cr'],
      retrieve: ['cr'],
    });
    expect(await notices()).toEqual([
      `document.masked:patient:${String(AUTHOR['idNatPs'])}`,
      `document.unmasked:patient:${String(MT['idNatPs'])}`,
    ]);
  });

  it('a professional authorized by a declared consent masks a document they did not write', async () => {
    const res = await patch(CARDIO, 'letter', MASK);
    expect(res.status, res.body).toBe(200);
    expect(await c.sees(CARDIO, ins, one('letter'))).toEqual({
      search: [],
      read: [],
      retrieve: [],
    });
    expect(await c.sees(MT, ins, one('letter'))).toEqual({
      search: ['letter'],
      read: ['letter'],
      retrieve: ['letter'],
    });
  });

  it('refuses professionals without an authorization, and emergency access, traced with the reason', async () => {
    // Without an authorization the document is not theirs to know of: answered as missing, traced with the reason.
    const stranger = await patch(STRANGER, 'cr', MASK);
    expect(stranger.status).toBe(404);
    const emergency = await patch(
      { ...STRANGER, mode: 'bris_de_glace', reason: 'Patient inconscient', ins },
      'cr',
      MASK,
    );
    expect(emergency.status).toBe(403);
    expect(fx.issueCodes(emergency.body)).toEqual(['ACCESS_VISIBILITY_NOT_ALLOWED']);
    const operator = await patch(OPERATOR, 'cr', MASK);
    expect(operator.status).toBe(404);
    expect(await c.sees(CARDIO, ins, one('cr'))).toEqual({
      search: ['cr'],
      read: ['cr'],
      retrieve: ['cr'],
    });
    expect(await visibilityTraces('cr')).toEqual([
      `success:set:${String(AUTHOR['idNatPs'])}:`,
      `success:unset:${String(MT['idNatPs'])}:`,
      `denied::${String(STRANGER['idNatPs'])}:ACCESS_NO_AUTHORIZATION`,
      `denied::${String(STRANGER['idNatPs'])}:ACCESS_VISIBILITY_NOT_ALLOWED`,
      'denied::op-test:ACCESS_OPERATOR_NO_CLINICAL',
    ]);
  });
});
