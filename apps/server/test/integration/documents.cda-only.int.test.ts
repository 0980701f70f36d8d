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

  /** What a portal sends for an upload: the ITI-105 DocumentReference with the file bare in attachment.data. */
  function portalUpload(file: Buffer, contentType: string, overrides: Json = {}): Json {
    const docRef = fx.pdfDocumentReference(ins, file, author, overrides);
    const content = (docRef['content'] as Json[])[0] as Json;
    const { size: _s, hash: _h, ...attachment } = content['attachment'] as Json;
    return {
      ...docRef,
      masterIdentifier: { system: 'urn:ietf:rfc:3986', value: `urn:uuid:${crypto.randomUUID()}` },
      content: [
        { ...content, attachment: { ...attachment, contentType, data: file.toString('base64') } },
      ],
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
      contained: [
        { resourceType: 'Patient', id: 'me', identifier: [{ system: fx.TEST_SYSTEM, value: ins }] },
      ],
      author: [{ reference: '#me' }],
      type: {
        coding: [{ system: systemUrl(CS.TRE_A05_TYPE_DOC_COMPLEMENTAIRE), code: 'DOCPAT04' }],
      },
      category: [{ coding: [{ system: fx.A03, code: '31' }] }],
      context: {
        period: { start: '2025-11-02' },
        facilityType: { coding: [{ system: A00, code: 'EXP_PATIENT' }] },
        practiceSetting: { coding: [{ system: A00, code: 'EXP_PATIENT' }] },
      },
    });
    ((upload['content'] as Json[])[0] as Json)['format'] = {
      system: systemUrl(CS.TRE_A11_IHE_FORMAT_CODE),
      code: 'urn:ihe:iti-fr:xds-sd:jpeg:2010',
    };
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
    // The use case names the entry's media type; the portal's FHIR adapter locates it in the DocumentReference.
    const issue = (res.json<Json>()['issue'] as Json[])[0];
    expect(issue?.['expression']).toEqual(['DocumentReference.content[0].attachment.contentType']);
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
