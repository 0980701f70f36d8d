import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp, OPERATOR } from '../helpers/app.ts';
import * as fx from './documents.fixtures.ts';
import type { Json } from './documents.fixtures.ts';

/**
 * The official deposit examples of PDSm and PDSm-for-DMP, with their subject pointed at a record of this test:
 * each is refused only for rules listed in docs/conformance.md ("Official examples"), and the same example with
 * exactly those deviations corrected is accepted — so nothing else in it is refused.
 */
const NIR_EXAMPLE = 'Patient?identifier=urn:oid:1.2.250.1.213.1.4.8|123456789012345';
const AUTHOR = { kind: 'professional', idNatPs: '899700218896', profession: '10', mode: 'normal' };
const PDF_FORMAT = {
  system: 'https://mos.esante.gouv.fr/NOS/TRE_A11-IheFormatCode/FHIR/TRE-A11-IheFormatCode',
  code: 'urn:ihe:iti:xds-sd:pdf:2008',
};
const SA07 = {
  coding: [
    {
      system: 'https://mos.esante.gouv.fr/NOS/TRE_R02-SecteurActivite/FHIR/TRE-R02-SecteurActivite',
      code: 'SA07',
    },
  ],
};
const AMBULATOIRE = {
  coding: [
    {
      system: 'https://mos.esante.gouv.fr/NOS/TRE_A01-CadreExercice/FHIR/TRE-A01-CadreExercice',
      code: 'AMBULATOIRE',
    },
  ],
};

/** The rules each example breaks (docs/conformance.md lists the same). */
const DOCUMENTED: Record<string, readonly string[]> = {
  'Bundle-example-td2-iti65-lot-soumission.json': [
    'CDA_SCHEMA_INVALID',
    'DOC_FORMAT_UNKNOWN',
    'DOC_FACILITY_TYPE_UNKNOWN',
    'DOC_PRACTICE_SETTING_UNKNOWN',
    'DOC_CLASS_MISMATCH',
  ],
  'Bundle-example-td2-1-remplacement.json': [
    'CDA_SCHEMA_INVALID',
    'DOC_FORMAT_UNKNOWN',
    'DOC_FACILITY_TYPE_UNKNOWN',
    'DOC_PRACTICE_SETTING_UNKNOWN',
    'DOC_CLASS_MISMATCH',
    'DOC_RELATED_TARGET_UNKNOWN',
  ],
  'DocumentReference-example-td2-iti105-publication-simplifiee.json': ['CDA_SCHEMA_INVALID'],
  'DocumentReference-PDSmSimplifiedExample.json': [
    'DOC_UNIQUE_ID_INVALID',
    'DOC_AUTHOR_UNRESOLVED',
    'DOC_SIZE_MISMATCH',
    'DOC_HASH_MISMATCH',
    'DOC_REQUIRED_MISSING',
    'DOC_CDA_REQUIRED',
  ],
};

describe('documents: the official PDSm and PDSm-for-DMP deposit examples', () => {
  let t: TestApp;
  let author: string;
  let patientId: string;
  const ins = fx.nir('2790351215189');
  const json = (token: string) => ({
    authorization: `Bearer ${token}`,
    'content-type': 'application/fhir+json',
  });

  /** The example with its subject (and contained source patient) pointed at this test's record. */
  function example(dir: string, name: string): Json {
    const text = fs
      .readFileSync(`${dir}${name}`, 'utf8')
      .replaceAll(NIR_EXAMPLE, `Patient?identifier=${fx.TEST_SYSTEM}|${ins}`)
      .replaceAll('Patient/fr-patient-123', `Patient/${patientId}`)
      .replaceAll('"value" : "123456789012345"', `"value" : "${ins}"`)
      .replaceAll('"system" : "urn:oid:1.2.250.1.213.1.4.8",', `"system" : "${fx.TEST_SYSTEM}",`);
    return JSON.parse(text) as Json;
  }

  async function post(body: Json): Promise<{ status: number; codes: string[]; body: string }> {
    const url = body['resourceType'] === 'Bundle' ? '/fhir' : '/fhir/DocumentReference';
    const res = await t.app.inject({ method: 'POST', url, headers: json(author), payload: body });
    return {
      status: res.statusCode,
      codes: res.statusCode >= 400 ? fx.issueCodes(res.body) : [],
      body: res.body,
    };
  }

  /**
   * The DMP bundle's DocumentReference and Binary with the documented deviations corrected: the content is a PDF
   * wrapped in a CDA N1 (CDA-only, issue 17 rule 9) whose header carries the example's own metadata.
   */
  function correctBundle(bundle: Json): Json {
    const docRef = (bundle['entry'] as Json[])
      .map((e) => e['resource'] as Json)
      .find((r) => r['resourceType'] === 'DocumentReference') as Json;
    const n1 = fx.n1Bytes(ins, 'PDSm example', {
      type: docRef['type'],
      masterIdentifier: docRef['masterIdentifier'],
      securityLabel: docRef['securityLabel'],
      context: {
        ...(docRef['context'] as Json | undefined),
        facilityType: SA07,
        practiceSetting: AMBULATOIRE,
      },
    });
    for (const entry of bundle['entry'] as Json[]) {
      const r = entry['resource'] as Json;
      if (r['resourceType'] === 'Binary') {
        r['contentType'] = 'text/xml';
        r['data'] = n1.toString('base64');
      }
      if (r['resourceType'] === 'DocumentReference') {
        r['category'] = [{ coding: [{ system: fx.A03, code: '10' }] }];
        const content = (r['content'] as Json[])[0] as Json;
        Object.assign(content['attachment'] as Json, {
          contentType: 'text/xml',
          size: n1.byteLength,
          hash: fx.sha1Base64(n1),
        });
        content['format'] = PDF_FORMAT;
        Object.assign(r['context'] as Json, { facilityType: SA07, practiceSetting: AMBULATOIRE });
      }
    }
    return bundle;
  }

  beforeAll(async () => {
    t = await buildTestApp({ masterKey: randomBytes(32).toString('base64') });
    const operator = await t.token(OPERATOR);
    const res = await t.app.inject({
      method: 'POST',
      url: '/fhir/Patient',
      headers: json(operator),
      payload: fx.patientBody(ins),
    });
    patientId = String(res.json<Json>()['id']);
    author = await t.token(AUTHOR);
    const consent = await t.app.inject({
      method: 'POST',
      url: '/fhir/Consent',
      headers: json(author),
      payload: fx.consentBody(ins, AUTHOR.idNatPs),
    });
    expect(consent.statusCode).toBeLessThan(300);
  });
  afterAll(async () => {
    await t.close();
  });

  it('refuses each example as published only for its documented rules', async () => {
    for (const [dir, name] of [
      [fx.PDSM_DMP_DIR, 'Bundle-example-td2-iti65-lot-soumission.json'],
      [fx.PDSM_DMP_DIR, 'Bundle-example-td2-1-remplacement.json'],
      [fx.PDSM_DMP_DIR, 'DocumentReference-example-td2-iti105-publication-simplifiee.json'],
      [fx.PDSM_DIR, 'DocumentReference-PDSmSimplifiedExample.json'],
    ] as const) {
      const res = await post(example(dir, name));
      expect(res.status, `${name}: ${res.body.slice(0, 300)}`).toBe(422);
      expect(res.codes.length).toBeGreaterThan(0);
      for (const code of res.codes) {
        expect(DOCUMENTED[name], `${name} refused for ${code}`).toContain(code);
      }
    }
    const [row] = await t.db.owner<{ n: number }[]>`SELECT count(*)::int AS n FROM document`;
    expect(row?.n).toBe(0);
  });

  it('accepts the PDSm-for-DMP ITI-65 bundle once its content is a real document and its codes are the DMP’s', async () => {
    const bundle = correctBundle(
      example(fx.PDSM_DMP_DIR, 'Bundle-example-td2-iti65-lot-soumission.json'),
    );
    const res = await post(bundle);
    expect(res.status, res.body).toBe(200);
    const answer = JSON.parse(res.body) as {
      type: string;
      entry: { response: { status: string } }[];
    };
    expect(answer.type).toBe('transaction-response');
    expect(answer.entry.map((e) => e.response.status)).toEqual([
      '201 Created',
      '201 Created',
      '201 Created',
    ]);
    // Its SubmissionSet (sourceId, designationType, contained author) is found through ITI-66.
    const lists = await t.app.inject({
      method: 'GET',
      url: `/fhir/List?patient.identifier=${encodeURIComponent(`${fx.TEST_SYSTEM}|${ins}`)}&code=submissionset`,
      headers: { authorization: `Bearer ${author}` },
    });
    const set = lists.json<{ entry: { resource: Json }[] }>().entry[0]?.resource as Json;
    expect(JSON.stringify(set['extension'])).toContain('urn:oid:1.2.3.4.5.6.7.8');
  });

  it('accepts the PDSm-for-DMP replacement bundle (PATCH entry included) once it targets a document of the record', async () => {
    const found = await t.app.inject({
      method: 'GET',
      url: `/fhir/DocumentReference?patient.identifier=${encodeURIComponent(`${fx.TEST_SYSTEM}|${ins}`)}&identifier=${encodeURIComponent('urn:ietf:rfc:3986|urn:oid:1.2.250.1.213.1.4.8.99999.2')}`,
      headers: { authorization: `Bearer ${author}` },
    });
    const target = String(found.json<{ entry: { resource: Json }[] }>().entry[0]?.resource['id']);
    const text = JSON.stringify(
      correctBundle(example(fx.PDSM_DMP_DIR, 'Bundle-example-td2-1-remplacement.json')),
    ).replaceAll('DocumentReference/doc-x-id', `DocumentReference/${target}`);
    const res = await post(JSON.parse(text) as Json);
    expect(res.status, res.body).toBe(200);
    const answer = JSON.parse(res.body) as { entry: { response: { status: string } }[] };
    expect(answer.entry.map((e) => e.response.status)).toEqual([
      '201 Created',
      '201 Created',
      '200 OK',
      '201 Created',
    ]);
    const old = await t.app.inject({
      method: 'GET',
      url: `/fhir/DocumentReference/${target}`,
      headers: { authorization: `Bearer ${author}` },
    });
    expect(old.json<Json>()['status']).toBe('superseded');
  });

  it('accepts the PDSm-for-DMP ITI-105 example once its placeholder CDA is a real one (metadata derived from it)', async () => {
    const body = example(
      fx.PDSM_DMP_DIR,
      'DocumentReference-example-td2-iti105-publication-simplifiee.json',
    );
    const xml = fx.rewriteIns(fx.readExample('VAC-NOTE_2023.01.xml'), ins);
    const bytes = Buffer.from(fx.rewriteDocumentId(xml, '1.2.250.1.213.1.4.8.99999.1'), 'utf8');
    const attachment = ((body['content'] as Json[])[0] as Json)['attachment'] as Json;
    attachment['data'] = bytes.toString('base64');
    body['type'] = { coding: [{ system: 'http://loinc.org', code: fx.header(bytes).code.code }] };
    const cdaAuthor = fx.authorTokenBody(fx.header(bytes));
    (body['contained'] as Json[])[0] = {
      resourceType: 'Practitioner',
      id: 'practitioner-author',
      identifier: [{ system: fx.IDNAT_PS, value: String(cdaAuthor['idNatPs']) }],
    };
    const res = await t.app.inject({
      method: 'POST',
      url: '/fhir/DocumentReference',
      headers: json(await t.token(cdaAuthor)),
      payload: body,
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json<Json>()['category']).toBeDefined();
  });

  it('accepts the PDSm simplified-publish example once its identifiers, author, size and hash are consistent', async () => {
    const body = example(fx.PDSM_DIR, 'DocumentReference-PDSmSimplifiedExample.json');
    const bytes = Buffer.from('SGVsbG8gV29ybGQ=', 'base64');
    body['masterIdentifier'] = {
      system: 'urn:ietf:rfc:3986',
      value: `urn:uuid:${crypto.randomUUID()}`,
    };
    body['contained'] = [
      {
        resourceType: 'Practitioner',
        id: 'author',
        identifier: [{ system: fx.IDNAT_PS, value: AUTHOR.idNatPs }],
      },
    ];
    body['author'] = [{ reference: '#author' }];
    body['authenticator'] = { reference: '#author' };
    body['securityLabel'] = [
      {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'N' }],
      },
    ];
    Object.assign(body['context'] as Json, { period: { start: '2025-04-29T17:00:00+01:00' } });
    // CDA-only (issue 17 rule 9): the example's file goes in a CDA N1 whose header carries its metadata.
    const n1 = fx.n1Bytes(ins, 'PDSm simplified example', body, { idNatPs: AUTHOR.idNatPs });
    const wrapped = Buffer.from(
      n1.toString('utf8').replace(/(representation="B64">)[^<]*/, `$1${bytes.toString('base64')}`),
      'utf8',
    );
    Object.assign(((body['content'] as Json[])[0] as Json)['attachment'] as Json, {
      contentType: 'text/xml',
      data: wrapped.toString('base64'),
      size: wrapped.byteLength,
      hash: fx.sha1Base64(wrapped),
    });
    const res = await post(body);
    expect(res.status, res.body).toBe(201);
  });
});
