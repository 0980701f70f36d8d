import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp, GP, OPERATOR } from '../helpers/app.ts';
import * as fx from './documents.fixtures.ts';
import type { Json } from './documents.fixtures.ts';

/**
 * Lifecycle and visibility: replacement (author only, old version superseded, lineage kept), JSON Patch of
 * securityLabel / isArchived / status, what each caller then finds, reads and retrieves, paging, ITI-66 Lists,
 * and copied Binary URLs.
 */
const CARDIO = {
  kind: 'professional',
  idNatPs: '810001000016',
  profession: '10',
  specialty: 'SM04',
  structure: '1750700007',
  mode: 'normal',
};
const NURSE_NO_CONSENT = {
  kind: 'professional',
  idNatPs: '810001000040',
  profession: '60',
  structure: '1750800005',
  mode: 'normal',
};

describe('documents: lifecycle, visibility and paging', () => {
  let t: TestApp;
  let operator: string;
  let gp: string;
  let cardio: string;
  let nurse: string;
  let patient: string;
  let otherPatient: string;
  const ins = fx.nir('2790351215189');
  const otherIns = fx.nir('1850275123456');
  const author = { idNatPs: GP.idNatPs, structure: GP.structure };
  const auth = (token: string) => ({ authorization: `Bearer ${token}` });
  const json = (token: string) => ({ ...auth(token), 'content-type': 'application/fhir+json' });
  const patchHeaders = (token: string) => ({
    ...auth(token),
    'content-type': 'application/json-patch+json',
  });

  async function publish(
    token: string,
    overrides: Json = {},
  ): Promise<{ id: string; binary: string; docRef: Json }> {
    const bytes = fx.n1Bytes(ins);
    const docRef = fx.pdfDocumentReference(ins, bytes, author, overrides);
    const res = await t.app.inject({
      method: 'POST',
      url: '/fhir/DocumentReference',
      headers: json(token),
      payload: fx.iti105(docRef, bytes),
    });
    expect(res.statusCode, res.body).toBe(201);
    const doc = res.json<Json>();
    const url = String((((doc['content'] as Json[])[0] as Json)['attachment'] as Json)['url']);
    return { id: String(doc['id']), binary: new URL(url).pathname, docRef };
  }

  async function search(
    token: string,
    params: Record<string, string> = {},
  ): Promise<{ status: number; total: number; ids: string[]; next?: string }> {
    const q = new URLSearchParams({ 'patient.identifier': `${fx.TEST_SYSTEM}|${ins}`, ...params });
    const res = await t.app.inject({
      method: 'GET',
      url: `/fhir/DocumentReference?${q.toString()}`,
      headers: auth(token),
    });
    if (res.statusCode !== 200) {
      return { status: res.statusCode, total: -1, ids: [] };
    }
    const b = res.json<{
      total: number;
      entry?: { resource: Json }[];
      link: { relation: string; url: string }[];
    }>();
    const next = b.link.find((l) => l.relation === 'next')?.url;
    return {
      status: 200,
      total: b.total,
      ids: (b.entry ?? []).map((e) => String(e.resource['id'])),
      ...(next ? { next } : {}),
    };
  }

  const read = (token: string, id: string) =>
    t.app.inject({ method: 'GET', url: `/fhir/DocumentReference/${id}`, headers: auth(token) });
  const patch = (token: string, id: string, ops: unknown[], headers: Record<string, string> = {}) =>
    t.app.inject({
      method: 'PATCH',
      url: `/fhir/DocumentReference/${id}`,
      headers: { ...patchHeaders(token), ...headers },
      payload: JSON.stringify(ops),
    });

  beforeAll(async () => {
    t = await buildTestApp({ masterKey: randomBytes(32).toString('base64') });
    operator = await t.token(OPERATOR);
    gp = await t.token(GP);
    cardio = await t.token(CARDIO);
    nurse = await t.token(NURSE_NO_CONSENT);
    patient = await t.token({ kind: 'patient', ins });
    otherPatient = await t.token({ kind: 'patient', ins: otherIns });
    for (const nir of [ins, otherIns]) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/fhir/Patient',
        headers: json(operator),
        payload: fx.patientBody(nir),
      });
      expect(res.statusCode, res.body).toBe(201);
    }
    for (const [token, id] of [
      [gp, GP.idNatPs],
      [cardio, CARDIO.idNatPs],
    ] as const) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/fhir/Consent',
        headers: json(token),
        payload: fx.consentBody(ins, id),
      });
      expect(res.statusCode, res.body).toBeLessThan(300);
    }
  });
  afterAll(async () => {
    await t.close();
  });

  it('replaces a document (author only): the old version is superseded, the lineage kept', async () => {
    const v1 = await publish(gp);
    const bytes = fx.n1Bytes(ins, 'v2');
    const v2Ref = fx.pdfDocumentReference(ins, bytes, author, {
      relatesTo: [{ code: 'replaces', target: { reference: `DocumentReference/${v1.id}` } }],
    });
    const notAuthor = await t.app.inject({
      method: 'POST',
      url: '/fhir',
      headers: json(cardio),
      payload: fx.iti65(ins, [{ docRef: v2Ref, bytes, contentType: 'text/xml' }]),
    });
    expect(notAuthor.statusCode).toBe(403);
    expect(fx.issueCodes(notAuthor.body)).toEqual(['ACCESS_NOT_AUTHOR']);

    const res = await t.app.inject({
      method: 'POST',
      url: '/fhir',
      headers: json(gp),
      payload: fx.iti65(ins, [{ docRef: v2Ref, bytes, contentType: 'text/xml' }]),
    });
    expect(res.statusCode, res.body).toBe(200);
    const v2Id = /DocumentReference\/([0-9a-f-]{36})/.exec(res.body)?.[1] as string;
    const old = await read(gp, v1.id);
    expect(old.json<Json>()).toMatchObject({ status: 'superseded', meta: { versionId: '2' } });
    const current = (await read(gp, v2Id)).json<Json>();
    expect(current['relatesTo']).toEqual([
      { code: 'replaces', target: { reference: `DocumentReference/${v1.id}` } },
    ]);
    const [rows] = await t.db.owner<
      { same: boolean }[]
    >`SELECT (SELECT lineage_id FROM document WHERE id = ${v1.id})
      = (SELECT lineage_id FROM document WHERE id = ${v2Id}) AS same`;
    expect(rows?.same).toBe(true);
    expect((await search(gp, { status: 'current' })).ids).not.toContain(v1.id);
    expect((await search(gp, { status: 'superseded' })).ids).toEqual([v1.id]);
    expect((await search(gp, { relatesto: `DocumentReference/${v1.id}` })).ids).toEqual([v2Id]);

    const again = fx.n1Bytes(ins, 'v2bis');
    const twice = await t.app.inject({
      method: 'POST',
      url: '/fhir/DocumentReference',
      headers: json(gp),
      payload: fx.iti105(
        fx.pdfDocumentReference(ins, again, author, {
          relatesTo: [{ code: 'replaces', target: { reference: `DocumentReference/${v1.id}` } }],
        }),
        again,
      ),
    });
    expect(twice.statusCode).toBe(409);
    expect(fx.issueCodes(twice.body)).toEqual(['DOC_REPLACE_TARGET_NOT_CURRENT']);
  });

  it('accepts PDSm’s replacement bundle shape (the PATCH entry marking the old version superseded)', async () => {
    const v1 = await publish(gp);
    const bytes = fx.n1Bytes(ins, 'v2');
    const bundle = fx.iti65(ins, [
      {
        docRef: fx.pdfDocumentReference(ins, bytes, author, {
          relatesTo: [{ code: 'replaces', target: { reference: `DocumentReference/${v1.id}` } }],
        }),
        bytes,
        contentType: 'text/xml',
      },
    ]);
    (bundle['entry'] as Json[]).push({
      fullUrl: 'urn:uuid:bbbbbbbb-0000-0000-0000-000000000004',
      resource: {
        resourceType: 'Parameters',
        parameter: [
          {
            name: 'operation',
            part: [
              { name: 'type', valueCode: 'replace' },
              { name: 'path', valueString: 'DocumentReference.status' },
              { name: 'value', valueCode: 'superseded' },
            ],
          },
        ],
      },
      request: { method: 'PATCH', url: `DocumentReference/${v1.id}` },
    });
    const res = await t.app.inject({
      method: 'POST',
      url: '/fhir',
      headers: json(gp),
      payload: bundle,
    });
    expect(res.statusCode, res.body).toBe(200);
    const statuses = res
      .json<{ entry: { response: { status: string; location: string } }[] }>()
      .entry.map((e) => e.response);
    expect(statuses[3]).toEqual(
      expect.objectContaining({
        status: '200 OK',
        location: `DocumentReference/${v1.id}/_history/2`,
      }),
    );
    expect((await read(gp, v1.id)).json<Json>()['status']).toBe('superseded');
  });

  it('MASQUE_PS set by the patient hides the document from other professionals (search, read, Binary), not from the author', async () => {
    const doc = await publish(gp);
    expect((await read(cardio, doc.id)).statusCode).toBe(200);
    const before = await search(cardio);
    const res = await patch(patient, doc.id, [
      {
        op: 'add',
        path: '/securityLabel/-',
        value: { coding: [{ system: fx.A07, code: 'MASQUE_PS' }] },
      },
    ]);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<Json>()['meta']).toMatchObject({ versionId: '2' });
    expect(JSON.stringify(res.json<Json>()['securityLabel'])).toContain('MASQUE_PS');
    // A new metadata version: a new entryUUID (the id), the same logicalId (the identifier) — ADR 0021.
    const masked = String(res.json<Json>()['id']);
    expect(masked).not.toBe(doc.id);
    expect(res.json<Json>()['identifier']).toEqual([
      { use: 'official', system: 'urn:ietf:rfc:3986', value: `urn:uuid:${doc.id}` },
    ]);
    expect((await read(cardio, doc.id)).statusCode).toBe(404);
    expect((await read(cardio, masked)).statusCode).toBe(404);
    expect(
      (await t.app.inject({ method: 'GET', url: doc.binary, headers: auth(cardio) })).statusCode,
    ).toBe(404);
    const after = await search(cardio);
    expect(after.ids).not.toContain(doc.id);
    expect(after.ids).not.toContain(masked);
    expect(after.total).toBe(before.total - 1);
    // The earlier entryUUID still names the document: answered with its current version.
    const byEarlier = await read(gp, doc.id);
    expect(byEarlier.statusCode).toBe(200);
    expect(byEarlier.json<Json>()['id']).toBe(masked);
    expect((await search(gp)).ids).toContain(masked);
    // A professional the mask hides it from cannot lift it (answered as missing); the patient may (so may the
    // author, issue 17 rule 4: documents.professional-mask.int.test.ts).
    const byCardio = await patch(cardio, doc.id, [{ op: 'remove', path: '/securityLabel/1' }]);
    expect(byCardio.statusCode).toBe(404);
    const lifted = await patch(patient, doc.id, [{ op: 'remove', path: '/securityLabel/1' }]);
    expect(lifted.statusCode, lifted.body).toBe(200);
    expect((await read(cardio, doc.id)).statusCode).toBe(200);
    const traces = await t.db.owner<
      Json[]
    >`SELECT outcome, detail->>'operation' AS op, actor_kind, reason_code
      FROM audit_event WHERE entity_id = ${doc.id} AND action = 'document.visibility' ORDER BY seq`;
    expect(traces).toEqual([
      { outcome: 'success', op: 'set', actor_kind: 'patient', reason_code: null },
      { outcome: 'success', op: 'unset', actor_kind: 'patient', reason_code: null },
    ]);
  });

  it('INVISIBLE_PATIENT set by the author hides the document from the patient until lifted', async () => {
    const doc = await publish(gp);
    const res = await patch(gp, doc.id, [
      {
        op: 'add',
        path: '/securityLabel/-',
        value: { coding: [{ system: fx.A07, code: 'INVISIBLE_PATIENT' }] },
      },
    ]);
    expect(res.statusCode, res.body).toBe(200);
    expect((await read(patient, doc.id)).statusCode).toBe(404);
    expect((await search(patient)).ids).not.toContain(doc.id);
    const byPatient = await patch(patient, doc.id, [{ op: 'remove', path: '/securityLabel/1' }]);
    expect(byPatient.statusCode).toBe(404);
    const lifted = await patch(gp, doc.id, [{ op: 'remove', path: '/securityLabel/1' }]);
    expect(lifted.statusCode, lifted.body).toBe(200);
    expect((await read(patient, doc.id)).statusCode).toBe(200);
  });

  it('archives (author) and unarchives (patient) through the PDSm isArchived extension', async () => {
    const doc = await publish(gp);
    const served = (await read(gp, doc.id)).json<Json>();
    const ext = served['extension'] as Json[];
    const at = ext.findIndex((e) => e['url'] === fx.IS_ARCHIVED);
    expect(ext[at]).toEqual({ url: fx.IS_ARCHIVED, valueBoolean: false });
    const res = await patch(gp, doc.id, [
      { op: 'test', path: `/extension/${String(at)}/valueBoolean`, value: false },
      { op: 'replace', path: `/extension/${String(at)}/valueBoolean`, value: true },
    ]);
    expect(res.statusCode, res.body).toBe(200);
    const archived = String(res.json<Json>()['id']);
    expect(archived).not.toBe(doc.id);
    expect((await search(gp)).ids).not.toContain(archived);
    expect((await search(gp, { isArchived: 'true' })).ids).toContain(archived);
    expect((await read(cardio, doc.id)).statusCode).toBe(200);
    const stranger = await patch(cardio, doc.id, [
      { op: 'replace', path: `/extension/${String(at)}/valueBoolean`, value: false },
    ]);
    expect(stranger.statusCode).toBe(403);
    expect(fx.issueCodes(stranger.body)).toEqual(['ACCESS_NOT_AUTHOR']);
    const back = await patch(patient, doc.id, [{ op: 'remove', path: `/extension/${String(at)}` }]);
    expect(back.statusCode, back.body).toBe(200);
    expect((await search(gp)).ids).toContain(String(back.json<Json>()['id']));
  });

  it('deletes logically (entered-in-error): never served again, to anyone', async () => {
    const doc = await publish(gp);
    const stale = await patch(
      gp,
      doc.id,
      [{ op: 'replace', path: '/status', value: 'entered-in-error' }],
      { 'if-match': 'W/"7"' },
    );
    expect(stale.statusCode).toBe(409);
    const res = await patch(
      patient,
      doc.id,
      [{ op: 'replace', path: '/status', value: 'entered-in-error' }],
      { 'if-match': 'W/"1"' },
    );
    expect(res.statusCode, res.body).toBe(200);
    expect(fx.issueCodes(res.body)).toEqual(['DOC_DELETED']);
    for (const token of [gp, patient, cardio]) {
      expect((await read(token, doc.id)).statusCode).toBe(404);
      expect(
        (await t.app.inject({ method: 'GET', url: doc.binary, headers: auth(token) })).statusCode,
      ).toBe(404);
      expect(
        (await search(token, { status: 'current,superseded,entered-in-error' })).ids,
      ).not.toContain(doc.id);
    }
    expect(
      (await patch(gp, doc.id, [{ op: 'replace', path: '/status', value: 'entered-in-error' }]))
        .statusCode,
    ).toBe(404);
    const [row] = await t.db.owner<
      Json[]
    >`SELECT status, version_id FROM document WHERE id = ${doc.id}`;
    expect(row).toEqual({ status: 'deleted', version_id: 2 });
  });

  it('refuses any other PATCH path (DOC_PATCH_PATH_NOT_ALLOWED) or value, and malformed patches', async () => {
    const doc = await publish(gp);
    const typeChange = await patch(gp, doc.id, [
      { op: 'replace', path: '/type/coding/0/code', value: '34133-9' },
    ]);
    expect(typeChange.statusCode).toBe(422);
    expect(fx.issueCodes(typeChange.body)).toEqual(['DOC_PATCH_PATH_NOT_ALLOWED']);
    const moveFrom = await patch(gp, doc.id, [
      { op: 'move', from: '/subject', path: '/extension/-' },
    ]);
    expect(fx.issueCodes(moveFrom.body)).toEqual(['DOC_PATCH_PATH_NOT_ALLOWED']);
    const current = await patch(gp, doc.id, [
      { op: 'replace', path: '/status', value: 'superseded' },
    ]);
    expect(current.statusCode).toBe(422);
    expect(fx.issueCodes(current.body)).toEqual(['DOC_PATCH_VALUE_NOT_ALLOWED']);
    const level = await patch(gp, doc.id, [
      { op: 'replace', path: '/securityLabel/0/coding/0/code', value: 'R' },
    ]);
    expect(fx.issueCodes(level.body)).toEqual(['DOC_PATCH_VALUE_NOT_ALLOWED']);
    const unknownLabel = await patch(patient, doc.id, [
      {
        op: 'add',
        path: '/securityLabel/-',
        value: { coding: [{ system: fx.A07, code: 'SECRET' }] },
      },
    ]);
    expect(fx.issueCodes(unknownLabel.body)).toEqual(['DOC_PATCH_VALUE_NOT_ALLOWED']);
    const malformed = await patch(gp, doc.id, [{ op: 'jump', path: '/status' }]);
    expect(malformed.statusCode).toBe(400);
    expect(fx.issueCodes(malformed.body)).toEqual(['DOC_PATCH_INVALID']);
    const failedTest = await patch(gp, doc.id, [
      { op: 'test', path: '/status', value: 'superseded' },
      { op: 'replace', path: '/status', value: 'entered-in-error' },
    ]);
    expect(failedTest.statusCode).toBe(409);
    expect((await read(gp, doc.id)).json<Json>()).toMatchObject({
      status: 'current',
      meta: { versionId: '1' },
    });
  });

  it('a copied Binary URL grants nothing: another patient, an unauthorized professional and the operator get 404', async () => {
    const doc = await publish(gp);
    const mine = await t.app.inject({ method: 'GET', url: doc.binary, headers: auth(patient) });
    expect(mine.statusCode).toBe(200);
    const other = await t.app.inject({
      method: 'GET',
      url: doc.binary,
      headers: auth(otherPatient),
    });
    expect(other.statusCode).toBe(404);
    expect(fx.issueCodes(other.body)).toEqual(['DOC_NOT_FOUND']);
    const unauthorized = await t.app.inject({
      method: 'GET',
      url: doc.binary,
      headers: auth(nurse),
    });
    // Addressed by id, a refusal answers like a missing document (issue 16); its reason goes to the trace.
    expect(unauthorized.statusCode).toBe(404);
    expect(fx.issueCodes(unauthorized.body)).toEqual(['DOC_NOT_FOUND']);
    const noToken = await t.app.inject({ method: 'GET', url: doc.binary });
    expect(noToken.statusCode).toBe(401);
    const opRead = await t.app.inject({ method: 'GET', url: doc.binary, headers: auth(operator) });
    expect(opRead.statusCode).toBe(404);
    const denials = await t.db.owner<Json[]>`SELECT actor_id, reason_code FROM audit_event
      WHERE action = 'document.retrieve' AND outcome = 'denied' AND entity_id = ${doc.id} ORDER BY seq`;
    expect(denials).toEqual([
      { actor_id: otherIns, reason_code: 'ACCESS_NOT_HOLDER' },
      { actor_id: NURSE_NO_CONSENT.idNatPs, reason_code: 'ACCESS_NO_AUTHORIZATION' },
      { actor_id: 'op-test', reason_code: 'ACCESS_OPERATOR_NO_CLINICAL' },
    ]);
  });

  it('pages newest first with _count and next links; hidden documents are neither counted nor paged', async () => {
    const all = await search(gp, { _count: '1000' });
    const first = await search(gp, { _count: '2' });
    expect(first.ids).toEqual(all.ids.slice(0, 2));
    expect(first.total).toBe(all.total);
    const collected = [...first.ids];
    let next = first.next;
    while (next) {
      const res = await t.app.inject({
        method: 'GET',
        url: new URL(next).pathname + new URL(next).search,
        headers: auth(gp),
      });
      const b = res.json<{
        entry?: { resource: Json }[];
        link: { relation: string; url: string }[];
      }>();
      collected.push(...(b.entry ?? []).map((e) => String(e.resource['id'])));
      next = b.link.find((l) => l.relation === 'next')?.url;
    }
    expect(collected).toEqual(all.ids);
    const full = await t.app.inject({
      method: 'GET',
      url: `/fhir/DocumentReference?patient.identifier=${encodeURIComponent(`${fx.TEST_SYSTEM}|${ins}`)}`,
      headers: auth(gp),
    });
    const updated = full
      .json<{ entry: { resource: { meta: { lastUpdated: string } } }[] }>()
      .entry.map((e) => e.resource.meta.lastUpdated);
    expect([...updated].sort().reverse()).toEqual(updated.slice().sort().reverse());
    const masked = await publish(gp);
    await patch(patient, masked.id, [
      {
        op: 'add',
        path: '/securityLabel/-',
        value: { coding: [{ system: fx.A07, code: 'MASQUE_PS' }] },
      },
    ]);
    const cardioAll = await search(cardio, { _count: '1000' });
    const gpAll = await search(gp, { _count: '1000' });
    expect(cardioAll.total).toBe(gpAll.total - 1);
    const cardioPages: string[] = [];
    let page = await search(cardio, { _count: '3' });
    cardioPages.push(...page.ids);
    while (page.next) {
      const u = new URL(page.next);
      const res = await t.app.inject({
        method: 'GET',
        url: u.pathname + u.search,
        headers: auth(cardio),
      });
      const b = res.json<{
        total: number;
        entry?: { resource: Json }[];
        link: { relation: string; url: string }[];
      }>();
      expect(b.total).toBe(cardioAll.total);
      cardioPages.push(...(b.entry ?? []).map((e) => String(e.resource['id'])));
      const nx = b.link.find((l) => l.relation === 'next')?.url;
      page = { status: 200, total: b.total, ids: [], ...(nx ? { next: nx } : {}) };
    }
    expect(cardioPages).toEqual(cardioAll.ids);
    expect(cardioPages).not.toContain(masked.id);
  });

  it('searches by every supported parameter and refuses unknown ones', async () => {
    const doc = await publish(gp);
    const served = (await read(gp, doc.id)).json<Json>();
    const uid = served['masterIdentifier'] as { system: string; value: string };
    const checks: Record<string, string>[] = [
      { type: 'http://loinc.org|11488-4' },
      { category: `${fx.A03}|10` },
      { setting: 'AMBULATOIRE' },
      { facility: 'SA07' },
      { format: 'urn:ihe:iti:xds-sd:pdf:2008' },
      { 'security-label': 'N' },
      { 'author.identifier': `${fx.IDNAT_PS}|${GP.idNatPs}` },
      { identifier: `${uid.system}|${uid.value}` },
      { identifier: `urn:ietf:rfc:3986|urn:uuid:${doc.id}` },
      { creation: '2024-05-02' },
      { creation: 'ge2024-05-02T09:30:00+02:00' },
      { period: '2024-05' },
      { period: 'ge2024-05-02' },
      { 'period-start': 'le2024-05-02T09:00:00+02:00' },
      { date: `eq${new Date().toISOString().slice(0, 10)}` },
      { status: 'current' },
      { isArchived: 'false' },
    ];
    for (const params of checks) {
      const res = await search(gp, { ...params, _count: '1000' });
      expect(res.ids, JSON.stringify(params)).toContain(doc.id);
    }
    const misses: Record<string, string>[] = [
      { type: '34133-9' },
      { creation: 'lt2024-05-02' },
      { period: 'gt2024-05-03' },
      { 'author.identifier': '810001000016' },
      { 'security-label': 'MASQUE_PS' },
    ];
    for (const params of misses) {
      expect(
        (await search(gp, { ...params, _count: '1000' })).ids,
        JSON.stringify(params),
      ).not.toContain(doc.id);
    }
    const unknown = await t.app.inject({
      method: 'GET',
      url: `/fhir/DocumentReference?patient.identifier=${encodeURIComponent(`${fx.TEST_SYSTEM}|${ins}`)}&colour=blue`,
      headers: auth(gp),
    });
    expect(unknown.statusCode).toBe(400);
    expect(fx.issueCodes(unknown.body)).toEqual(['DOC_SEARCH_PARAM_UNKNOWN']);
    const noPatient = await t.app.inject({
      method: 'GET',
      url: '/fhir/DocumentReference?type=11488-4',
      headers: auth(gp),
    });
    expect(fx.issueCodes(noPatient.body)).toEqual(['DOC_SEARCH_PATIENT_REQUIRED']);
    const badDate = await search(gp, { date: 'ne2024' });
    expect(badDate.status).toBe(400);
    expect((await search(nurse)).status).toBe(403);
    const byId = await t.app.inject({
      method: 'GET',
      url: `/fhir/DocumentReference?patient=Patient/${String(served['subject'] && (served['subject'] as Json)['reference']).replace('Patient/', '')}&_count=1000`,
      headers: auth(gp),
    });
    expect(
      byId.json<{ entry: { resource: Json }[] }>().entry.map((e) => e.resource['id']),
    ).toContain(doc.id);
    const unknownPatient = await t.app.inject({
      method: 'GET',
      url: `/fhir/DocumentReference?patient.identifier=${encodeURIComponent(`${fx.TEST_SYSTEM}|${fx.nir('1010175123456')}`)}`,
      headers: auth(gp),
    });
    expect(unknownPatient.json<{ total: number }>().total).toBe(0);
    const notMine = await t.app.inject({
      method: 'GET',
      url: `/fhir/DocumentReference?patient.identifier=${encodeURIComponent(`${fx.TEST_SYSTEM}|${ins}`)}`,
      headers: auth(otherPatient),
    });
    expect(notMine.statusCode).toBe(403);
  });

  it('finds SubmissionSets and Folders through ITI-66, with only the documents the caller may see', async () => {
    const a = fx.n1Bytes(ins, 'a');
    const b = fx.n1Bytes(ins, 'b');
    const res = await t.app.inject({
      method: 'POST',
      url: '/fhir',
      headers: json(gp),
      payload: fx.iti65(
        ins,
        [
          {
            docRef: fx.pdfDocumentReference(ins, a, author),
            bytes: a,
            contentType: 'text/xml',
          },
          {
            docRef: fx.pdfDocumentReference(ins, b, author),
            bytes: b,
            contentType: 'text/xml',
          },
        ],
        true,
      ),
    });
    expect(res.statusCode, res.body).toBe(200);
    const locations = res
      .json<{ entry: { response: { location: string } }[] }>()
      .entry.map((e) => e.response.location);
    const setId = /^List\/([0-9a-f-]{36})/.exec(locations[0] ?? '')?.[1] as string;
    const folderId = /^List\/([0-9a-f-]{36})/.exec(locations[5] ?? '')?.[1] as string;
    const docA = /^DocumentReference\/([0-9a-f-]{36})/.exec(locations[1] ?? '')?.[1] as string;
    const q = (code: string) =>
      `/fhir/List?patient.identifier=${encodeURIComponent(`${fx.TEST_SYSTEM}|${ins}`)}&code=${encodeURIComponent(`${fx.MHD_LIST_TYPES}|${code}`)}`;
    const sets = await t.app.inject({ method: 'GET', url: q('submissionset'), headers: auth(gp) });
    expect(sets.statusCode, sets.body).toBe(200);
    const set = sets
      .json<{ entry: { resource: Json }[] }>()
      .entry.find((e) => e.resource['id'] === setId)?.resource as Json;
    expect(set).toBeDefined();
    expect((set['entry'] as Json[]).length).toBe(2);
    expect(set['subject']).toEqual({
      reference: expect.stringMatching(/^Patient\/[0-9a-f-]{36}$/) as unknown,
    });
    const folders = await t.app.inject({ method: 'GET', url: q('folder'), headers: auth(gp) });
    const folder = folders
      .json<{ entry: { resource: Json }[] }>()
      .entry.find((e) => e.resource['id'] === folderId)?.resource as Json;
    expect(folder).toMatchObject({ resourceType: 'List', title: 'Suivi' });
    expect(
      (await t.app.inject({ method: 'GET', url: `/fhir/List/${folderId}`, headers: auth(gp) }))
        .statusCode,
    ).toBe(200);
    await patch(patient, docA, [
      {
        op: 'add',
        path: '/securityLabel/-',
        value: { coding: [{ system: fx.A07, code: 'MASQUE_PS' }] },
      },
    ]);
    const seenByCardio = await t.app.inject({
      method: 'GET',
      url: q('submissionset'),
      headers: auth(cardio),
    });
    const cardioSet = seenByCardio
      .json<{ entry: { resource: Json }[] }>()
      .entry.find((e) => e.resource['id'] === setId)?.resource as Json;
    expect(
      (cardioSet['entry'] as Json[]).map((e) => (e['item'] as Json)['reference']),
    ).not.toContain(`DocumentReference/${docA}`);
    expect((cardioSet['entry'] as Json[]).length).toBe(1);
    expect(
      (await t.app.inject({ method: 'GET', url: q('bogus'), headers: auth(gp) })).statusCode,
    ).toBe(400);
  });

  it('serves each search entry exactly as a read of the document, after every change', async () => {
    // Both are the cached FHIR encoding of the version (ADR 0020; documents.truth rebuilds it from the truth).
    const fresh = await publish(gp);
    const compared = new Set<string>();
    for (const token of [gp, cardio, patient]) {
      for (const status of ['current', 'superseded']) {
        for (const archived of ['true', 'false']) {
          const q = new URLSearchParams({
            'patient.identifier': `${fx.TEST_SYSTEM}|${ins}`,
            status,
            isArchived: archived,
            _count: '100',
          });
          const res = await t.app.inject({
            method: 'GET',
            url: `/fhir/DocumentReference?${q.toString()}`,
            headers: auth(token),
          });
          expect(res.statusCode, res.body).toBe(200);
          for (const e of res.json<{ entry?: { resource: Json }[] }>().entry ?? []) {
            const one = await read(token, String(e.resource['id']));
            expect(one.statusCode).toBe(200);
            expect(e.resource, `${status} ${archived}`).toEqual(one.json<Json>());
            compared.add(String(e.resource['id']));
          }
        }
      }
    }
    expect(compared.size).toBeGreaterThan(5);
    expect(compared).toContain(fresh.id);
  });

  it('purges every document row (metadata, encrypted content, keys, lists, lookups) with its record', async () => {
    const purgedIns = fx.nir('2791275123456');
    const created = await t.app.inject({
      method: 'POST',
      url: '/fhir/Patient',
      headers: json(operator),
      payload: fx.patientBody(purgedIns),
    });
    const patientId = String(created.json<Json>()['id']);
    const bytes = fx.n1Bytes(purgedIns, 'to purge');
    const res = await t.app.inject({
      method: 'POST',
      url: '/fhir',
      headers: json(gp),
      payload: fx.iti65(
        purgedIns,
        [
          {
            docRef: fx.pdfDocumentReference(purgedIns, bytes, author),
            bytes,
            contentType: 'text/xml',
          },
        ],
        true,
      ),
    });
    expect(res.statusCode, res.body).toBe(200);
    const holder = await t.token({ kind: 'patient', ins: purgedIns });
    // The patient reads the document and its bytes before the purge (ids located then are remembered)…
    const found = await t.app.inject({
      method: 'GET',
      url: `/fhir/DocumentReference?patient.identifier=${encodeURIComponent(`${fx.TEST_SYSTEM}|${purgedIns}`)}`,
      headers: auth(holder),
    });
    const doc = (found.json<{ entry: { resource: Json }[] }>().entry[0] as { resource: Json })
      .resource;
    const binaryPath = new URL(
      String((((doc['content'] as Json[])[0] as Json)['attachment'] as Json)['url']),
    ).pathname;
    expect(
      (await t.app.inject({ method: 'GET', url: binaryPath, headers: auth(holder) })).statusCode,
    ).toBe(200);
    expect((await read(holder, String(doc['id']))).statusCode).toBe(200);
    const request = await t.app.inject({
      method: 'POST',
      url: `/fhir/Patient/${patientId}/$request-deletion`,
      headers: auth(holder),
    });
    expect(request.statusCode, request.body).toBe(200);
    const { purgeDueRecords } = await import('../../src/services/records.ts');
    t.clock.offsetMs = 24 * 3600 * 1000;
    try {
      expect((await purgeDueRecords(t.deps)).purged).toBe(1);
    } finally {
      t.clock.offsetMs = 0;
    }
    // The holder, whose reads left the record's facts in the service's memory, is answered 404 too: the trace of a
    // read decided on remembered facts finds no record, and the fresh facts say there is none (ADR 0009).
    const again = await t.app.inject({ method: 'GET', url: binaryPath, headers: auth(holder) });
    expect(again.statusCode).toBe(404);
    expect(again.body).not.toContain('to purge');
    const searched = await t.app.inject({
      method: 'GET',
      url: `/fhir/DocumentReference?patient.identifier=${encodeURIComponent(`${fx.TEST_SYSTEM}|${purgedIns}`)}`,
      headers: auth(holder),
    });
    expect(searched.json<{ total: number }>().total).toBe(0);
    // …and after it, neither answers anything (to the operator, who sees every record).
    expect(
      (await t.app.inject({ method: 'GET', url: binaryPath, headers: auth(operator) })).statusCode,
    ).toBe(404);
    expect((await read(operator, String(doc['id']))).statusCode).toBe(404);
    for (const table of [
      'document',
      'document_content',
      'record_data_key',
      'submission_set',
      'folder',
      'list_entry',
      'document_unique_id',
      'resource_locator',
    ]) {
      const [row] = await t.db.owner.unsafe<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM ${table} WHERE patient_id = $1`,
        [patientId],
      );
      expect(row?.n, table).toBe(0);
    }
  });
});
