/**
 * Issue 17 rule 11: the test (1.2.250.1.213.1.4.10) and demo (…4.11) INS systems are for demo and test
 * configurations. A service configured for production (OPENDMP_TEST_INS off, the default outside demo mode)
 * refuses them with 400 ID_INS_TEST_SYSTEM wherever a patient is named by INS — record creation, TD0.2, document
 * search, deposit — so that software pointed at the wrong platform never reaches a real record by its matricule.
 * Before, any of the four systems named the same record.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/app.ts';
import * as fx from './documents.fixtures.ts';
import type { Json } from './documents.fixtures.ts';
import { cdaBy, client, HOSPITAL, pro, type Client } from './issue17.fixtures.ts';

const NIR_SYSTEM = 'urn:oid:1.2.250.1.213.1.4.8';
const DEMO_SYSTEM = 'urn:oid:1.2.250.1.213.1.4.11';
const AUTHOR = pro('810001000024', '10', HOSPITAL, { specialty: 'SM54' });

describe('test and demo INS systems outside demo and test configurations (issue 17 rule 11)', () => {
  let production: TestApp;
  let testing: TestApp;
  let c: Client;
  const ins = fx.nir('1840675123456');
  const withSystem = (system: string): Json => ({
    ...fx.patientBody(ins),
    identifier: [{ system, value: ins }],
  });
  /** A CDA naming the patient under `cdaOid`, deposited with the subject under `system`. */
  const deposit = (system: string, cdaOid = fx.TEST_OID) => {
    const cda = cdaBy(AUTHOR, ins).replaceAll(`root="${fx.TEST_OID}"`, `root="${cdaOid}"`);
    const bytes = Buffer.from(cda, 'utf8');
    const docRef = fx.cdaDocumentReference(ins, bytes, {
      subject: { reference: `Patient?identifier=${system}|${ins}` },
    });
    return c.call(AUTHOR, 'POST', '/fhir/DocumentReference', fx.iti105(docRef, bytes));
  };

  beforeAll(async () => {
    // The dev identity provider stays on to mint the tokens; only the INS systems are configured for production.
    production = await buildTestApp({ testInsSystems: false });
    testing = await buildTestApp();
    c = client(production);
  });

  afterAll(async () => {
    await production.close();
    await testing.close();
  });

  it('the test configuration keeps accepting them (the demo and the test suite rely on them)', async () => {
    const t = client(testing);
    const res = await t.call(
      { kind: 'operator', id: 'op-test' },
      'POST',
      '/fhir/Patient',
      withSystem(DEMO_SYSTEM),
    );
    expect(res.status, res.body).toBe(201);
  });

  it('refuses to create a record under a test or demo system, and creates it under INS-NIR', async () => {
    for (const system of [fx.TEST_SYSTEM, DEMO_SYSTEM]) {
      const res = await c.call(
        { kind: 'operator', id: 'op-test' },
        'POST',
        '/fhir/Patient',
        withSystem(system),
      );
      expect(res.status, res.body).toBe(400);
      expect(fx.issueCodes(res.body)).toContain('ID_INS_TEST_SYSTEM');
      // Located on the Patient's identifier, as every other issue of the INS sent (issue 18 point 4).
      const issue = (JSON.parse(res.body) as { issue: { expression?: string[] }[] }).issue[0];
      expect(issue?.expression).toEqual(['Patient.identifier']);
    }
    const res = await c.call(
      { kind: 'operator', id: 'op-test' },
      'POST',
      '/fhir/Patient',
      withSystem(NIR_SYSTEM),
    );
    expect(res.status, res.body).toBe(201);
  });

  it('refuses TD0.2 and a document search that name the record by a test system', async () => {
    const td02 = (system: string) =>
      c.call(AUTHOR, 'GET', `/fhir/Patient?identifier=${encodeURIComponent(`${system}|${ins}`)}`);
    expect((await td02(NIR_SYSTEM)).status).toBe(200);
    const refused = await td02(fx.TEST_SYSTEM);
    expect(refused.status, refused.body).toBe(400);
    expect(fx.issueCodes(refused.body)).toContain('ID_INS_TEST_SYSTEM');
    const search = await c.call(
      AUTHOR,
      'GET',
      `/fhir/DocumentReference?patient.identifier=${encodeURIComponent(`${DEMO_SYSTEM}|${ins}`)}`,
    );
    expect(search.status, search.body).toBe(400);
    expect(fx.issueCodes(search.body)).toContain('ID_INS_TEST_SYSTEM');
  });

  it('refuses a deposit whose subject names a test system', async () => {
    const res = await deposit(fx.TEST_SYSTEM);
    expect(res.status, res.body).toBe(400);
    expect(fx.issueCodes(res.body)).toContain('ID_INS_TEST_SYSTEM');
  });

  it('refuses a CDA whose recordTarget names a test system, even under an INS-NIR subject', async () => {
    // The CDA's recordTarget must name the subject's own system: a test system there is refused too.
    const res = await deposit(NIR_SYSTEM);
    expect(res.status, res.body).toBe(422);
    expect(fx.issueCodes(res.body)).toContain('DOC_CDA_PATIENT_MISMATCH');
    const accepted = await deposit(NIR_SYSTEM, '1.2.250.1.213.1.4.8');
    expect(accepted.status, accepted.body).toBe(201);
  });
});
