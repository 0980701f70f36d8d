import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { connect } from '../../src/db/client.ts';
import type { Sql } from '../../src/db/client.ts';
import { appendRecordAuditBatch } from '../../src/db/audit.repository.ts';
import { findRecordWithConsents } from '../../src/db/records.repository.ts';
import { buildAuditRecord } from '../../src/domain/audit/audit-record.ts';
import { createNotifier } from '../../src/services/notifications/notify.ts';
import { uuid } from '../../src/services/deps.ts';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp, GP, OPERATOR } from '../helpers/app.ts';
import * as fx from './documents.fixtures.ts';
import type { Json } from './documents.fixtures.ts';
import { createCaches } from '../../src/caches.ts';

/**
 * Searches and retrievals decide on what the process remembers of a record, and their trace is written only if
 * the record's access tag has not moved since (docs/adr/0009-confirmed-reads.md). Two service instances share one
 * database here: what one changes, the other must honour at once, and a read decided on outdated facts must leave
 * no trace of success.
 */
describe('reads confirmed by their trace, across two instances', () => {
  let a: TestApp;
  let bSql: Sql;
  let b: FastifyInstance;
  let gp: string;
  let patient: string;
  /** The patient's token as instance B issues it (each instance has its own development signing key). */
  let patientAtB: string;
  let patientId: string;
  const ins = fx.nir('2840575123456');
  const auth = (token: string) => ({ authorization: `Bearer ${token}` });
  const json = (token: string) => ({ ...auth(token), 'content-type': 'application/fhir+json' });
  const searchUrl = `/fhir/DocumentReference?patient.identifier=${encodeURIComponent(`${fx.TEST_SYSTEM}|${ins}`)}`;
  let binary = '';
  let documentId = '';

  async function successTraces(action: string): Promise<number> {
    const [row] = await a.db.owner<{ n: string }[]>`SELECT count(*) AS n FROM audit_event
      WHERE patient_id = ${patientId} AND action = ${action} AND outcome = 'success'`;
    return Number(row?.n ?? 0);
  }

  async function search(app: FastifyInstance): Promise<{ status: number; total?: number }> {
    const res = await app.inject({ method: 'GET', url: searchUrl, headers: auth(gp) });
    return {
      status: res.statusCode,
      ...(res.statusCode === 200 ? { total: res.json<{ total: number }>().total } : {}),
    };
  }

  beforeAll(async () => {
    const masterKey = randomBytes(32).toString('base64');
    a = await buildTestApp({ masterKey });
    // Instance B: the same configuration and database, its own connection pool (so its own memory).
    bSql = connect(a.db.appUrl, { max: 4 });
    b = await buildApp({
      ...a.deps,
      sql: bSql,
      log: pino({ level: 'silent' }),
      ids: uuid,
      notify: createNotifier({ clock: a.clock, ids: uuid }),
      caches: createCaches(a.deps.config),
    });
    await b.ready();
    const issued = await b.inject({
      method: 'POST',
      url: '/auth/dev/token',
      payload: { kind: 'patient', ins },
    });
    patientAtB = issued.json<{ access_token: string }>().access_token;
    const operator = await a.token(OPERATOR);
    gp = await a.token(GP);
    patient = await a.token({ kind: 'patient', ins });
    const created = await a.app.inject({
      method: 'POST',
      url: '/fhir/Patient',
      headers: json(operator),
      payload: fx.patientBody(ins),
    });
    expect(created.statusCode, created.body).toBe(201);
    const consent = await a.app.inject({
      method: 'POST',
      url: '/fhir/Consent',
      headers: json(gp),
      payload: fx.consentBody(ins, GP.idNatPs),
    });
    expect(consent.statusCode, consent.body).toBe(201);
    const bytes = fx.n1Bytes(ins);
    const docRef = fx.pdfDocumentReference(ins, bytes, {
      idNatPs: GP.idNatPs,
      structure: GP.structure,
    });
    const res = await a.app.inject({
      method: 'POST',
      url: '/fhir/DocumentReference',
      headers: json(gp),
      payload: fx.iti105(docRef, bytes),
    });
    expect(res.statusCode, res.body).toBe(201);
    const doc = res.json<Json>();
    documentId = String(doc['id']);
    binary = new URL(String((((doc['content'] as Json[])[0] as Json)['attachment'] as Json)['url']))
      .pathname;
    const [row] = await a.db.owner<
      { patient_id: string }[]
    >`SELECT patient_id FROM ins_index WHERE ins = ${ins}`;
    patientId = row?.patient_id ?? '';
  });

  afterAll(async () => {
    await b.close();
    await bSql.end({ timeout: 5 });
    await a.close();
  });

  it('a change made through the other instance that does not concern the caller: answered, traced once', async () => {
    expect(await search(a.app)).toEqual({ status: 200, total: 1 });
    expect((await a.app.inject({ method: 'GET', url: binary, headers: auth(gp) })).statusCode).toBe(
      200,
    );
    // B records an objection to the centre 15 emergency mode: the record's tag moves, the GP's access does not.
    const objection = await b.inject({
      method: 'POST',
      url: '/fhir/Consent',
      headers: json(patientAtB),
      payload: {
        ...fx.consentBody(ins, 'x'),
        provision: {
          type: 'deny',
          purpose: [
            {
              system: 'https://mos.esante.gouv.fr/NOS/TRE_R248-ModeAcces/FHIR/TRE-R248-ModeAcces',
              code: 'centre_15',
            },
          ],
        },
      },
    });
    expect(objection.statusCode, objection.body).toBe(201);
    const searches = await successTraces('document.search');
    const retrievals = await successTraces('document.retrieve');
    expect(await search(a.app)).toEqual({ status: 200, total: 1 });
    const retrieved = await a.app.inject({ method: 'GET', url: binary, headers: auth(gp) });
    expect(retrieved.statusCode).toBe(200);
    // One success trace each, whether or not A had to decide twice.
    expect(await successTraces('document.search')).toBe(searches + 1);
    expect(await successTraces('document.retrieve')).toBe(retrievals + 1);
  });

  it('a block recorded through the other instance stops the next search and retrieval at once', async () => {
    // A has the record's facts in memory.
    expect(await search(a.app)).toEqual({ status: 200, total: 1 });
    expect((await a.app.inject({ method: 'GET', url: binary, headers: auth(gp) })).statusCode).toBe(
      200,
    );
    const searches = await successTraces('document.search');
    const retrievals = await successTraces('document.retrieve');
    const block = await b.inject({
      method: 'POST',
      url: '/fhir/Consent',
      headers: json(patientAtB),
      payload: {
        ...fx.consentBody(ins, GP.idNatPs),
        provision: {
          type: 'deny',
          actor: [{ reference: { identifier: { system: fx.IDNAT_PS, value: GP.idNatPs } } }],
        },
      },
    });
    expect(block.statusCode, block.body).toBe(201);
    expect((await search(a.app)).status).toBe(403);
    const retrieved = await a.app.inject({ method: 'GET', url: binary, headers: auth(gp) });
    expect(retrieved.statusCode).toBe(404); // addressed by id: as if missing (issue 16)
    expect(retrieved.body).not.toContain('%PDF');
    // No success was traced on the outdated facts; the denials were.
    expect(await successTraces('document.search')).toBe(searches);
    expect(await successTraces('document.retrieve')).toBe(retrievals);
    const [denied] = await a.db.owner<{ n: string }[]>`SELECT count(*) AS n FROM audit_event
      WHERE patient_id = ${patientId} AND outcome = 'denied'
        AND action IN ('document.search', 'document.retrieve')`;
    expect(Number(denied?.n)).toBe(2);
  });

  it('a document deleted through the other instance is no longer retrieved nor found', async () => {
    // The patient (not blocked) reads through A, then deletes the document through B.
    const before = await a.app.inject({ method: 'GET', url: binary, headers: auth(patient) });
    expect(before.statusCode).toBe(200);
    const found = await a.app.inject({ method: 'GET', url: searchUrl, headers: auth(patient) });
    expect(found.json<{ total: number }>().total).toBe(1);
    const del = await b.inject({
      method: 'PATCH',
      url: `/fhir/DocumentReference/${documentId}`,
      headers: { ...auth(patientAtB), 'content-type': 'application/json-patch+json' },
      payload: [{ op: 'replace', path: '/status', value: 'entered-in-error' }],
    });
    expect(del.statusCode, del.body).toBe(200);
    const after = await a.app.inject({ method: 'GET', url: binary, headers: auth(patient) });
    expect(after.statusCode).toBe(404);
    const again = await a.app.inject({ method: 'GET', url: searchUrl, headers: auth(patient) });
    expect(again.json<{ total: number }>().total).toBe(0);
  });

  it('append_record_audit writes nothing when the tag it is given is not the record’s', async () => {
    const record = await findRecordWithConsents(a.deps.sql, a.deps.caches, patientId, 'fresh');
    expect(record?.access_tag).toMatch(/^[0-9a-f]{32}$/);
    const event = () =>
      buildAuditRecord(
        { kind: 'operator', id: 'op-test' },
        { action: 'document.search', outcome: 'success', detail: {} },
        new Date(),
        uuid(),
      );
    const [before] = await a.db.owner<{ n: string }[]>`SELECT count(*) AS n FROM audit_event
      WHERE patient_id = ${patientId}`;
    expect(await appendRecordAuditBatch(a.deps.sql, patientId, [event()], 'f'.repeat(32))).toBe(
      'stale',
    );
    const [unchanged] = await a.db.owner<{ n: string }[]>`SELECT count(*) AS n FROM audit_event
      WHERE patient_id = ${patientId}`;
    expect(unchanged?.n).toBe(before?.n);
    expect(await appendRecordAuditBatch(a.deps.sql, patientId, [event()], record?.access_tag)).toBe(
      'appended',
    );
    // A trace moves the chain's head in the record row, not the tag; the record read again carries the same tag.
    expect(await appendRecordAuditBatch(a.deps.sql, patientId, [event()], record?.access_tag)).toBe(
      'appended',
    );
    const traced = await findRecordWithConsents(a.deps.sql, a.deps.caches, patientId, 'fresh');
    expect(traced?.access_tag).toBe(record?.access_tag);
    // Any change to the record row or its active consents moves the tag.
    await a.db.owner`UPDATE patient_record SET general_practitioner = '810001000016'
      WHERE patient_id = ${patientId}`;
    expect(await appendRecordAuditBatch(a.deps.sql, patientId, [event()], record?.access_tag)).toBe(
      'stale',
    );
    const fresh = await findRecordWithConsents(a.deps.sql, a.deps.caches, patientId, 'fresh');
    expect(fresh?.access_tag).not.toBe(record?.access_tag);
    await a.db.owner`UPDATE consent SET status = 'inactive' WHERE patient_id = ${patientId}`;
    expect(await appendRecordAuditBatch(a.deps.sql, patientId, [event()], fresh?.access_tag)).toBe(
      'stale',
    );
    expect(await appendRecordAuditBatch(a.deps.sql, uuid(), [event()], fresh?.access_tag)).toBe(
      'no-record',
    );
  });
});
