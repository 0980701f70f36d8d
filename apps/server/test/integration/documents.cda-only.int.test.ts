import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { levelOneContent } from '../../src/cda/level-one.ts';
import { CS, systemUrl } from '../../src/domain/identity/code-systems.ts';
import { parseCda } from '../../src/validation/cda.ts';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp, GP, OPERATOR } from '../helpers/app.ts';
import * as fx from './documents.fixtures.ts';
import type { Json } from './documents.fixtures.ts';

/**
 * CDA-only content (issue 17 rule 9): what a software and a portal user notice. A bare file is refused by the API
 * (documents.negative.int.test.ts), a CDA N1 up to the size limit goes in and comes back byte for byte, and a
 * portal upload comes back as a schema-valid CDA N1 wrapping the very bytes uploaded.
 */
const MB = 1024 * 1024;
const A00 = systemUrl(CS.TRE_A00_PRODUCTEUR_DOC_NON_PS);

describe('documents: CDA-only content (issue 17 rule 9)', () => {
  let t: TestApp;
  let gp: string;
  let patient: string;
  const ins = fx.nir('2840375012345');
  const author = { idNatPs: GP.idNatPs, structure: GP.structure };
  const json = (token: string) => ({
    authorization: `Bearer ${token}`,
    'content-type': 'application/fhir+json',
  });

  async function retrieve(token: string, doc: Json): Promise<Buffer> {
    const attachment = ((doc['content'] as Json[])[0] as Json)['attachment'] as Json;
    const url = String(attachment['url']);
    const res = await t.app.inject({
      method: 'GET',
      url: new URL(url).pathname,
      headers: { authorization: `Bearer ${token}`, accept: '*/*' },
    });
    expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
    return res.rawPayload;
  }

  /**
   * What a portal sends for an upload (http/portal/upload-input.ts): the file bare in `content` and the chosen
   * metadata, named as the registry's document metadata.
   */
  function portalUpload(file: Buffer, mimeType: string, overrides: Json = {}): Json {
    const subject = { system: fx.TEST_SYSTEM, value: ins };
    return {
      patient: subject,
      uniqueId: crypto.randomUUID(),
      type: { system: 'http://loinc.org', code: '11488-4', display: 'Consultation note' },
      class: { system: fx.A03, code: '10', display: 'Compte rendu' },
      format: {
        system: systemUrl(CS.TRE_A11_IHE_FORMAT_CODE),
        code: 'urn:ihe:iti:xds-sd:pdf:2008',
      },
      facilityType: { system: systemUrl(CS.TRE_R02_SECTEUR_ACTIVITE), code: 'SA07' },
      practiceSetting: { system: systemUrl(CS.TRE_A01_CADRE_EXERCICE), code: 'AMBULATOIRE' },
      confidentiality: [
        { system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'N' },
      ],
      mimeType,
      languageCode: 'fr-FR',
      title: 'Compte rendu de consultation',
      creation: '2024-05-02T09:30:00+02:00',
      serviceStart: '2024-05-02T09:00:00+02:00',
      sourcePatientId: subject,
      author: { kind: 'practitioner', idNatPs: author.idNatPs, structure: author.structure },
      content: file.toString('base64'),
      ...overrides,
    };
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
    expect(res.statusCode, res.body).toBe(201);
    gp = await t.token(GP);
    patient = await t.token({ kind: 'patient', ins });
    const consent = await t.app.inject({
      method: 'POST',
      url: '/fhir/Consent',
      headers: json(gp),
      payload: fx.consentBody(ins, GP.idNatPs),
    });
    expect(consent.statusCode, consent.body).toBeLessThan(300);
  });
  afterAll(async () => {
    await t.close();
  });

  it('takes a 15 MB CDA N1 (one text node beyond libxml2’s 10 MB default) and serves it back byte for byte', async () => {
    const scan = randomBytes(11 * MB);
    const bytes = fx.n1Bytes(ins, 'scan', {}, author);
    const big = Buffer.from(
      bytes
        .toString('latin1')
        .replace(/(representation="B64">)[^<]*/, `$1${scan.toString('base64')}`),
      'latin1',
    );
    expect(big.byteLength).toBeGreaterThan(14 * MB);
    const res = await t.app.inject({
      method: 'POST',
      url: '/fhir/DocumentReference',
      headers: json(gp),
      payload: fx.iti105(
        fx.withPath(
          fx.withPath(
            fx.pdfDocumentReference(ins, bytes, author),
            'content.0.attachment.size',
            big.byteLength,
          ),
          'content.0.attachment.hash',
          fx.sha1Base64(big),
        ),
        big,
      ),
    });
    expect(res.statusCode, res.body.slice(0, 400)).toBe(201);
    const back = await retrieve(gp, res.json<Json>());
    expect(back.equals(big)).toBe(true);
    expect(levelOneContent(back)?.equals(scan)).toBe(true);
  });

  it('wraps a professional’s portal PDF upload in a schema-valid CDA N1 holding the same bytes', async () => {
    const pdf = fx.pdfBytes('lettre de liaison scannée');
    const res = await t.app.inject({
      method: 'POST',
      url: '/portal-api/documents',
      headers: json(gp),
      payload: portalUpload(pdf, 'application/pdf'),
    });
    expect(res.statusCode, res.body.slice(0, 400)).toBe(201);
    const doc = res.json<Json>();
    const content = (doc['content'] as Json[])[0] as Json;
    expect((content['attachment'] as Json)['contentType']).toBe('text/xml');
    expect((content['format'] as Json)['code']).toBe('urn:ihe:iti:xds-sd:pdf:2008');
    const cda = await retrieve(gp, doc);
    const parsed = parseCda(cda);
    expect(parsed.ok, JSON.stringify(parsed.ok ? '' : parsed.error)).toBe(true);
    expect(levelOneContent(cda)?.equals(pdf)).toBe(true);
    if (parsed.ok) {
      expect(parsed.value.body).toMatchObject({ kind: 'nonXML', mediaType: 'application/pdf' });
      expect(parsed.value.ins).toEqual({ value: ins, oid: fx.TEST_OID });
      expect(parsed.value.authors[0]?.idNatPs).toBe(GP.idNatPs);
      expect(parsed.value.code.code).toBe('11488-4');
    }
    // The patient retrieves the same CDA.
    expect((await retrieve(patient, doc)).equals(cda)).toBe(true);
  });

  it('wraps a patient’s portal JPEG upload, the patient as author (DOCPAT04 imagerie, EXP_PATIENT)', async () => {
    const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(2048)]);
    const upload = portalUpload(jpeg, 'image/jpeg', {
      author: { kind: 'patient', identifier: { system: fx.TEST_SYSTEM, value: ins } },
      type: { system: systemUrl(CS.TRE_A05_TYPE_DOC_COMPLEMENTAIRE), code: 'DOCPAT04' },
      class: { system: fx.A03, code: '31' },
      serviceStart: '2025-11-02',
      facilityType: { system: A00, code: 'EXP_PATIENT' },
      practiceSetting: { system: A00, code: 'EXP_PATIENT' },
      format: {
        system: systemUrl(CS.TRE_A11_IHE_FORMAT_CODE),
        code: 'urn:ihe:iti-fr:xds-sd:jpeg:2010',
      },
    });
    const res = await t.app.inject({
      method: 'POST',
      url: '/portal-api/documents',
      headers: json(patient),
      payload: upload,
    });
    expect(res.statusCode, res.body.slice(0, 400)).toBe(201);
    const cda = await retrieve(patient, res.json<Json>());
    const parsed = parseCda(cda);
    expect(parsed.ok && parsed.value.body).toMatchObject({
      kind: 'nonXML',
      mediaType: 'image/jpeg',
    });
    expect(parsed.ok && parsed.value.authors[0]?.ids).toEqual([
      { root: fx.TEST_OID, extension: ins },
    ]);
    expect(levelOneContent(cda)?.equals(jpeg)).toBe(true);
  });

  it('refuses a portal upload of a file no CDA N1 carries (415 DOC_UPLOAD_MEDIA_UNSUPPORTED)', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/portal-api/documents',
      headers: json(gp),
      payload: portalUpload(Buffer.from('<html></html>'), 'text/html'),
    });
    expect(res.statusCode).toBe(415);
    expect(fx.issueCodes(res.body)).toEqual(['DOC_UPLOAD_MEDIA_UNSUPPORTED']);
    // The use case names the entry's media type; the portal locates it on its own body's field.
    const issue = (res.json<Json>()['issue'] as Json[])[0];
    expect(issue?.['expression']).toEqual(['mimeType']);
  });

  it('deposits a CDA uploaded through a portal as it is, replacing the document the upload names', async () => {
    const first = await t.app.inject({
      method: 'POST',
      url: '/portal-api/documents',
      headers: json(gp),
      payload: portalUpload(fx.pdfBytes('première version'), 'application/pdf'),
    });
    expect(first.statusCode, first.body.slice(0, 400)).toBe(201);
    const replaced = String(first.json<Json>()['id']);
    const cda = fx.n1Bytes(ins, 'seconde version', {}, author);
    const res = await t.app.inject({
      method: 'POST',
      url: '/portal-api/documents',
      headers: json(gp),
      // What the professional portal sends for a CDA: the header gives the rest of the metadata.
      payload: {
        patient: { system: fx.TEST_SYSTEM, value: ins },
        mimeType: 'text/xml',
        languageCode: 'fr-FR',
        replaces: replaced,
        content: cda.toString('base64'),
      },
    });
    expect(res.statusCode, res.body.slice(0, 400)).toBe(201);
    const doc = res.json<Json>();
    expect((await retrieve(gp, doc)).equals(cda)).toBe(true);
    expect(doc['relatesTo']).toEqual([
      { code: 'replaces', target: { reference: `DocumentReference/${replaced}` } },
    ]);
    const old = await t.app.inject({
      method: 'GET',
      url: `/fhir/DocumentReference/${replaced}`,
      headers: json(gp),
    });
    expect(old.json<Json>()['status']).toBe('superseded');
  });

  it('refuses a malformed portal upload at its edge, located on the body’s field (400 PORTAL_UPLOAD_INVALID)', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/portal-api/documents',
      headers: json(gp),
      payload: portalUpload(fx.pdfBytes(), 'application/pdf', { type: '11488-4' }),
    });
    expect(res.statusCode).toBe(400);
    expect(fx.issueCodes(res.body)).toEqual(['PORTAL_UPLOAD_INVALID']);
    expect((res.json<Json>()['issue'] as Json[])[0]?.['expression']).toEqual(['type']);
  });

  it('still decides a portal upload as a deposit: a stranger to the record is refused, nothing stored', async () => {
    const [before] = await t.db.owner<{ n: number }[]>`SELECT count(*)::int AS n FROM document`;
    const stranger = await t.token({ ...GP, idNatPs: '810001000016', structure: '1750700007' });
    const res = await t.app.inject({
      method: 'POST',
      url: '/portal-api/documents',
      headers: json(stranger),
      payload: portalUpload(fx.pdfBytes(), 'application/pdf'),
    });
    expect(res.statusCode).toBe(403);
    const [after] = await t.db.owner<{ n: number }[]>`SELECT count(*)::int AS n FROM document`;
    expect(after?.n).toBe(before?.n);
  });
});
