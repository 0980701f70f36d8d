import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import type { DocumentMetadata } from '../../src/domain/documents/model.ts';
import { STORED_QUERY } from '../../src/http/xds/registry.ts';
import { XDS } from '../../src/xds/ebrim.ts';
import { ACTIONS } from '../../src/xds/soap.ts';
import { descendants, NS, parseXml, type XElement } from '../../src/xds/xml.ts';
import { buildTestApp, type TestApp } from '../helpers/app.ts';
import { freePort } from '../helpers/child-service.ts';
import * as fx from './documents.fixtures.ts';
import * as x from './xds.fixtures.ts';

/**
 * Issue 19, ITI-18 parameters beyond IdNat_PS and RPLC, against the server listening on 127.0.0.1 (each request a
 * SOAP 1.2 POST with a fresh VIHF):
 * - `$XDSDocumentEntryAuthorPerson` / `$XDSSubmissionSetAuthorPerson` with LIKE wildcards and names (ITI TF-2a
 *   3.18.4.1.2.3.5): the right documents and no others;
 * - `$XDSDocumentEntryType`: opendmp holds stable entries only, so an On-Demand-only query finds none, an unknown type
 *   is a parameter error;
 * - GetRelatedDocuments / GetAssociations answer the XFRM and APND relations a deposit made (kept in the documents'
 *   metadata), not only RPLC.
 * The registry: D1 by Dr MULLER (the CDA's author), D2 whose ebRIM names another author (Dr MARTINEAU), D3 transforming
 * D1 (XFRM), D4 appending to D1 (APND), each deposited by Dr MULLER (D2 from its author's structure) through ITI-41.
 */
const ins = fx.nir('1920875123456');
const patientCx = `'${ins}^^^&amp;${fx.TEST_OID}&amp;ISO'`;
const list = (...v: string[]) => `(${v.map((s) => `'${s}'`).join(',')})`;
const ANY_DOC = list(XDS.approved, XDS.deprecated, XDS.archived);
const MARTINEAU = '810003000024';

interface Answer {
  readonly status: string;
  readonly errors: { errorCode: string; codeContext: string }[];
  readonly documents: string[];
  readonly packages: string[];
  readonly associations: string[];
  readonly text: string;
}

const bare = (id: string | undefined): string => (id ?? '').replace(/^urn:uuid:/, '');

describe('ITI-18 parameters: author patterns, entry type, XFRM / APND relations (listening server)', () => {
  let t: TestApp;
  let base = '';
  let patientId = '';
  /** Document logicalIds (= their entryUUIDs: no metadata update here) by name. */
  const id: Record<string, string> = {};
  const GP = x.GP;

  async function post(
    service: string,
    xml: string,
  ): Promise<{ status: number; root: XElement; text: string }> {
    const res = await fetch(`${base}${x.SERVICES}/${service}`, {
      method: 'POST',
      headers: { 'content-type': 'application/soap+xml; charset=utf-8' },
      body: xml,
    });
    const text = await res.text();
    return { status: res.status, root: parseXml(Buffer.from(text)), text };
  }

  async function query(
    who: Record<string, unknown>,
    queryId: string,
    slots: Record<string, string>,
  ): Promise<Answer> {
    const res = await post('registry', x.iti18(await x.vihf(t, who), queryId, slots));
    expect(res.status, res.text).toBe(200);
    const outcome = x.registryOutcome(res.root);
    const objects = descendants(res.root, NS.rim, 'RegistryObjectList')[0]?.children ?? [];
    const short = (s: string | undefined) => (s ?? '').split(':').pop() ?? '';
    const name = (u: string | undefined) =>
      Object.entries(id).find(([, v]) => v === bare(u))?.[0] ?? bare(u);
    return {
      status: short(outcome.status),
      errors: outcome.errors,
      documents: objects
        .filter((o) => o.name === 'ExtrinsicObject')
        .map((o) => name(o.attrs['id']))
        .sort(),
      packages: objects.filter((o) => o.name === 'RegistryPackage').map((o) => bare(o.attrs['id'])),
      associations: objects
        .filter((o) => o.name === 'Association')
        .map(
          (o) =>
            `${short(o.attrs['associationType'])} ${name(o.attrs['sourceObject'])}→${name(o.attrs['targetObject'])}`,
        )
        .sort(),
      text: res.text,
    };
  }

  /** An ITI-41 of one document by Dr MULLER; `relation`: an XFRM / APND association to a registry document. */
  async function deposit(
    name: string,
    change: (meta: DocumentMetadata) => DocumentMetadata = (m) => m,
    relation?: { type: string; target: string },
    submissionSet: x.PnrSubmissionSet = {},
  ): Promise<void> {
    const bytes = Buffer.from(
      fx.rewriteDocumentId(fx.rewriteIns(fx.readExample(x.EXAMPLE), ins), fx.freshOid()),
    );
    const meta = change(x.metadataOf(bytes));
    const body = x.pnrBody([{ bytes, meta }], false, submissionSet);
    const entry = /<rim:ExtrinsicObject id="([^"]+)"/.exec(body.xml)?.[1] ?? '';
    const xml = relation
      ? body.xml.replace(
          '</rim:RegistryObjectList>',
          `<rim:Association associationType="${relation.type}" sourceObject="${entry}" targetObject="urn:uuid:${relation.target}" id="as-rel" objectType="${XDS.associationObjectType}"/></rim:RegistryObjectList>`,
        )
      : body.xml;
    const res = await post(
      'repository',
      x.envelope(ACTIONS['ITI-41'].request, await x.vihf(t, GP), xml),
    );
    expect(x.registryOutcome(res.root), res.text).toMatchObject({ errors: [] });
    const [row] = await t.db.owner<{ id: string }[]>`SELECT id FROM document
      WHERE patient_id = ${patientId} AND unique_id = ${meta.uniqueId}`;
    id[name] = row?.id ?? '';
    expect(id[name]).not.toBe('');
  }

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${String(port)}`;
    t = await buildTestApp({
      masterKey: randomBytes(32).toString('base64'),
      publicBaseUrl: base,
      quotas: { ...loadConfig({}).quotas, publicRequestsPerMinute: 0 },
    });
    await t.app.listen({ port, host: '127.0.0.1' });
    patientId = await x.readableRecord(t, ins, GP);
    await deposit('D1');
    await deposit('D2', (m) => ({
      ...m,
      authors: [
        {
          ...(m.authors[0] ?? { kind: 'practitioner' }),
          idNatPs: MARTINEAU,
          name: { family: 'MARTINEAU', given: ['Anne'] },
          // Dr MULLER deposits it from the author's structure (a deposit needs the author or their structure).
          structure: { idNatStruct: GP.structure },
        },
      ],
    }));
    await deposit('D3', undefined, { type: XDS.xfrm, target: id['D1'] ?? '' });
    await deposit('D4', undefined, { type: XDS.apnd, target: id['D1'] ?? '' });
  });
  afterAll(async () => {
    await t.close();
  });

  const find = (extra: Record<string, string>) => ({
    $XDSDocumentEntryPatientId: patientCx,
    $XDSDocumentEntryStatus: ANY_DOC,
    ...extra,
  });

  it('the CDA author is written as the XCN the patterns match', async () => {
    const all = await query(GP, STORED_QUERY.FindDocuments, find({}));
    expect(all.documents).toEqual(['D1', 'D2', 'D3', 'D4']);
    expect(all.text).toContain(
      `${GP.idNatPs}^MULLER^Charles^^^M^^^&amp;1.2.250.1.71.4.2.1&amp;ISO`,
    );
    expect(all.text).toContain(`${MARTINEAU}^MARTINEAU^Anne`);
  });

  it.each([
    ['a family name between %', `'%^MULLER^%'`, ['D1', 'D3', 'D4']],
    ['another family name', `'%^MARTINEAU^%'`, ['D2']],
    ['a name prefix', `'%^MART%'`, ['D2']],
    [
      'an IdNat_PS with _ for its last digit',
      `'${GP.idNatPs.slice(0, -1)}_^%'`,
      ['D1', 'D3', 'D4'],
    ],
    ['an IdNat_PS prefix of nobody here', `'8109%'`, []],
    ['% alone', `'%'`, ['D1', 'D2', 'D3', 'D4']],
    ['names are case-sensitive (LIKE)', `'%^muller^%'`, []],
    ['several values OR’d', list('%^MARTINEAU^%', GP.idNatPs), ['D1', 'D2', 'D3', 'D4']],
    ['the IdNat_PS alone, as before', `'${MARTINEAU}'`, ['D2']],
    [
      'an exact XCN with its name',
      `'${MARTINEAU}^MARTINEAU^Anne^^^^^^&amp;1.2.250.1.71.4.2.1&amp;ISO'`,
      ['D2'],
    ],
  ])('FindDocuments $XDSDocumentEntryAuthorPerson: %s', async (_name, value, expected) => {
    const a = await query(
      GP,
      STORED_QUERY.FindDocuments,
      find({ $XDSDocumentEntryAuthorPerson: value }),
    );
    expect(a.errors, a.text).toEqual([]);
    expect(a.documents).toEqual(expected);
  });

  it('an author value that is no pattern is a parameter error; a wildcard does not open the own-documents search', async () => {
    const bad = await query(
      GP,
      STORED_QUERY.FindDocuments,
      find({ $XDSDocumentEntryAuthorPerson: `'8012\\'` }),
    );
    expect(bad.status).toBe('Failure');
    expect(bad.errors.map((e) => [e.errorCode, e.codeContext.split(/[ :]/)[0]])).toEqual([
      ['XDSRegistryError', 'XDS_QUERY_AUTHOR_INVALID'],
    ]);
    // Dr CARDIO has no authorization: naming their own IdNat_PS finds their own documents (none), a pattern is a
    // search of the record, refused.
    const own = await query(
      x.CARDIO,
      STORED_QUERY.FindDocuments,
      find({ $XDSDocumentEntryAuthorPerson: `'${x.CARDIO.idNatPs}'` }),
    );
    expect(own).toMatchObject({ status: 'Success', documents: [] });
    const wild = await query(
      x.CARDIO,
      STORED_QUERY.FindDocuments,
      find({ $XDSDocumentEntryAuthorPerson: `'%'` }),
    );
    expect(wild.status).toBe('Failure');
    expect(wild.documents).toEqual([]);
  });

  it('FindSubmissionSets $XDSSubmissionSetAuthorPerson takes the same patterns', async () => {
    const sets = (value: string) =>
      query(GP, STORED_QUERY.FindSubmissionSets, {
        $XDSSubmissionSetPatientId: patientCx,
        $XDSSubmissionSetStatus: list(XDS.approved),
        $XDSSubmissionSetAuthorPerson: value,
      });
    expect((await sets(`'${GP.idNatPs.slice(0, 6)}%'`)).packages).toHaveLength(4);
    expect((await sets(`'%&amp;1.2.250.1.71.4.2.1&amp;ISO'`)).packages).toHaveLength(4);
    expect((await sets(`'8109%'`)).packages).toHaveLength(0);
  });

  it('$XDSDocumentEntryType: stable finds the documents, On-Demand alone none, an unknown type is refused', async () => {
    const typed = (value: string) =>
      query(GP, STORED_QUERY.FindDocuments, find({ $XDSDocumentEntryType: value }));
    expect((await typed(list(XDS.documentEntry))).documents).toHaveLength(4);
    expect((await typed(list(XDS.documentEntry, XDS.onDemandEntry))).documents).toHaveLength(4);
    const onDemand = await typed(list(XDS.onDemandEntry));
    expect(onDemand).toMatchObject({ status: 'Success', errors: [], documents: [] });
    const unknown = await typed(list(`urn:uuid:${randomUUID()}`));
    expect(unknown.status).toBe('Failure');
    expect(unknown.errors.map((e) => e.errorCode)).toEqual(['XDSRegistryError']);
    expect(unknown.errors[0]?.codeContext).toContain('XDS_QUERY_ENTRY_TYPE_INVALID');
    // GetAll filters its documents the same way.
    const all = await query(GP, STORED_QUERY.GetAll, {
      $patientId: patientCx,
      $XDSDocumentEntryStatus: ANY_DOC,
      $XDSSubmissionSetStatus: list(XDS.approved),
      $XDSFolderStatus: list(XDS.approved),
      $XDSDocumentEntryType: list(XDS.onDemandEntry),
    });
    expect(all.documents).toEqual([]);
  });

  it('GetRelatedDocuments answers the XFRM and APND relations, with their associations', async () => {
    const related = (uuid: string, ...types: string[]) =>
      query(GP, STORED_QUERY.GetRelatedDocuments, {
        $XDSDocumentEntryEntryUUID: list(`urn:uuid:${uuid}`),
        $AssociationTypes: list(...types),
      });
    const d1 = id['D1'] ?? '';
    const xfrm = await related(d1, XDS.xfrm);
    expect(xfrm).toMatchObject({ status: 'Success', documents: ['D1', 'D3'] });
    expect(xfrm.associations).toEqual(['XFRM D3→D1']);
    const apnd = await related(d1, XDS.apnd);
    expect(apnd.documents).toEqual(['D1', 'D4']);
    expect(apnd.associations).toEqual(['APND D4→D1']);
    const both = await related(id['D3'] ?? '', XDS.xfrm, XDS.apnd, XDS.rplc);
    expect(both.documents).toEqual(['D1', 'D3']);
    expect((await related(d1, XDS.rplc, XDS.signs)).documents).toEqual([]);
    // GetAssociations of D1 names them too, beside its SubmissionSet's HasMember.
    const assocs = await query(GP, STORED_QUERY.GetAssociations, { $uuid: list(`urn:uuid:${d1}`) });
    expect(assocs.associations.filter((a) => !a.startsWith('HasMember'))).toEqual([
      'APND D4→D1',
      'XFRM D3→D1',
    ]);
  });

  it("a SubmissionSet's authors are kept as given (person, institution, role, specialty): answered in its author Classification, found by name", async () => {
    // D5: Dr MULLER deposits a SubmissionSet whose author is Dr MARTINEAU, named, in a structure, with a specialty.
    const author = {
      authorPerson: `${MARTINEAU}^MARTINEAU^Anne^^^Dr^^^&amp;1.2.250.1.71.4.2.1&amp;ISO`,
      authorInstitution: `Cabinet des Lilas^^^^^&amp;1.2.250.1.71.4.2.2&amp;ISO^IDNST^^^${GP.structure}`,
      authorRole: `SMU^Médecin de SMUR^^^^^^^&amp;1.2.250.1.213.1.1.4.6&amp;ISO`,
      authorSpecialty: `G15_10/SM26^Qualifié en médecine générale^^^^^^^&amp;1.2.250.1.213.1.1.4.5&amp;ISO`,
    };
    await deposit('D5', undefined, undefined, { authors: [author] });
    const sets = (value: string) =>
      query(GP, STORED_QUERY.FindSubmissionSets, {
        $XDSSubmissionSetPatientId: patientCx,
        $XDSSubmissionSetStatus: list(XDS.approved),
        $XDSSubmissionSetAuthorPerson: value,
      });
    const byName = await sets(`'%^MARTINEAU^%'`);
    expect(byName.packages).toHaveLength(1);
    expect((await sets(`'%^MARTINEAU^Anne^^^Dr^%'`)).packages).toEqual(byName.packages);
    expect((await sets(`'${MARTINEAU}'`)).packages).toEqual(byName.packages);
    expect((await sets(`'%^MULLER^%'`)).packages).toEqual([]);
    // Dr MULLER deposited it but is not its author: his id finds the four others only.
    expect((await sets(`'${GP.idNatPs}'`)).packages).toHaveLength(4);
    // The answer writes the author as given (XML-unescaped here).
    const answer = parseXml(Buffer.from(byName.text));
    const classification = descendants(answer, NS.rim, 'Classification').find(
      (c) => c.attrs['classificationScheme'] === XDS.ssAuthor,
    );
    const slots = Object.fromEntries(
      descendants(classification ?? answer, NS.rim, 'Slot').map((slot) => [
        slot.attrs['name'],
        descendants(slot, NS.rim, 'Value').map((v) => v.text),
      ]),
    );
    const unescaped = (v: string) => [v.replace(/&amp;/g, '&')];
    expect(slots).toEqual({
      authorPerson: unescaped(author.authorPerson),
      authorInstitution: unescaped(author.authorInstitution),
      authorRole: unescaped(author.authorRole),
      authorSpecialty: unescaped(author.authorSpecialty),
    });
  });
});
