import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp, GP, OPERATOR } from '../helpers/app.ts';
import * as fx from './documents.fixtures.ts';
import type { Json } from './documents.fixtures.ts';

/**
 * Issue 3 negative acceptance: each bad deposit is a 4xx OperationOutcome with a stable code, and NOTHING is
 * stored (every document table counted through the owner connection), through ITI-105 and ITI-65 alike.
 */
const TABLES = [
  'document',
  'document_content',
  'document_unique_id',
  'submission_set',
  'folder',
  'list_entry',
  'resource_locator',
  'record_data_key',
];
const MAX_BYTES = 200_000;

describe('documents: refused deposits store nothing', () => {
  let t: TestApp;
  let operator: string;
  let gp: string;
  let cdaAuthor: string;
  const ins = fx.nir('2790351215189');
  const otherIns = fx.nir('1850275123456');
  const closedIns = fx.nir('2601175123456');
  const unknownIns = fx.nir('1700175123456');
  const auth = (token: string) => ({ authorization: `Bearer ${token}` });
  const json = (token: string) => ({ ...auth(token), 'content-type': 'application/fhir+json' });
  const author = { idNatPs: GP.idNatPs, structure: GP.structure };
  let vacNote: Buffer;

  async function counts(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const table of TABLES) {
      const [row] = await t.db.owner.unsafe<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM ${table}`,
      );
      out[table] = row?.n ?? -1;
    }
    return out;
  }

  /**
   * Posts through ITI-105 and through ITI-65; both refused with `status` and `code`, nothing stored; the issue
   * located at `at` (FHIRPath in the DocumentReference, issue 18 point 4: the core names the neutral field, the FHIR
   * adapter locates it) when given.
   */
  async function refusedBoth(
    token: string,
    docRef: Json,
    bytes: Buffer,
    status: number,
    code: string,
    contentType = 'text/xml',
    at?: string,
  ): Promise<void> {
    const before = await counts();
    const one = await t.app.inject({
      method: 'POST',
      url: '/fhir/DocumentReference',
      headers: json(token),
      payload: fx.iti105(docRef, bytes),
    });
    expect(one.statusCode, one.body.slice(0, 400)).toBe(status);
    expect(one.json<Json>()['resourceType']).toBe('OperationOutcome');
    expect(fx.issueCodes(one.body), one.body.slice(0, 400)).toContain(code);
    if (at !== undefined) {
      expect(expressionOf(one.body, code)).toEqual(`DocumentReference.${at}`);
    }
    const reference = (docRef['subject'] as Json | undefined)?.['reference'];
    const subjectIns =
      /\|(\d{15})$/.exec(typeof reference === 'string' ? reference : '')?.[1] ?? ins;
    const bundle = await t.app.inject({
      method: 'POST',
      url: '/fhir',
      headers: json(token),
      payload: fx.iti65(subjectIns, [{ docRef, bytes, contentType }]),
    });
    expect(bundle.statusCode, bundle.body.slice(0, 400)).toBe(status);
    expect(fx.issueCodes(bundle.body), bundle.body.slice(0, 400)).toContain(code);
    if (at !== undefined) {
      expect(expressionOf(bundle.body, code)).toEqual(`Bundle.entry[1].resource.${at}`);
    }
    expect(bundle.body).not.toMatch(/at \w+ \(|node:internal|\.ts:\d+/);
    expect(await counts()).toEqual(before);
  }

  function expressionOf(body: string, code: string): string | undefined {
    const outcome = JSON.parse(body) as {
      issue: { details?: { coding?: { code?: string }[] }; expression?: string[] }[];
    };
    return outcome.issue.find((i) => i.details?.coding?.some((c) => c.code === code))
      ?.expression?.[0];
  }

  beforeAll(async () => {
    t = await buildTestApp({
      masterKey: randomBytes(32).toString('base64'),
      maxDocumentBytes: MAX_BYTES,
    });
    operator = await t.token(OPERATOR);
    gp = await t.token(GP);
    for (const [nir, birth] of [
      [ins, '1979-03-21'],
      [otherIns, '1985-02-01'],
      [closedIns, '1960-11-01'],
    ] as const) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/fhir/Patient',
        headers: json(operator),
        payload: fx.patientBody(nir, birth),
      });
      expect(res.statusCode, res.body).toBe(201);
      if (nir === closedIns) {
        const id = String(res.json<Json>()['id']);
        const closed = await t.app.inject({
          method: 'POST',
          url: `/fhir/Patient/${id}/$close`,
          headers: json(operator),
          payload: {
            resourceType: 'Parameters',
            parameter: [{ name: 'reason', valueCode: 'operator-decision' }],
          },
        });
        expect(closed.statusCode, closed.body).toBe(200);
      }
    }
    vacNote = Buffer.from(fx.rewriteIns(fx.readExample('VAC-NOTE_2023.01.xml'), ins), 'utf8');
    cdaAuthor = await t.token(fx.authorTokenBody(fx.header(vacNote)));
  });
  afterAll(async () => {
    await t.close();
  });

  it('starts from an empty document store', async () => {
    expect(Object.values(await counts()).every((n) => n === 0)).toBe(true);
  });

  it('wrong hash → 422 DOC_HASH_MISMATCH', async () => {
    const bytes = fx.n1Bytes(ins);
    const docRef = fx.withPath(
      fx.pdfDocumentReference(ins, bytes, author),
      'content.0.attachment.hash',
      fx.sha1Base64(Buffer.from('other')),
    );
    await refusedBoth(
      gp,
      docRef,
      bytes,
      422,
      'DOC_HASH_MISMATCH',
      'text/xml',
      'content[0].attachment.hash',
    );
  });

  it('wrong size → 422 DOC_SIZE_MISMATCH', async () => {
    const bytes = fx.n1Bytes(ins);
    const docRef = fx.withPath(
      fx.pdfDocumentReference(ins, bytes, author),
      'content.0.attachment.size',
      bytes.byteLength + 1,
    );
    await refusedBoth(
      gp,
      docRef,
      bytes,
      422,
      'DOC_SIZE_MISMATCH',
      'text/xml',
      'content[0].attachment.size',
    );
  });

  it('a bare PDF → 422 DOC_CDA_REQUIRED, saying how to wrap it in a CDA N1 (issue 17 rule 9)', async () => {
    const bytes = fx.pdfBytes();
    const docRef = fx.pdfDocumentReference(ins, bytes, author);
    await refusedBoth(
      gp,
      docRef,
      bytes,
      422,
      'DOC_CDA_REQUIRED',
      'application/pdf',
      'content[0].attachment.contentType',
    );
    const res = await t.app.inject({
      method: 'POST',
      url: '/fhir/DocumentReference',
      headers: json(gp),
      payload: fx.iti105(docRef, bytes),
    });
    const text = res.json<{ issue: { diagnostics: string }[] }>().issue[0]?.diagnostics ?? '';
    expect(text).toContain('CDA R2 level 1');
    expect(text).toContain('nonXMLBody');
    expect(text).toContain('urn:ihe:iti:xds-sd:pdf:2008');
    expect(text).toContain('docs/api.md#cda-only-content');
  });

  it('HTML declared under the PDF format → 422 DOC_CDA_REQUIRED (the contentType agrees with the format)', async () => {
    const bytes = Buffer.from('<html><body>compte rendu</body></html>', 'utf8');
    const docRef = fx.withPath(
      fx.pdfDocumentReference(ins, bytes, author),
      'content.0.attachment.contentType',
      'text/html',
    );
    await refusedBoth(gp, docRef, bytes, 422, 'DOC_CDA_REQUIRED', 'text/html');
  });

  it('a CDA N1 whose body is not the format’s media type → 422 DOC_CDA_FORMAT_MISMATCH', async () => {
    const bytes = Buffer.from(
      fx
        .n1Bytes(ins)
        .toString('utf8')
        .replace('mediaType="application/pdf"', 'mediaType="text/html"'),
      'utf8',
    );
    const docRef = fx.pdfDocumentReference(ins, bytes, author);
    await refusedBoth(
      gp,
      docRef,
      bytes,
      422,
      'DOC_CDA_FORMAT_MISMATCH',
      'text/xml',
      'content[0].format',
    );
  });

  it('unknown type code → 422 DOC_TYPE_UNKNOWN', async () => {
    const unknownType = { type: { coding: [{ system: 'http://loinc.org', code: '99999-9' }] } };
    const bytes = fx.n1Bytes(ins, undefined, unknownType);
    const docRef = fx.pdfDocumentReference(ins, bytes, author, unknownType);
    await refusedBoth(gp, docRef, bytes, 422, 'DOC_TYPE_UNKNOWN', 'text/xml', 'type');
  });

  it('class not matching the type → 422 DOC_CLASS_MISMATCH', async () => {
    const bytes = fx.n1Bytes(ins);
    const docRef = fx.pdfDocumentReference(ins, bytes, author, {
      category: [{ coding: [{ system: fx.A03, code: '31' }] }],
    });
    await refusedBoth(gp, docRef, bytes, 422, 'DOC_CLASS_MISMATCH', 'text/xml', 'category[0]');
  });

  it('a required metadata missing → 422 DOC_REQUIRED_MISSING', async () => {
    // A CDA N1 without documentationOf and componentOf (both optional in the schema): no facility type nor setting.
    const bytes = Buffer.from(
      fx
        .n1Bytes(ins)
        .toString('utf8')
        .replace(/<documentationOf>.*<\/documentationOf>/, '')
        .replace(/<componentOf>.*<\/componentOf>/, ''),
      'utf8',
    );
    const docRef = fx.withPath(fx.pdfDocumentReference(ins, bytes, author), 'context', undefined);
    await refusedBoth(
      gp,
      docRef,
      bytes,
      422,
      'DOC_REQUIRED_MISSING',
      'text/xml',
      'context.facilityType',
    );
  });

  it('CDA failing the ANS schema → 422 CDA_SCHEMA_INVALID', async () => {
    const bytes = Buffer.from(
      vacNote.toString('utf8').replace('</title>', '</title><unknownElement/>'),
      'utf8',
    );
    await refusedBoth(
      cdaAuthor,
      fx.cdaDocumentReference(ins, bytes),
      bytes,
      422,
      'CDA_SCHEMA_INVALID',
      'text/xml',
    );
  });

  it('CDA that is not even XML → 422 CDA_NOT_WELL_FORMED', async () => {
    const bytes = Buffer.from(
      '<ClinicalDocument xmlns="urn:hl7-org:v3"><id root="1.2.3"></ClinicalDocument',
      'utf8',
    );
    await refusedBoth(
      cdaAuthor,
      fx.cdaDocumentReference(ins, bytes),
      bytes,
      422,
      'CDA_NOT_WELL_FORMED',
      'text/xml',
    );
  });

  it('CDA whose patient differs from the metadata → 422 DOC_CDA_PATIENT_MISMATCH', async () => {
    await refusedBoth(
      cdaAuthor,
      fx.cdaDocumentReference(otherIns, vacNote),
      vacNote,
      422,
      'DOC_CDA_PATIENT_MISMATCH',
      'text/xml',
      'subject',
    );
  });

  it('CDA whose type differs from the metadata → 422 DOC_CDA_TYPE_MISMATCH', async () => {
    const docRef = fx.cdaDocumentReference(ins, vacNote, {
      type: { coding: [{ system: 'http://loinc.org', code: '11488-4' }] },
    });
    await refusedBoth(cdaAuthor, docRef, vacNote, 422, 'DOC_CDA_TYPE_MISMATCH', 'text/xml', 'type');
  });

  it('XML external entity → 422 CDA_DOCTYPE_FORBIDDEN, nothing read from the file system', async () => {
    const body = vacNote.toString('utf8').replace(/^<\?xml[^>]*\?>/, '');
    const xxe = Buffer.from(
      `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE ClinicalDocument [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n${body.replace('</title>', '&xxe;</title>')}`,
      'utf8',
    );
    await refusedBoth(
      cdaAuthor,
      fx.cdaDocumentReference(ins, xxe),
      xxe,
      422,
      'CDA_DOCTYPE_FORBIDDEN',
      'text/xml',
    );
    const res = await t.app.inject({
      method: 'POST',
      url: '/fhir/DocumentReference',
      headers: json(cdaAuthor),
      payload: fx.iti105(fx.cdaDocumentReference(ins, xxe), xxe),
    });
    expect(res.body).not.toContain('root:');
  });

  it('"billion laughs" entity expansion → 422 CDA_DOCTYPE_FORBIDDEN', async () => {
    const lol = Buffer.from(
      `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><ClinicalDocument xmlns="urn:hl7-org:v3">&lol2;</ClinicalDocument>`,
      'utf8',
    );
    await refusedBoth(
      cdaAuthor,
      fx.cdaDocumentReference(ins, lol),
      lol,
      422,
      'CDA_DOCTYPE_FORBIDDEN',
      'text/xml',
    );
  });

  it('unknown patient → 422 DOC_PATIENT_UNKNOWN', async () => {
    const bytes = fx.n1Bytes(unknownIns);
    await refusedBoth(
      gp,
      fx.pdfDocumentReference(unknownIns, bytes, author),
      bytes,
      422,
      'DOC_PATIENT_UNKNOWN',
    );
  });

  it('closed record → 422 DOC_RECORD_CLOSED', async () => {
    const bytes = fx.n1Bytes(closedIns);
    await refusedBoth(
      gp,
      fx.pdfDocumentReference(closedIns, bytes, author),
      bytes,
      422,
      'DOC_RECORD_CLOSED',
    );
  });

  it('oversized document → 413 DOC_TOO_LARGE', async () => {
    const bytes = Buffer.concat([fx.n1Bytes(ins), Buffer.alloc(MAX_BYTES, 0x20)]);
    await refusedBoth(gp, fx.pdfDocumentReference(ins, bytes, author), bytes, 413, 'DOC_TOO_LARGE');
  });

  it('a depositor who is not the author nor from the author’s structure → 403 ACCESS_NOT_AUTHOR (traced)', async () => {
    const bytes = fx.n1Bytes(ins);
    const stranger = await t.token({
      kind: 'professional',
      idNatPs: '810001000016',
      profession: '10',
      structure: '1750700007',
      mode: 'normal',
    });
    await refusedBoth(
      stranger,
      fx.pdfDocumentReference(ins, bytes, author),
      bytes,
      403,
      'ACCESS_NOT_AUTHOR',
    );
    const [trace] = await t.db.owner<
      Json[]
    >`SELECT action, outcome, reason_code, actor_id FROM audit_event
      WHERE reason_code = 'ACCESS_NOT_AUTHOR' ORDER BY seq DESC LIMIT 1`;
    expect(trace).toMatchObject({
      action: 'document.deposit',
      outcome: 'denied',
      actor_id: '810001000016',
    });
  });

  it('a professional may not deposit the reimbursement history (class 60) → 403', async () => {
    const remb = {
      type: {
        coding: [
          {
            system:
              'https://mos.esante.gouv.fr/NOS/TRE_A05-TypeDocComplementaire/FHIR/TRE-A05-TypeDocComplementaire',
            code: 'REMB',
          },
        ],
      },
    };
    const bytes = fx.n1Bytes(ins, undefined, remb);
    const docRef = fx.pdfDocumentReference(ins, bytes, author, {
      type: {
        coding: [
          {
            system:
              'https://mos.esante.gouv.fr/NOS/TRE_A05-TypeDocComplementaire/FHIR/TRE-A05-TypeDocComplementaire',
            code: 'REMB',
          },
        ],
      },
      category: [{ coding: [{ system: fx.A03, code: '60' }] }],
    });
    await refusedBoth(gp, docRef, bytes, 403, 'ACCESS_DEPOSIT_CLASS_NOT_ALLOWED');
  });

  it('malformed JSON, a non-FHIR body and bad base64 are 400 OperationOutcomes', async () => {
    const before = await counts();
    const bad = await t.app.inject({
      method: 'POST',
      url: '/fhir/DocumentReference',
      headers: json(gp),
      payload: '{"resourceType": "Docu',
    });
    expect(bad.statusCode).toBe(400);
    expect(fx.issueCodes(bad.body)).toEqual(['HTTP_BODY_NOT_JSON']);
    const bytes = fx.n1Bytes(ins);
    const unknownElement = {
      ...fx.iti105(fx.pdfDocumentReference(ins, bytes, author), bytes),
      color: 'blue',
    };
    const structure = await t.app.inject({
      method: 'POST',
      url: '/fhir/DocumentReference',
      headers: json(gp),
      payload: unknownElement,
    });
    expect(structure.statusCode).toBe(400);
    expect(fx.issueCodes(structure.body)).toContain('FHIR_STRUCTURE');
    expect(structure.json<{ issue: { expression?: string[] }[] }>().issue[0]?.expression).toEqual([
      'DocumentReference.color',
    ]);
    const notBase64 = fx.withPath(
      fx.iti105(fx.pdfDocumentReference(ins, bytes, author), bytes),
      'content.0.attachment.data',
      '!!!',
    );
    const b64 = await t.app.inject({
      method: 'POST',
      url: '/fhir/DocumentReference',
      headers: json(gp),
      payload: notBase64,
    });
    expect(b64.statusCode).toBe(400);
    const notTransaction = await t.app.inject({
      method: 'POST',
      url: '/fhir',
      headers: json(gp),
      payload: { resourceType: 'Bundle', type: 'batch', entry: [] },
    });
    expect(notTransaction.statusCode).toBe(400);
    expect(fx.issueCodes(notTransaction.body)).toContain('DOC_BUNDLE_NOT_TRANSACTION');
    expect(await counts()).toEqual(before);
  });

  it('an ITI-65 bundle is all or nothing: one bad document among good ones stores nothing', async () => {
    const before = await counts();
    const good = fx.n1Bytes(ins, 'good');
    const bad = fx.n1Bytes(ins, 'bad');
    const res = await t.app.inject({
      method: 'POST',
      url: '/fhir',
      headers: json(gp),
      payload: fx.iti65(ins, [
        {
          docRef: fx.pdfDocumentReference(ins, good, author),
          bytes: good,
          contentType: 'text/xml',
        },
        {
          docRef: fx.withPath(
            fx.pdfDocumentReference(ins, bad, author),
            'content.0.attachment.size',
            1,
          ),
          bytes: bad,
          contentType: 'text/xml',
        },
      ]),
    });
    expect(res.statusCode).toBe(422);
    expect(res.json<{ issue: { expression?: string[] }[] }>().issue[0]?.expression?.[0]).toMatch(
      /^Bundle\.entry\[3\]\.resource\.content\[0\]\.attachment\.size$/,
    );
    expect(await counts()).toEqual(before);
  });

  it('a uniqueId deposited before makes the whole bundle fail in the database (409), rolled back', async () => {
    const first = fx.n1Bytes(ins, 'first');
    const firstRef = fx.pdfDocumentReference(ins, first, author);
    const ok = await t.app.inject({
      method: 'POST',
      url: '/fhir/DocumentReference',
      headers: json(gp),
      payload: fx.iti105(firstRef, first),
    });
    expect(ok.statusCode, ok.body).toBe(201);
    const before = await counts();
    const fresh = fx.n1Bytes(ins, 'fresh');
    const again = fx.n1Bytes(ins, 'again', { masterIdentifier: firstRef['masterIdentifier'] });
    const res = await t.app.inject({
      method: 'POST',
      url: '/fhir',
      headers: json(gp),
      payload: fx.iti65(ins, [
        {
          docRef: fx.pdfDocumentReference(ins, fresh, author),
          bytes: fresh,
          contentType: 'text/xml',
        },
        {
          docRef: fx.pdfDocumentReference(ins, again, author, {
            masterIdentifier: firstRef['masterIdentifier'],
          }),
          bytes: again,
          contentType: 'text/xml',
        },
      ]),
    });
    expect(res.statusCode, res.body).toBe(409);
    expect(fx.issueCodes(res.body)).toEqual(['DOC_UNIQUE_ID_EXISTS']);
    expect(expressionOf(res.body, 'DOC_UNIQUE_ID_EXISTS')).toBe(
      'Bundle.entry[3].resource.masterIdentifier',
    );
    expect(await counts()).toEqual(before);
  });

  it('concurrent deposits of one uniqueId: exactly one is stored, the others get 409 DOC_UNIQUE_ID_EXISTS', async () => {
    const before = await counts();
    const bytes = fx.n1Bytes(ins, 'raced');
    const docRef = fx.pdfDocumentReference(ins, bytes, author);
    const answers = await Promise.all(
      Array.from({ length: 6 }, () =>
        t.app.inject({
          method: 'POST',
          url: '/fhir/DocumentReference',
          headers: json(gp),
          payload: fx.iti105(docRef, bytes),
        }),
      ),
    );
    const statuses = answers.map((a) => a.statusCode).sort();
    expect(statuses, answers.map((a) => a.body.slice(0, 200)).join('\n')).toEqual([
      201, 409, 409, 409, 409, 409,
    ]);
    for (const a of answers.filter((x) => x.statusCode === 409)) {
      expect(fx.issueCodes(a.body)).toEqual(['DOC_UNIQUE_ID_EXISTS']);
    }
    const after = await counts();
    expect(after['document']).toBe((before['document'] ?? 0) + 1);
    expect(after['document_content']).toBe((before['document_content'] ?? 0) + 1);
    expect(after['resource_locator']).toBe((before['resource_locator'] ?? 0) + 3);
  });

  it('a SubmissionSet uniqueId used before → 409 DOC_LIST_UNIQUE_ID_EXISTS, nothing stored', async () => {
    const first = fx.n1Bytes(ins, 'set-1');
    const bundle = fx.iti65(ins, [
      {
        docRef: fx.pdfDocumentReference(ins, first, author),
        bytes: first,
        contentType: 'text/xml',
      },
    ]);
    const ok = await t.app.inject({
      method: 'POST',
      url: '/fhir',
      headers: json(gp),
      payload: bundle,
    });
    expect(ok.statusCode, ok.body).toBe(200);
    const before = await counts();
    const second = fx.n1Bytes(ins, 'set-2');
    const again = fx.iti65(ins, [
      {
        docRef: fx.pdfDocumentReference(ins, second, author),
        bytes: second,
        contentType: 'text/xml',
      },
    ]);
    const entries = again['entry'] as Json[];
    const list = (entries[0] as Json)['resource'] as Json;
    list['identifier'] = ((bundle['entry'] as Json[])[0]?.['resource'] as Json)['identifier'];
    const res = await t.app.inject({
      method: 'POST',
      url: '/fhir',
      headers: json(gp),
      payload: again,
    });
    expect(res.statusCode, res.body).toBe(409);
    expect(fx.issueCodes(res.body)).toEqual(['DOC_LIST_UNIQUE_ID_EXISTS']);
    expect(res.json<{ issue: { expression?: string[] }[] }>().issue[0]?.expression).toEqual([
      'Bundle.entry[0].resource.identifier',
    ]);
    expect(await counts()).toEqual(before);
  });

  it('a bundle whose parts name different patients is refused (DOC_PATIENT_MISMATCH)', async () => {
    const before = await counts();
    const a = fx.n1Bytes(ins, 'a');
    const b = fx.n1Bytes(otherIns, 'b');
    const res = await t.app.inject({
      method: 'POST',
      url: '/fhir',
      headers: json(gp),
      payload: fx.iti65(ins, [
        {
          docRef: fx.pdfDocumentReference(ins, a, author),
          bytes: a,
          contentType: 'text/xml',
        },
        {
          docRef: fx.pdfDocumentReference(otherIns, b, author),
          bytes: b,
          contentType: 'text/xml',
        },
      ]),
    });
    expect(res.statusCode).toBe(422);
    expect(fx.issueCodes(res.body)).toContain('DOC_PATIENT_MISMATCH');
    expect(await counts()).toEqual(before);
  });
});
