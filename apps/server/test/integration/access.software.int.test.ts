import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp } from '../helpers/app.ts';
import * as fx from './documents.fixtures.ts';
import type { Json } from './documents.fixtures.ts';
import { cdaBy, client, deniedTraces, HOSPITAL, pro, type Client } from './issue17.fixtures.ts';

/**
 * Issue 17 rule 12 over HTTP: a structure's software ("authentification indirecte", dev token
 * `{"kind":"software","id":…,"structure":…,"profile":"deposit"|"consultation"}`) deposits the documents its
 * professionals authored and manages its structure's documents (finds them by uniqueId, archives, deletes), and
 * consults nothing: its search, reads and retrievals are refused with the profile's stable reason, traced.
 * Before, a hospital's system could only act under a professional's token, with that professional's rights.
 */
const CLINIC = '1750700007';
const DOCTOR = pro('810001000024', '10', HOSPITAL, { specialty: 'SM54' });
const CLINIC_DOCTOR = pro('810001000016', '10', CLINIC, { specialty: 'SM04' });
const SOFTWARE: Json = { kind: 'software', id: 'dpi-chu', structure: HOSPITAL, profile: 'deposit' };
const CONSULTING: Json = { ...SOFTWARE, id: 'dpi-chu-2', profile: 'consultation' };
const CLINIC_SOFTWARE: Json = { ...SOFTWARE, id: 'dpi-clinic', structure: CLINIC };

describe('a structure software deposits and manages its structure’s documents, and consults nothing', () => {
  let t: TestApp;
  let c: Client;
  const ins = fx.nir('1790351215190');
  const patientQuery = `patient.identifier=${encodeURIComponent(`${fx.TEST_SYSTEM}|${ins}`)}`;
  const docs = new Map<string, Json>();
  let patientId: string;

  /** A CDA authored by `author`, deposited (ITI-105) under `depositor`'s token. */
  const depositAs = (depositor: Json, author: Json) => {
    const bytes = Buffer.from(cdaBy(author, ins), 'utf8');
    return c.call(
      depositor,
      'POST',
      '/fhir/DocumentReference',
      fx.iti105(fx.cdaDocumentReference(ins, bytes), bytes),
    );
  };
  const byUniqueId = (key: string) => {
    const uid = docs.get(key)?.['masterIdentifier'] as { system: string; value: string };
    return `${patientQuery}&identifier=${encodeURIComponent(`${uid.system}|${uid.value}`)}`;
  };
  const patch = (actor: Json, key: string, op: Json) =>
    c.call(
      actor,
      'PATCH',
      `/fhir/DocumentReference/${String(docs.get(key)?.['id'])}`,
      [op],
      'application/json-patch+json',
    );

  beforeAll(async () => {
    t = await buildTestApp();
    c = client(t);
    patientId = await c.createRecord(ins);
    docs.set('clinic', await c.deposit(CLINIC_DOCTOR, ins));
  });

  afterAll(async () => {
    await t.close();
  });

  it('deposits a document its structure’s professional authored, traced as the software', async () => {
    const res = await depositAs(SOFTWARE, DOCTOR);
    expect(res.status, res.body).toBe(201);
    docs.set('own', res.json());
    const [trace] = await t.db.owner<
      { actor_kind: string; actor_id: string; actor_structure: string; detail: Json }[]
    >`
      SELECT actor_kind, actor_id, actor_structure, detail FROM audit_event
      WHERE patient_id = ${patientId} AND outcome = 'success' AND actor_kind = 'software' ORDER BY seq LIMIT 1`;
    expect(trace).toMatchObject({
      actor_kind: 'software',
      actor_id: 'dpi-chu',
      actor_structure: HOSPITAL,
      detail: { softwareProfile: 'deposit' },
    });
  });

  it('checks that the record exists (TD0.2) without receiving the identity traits', async () => {
    const url = `/fhir/Patient?identifier=${encodeURIComponent(`${fx.TEST_SYSTEM}|${ins}`)}`;
    const res = await c.call(SOFTWARE, 'GET', url);
    expect(res.status, res.body).toBe(200);
    const patient = (res.json()['entry'] as { resource: Json }[])[0]?.resource ?? {};
    expect(patient['id']).toBe(patientId);
    expect(patient['name']).toBeUndefined();
    expect(patient['birthDate']).toBeUndefined();
  });

  it('may not deposit what another structure’s professional authored', async () => {
    const res = await depositAs(SOFTWARE, CLINIC_DOCTOR);
    expect(res.status, res.body).toBe(403);
    expect(await deniedTraces(t, patientId)).toContain('document.deposit:ACCESS_NOT_AUTHOR');
  });

  it('consults nothing: search, read and retrieve are refused, with the profile’s reason', async () => {
    expect(await c.sees(SOFTWARE, ins, docs)).toEqual({ search: 403, read: [], retrieve: [] });
    expect(await c.sees(CONSULTING, ins, docs)).toEqual({ search: 403, read: [], retrieve: [] });
    const denied = await deniedTraces(t, patientId);
    expect(denied).toContain('document.search:ACCESS_SOFTWARE_DEPOSIT_ONLY');
    expect(denied).toContain('document.search:ACCESS_SOFTWARE_NO_CONSULTATION');
  });

  it('finds its structure’s document by uniqueId, not another structure’s', async () => {
    const own = await c.call(SOFTWARE, 'GET', `/fhir/DocumentReference?${byUniqueId('own')}`);
    expect(own.status, own.body).toBe(200);
    expect(own.json()['total']).toBe(1);
    const other = await c.call(SOFTWARE, 'GET', `/fhir/DocumentReference?${byUniqueId('clinic')}`);
    expect(other.status, other.body).toBe(200);
    expect(other.json()['total']).toBe(0);
  });

  it('is refused everywhere else (4xx, never a server error)', async () => {
    const q = encodeURIComponent(`${fx.TEST_SYSTEM}|${ins}`);
    const id = String(docs.get('clinic')?.['id']);
    const calls: [string, string, unknown?][] = [
      ['GET', `/fhir/Patient/${patientId}`],
      ['GET', `/fhir/Patient/${patientId}/$profile`],
      ['GET', `/fhir/Patient/${patientId}/$representatives`],
      ['POST', `/fhir/Patient/${patientId}/$close`, { resourceType: 'Parameters', parameter: [] }],
      ['GET', `/fhir/AuditEvent?patient.identifier=${q}`],
      ['GET', '/fhir/AuditEvent'],
      ['GET', '/fhir/Communication'],
      ['GET', `/fhir/Consent?patient.identifier=${q}`],
      ['POST', '/fhir/Consent', fx.consentBody(ins, '810001000024')],
      ['GET', `/fhir/ExplanationOfBenefit?patient.identifier=${q}`],
      ['GET', `/fhir/List?patient.identifier=${q}&code=submissionset`],
      ['GET', `/fhir/DocumentReference/${id}`],
      ['GET', `/fhir/Condition?patient=Patient/${patientId}`],
      ['GET', '/portal-api/notification-preferences'],
      ['GET', `/portal-api/documents/${id}/audience`],
    ];
    for (const [method, url, body] of calls) {
      const res = await c.call(SOFTWARE, method, url, body);
      expect([400, 403, 404], `${method} ${url}: ${res.status} ${res.body}`).toContain(res.status);
    }
  });

  it('archives and deletes its structure’s document; another structure’s looks missing', async () => {
    const other = await patch(SOFTWARE, 'clinic', {
      op: 'replace',
      path: '/status',
      value: 'entered-in-error',
    });
    expect(other.status, other.body).toBe(404);
    const otherSoftware = await patch(CLINIC_SOFTWARE, 'own', {
      op: 'replace',
      path: '/status',
      value: 'entered-in-error',
    });
    expect(otherSoftware.status, otherSoftware.body).toBe(404);
    const archive = await patch(SOFTWARE, 'own', {
      op: 'replace',
      path: '/extension/0/valueBoolean',
      value: true,
    });
    expect(archive.status, archive.body).toBe(200);
    const del = await patch(SOFTWARE, 'own', {
      op: 'replace',
      path: '/status',
      value: 'entered-in-error',
    });
    expect(del.status, del.body).toBe(200);
    // The clinic's document was never touched: its author still finds it, current.
    const found = await c.call(
      CLINIC_DOCTOR,
      'GET',
      `/fhir/DocumentReference?${byUniqueId('clinic')}`,
    );
    expect(found.status, found.body).toBe(200);
    const entries = found.json()['entry'] as { resource: Json }[];
    expect(entries.map((e) => e.resource['status'])).toEqual(['current']);
  });
});
