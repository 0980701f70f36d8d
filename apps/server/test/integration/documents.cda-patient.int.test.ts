import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp } from '../helpers/app.ts';
import * as fx from './documents.fixtures.ts';
import type { Json } from './documents.fixtures.ts';
import { client, deniedTraces, type Client } from './issue17.fixtures.ts';

/**
 * Issue 17 rule 10 over HTTP: every recordTarget of a CDA is checked (before, a CDA whose second recordTarget
 * named another patient was filed in the first one's record), the XML encoding declaration is honoured, and the
 * CDA patient's sex and birth date must agree with the record's.
 */
describe('the CDA names the record’s patient (issue 17 rule 10)', () => {
  let t: TestApp;
  let c: Client;
  const ins = fx.nir('2790351215189'); // a woman born in March 1979 (fx.patientBody: 1979-03-15)
  const other = fx.nir('1800175123456');
  let patientId: string;
  let author: Json;
  const source = fx.readExample('VAC-NOTE_2023.01.xml');

  /** The example, rewritten for `ins` with the record's traits and a fresh document id. */
  const cdaFor = (edit: (xml: string) => string = (x) => x): string =>
    edit(fx.rewriteDocumentId(fx.rewriteIns(source, ins), fx.freshOid()));

  async function deposit(
    actor: Json,
    xml: string | Buffer,
  ): Promise<{ status: number; body: string }> {
    const bytes = typeof xml === 'string' ? Buffer.from(xml, 'utf8') : xml;
    return c.call(
      actor,
      'POST',
      '/fhir/DocumentReference',
      fx.iti105(fx.cdaDocumentReference(ins, bytes), bytes),
    );
  }
  const count = async (who: string): Promise<number> => {
    const [row] = await t.db.owner<{ n: number }[]>`
      SELECT count(*)::int AS n FROM document d
      WHERE d.patient_id = (SELECT patient_id FROM ins_index WHERE ins = ${who})`;
    return row?.n ?? 0;
  };
  const recordTarget = (nir: string, gender = 'M', birth = '19800115') =>
    `<recordTarget><patientRole><id root="${fx.TEST_OID}" extension="${nir}"/><patient>` +
    `<name><family>AUTRE</family><given>Paul</given></name>` +
    `<administrativeGenderCode code="${gender}" codeSystem="2.16.840.1.113883.5.1"/>` +
    `<birthTime value="${birth}"/></patient></patientRole></recordTarget>`;

  beforeAll(async () => {
    t = await buildTestApp();
    c = client(t);
    patientId = await c.createRecord(ins);
    await c.createRecord(other);
    author = fx.authorTokenBody(fx.header(cdaFor()));
  });

  afterAll(async () => {
    await t.close();
  });

  it('deposits the ANS example whose patient is the record’s', async () => {
    const res = await deposit(author, cdaFor());
    expect(res.status, res.body).toBe(201);
    expect(await count(ins)).toBe(1);
  });

  it.each([
    ['a second recordTarget naming another patient', recordTarget(other)],
    [
      'a second recordTarget naming someone by a local id only',
      recordTarget('x').replace(
        `root="${fx.TEST_OID}" extension="x"`,
        'root="1.2.3.4.567.8.9.10" extension="IPP-42"',
      ),
    ],
  ])('refuses %s (422 DOC_CDA_PATIENT_MULTIPLE) and files it nowhere', async (_n, second) => {
    const res = await deposit(
      author,
      cdaFor((x) => x.replace(/(<\/recordTarget>)/, `$1${second}`)),
    );
    expect(res.status, res.body).toBe(422);
    expect(fx.issueCodes(res.body)).toEqual(['DOC_CDA_PATIENT_MULTIPLE']);
    expect(await count(ins)).toBe(1);
    expect(await count(other)).toBe(0);
  });

  it.each([
    [
      'another sex',
      (x: string) => x.replace(/(administrativeGenderCode code=")F"/, '$1M"'),
      ['DOC_CDA_SEX_MISMATCH'],
    ],
    [
      'another birth date',
      (x: string) => x.replace(/(birthTime value=")\d+"/, '$119790316"'),
      ['DOC_CDA_BIRTH_DATE_MISMATCH'],
    ],
    [
      'both',
      (x: string) =>
        x
          .replace(/(administrativeGenderCode code=")F"/, '$1M"')
          .replace(/(birthTime value=")\d+"/, '$120010101"'),
      ['DOC_CDA_SEX_MISMATCH', 'DOC_CDA_BIRTH_DATE_MISMATCH'],
    ],
  ])(
    'refuses a CDA whose patient has %s than the record (422), traced',
    async (_n, edit, codes) => {
      const res = await deposit(author, cdaFor(edit));
      expect(res.status, res.body).toBe(422);
      expect(fx.issueCodes(res.body)).toEqual(codes);
      expect(await count(ins)).toBe(1);
      expect(await deniedTraces(t, patientId)).toContain(`document.deposit:${codes[0] ?? ''}`);
    },
  );

  it('tells nothing of the record’s traits to a depositor the policy refuses', async () => {
    const stranger = { ...author, idNatPs: '810001000107', structure: '1750700007' };
    const res = await deposit(
      stranger,
      cdaFor((x) => x.replace(/(birthTime value=")\d+"/, '$119790316"')),
    );
    expect(res.status, res.body).toBe(403);
    expect(fx.issueCodes(res.body)).toEqual(['ACCESS_NOT_AUTHOR']);
  });

  it('reads an ISO-8859-1 CDA with its accents (the encoding declaration is honoured)', async () => {
    const title = 'Vaccination : réaction fébrile à J+2';
    const xml = cdaFor((x) =>
      x
        .replace(/[^\t\n\r -\u00ff]/g, "'")
        .replace(/encoding="utf-8"/i, 'encoding="ISO-8859-1"')
        .replace(/<title>[^<]*<\/title>/, `<title>${title}</title>`),
    );
    const res = await deposit(author, Buffer.from(xml, 'latin1'));
    expect(res.status, res.body).toBe(201);
    expect(res.body).toContain(title);
    const patient = { kind: 'patient', ins };
    const found = await c.call(
      patient,
      'GET',
      `/fhir/DocumentReference?patient.identifier=${encodeURIComponent(`${fx.TEST_SYSTEM}|${ins}`)}`,
    );
    expect(found.body).toContain(title);
  });
});
