import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.ts';
import { loadConfig } from '../../src/config.ts';
import { buildTestApp, OPERATOR } from '../helpers/app.ts';
import { STORED_QUERY } from '../../src/http/xds/registry.ts';
import { cidOf } from '../../src/xds/mtom.ts';
import type { XElement } from '../../src/xds/xml.ts';
import * as fx from './documents.fixtures.ts';
import * as x from './xds.fixtures.ts';

/**
 * Issue 19 acceptance: every ANS CDA example deposited through ITI-41 (SOAP, VIHF) comes back byte-identical through
 * ITI-43 (MTOM and inline) and through FHIR ITI-68; found through ITI-18 FindDocuments and FHIR ITI-67; a FHIR
 * deposit (ITI-105) is found through ITI-18 and retrieved through ITI-43. One store, one policy, one trace chain:
 * the traces of the SOAP calls name their channel and software.
 */
describe('SOAP services: ITI-41 → ITI-43 / ITI-68 / ITI-18 / ITI-67 round trips', () => {
  let t: TestApp;
  const ins = fx.nir('2790351215189');
  const patientCx = `'${ins}^^^&amp;${fx.TEST_OID}&amp;ISO'`;
  const json = (token: string) => ({
    authorization: `Bearer ${token}`,
    'content-type': 'application/fhir+json',
  });
  const consented = new Set<string>();

  beforeAll(async () => {
    // Hundreds of SOAP requests and dev VIHF from one address in seconds: the per-address quota of public routes is
    // not what these tests are about (xds.security and quotas.api test quotas).
    t = await buildTestApp({
      masterKey: randomBytes(32).toString('base64'),
      quotas: { ...loadConfig({}).quotas, publicRequestsPerMinute: 0 },
    });
    const operator = await t.token(OPERATOR);
    const res = await t.app.inject({
      method: 'POST',
      url: '/fhir/Patient',
      headers: json(operator),
      payload: fx.patientBody(ins),
    });
    expect(res.statusCode).toBe(201);
  });
  afterAll(async () => {
    await t.close();
  });

  /** The author's dev-token body (with a structure: a VIHF names one), their consent declared once. */
  async function author(bytes: Buffer): Promise<Record<string, unknown>> {
    const body: Record<string, unknown> = {
      structure: '1750300000',
      ...fx.authorTokenBody(fx.header(bytes)),
    };
    const idNatPs = String(body['idNatPs']);
    if (!consented.has(idNatPs)) {
      const token = await t.token(body);
      const res = await t.app.inject({
        method: 'POST',
        url: '/fhir/Consent',
        headers: json(token),
        payload: fx.consentBody(ins, idNatPs),
      });
      expect(res.statusCode, res.body).toBeLessThan(300);
      consented.add(idNatPs);
    }
    return body;
  }

  const examples = fx.cdaExamples().filter((n) => {
    const h = fx.header(Buffer.from(fx.readExample(n)));
    return h.code.code !== 'REMB'; // class 60 (reimbursements) is deposited by the operator, not through a VIHF
  });

  it.each(examples)(
    '%s: ITI-41 (MTOM) → ITI-43 (MTOM and inline) → ITI-68, byte-identical',
    async (name) => {
      const bytes = Buffer.from(
        fx.rewriteDocumentId(fx.rewriteIns(fx.readExample(name), ins), fx.freshOid()),
      );
      const body = await author(bytes);
      const meta = x.metadataOf(bytes);
      const deposit = x.iti41(await x.vihf(t, body), [{ bytes, meta }], true);
      const answer = await x.soap(t, 'repository', deposit.xml, deposit.parts);
      expect(answer.status, answer.text).toBe(200);
      expect(x.registryOutcome(answer.root), answer.text).toEqual({
        status: 'urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success',
        errors: [],
      });

      // ITI-43, MTOM.
      const got = await x.soap(
        t,
        'repository',
        x.iti43(await x.vihf(t, body), [meta.uniqueId]),
        [],
      );
      expect(got.status, got.text).toBe(200);
      const doc = x.descendants(got.root, x.NS.xdsb, 'Document')[0];
      const part = got.parts.get(cidOf(doc?.xop ?? '') ?? '');
      expect(part?.equals(bytes)).toBe(true);

      // ITI-43, inline base64.
      const inline = await x.soap(t, 'repository', x.iti43(await x.vihf(t, body), [meta.uniqueId]));
      const text = x.descendants(inline.root, x.NS.xdsb, 'Document')[0]?.text ?? '';
      expect(Buffer.from(text, 'base64').equals(bytes)).toBe(true);

      // FHIR ITI-67 then ITI-68 with the same professional's token.
      const token = await t.token(body);
      const search = await t.app.inject({
        method: 'GET',
        url: `/fhir/DocumentReference?patient.identifier=${fx.TEST_SYSTEM}|${ins}&identifier=urn:ietf:rfc:3986|urn:oid:${meta.uniqueId.replace('^', '')}`,
        headers: { authorization: `Bearer ${token}` },
      });
      expect(search.statusCode, search.body).toBe(200);
      const bundle = search.json() as {
        entry?: { resource: { content: { attachment: { url: string } }[] } }[];
      };
      const url = bundle.entry?.[0]?.resource.content[0]?.attachment.url ?? '';
      expect(url).toMatch(/\/fhir\/Binary\//);
      const binary = await t.app.inject({
        method: 'GET',
        url: url.replace(/^https?:\/\/[^/]+/, ''),
        headers: { authorization: `Bearer ${token}` },
      });
      expect(binary.statusCode).toBe(200);
      expect(binary.rawPayload.equals(bytes)).toBe(true);
    },
  );

  it('ITI-18 FindDocuments finds what ITI-41 deposited, LeafClass and ObjectRef; traces name the SOAP channel', async () => {
    const name = examples[0] as string;
    const bytes = Buffer.from(
      fx.rewriteDocumentId(fx.rewriteIns(fx.readExample(name), ins), fx.freshOid()),
    );
    const body = await author(bytes);
    const meta = x.metadataOf(bytes);
    const deposit = x.iti41(await x.vihf(t, body), [{ bytes, meta }]);
    const answer = await x.soap(t, 'repository', deposit.xml);
    expect(x.registryOutcome(answer.root).errors).toEqual([]);
    const found = await x.soap(
      t,
      'registry',
      x.iti18(await x.vihf(t, body), STORED_QUERY.FindDocuments, {
        $XDSDocumentEntryPatientId: patientCx,
        $XDSDocumentEntryStatus: "('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')",
        $XDSDocumentEntryTypeCode: `('${meta.type.code}^^${meta.type.system}')`,
      }),
    );
    expect(found.status, found.text).toBe(200);
    const uniqueIds = x
      .descendants(found.root, x.NS.rim, 'ExternalIdentifier')
      .filter(
        (e) => e.attrs['identificationScheme'] === 'urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab',
      )
      .map((e) => e.attrs['value']);
    expect(uniqueIds, found.text.slice(0, 3000)).toContain(meta.uniqueId);
    const refs = await x.soap(
      t,
      'registry',
      x.iti18(
        await x.vihf(t, body),
        STORED_QUERY.FindDocuments,
        {
          $XDSDocumentEntryPatientId: patientCx,
          $XDSDocumentEntryStatus: "('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')",
        },
        'ObjectRef',
      ),
    );
    expect(x.descendants(refs.root, x.NS.rim, 'ObjectRef').length).toBeGreaterThan(0);
    expect(x.descendants(refs.root, x.NS.rim, 'ExtrinsicObject')).toHaveLength(0);

    const traces = await t.db.sql<{ action: string; detail: Record<string, unknown> }[]>`
      SELECT action, detail FROM audit_event WHERE detail->>'channel' = 'soap' ORDER BY recorded_at`;
    const actions = new Set(traces.map((r) => r.action));
    expect(actions).toContain('document.deposit');
    expect(actions).toContain('document.search');
    expect(actions).toContain('document.retrieve');
    expect(
      traces.every(
        (r) => r.detail['software'] === 'opendmp-dev' && r.detail['homologation'] === 'DEV-0000',
      ),
    ).toBe(true);
  });

  it('an inline Document must be base64: one the schema lets through with characters outside the alphabet is refused XDS_DOCUMENT_BASE64_INVALID, one wrapped in lines is accepted', async () => {
    const name = examples[0] as string;
    const fresh = (): { bytes: Buffer; meta: ReturnType<typeof x.metadataOf> } => {
      const bytes = Buffer.from(
        fx.rewriteDocumentId(fx.rewriteIns(fx.readExample(name), ins), fx.freshOid()),
      );
      return { bytes, meta: x.metadataOf(bytes) };
    };
    const body = await author(fresh().bytes);
    /**
     * The deposit with its Document's text replaced: the answer's fault code, or its errors' codes (a Document refused
     * leaves its DocumentEntry without one: XDS_DOCUMENT_MISSING beside it).
     */
    const send = async (text: (b64: string) => string): Promise<string[]> => {
      const doc = fresh();
      const xml = x
        .iti41(await x.vihf(t, body), [doc])
        .xml.replace(
          /(<xdsb:Document id="[^"]*">)([^<]*)(<\/xdsb:Document>)/,
          (_m, open: string, b64: string, close: string) => `${open}${text(b64)}${close}`,
        );
      const answer = await x.soap(t, 'repository', xml);
      const fault = x.faultOf(answer.root);
      return fault
        ? [fault.code]
        : x.registryOutcome(answer.root).errors.map((e) => e.codeContext.split(':')[0] ?? '');
    };
    // Characters of the URL-safe alphabet: libxml2's base64Binary skips '-' and '_' (Node.js would decode them).
    expect(await send((b) => `${b.slice(0, 8)}-_${b.slice(8)}`)).toEqual([
      'XDS_DOCUMENT_BASE64_INVALID',
      'XDS_DOCUMENT_MISSING',
    ]);
    // Base64 the schema refuses (a character replaced: the count of the alphabet's is no multiple of 4).
    expect(await send((b) => `${b.slice(0, 10)}$${b.slice(11)}`)).toEqual(['XML_SCHEMA_INVALID']);
    // Wrapped at 76 columns, as MIME encoders write it: the same bytes.
    expect(await send((b) => b.replace(/(.{76})/g, '$1\r\n'))).toEqual([]);
  });

  it("ITI-41 submissionTime and comments are the SubmissionSet's: ITI-18 answers them, FHIR shows them as List.date and List.note", async () => {
    const bytes = Buffer.from(
      fx.rewriteDocumentId(
        fx.rewriteIns(fx.readExample(examples[0] as string), ins),
        fx.freshOid(),
      ),
    );
    const body = await author(bytes);
    const deposit = x.iti41(await x.vihf(t, body), [{ bytes, meta: x.metadataOf(bytes) }], false, {
      comments: 'Lot du 1er mai',
    });
    const answer = await x.soap(t, 'repository', deposit.xml);
    expect(x.registryOutcome(answer.root).errors, answer.text).toEqual([]);
    const [set] = await t.db.sql<{ id: string }[]>`
      SELECT s.id FROM submission_set s JOIN list_entry e ON e.patient_id = s.patient_id AND e.list_id = s.id
      JOIN document d ON d.patient_id = e.patient_id AND d.id = e.document_id
      WHERE d.unique_id = ${x.metadataOf(bytes).uniqueId}`;
    const id = set?.id as string;

    // ITI-18: the slot and the Description as deposited; the submission time range finds it.
    const found = await x.soap(
      t,
      'registry',
      x.iti18(await x.vihf(t, body), STORED_QUERY.FindSubmissionSets, {
        $XDSSubmissionSetPatientId: patientCx,
        $XDSSubmissionSetStatus: "('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')",
        $XDSSubmissionSetSubmissionTimeFrom: '20240501',
        $XDSSubmissionSetSubmissionTimeTo: '20240502',
      }),
    );
    expect(found.status, found.text).toBe(200);
    const pkg = x
      .descendants(found.root, x.NS.rim, 'RegistryPackage')
      .find((p) => p.attrs['id'] === `urn:uuid:${id}`);
    expect(pkg, found.text.slice(0, 3000)).toBeDefined();
    const slot = x
      .descendants(pkg as XElement, x.NS.rim, 'Slot')
      .find((e) => e.attrs['name'] === 'submissionTime');
    expect(x.descendants(slot as XElement, x.NS.rim, 'Value')[0]?.text).toBe('20240501100000');
    const description = x.descendants(pkg as XElement, x.NS.rim, 'Description')[0];
    expect(
      x.descendants(description as XElement, x.NS.rim, 'LocalizedString')[0]?.attrs['value'],
    ).toBe('Lot du 1er mai');

    // ITI-66: List.date is the submissionTime, List.note the comments.
    const token = await t.token(body);
    const list = await t.app.inject({
      method: 'GET',
      url: `/fhir/List/${id}`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(list.statusCode, list.body).toBe(200);
    const resource = list.json<Record<string, unknown>>();
    expect(resource['date']).toBe('2024-05-01T10:00:00Z');
    expect(resource['note']).toEqual([{ text: 'Lot du 1er mai' }]);
  });

  it('a FHIR deposit (ITI-105) is found by ITI-18 GetDocuments and retrieved by ITI-43', async () => {
    const name = examples[1] as string;
    const bytes = Buffer.from(
      fx.rewriteDocumentId(fx.rewriteIns(fx.readExample(name), ins), fx.freshOid()),
    );
    const body = await author(bytes);
    const token = await t.token(body);
    const res = await t.app.inject({
      method: 'POST',
      url: '/fhir/DocumentReference',
      headers: json(token),
      payload: fx.iti105(fx.cdaDocumentReference(ins, bytes), bytes),
    });
    expect(res.statusCode, res.body).toBe(201);
    const uniqueId = x.metadataOf(bytes).uniqueId;
    const got = await x.soap(
      t,
      'registry',
      x.iti18(await x.vihf(t, body), STORED_QUERY.GetDocuments, {
        $XDSDocumentEntryUniqueId: `('${uniqueId}')`,
      }),
    );
    expect(got.status, got.text).toBe(200);
    expect(x.descendants(got.root, x.NS.rim, 'ExtrinsicObject')).toHaveLength(1);
    const retrieved = await x.soap(t, 'repository', x.iti43(await x.vihf(t, body), [uniqueId]));
    const text = x.descendants(retrieved.root, x.NS.xdsb, 'Document')[0]?.text ?? '';
    expect(Buffer.from(text, 'base64').equals(bytes), retrieved.text.slice(0, 1500)).toBe(true);
  });
});
