import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp, GP, OPERATOR } from '../helpers/app.ts';
import * as fx from './documents.fixtures.ts';
import type { Json } from './documents.fixtures.ts';

/**
 * Issue 17 rule 13: PDSm-for-DMP requests accepted as written. The PATCH bodies are the guide's own
 * (github.com/ansforge/IG-FHIR-PDSM4DMP-EEDS, input/pagecontent/transaction_td3.3a.md and transaction_td3.3b.md),
 * sent to `PATCH [base]/DocumentReference?identifier=urn:ietf:rfc:3986|urn:oid:<uniqueId>`; ITI-66 `date`,
 * `identifier` and `related` find the Lists they name.
 */
const A07_SYSTEM =
  'https://mos.esante.gouv.fr/NOS/TRE_A07-StatutVisibiliteDocument/FHIR/TRE-A07-StatutVisibiliteDocument';
/** TD3.3a "Flux TD3.3a — Requête (masquage)", verbatim. */
const TD33A_MASK = [
  {
    op: 'replace',
    path: '/securityLabel/0',
    value: {
      coding: [
        { system: A07_SYSTEM, code: 'MASQUE_PS', display: 'Masqué aux professionnels de santé' },
      ],
    },
  },
];
/** TD3.3a "Requête (démasquage)" and TD3.3b "Requête (visibilité patient rétablie)", verbatim (the same body). */
const TD33_NORMAL = [
  {
    op: 'replace',
    path: '/securityLabel/0',
    value: {
      coding: [
        {
          system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality',
          code: 'N',
          display: 'normal',
        },
      ],
    },
  },
];
/** TD3.3b "Requête (masquage patient)", verbatim. */
const TD33B_INVISIBLE = [
  {
    op: 'replace',
    path: '/securityLabel/0',
    value: {
      coding: [
        { system: A07_SYSTEM, code: 'INVISIBLE_PATIENT', display: 'Non visible par le patient' },
      ],
    },
  },
];
const CARDIO = {
  kind: 'professional',
  idNatPs: '810001000016',
  profession: '10',
  specialty: 'SM04',
  structure: '1750700007',
  mode: 'normal',
};

describe('PDSm-for-DMP requests as the guide writes them (issue 17 rule 13)', () => {
  let t: TestApp;
  let gp: string;
  let cardio: string;
  let patient: string;
  const ins = fx.nir('2790351215189');
  const author = { idNatPs: GP.idNatPs, structure: GP.structure };
  const auth = (token: string) => ({ authorization: `Bearer ${token}` });
  const json = (token: string) => ({ ...auth(token), 'content-type': 'application/fhir+json' });
  let seq = 100;

  /** A document deposited by the GP under the guide's kind of uniqueId (urn:oid:1.2.250.1.213.1.4.8.99999.<n>). */
  async function deposit(): Promise<{ id: string; identifier: string }> {
    seq += 1;
    const uniqueId = `urn:oid:1.2.250.1.213.1.4.8.99999.${String(seq)}`;
    const overrides = { masterIdentifier: { system: 'urn:ietf:rfc:3986', value: uniqueId } };
    const bytes = fx.n1Bytes(ins, `document ${String(seq)}`, overrides);
    const res = await t.app.inject({
      method: 'POST',
      url: '/fhir/DocumentReference',
      headers: json(gp),
      payload: fx.iti105(fx.pdfDocumentReference(ins, bytes, author, overrides), bytes),
    });
    expect(res.statusCode, res.body).toBe(201);
    return { id: String(res.json<Json>()['id']), identifier: `urn:ietf:rfc:3986|${uniqueId}` };
  }

  const patchBy = (token: string, identifier: string, body: unknown) =>
    t.app.inject({
      method: 'PATCH',
      url: `/fhir/DocumentReference?identifier=${encodeURIComponent(identifier)}`,
      headers: { ...auth(token), 'content-type': 'application/json-patch+json' },
      payload: JSON.stringify(body),
    });
  const read = (token: string, id: string) =>
    t.app.inject({ method: 'GET', url: `/fhir/DocumentReference/${id}`, headers: auth(token) });
  const labels = (resource: Json): string[] =>
    ((resource['securityLabel'] ?? []) as Json[]).map((l) =>
      String(((l['coding'] as Json[])[0] as Json)['code']),
    );

  beforeAll(async () => {
    t = await buildTestApp({ masterKey: randomBytes(32).toString('base64') });
    const operator = await t.token(OPERATOR);
    gp = await t.token(GP);
    cardio = await t.token(CARDIO);
    patient = await t.token({ kind: 'patient', ins });
    const created = await t.app.inject({
      method: 'POST',
      url: '/fhir/Patient',
      headers: json(operator),
      payload: fx.patientBody(ins),
    });
    expect(created.statusCode, created.body).toBe(201);
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

  it('TD3.3a: the author masks by business identifier with the guide’s body, and unmasks with the confidentiality code', async () => {
    const doc = await deposit();
    expect((await read(cardio, doc.id)).statusCode).toBe(200);

    const masked = await patchBy(gp, doc.identifier, TD33A_MASK);
    expect(masked.statusCode, masked.body).toBe(200);
    const resource = masked.json<Json>();
    // A new metadata version: a new entryUUID (id), the logicalId kept (identifier) — ADR 0021.
    expect(resource['id']).not.toBe(doc.id);
    expect(resource['identifier']).toEqual([
      { use: 'official', system: 'urn:ietf:rfc:3986', value: `urn:uuid:${doc.id}` },
    ]);
    // The label is set and the document keeps its confidentiality level N.
    expect(labels(resource).sort()).toEqual(['MASQUE_PS', 'N']);
    expect(masked.headers['etag']).toBe('W/"2"');
    expect((await read(cardio, doc.id)).statusCode).toBe(404);
    expect((await read(gp, doc.id)).statusCode).toBe(200);
    // Sent twice, the mask is not set twice.
    const again = await patchBy(gp, doc.identifier, TD33A_MASK);
    expect(labels(again.json<Json>()).sort()).toEqual(['MASQUE_PS', 'N']);

    const unmasked = await patchBy(gp, doc.identifier, TD33_NORMAL);
    expect(unmasked.statusCode, unmasked.body).toBe(200);
    expect(labels(unmasked.json<Json>())).toEqual(['N']);
    expect((await read(cardio, doc.id)).statusCode).toBe(200);

    const traces = await t.db.owner<
      Json[]
    >`SELECT detail->>'label' AS label, detail->>'operation' AS op,
      actor_kind FROM audit_event
      WHERE entity_id = ${doc.id} AND action = 'document.visibility' AND outcome = 'success' ORDER BY seq`;
    expect(traces).toEqual([
      { label: 'MASQUE_PS', op: 'set', actor_kind: 'professional' },
      { label: 'MASQUE_PS', op: 'unset', actor_kind: 'professional' },
    ]);
  });

  it('TD3.3b: the author makes the document invisible to the patient and visible again with the guide’s bodies', async () => {
    const doc = await deposit();
    const hidden = await patchBy(gp, doc.identifier, TD33B_INVISIBLE);
    expect(hidden.statusCode, hidden.body).toBe(200);
    expect((await read(patient, doc.id)).statusCode).toBe(404);
    // The patient cannot lift what hides the document from them: answered as missing.
    expect((await patchBy(patient, doc.identifier, TD33_NORMAL)).statusCode).toBe(404);
    const shown = await patchBy(gp, doc.identifier, TD33_NORMAL);
    expect(shown.statusCode, shown.body).toBe(200);
    expect((await read(patient, doc.id)).statusCode).toBe(200);
  });

  it('answers a hidden document exactly like an identifier that names nothing, and traces the denial', async () => {
    const doc = await deposit();
    expect((await patchBy(gp, doc.identifier, TD33A_MASK)).statusCode).toBe(200);
    const hidden = await patchBy(cardio, doc.identifier, TD33_NORMAL);
    const missing = await patchBy(
      cardio,
      'urn:ietf:rfc:3986|urn:oid:1.2.250.1.213.1.4.8.99999.9999',
      TD33_NORMAL,
    );
    expect(hidden.statusCode).toBe(404);
    expect(hidden.body).toBe(missing.body);
    expect((await read(cardio, doc.id)).statusCode).toBe(404);
    const [denial] = await t.db.owner<Json[]>`SELECT reason_code FROM audit_event
      WHERE entity_id = ${doc.id} AND outcome <> 'success' ORDER BY seq DESC LIMIT 1`;
    expect(denial?.['reason_code']).toBe('ACCESS_MASKED');
  });

  it('also names the document by its entryUUID, and refuses a PATCH that names none or several', async () => {
    const doc = await deposit();
    const byUuid = await patchBy(gp, `urn:ietf:rfc:3986|urn:uuid:${doc.id}`, TD33A_MASK);
    expect(byUuid.statusCode, byUuid.body).toBe(200);
    expect(labels(byUuid.json<Json>())).toContain('MASQUE_PS');
    const none = await t.app.inject({
      method: 'PATCH',
      url: '/fhir/DocumentReference',
      headers: { ...auth(gp), 'content-type': 'application/json-patch+json' },
      payload: JSON.stringify(TD33_NORMAL),
    });
    expect(none.statusCode).toBe(400);
    expect(fx.issueCodes(none.body)).toEqual(['DOC_PATCH_IDENTIFIER_REQUIRED']);
    const two = await patchBy(
      gp,
      `${doc.identifier},urn:ietf:rfc:3986|urn:uuid:${doc.id}`,
      TD33_NORMAL,
    );
    expect(two.statusCode).toBe(400);
  });

  it('refuses the slot form when it cannot say which label to lift, or when it would change the level', async () => {
    const doc = await deposit();
    expect((await patchBy(gp, doc.identifier, TD33A_MASK)).statusCode).toBe(200);
    expect((await patchBy(gp, doc.identifier, TD33B_INVISIBLE)).statusCode).toBe(200);
    const ambiguous = await patchBy(gp, doc.identifier, TD33_NORMAL);
    expect(ambiguous.statusCode).toBe(422);
    expect(fx.issueCodes(ambiguous.body)).toEqual(['DOC_PATCH_AMBIGUOUS']);
    const served = (await read(gp, doc.id)).json<Json>();
    expect(labels(served).sort()).toEqual(['INVISIBLE_PATIENT', 'MASQUE_PS', 'N']);
    // Naming the label by its index lifts that one only.
    const index = labels(served).indexOf('MASQUE_PS');
    const lifted = await patchBy(gp, doc.identifier, [
      { op: 'remove', path: `/securityLabel/${String(index)}` },
    ]);
    expect(labels(lifted.json<Json>()).sort()).toEqual(['INVISIBLE_PATIENT', 'N']);

    const other = await deposit();
    const level = await patchBy(gp, other.identifier, [
      {
        op: 'replace',
        path: '/securityLabel/0',
        value: {
          coding: [
            { system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' },
          ],
        },
      },
    ]);
    expect(level.statusCode).toBe(422);
    expect(fx.issueCodes(level.body)).toEqual(['DOC_PATCH_VALUE_NOT_ALLOWED']);
  });

  describe('ITI-66 Find Document Lists', () => {
    let setId: string;
    let folderId: string;
    let setIdentifier: Json;
    const lists = async (params: string): Promise<string[]> => {
      const res = await t.app.inject({
        method: 'GET',
        url: `/fhir/List?patient.identifier=${encodeURIComponent(`${fx.TEST_SYSTEM}|${ins}`)}&${params}`,
        headers: auth(patient),
      });
      expect(res.statusCode, res.body).toBe(200);
      return (res.json<{ entry?: { resource: Json }[] }>().entry ?? []).map((e) =>
        String(e.resource['id']),
      );
    };

    beforeAll(async () => {
      const bytes = fx.n1Bytes(ins, 'imaging report');
      const base = fx.pdfDocumentReference(ins, bytes, author);
      const docRef = {
        ...base,
        context: {
          ...(base['context'] as Json),
          related: [{ identifier: { system: 'urn:oid:1.2.250.1.999', value: 'ACCESSION-7' } }],
        },
      };
      const bundle = fx.iti65(ins, [{ docRef, bytes, contentType: 'text/xml' }], true);
      const res = await t.app.inject({
        method: 'POST',
        url: '/fhir',
        headers: json(gp),
        payload: bundle,
      });
      expect(res.statusCode, res.body).toBe(200);
      const locations = res
        .json<{ entry: { response: { location: string } }[] }>()
        .entry.map((e) => e.response.location);
      setId = /^List\/([0-9a-f-]{36})/.exec(locations[0] ?? '')?.[1] as string;
      folderId = /^List\/([0-9a-f-]{36})/.exec(locations[3] ?? '')?.[1] as string;
      expect(setId).toBeDefined();
      expect(folderId).toBeDefined();
      const sent = ((bundle['entry'] as Json[])[0] as Json)['resource'] as Json;
      setIdentifier = (sent['identifier'] as Json[])[0] as Json;
    });

    it('identifier finds the SubmissionSet by its uniqueId (system checked) or its entryUUID', async () => {
      const uid = `${String(setIdentifier['system'])}|${String(setIdentifier['value'])}`;
      expect(await lists(`identifier=${encodeURIComponent(uid)}`)).toEqual([setId]);
      expect(
        await lists(`identifier=${encodeURIComponent(`urn:ietf:rfc:3986|urn:uuid:${setId}`)}`),
      ).toEqual([setId]);
      expect(
        await lists(
          `identifier=${encodeURIComponent(`urn:oid:1.2.3|${String(setIdentifier['value'])}`)}`,
        ),
      ).toEqual([]);
    });

    it('related finds the Lists holding a document with that referenceIdList value', async () => {
      expect(
        (await lists(`related=${encodeURIComponent('urn:oid:1.2.250.1.999|ACCESSION-7')}`)).sort(),
      ).toEqual([setId, folderId].sort());
      expect(await lists('related=ACCESSION-8')).toEqual([]);
    });

    it('date finds a Folder by its last update and a SubmissionSet by its submission time', async () => {
      const today = new Date().toISOString().slice(0, 10);
      const found = await lists(`date=ge${today}`);
      expect(found).toContain(folderId);
      expect(await lists('date=ge2999-01-01')).toEqual([]);
      expect(await lists('date=eq2024-05-01')).toContain(setId);
    });

    it("status, date and identifier are decided on the registry's truth; a client's own identifier still finds its List (ADR 0033)", async () => {
      const bytes = fx.n1Bytes(ins, 'folder sent retired');
      const bundle = fx.iti65(
        ins,
        [{ docRef: fx.pdfDocumentReference(ins, bytes, author), bytes, contentType: 'text/xml' }],
        true,
      );
      const folder = (bundle['entry'] as Json[])
        .map((e) => e['resource'] as Json)
        .find((r) => JSON.stringify(r['code'] ?? '').includes('"folder"')) as Json;
      // The client's words: a status the registry does not record (a Folder is Approved when registered) and an
      // identifier of its own beside the uniqueId, both kept with its FHIR encoding and served back.
      folder['status'] = 'retired';
      folder['identifier'] = [{ system: 'urn:oid:1.2.250.1.999.9', value: 'MY-FOLDER-1' }];
      const res = await t.app.inject({
        method: 'POST',
        url: '/fhir',
        headers: json(gp),
        payload: bundle,
      });
      expect(res.statusCode, res.body).toBe(200);
      const id = /^List\/([0-9a-f-]{36})/.exec(
        res.json<{ entry: { response: { location: string } }[] }>().entry[3]?.response.location ??
          '',
      )?.[1] as string;
      const read = await t.app.inject({
        method: 'GET',
        url: `/fhir/List/${id}`,
        headers: auth(patient),
      });
      expect(read.json<Json>()['status']).toBe('retired');
      expect(await lists('status=current')).toContain(id);
      expect(await lists('status=retired')).not.toContain(id);
      expect(
        await lists(`identifier=${encodeURIComponent('urn:oid:1.2.250.1.999.9|MY-FOLDER-1')}`),
      ).toEqual([id]);
      expect(await lists('identifier=MY-FOLDER-1')).toEqual([id]);
      expect(await lists(`identifier=${encodeURIComponent('urn:oid:1.2.3|MY-FOLDER-1')}`)).toEqual(
        [],
      );
      expect(await lists(`identifier=${encodeURIComponent(`urn:uuid:${id}`)}`)).toEqual([id]);
    });

    it('the CapabilityStatement lists these List parameters', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/fhir/metadata' });
      const rest = (res.json<Json>()['rest'] as Json[])[0] as Json;
      const list = (rest['resource'] as Json[]).find((r) => r['type'] === 'List') as Json;
      const names = (list['searchParam'] as Json[]).map((p) => p['name']);
      expect(names).toEqual(expect.arrayContaining(['date', 'identifier', 'related']));
      const docRef = (rest['resource'] as Json[]).find(
        (r) => r['type'] === 'DocumentReference',
      ) as Json;
      const patch = (docRef['interaction'] as Json[]).find((i) => i['code'] === 'patch');
      expect(String(patch?.['documentation'])).toContain('identifier=');
    });
  });
});
