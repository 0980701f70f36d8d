import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { connect } from '../../src/db/client.ts';
import type { Sql } from '../../src/db/client.ts';
import { findNotificationFacts } from '../../src/db/outbox.repository.ts';
import { findRecordForDeposit } from '../../src/db/records.repository.ts';
import { createNotifier } from '../../src/services/notifications/notify.ts';
import { uuid } from '../../src/services/deps.ts';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp, GP, OPERATOR } from '../helpers/app.ts';
import * as fx from './documents.fixtures.ts';
import type { Json } from './documents.fixtures.ts';
import { createCaches } from '../../src/caches.ts';

/**
 * Issue 20, finding 7: every single-patient statement of a search, a read, a retrieval and their traces is planned
 * by Citus to one shard. A second instance of the service runs on a pool whose connections ask Citus to refuse any
 * statement planned into more than one task (`citus.multi_task_query_log_level = error`: the planner's task count,
 * read for every statement the service sends, stored functions' statements included); the requests must all answer
 * as on one node. Only on Citus.
 */
const onCitus = inject('workerUrls').length > 0;

describe.runIf(onCitus)('Citus: single-patient requests are planned to one shard', () => {
  let a: TestApp;
  let strictSql: Sql;
  let b: FastifyInstance;
  let gp: string;
  let patient: string;
  const ins = fx.nir('2840575123456');
  const auth = (token: string) => ({ authorization: `Bearer ${token}` });
  const json = (token: string) => ({ ...auth(token), 'content-type': 'application/fhir+json' });
  let documentId = '';
  let consentId = '';
  let binary = '';

  beforeAll(async () => {
    a = await buildTestApp();
    strictSql = connect(a.db.appUrl, {
      max: 4,
      settings: { 'citus.multi_task_query_log_level': 'error' },
    });
    b = await buildApp({
      ...a.deps,
      sql: strictSql,
      log: pino({ level: 'silent' }),
      ids: uuid,
      notify: createNotifier({ clock: a.clock, ids: uuid }),
      // Its own memory, as another instance has.
      caches: createCaches(a.deps.config),
    });
    await b.ready();
    const token = async (body: Json) =>
      (await b.inject({ method: 'POST', url: '/auth/dev/token', payload: body })).json<{
        access_token: string;
      }>().access_token;
    gp = await token(GP);
    patient = await token({ kind: 'patient', ins });
    const operator = await a.token(OPERATOR);
    const gpAtA = await a.token(GP);
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
      headers: json(gpAtA),
      payload: fx.consentBody(ins, GP.idNatPs),
    });
    expect(consent.statusCode, consent.body).toBe(201);
    consentId = String(consent.json<Json>()['id']);
    const bytes = fx.n1Bytes(ins);
    const res = await a.app.inject({
      method: 'POST',
      url: '/fhir/DocumentReference',
      headers: json(gpAtA),
      payload: fx.iti105(
        fx.pdfDocumentReference(ins, bytes, { idNatPs: GP.idNatPs, structure: GP.structure }),
        bytes,
      ),
    });
    expect(res.statusCode, res.body).toBe(201);
    const doc = res.json<Json>();
    documentId = String(doc['id']);
    binary = new URL(String((((doc['content'] as Json[])[0] as Json)['attachment'] as Json)['url']))
      .pathname;
  });

  afterAll(async () => {
    await b.close();
    await strictSql.end({ timeout: 5 });
    await a.close();
  });

  it('the strict pool refuses a statement that goes to every shard (the check can fail)', async () => {
    await expect(strictSql`SELECT count(*) FROM document`).rejects.toThrow(/multi-task/);
    await expect(
      strictSql`SELECT count(*) FROM document WHERE patient_id = ${a.deps.ids()}`,
    ).resolves.toHaveLength(1);
  });

  it('a deposit’s reads of the record (row, consents, notification facts) are one shard each', async () => {
    const record = await findRecordForDeposit(strictSql, createCaches(a.deps.config), ins);
    expect(record?.ins).toBe(ins);
    const facts = await strictSql.begin((tx) =>
      findNotificationFacts(tx, record!.patient_id, { documentId }),
    );
    expect(facts?.document?.id).toBe(documentId);
  });

  const requests: [string, () => string, () => string][] = [
    [
      'search (ITI-67)',
      () =>
        `/fhir/DocumentReference?patient.identifier=${encodeURIComponent(`${fx.TEST_SYSTEM}|${ins}`)}`,
      () => gp,
    ],
    ['read (DocumentReference/{id})', () => `/fhir/DocumentReference/${documentId}`, () => gp],
    ['retrieval (ITI-68)', () => binary, () => gp],
    [
      'the record (Patient search by INS)',
      () => `/fhir/Patient?identifier=${encodeURIComponent(`${fx.TEST_SYSTEM}|${ins}`)}`,
      () => gp,
    ],
    ['the holder’s access history (AuditEvent)', () => '/fhir/AuditEvent', () => patient],
    // Its record through resource_locator, then the consent on that record (migration 0073, ADR 0027).
    ['a consent by its id (Consent/{id})', () => `/fhir/Consent/${consentId}`, () => patient],
  ];

  it('a login and a miss by id are traced on one shard each (the system chain’s stripes, ADR 0026)', async () => {
    // The logins of beforeAll went through the strict pool already; one more, of another actor.
    const login = await b.inject({
      method: 'POST',
      url: '/auth/dev/token',
      payload: { kind: 'patient', ins: fx.nir('1840575123457') },
    });
    expect(login.statusCode, login.body).toBe(200);
    // A document id that names nothing: its locator probe, then its miss traced on the caller's stripe.
    const miss = await b.inject({
      method: 'GET',
      url: `/fhir/DocumentReference/${a.deps.ids()}`,
      headers: auth(gp),
    });
    expect(miss.statusCode, miss.body.slice(0, 300)).toBe(404);
    const [traced] = await a.db.owner<{ n: number }[]>`
      SELECT count(*)::int AS n FROM system_audit_event WHERE action = 'auth.login'`;
    expect(traced!.n).toBeGreaterThanOrEqual(3);
  });

  for (const [what, url, token] of requests) {
    it(`${what}: on fresh facts, then on remembered facts with its conditional trace`, async () => {
      for (let i = 0; i < 2; i++) {
        const res = await b.inject({ method: 'GET', url: url(), headers: auth(token()) });
        expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
      }
    });
  }
});
