/**
 * Issue 17 rule 11: a record created under an NIA receives its NIR later and stays one record. The operator's
 * `POST /fhir/Patient/{id}/$assign-nir` makes the NIR the record's INS; the record keeps its id, documents, consents,
 * notifications and traces, and both identifiers resolve to it. Before, the only way was a second record under the
 * NIR: the history, the documents and the traces stayed behind under the NIA.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainFailure } from '../../src/domain/errors.ts';
import { defaultJobs, runJobNow } from '../../src/jobs/scheduler.ts';
import { assignNir } from '../../src/services/records.ts';
import { loadNotificationSettings } from '../../src/services/notifications/settings.ts';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp, OPERATOR } from '../helpers/app.ts';
import * as fx from './documents.fixtures.ts';
import type { Json } from './documents.fixtures.ts';
import { cdaBy, client, HOSPITAL, pro, type Client } from './issue17.fixtures.ts';

const NIA_OID = '1.2.250.1.213.1.4.9';
const expressions = (body: string): unknown =>
  (JSON.parse(body) as { issue: { expression?: string[] }[] }).issue.flatMap(
    (i) => i.expression ?? [],
  );
const NIR_OID = '1.2.250.1.213.1.4.8';
const NIA = '180017512345660';
const NIR = '180027512345775';
const AUTHOR = pro('810001000024', '10', HOSPITAL, { specialty: 'SM54' });

describe('a record created under an NIA receives its NIR (issue 17 rule 11)', () => {
  let t: TestApp;
  let c: Client;
  let patientId: string;
  let documentId: string;
  const assign = (actor: Json, id: string, value: string, system = `urn:oid:${NIR_OID}`) =>
    c.call(actor, 'POST', `/fhir/Patient/${id}/$assign-nir`, {
      resourceType: 'Parameters',
      parameter: [{ name: 'identifier', valueIdentifier: { system, value } }],
    });
  const td02 = (actor: Json, oid: string, value: string) =>
    c.call(
      actor,
      'GET',
      `/fhir/Patient?identifier=${encodeURIComponent(`urn:oid:${oid}|${value}`)}`,
    );
  const documents = async (actor: Json, oid: string, value: string): Promise<unknown[]> => {
    const q = encodeURIComponent(`urn:oid:${oid}|${value}`);
    const res = await c.call(actor, 'GET', `/fhir/DocumentReference?patient.identifier=${q}`);
    expect(res.status, res.body).toBe(200);
    return ((res.json()['entry'] ?? []) as { resource: Json }[]).map((e) => e.resource['id']);
  };
  const createNiaRecord = async (nia: string, birthDate: string): Promise<string> => {
    const res = await c.call(OPERATOR, 'POST', '/fhir/Patient', {
      ...fx.patientBody(nia),
      identifier: [{ system: `urn:oid:${NIA_OID}`, value: nia }],
      birthDate,
    });
    expect(res.status, res.body).toBe(201);
    return String(res.json()['id']);
  };

  beforeAll(async () => {
    t = await buildTestApp();
    c = client(t);
    patientId = await createNiaRecord(NIA, '1980-01-15');
    // A document deposited while the record was under its NIA (the CDA names the patient by the NIA too).
    const cda = cdaBy(AUTHOR, NIA).replaceAll(`root="${fx.TEST_OID}"`, `root="${NIA_OID}"`);
    const bytes = Buffer.from(cda, 'utf8');
    const docRef = fx.cdaDocumentReference(NIA, bytes, {
      subject: { reference: `Patient?identifier=urn:oid:${NIA_OID}|${NIA}` },
    });
    const res = await c.call(AUTHOR, 'POST', '/fhir/DocumentReference', fx.iti105(docRef, bytes));
    expect(res.status, res.body).toBe(201);
    documentId = String(res.json()['id']);
    expect(await documents({ kind: 'patient', ins: NIA }, NIA_OID, NIA)).toEqual([documentId]);
  });

  afterAll(async () => {
    await t.close();
  });

  it('only the operator assigns the NIR', async () => {
    const res = await assign({ kind: 'patient', ins: NIA }, patientId, NIR);
    expect(res.status, res.body).toBe(403);
    expect(fx.issueCodes(res.body)).toContain('REC_OPERATOR_ONLY');
    const pro = await assign(AUTHOR, patientId, NIR);
    expect(pro.status, pro.body).toBe(403);
  });

  it('refuses an NIA as the new identifier', async () => {
    const res = await assign(OPERATOR, patientId, NIR, `urn:oid:${NIA_OID}`);
    expect(res.status, res.body).toBe(400);
    expect(fx.issueCodes(res.body)).toContain('REC_NIR_REQUIRED');
    // Located on the operation's Parameters for a FHIR client…
    expect(expressions(res.body)).toEqual(["Parameters.parameter.where(name='identifier')"]);
    // …by the FHIR adapter: the core names the field of its own input (issue 18 point 4).
    const refusal = await assignNir(t.deps, { kind: 'operator', id: 'ops' }, patientId, {
      value: NIR,
      system: NIA_OID,
    }).catch((e: unknown) => e);
    expect((refusal as DomainFailure).error).toMatchObject({
      code: 'REC_NIR_REQUIRED',
      location: ['identifier'],
    });
  });

  it('makes the NIR the record’s INS and keeps the NIA as its former identifier', async () => {
    const res = await assign(OPERATOR, patientId, NIR);
    expect(res.status, res.body).toBe(200);
    expect(res.json()['id']).toBe(patientId);
    expect(res.json()['identifier']).toEqual([
      { system: `urn:oid:${NIR_OID}`, value: NIR },
      { use: 'old', system: `urn:oid:${NIA_OID}`, value: NIA },
    ]);
  });

  it('both identifiers resolve to the same record (TD0.2)', async () => {
    for (const [oid, value] of [
      [NIR_OID, NIR],
      [NIA_OID, NIA],
    ] as const) {
      const res = await td02(AUTHOR, oid, value);
      expect(res.status, res.body).toBe(200);
      const entry = (res.json()['entry'] as { resource: Json }[])[0]?.resource;
      expect(entry?.['id']).toBe(patientId);
    }
  });

  it('the holder finds the documents and the history of the NIA days, under either identifier', async () => {
    const holder = { kind: 'patient', ins: NIR };
    expect(await documents(holder, NIR_OID, NIR)).toEqual([documentId]);
    expect(await documents(holder, NIA_OID, NIA)).toEqual([documentId]);
    const q = encodeURIComponent(`urn:oid:${NIR_OID}|${NIR}`);
    const history = await c.call(
      holder,
      'GET',
      `/fhir/AuditEvent?patient.identifier=${q}&_count=500`,
    );
    expect(history.status, history.body).toBe(200);
    const subtypes = ((history.json()['entry'] ?? []) as { resource: Json }[]).flatMap((e) =>
      ((e.resource['subtype'] as { code: string }[] | undefined) ?? []).map((s) => s.code),
    );
    expect(subtypes).toContain('document.deposit');
    expect(subtypes).toContain('record.assign-nir');
    expect(subtypes).toContain('record.create');
  });

  it('the holder’s notifications follow the record to its NIR', async () => {
    await runJobNow(t.deps, 'outbox', defaultJobs({ notifications: loadNotificationSettings({}) }));
    const res = await c.call({ kind: 'patient', ins: NIR }, 'GET', '/fhir/Communication');
    expect(res.status, res.body).toBe(200);
    const entries = (res.json()['entry'] ?? []) as { resource: Json }[];
    expect(entries.length).toBeGreaterThan(0);
    for (const { resource } of entries) {
      expect((resource['recipient'] as Json[])[0]?.['identifier']).toMatchObject({
        system: `urn:oid:${NIR_OID}`,
        value: NIR,
      });
    }
  });

  it('the CapabilityStatement announces the operation', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/fhir/metadata' });
    const rest = (
      res.json() as { rest: { resource: { type: string; operation?: { name: string }[] }[] }[] }
    ).rest[0];
    const patient = rest?.resource.find((r) => r.type === 'Patient');
    expect(patient?.operation?.map((o) => o.name)).toContain('assign-nir');
  });

  it('a second assignment is refused: the record is no longer under an NIA', async () => {
    const res = await assign(OPERATOR, patientId, '180037512345890');
    expect(res.status, res.body).toBe(409);
    expect(fx.issueCodes(res.body)).toContain('REC_NOT_NIA');
  });

  it('a NIR that already names another record is refused (two records are merged, not joined)', async () => {
    const other = await createNiaRecord('180037512345890', '1980-03-15');
    const res = await assign(OPERATOR, other, NIR);
    expect(res.status, res.body).toBe(409);
    expect(fx.issueCodes(res.body)).toContain('REC_INS_EXISTS');
    const [trace] = await t.db.owner<{ outcome: string; reason_code: string }[]>`
      SELECT outcome, reason_code FROM audit_event
      WHERE patient_id = ${other} AND action = 'record.assign-nir'`;
    expect(trace).toEqual({ outcome: 'failure', reason_code: 'REC_INS_EXISTS' });
    // Nothing changed: the other record still answers under its NIA only.
    const td = await td02(AUTHOR, NIA_OID, '180037512345890');
    expect((td.json()['entry'] as { resource: Json }[])[0]?.resource['id']).toBe(other);
  });
});
