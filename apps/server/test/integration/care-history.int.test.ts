import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperatorActor } from '../../src/domain/access/actor.ts';
import { loadDemoData } from '../../src/demo/load.ts';
import { regeneratePendingDocuments } from '../../src/services/care-history-document.ts';
import { loadDemoCareHistory } from '../../src/services/care-history-demo.ts';
import { importCareLines } from '../../src/services/care-history-import.ts';
import { purgeExpiredCareLines } from '../../src/services/care-history.ts';
import { parseCda } from '../../src/validation/cda.ts';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp, OPERATOR } from '../helpers/app.ts';

const FEED: OperatorActor = { kind: 'operator', id: 'cnam-test' };
const TEST_OID = 'urn:oid:1.2.250.1.213.1.4.10';
const NIR = '158037505610143'; // MARTIN, médecin traitant 810001000008
const OTHER = '175111305510370'; // THOMAS, no médecin traitant
const HEADER =
  'ins;date_soins;type_code;code;libelle;quantite;executant_idnat_ps;executant_profession;prescripteur_idnat_ps;structure_idnat_struct;montant_rembourse';
const PRO = (over: Record<string, unknown> = {}) => ({
  kind: 'professional',
  idNatPs: '810001000016',
  profession: '10',
  specialty: 'SM04',
  structure: '1750700007',
  mode: 'normal',
  ...over,
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions walk FHIR JSON
type Json = Record<string, any>;
type Bundle = {
  total?: number;
  link: { relation: string; url: string }[];
  entry: { resource: Json }[];
};
const codes = (body: string): string[] =>
  (JSON.parse(body) as { issue: { details?: { coding?: { code: string }[] } }[] }).issue.map(
    (i) => i.details?.coding?.[0]?.code ?? '',
  );

function daysAgo(n: number): string {
  return new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
}

async function feed(t: TestApp, lines: string[]) {
  return importCareLines(t.deps, FEED, Readable.from([`${[HEADER, ...lines].join('\n')}\n`]));
}

describe('care history: reading it, and the CNAM-HR document', () => {
  let t: TestApp;
  let patient: string;
  const auth = (token: string) => ({ authorization: `Bearer ${token}` });
  const json = (token: string) => ({ ...auth(token), 'content-type': 'application/fhir+json' });
  const eob = (token: string, query: string) =>
    t.app.inject({
      method: 'GET',
      url: `/fhir/ExplanationOfBenefit?${query}`,
      headers: auth(token),
    });
  const byIns = (ins: string) => `patient.identifier=${encodeURIComponent(`${TEST_OID}|${ins}`)}`;

  beforeAll(async () => {
    t = await buildTestApp({ masterKey: randomBytes(32).toString('base64') });
    await loadDemoData(t.deps);
    const summary = await feed(t, [
      `${NIR};${daysAgo(2)};NGAP;G;CONSULTATION MEDECINE GENERALE;1;810001000008;10;;1750600009;26,50`,
      `${NIR};${daysAgo(2)};CIP13;3400935673220;LUDEAL CPR3/21;1;810001000032;21;810001000008;1750400004;5,32`,
      `${NIR};${daysAgo(40)};BIO;1208;T.S.H. (SANG);1;;;810001000008;1750300000;8,10`,
      `${NIR};${daysAgo(100)};CCAM;ZBQK002;RADIOGRAPHIE DU THORAX;1;810001000024;10;810001000008;1750300000;19,95`,
      `${NIR};${daysAgo(400)};NGAP;CS;CONSULTATION SPECIALISTE;1;810001000016;10;;1750700007;30,00`,
      `${OTHER};${daysAgo(5)};NGAP;G;CONSULTATION MEDECINE GENERALE;1;810001000008;10;;1750600009;26,50`,
    ]);
    expect(summary.imported).toBe(6);
    patient = await t.token({ kind: 'patient', ins: NIR });
  });
  afterAll(async () => {
    await t.close();
  });

  it('the patient reads their history newest first as ExplanationOfBenefit, by date and kind, with paging', async () => {
    const res = await eob(patient, byIns(NIR));
    expect(res.statusCode).toBe(200);
    const bundle = res.json() as Bundle;
    expect(bundle.total).toBe(5);
    const dates = bundle.entry.map((e) => e.resource['billablePeriod'].start);
    expect(dates).toEqual([...dates].sort().reverse());
    const consult = bundle.entry.find(
      (e) => e.resource['item'][0].productOrService.coding[0].code === 'G',
    )?.resource;
    expect(consult).toMatchObject({
      resourceType: 'ExplanationOfBenefit',
      status: 'active',
      use: 'claim',
      outcome: 'complete',
      provider: {
        identifier: { system: 'urn:oid:1.2.250.1.71.4.2.1', value: '810001000008' },
        display: 'Paul GENERALISTE',
      },
      facility: { identifier: { value: '1750600009' } },
      item: [
        {
          productOrService: { coding: [{ system: 'urn:oid:1.2.250.1.215.200.3.3', code: 'G' }] },
          adjudication: [{ amount: { value: 26.5, currency: 'EUR' } }],
        },
      ],
    });

    const drugs = (await eob(patient, `${byIns(NIR)}&kind=CIP13`)).json() as Bundle;
    expect(drugs.entry.map((e) => e.resource['type'].coding[0].code)).toEqual(['pharmacy']);
    const range = (
      await eob(patient, `${byIns(NIR)}&date=ge${daysAgo(120)}&date=le${daysAgo(30)}`)
    ).json() as Bundle;
    expect(range.total).toBe(2);

    const page1 = (await eob(patient, `${byIns(NIR)}&_count=2`)).json() as Bundle;
    expect(page1.entry).toHaveLength(2);
    const next = page1.link.find((l) => l.relation === 'next')?.url;
    expect(next).toBeDefined();
    const page2 = (
      await t.app.inject({
        method: 'GET',
        url: new URL(next as string).pathname + new URL(next as string).search,
        headers: auth(patient),
      })
    ).json() as Bundle;
    expect(page2.entry).toHaveLength(2);
    expect(page2.entry.map((e) => e.resource['id'])).not.toContain(page1.entry[0]?.resource['id']);

    const bad = await eob(patient, `${byIns(NIR)}&kind=LPP`);
    expect(bad.statusCode).toBe(400);
    expect(codes(bad.body)).toEqual(['CARE_SEARCH_KIND']);
  });

  it('professionals read it under the access rules; the operator and another patient do not', async () => {
    const gp = await t.token(
      PRO({ idNatPs: '810001000008', specialty: 'SM26', structure: '1750600009' }),
    );
    expect((await eob(gp, byIns(NIR))).statusCode).toBe(200); // médecin traitant

    const cardio = await t.token(PRO());
    const refused = await eob(cardio, byIns(NIR));
    expect(refused.statusCode).toBe(403);
    expect(codes(refused.body)).toEqual(['ACCESS_NO_AUTHORIZATION']);
    const consent = await t.app.inject({
      method: 'POST',
      url: '/fhir/Consent',
      headers: json(cardio),
      payload: {
        resourceType: 'Consent',
        status: 'active',
        scope: {
          coding: [
            {
              system: 'http://terminology.hl7.org/CodeSystem/consentscope',
              code: 'patient-privacy',
            },
          ],
        },
        category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
        patient: { identifier: { system: TEST_OID, value: NIR } },
        provision: {
          type: 'permit',
          actor: [
            {
              reference: {
                identifier: { system: 'urn:oid:1.2.250.1.71.4.2.1', value: '810001000016' },
              },
            },
          ],
        },
      },
    });
    expect(consent.statusCode).toBe(201);
    expect((await eob(cardio, byIns(NIR))).statusCode).toBe(200);

    // A physiotherapist is authorized by the patient's consent but the matrix closes class 60 to them.
    const kine = await t.token(
      PRO({
        idNatPs: '810001000081',
        profession: '70',
        specialty: undefined,
        structure: '1750800005',
      }),
    );
    await t.app.inject({
      method: 'POST',
      url: '/fhir/Consent',
      headers: json(kine),
      payload: {
        resourceType: 'Consent',
        status: 'active',
        scope: {
          coding: [
            {
              system: 'http://terminology.hl7.org/CodeSystem/consentscope',
              code: 'patient-privacy',
            },
          ],
        },
        category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
        patient: { identifier: { system: TEST_OID, value: NIR } },
        provision: {
          type: 'permit',
          actor: [
            {
              reference: {
                identifier: { system: 'urn:oid:1.2.250.1.71.4.2.1', value: '810001000081' },
              },
            },
          ],
        },
      },
    });
    const matrix = await eob(kine, byIns(NIR));
    expect(matrix.statusCode).toBe(403);
    expect(codes(matrix.body)).toEqual(['ACCESS_MATRIX_DENIED']);

    const operator = await eob(await t.token(OPERATOR), byIns(NIR));
    expect(operator.statusCode).toBe(403);
    expect(codes(operator.body)).toEqual(['ACCESS_OPERATOR_NO_CLINICAL']);
    const stranger = await eob(await t.token({ kind: 'patient', ins: OTHER }), byIns(NIR));
    expect(stranger.statusCode).toBe(403);

    const traces = await t.db.owner`SELECT actor_id, outcome, reason_code FROM audit_event
      WHERE action = 'care-history.read' ORDER BY seq`;
    expect(traces.filter((r) => r['outcome'] === 'success').map((r) => r['actor_id'])).toEqual(
      expect.arrayContaining([NIR, '810001000008', '810001000016']),
    );
    expect(traces.filter((r) => r['outcome'] === 'denied').map((r) => r['reason_code'])).toEqual(
      expect.arrayContaining([
        'ACCESS_NO_AUTHORIZATION',
        'ACCESS_MATRIX_DENIED',
        'ACCESS_OPERATOR_NO_CLINICAL',
      ]),
    );
  });

  it('lines older than 24 months drop out of view, and the retention pass deletes them', async () => {
    const [rec] = await t.db.owner`SELECT patient_id FROM ins_index WHERE ins = ${NIR}`;
    await t.db
      .owner`INSERT INTO care_line (patient_id, line_key, care_date, code_kind, code, label, quantity, amount_cents, imported_at)
      VALUES (${rec?.['patient_id'] as string}, ${Buffer.alloc(32, 7)}, ${daysAgo(24 * 31 + 5)}, 'NGAP', 'G', 'ANCIENNE CONSULTATION', 1, 2500, now())`;
    const bundle = (await eob(patient, byIns(NIR))).json() as Bundle;
    expect(bundle.total).toBe(5);
    expect(await purgeExpiredCareLines(t.deps)).toBe(1);
    const left = await t.db
      .owner`SELECT count(*)::int AS n FROM care_line WHERE patient_id = ${rec?.['patient_id'] as string}`;
    expect(left[0]?.['n']).toBe(5);
  });

  it('generates the CNAM-HR document, valid against the ANS schema, found through ITI-67, replaced when lines arrive', async () => {
    const first = await regeneratePendingDocuments(t.deps, FEED);
    expect(first).toEqual({ generated: 2, failed: 0 });
    const search = async () =>
      (
        await t.app.inject({
          method: 'GET',
          url: `/fhir/DocumentReference?${byIns(NIR)}&type=REMB`,
          headers: auth(patient),
        })
      ).json() as Bundle;
    const found = await search();
    expect(found.entry).toHaveLength(1);
    const doc = found.entry[0]?.resource as Json;
    expect(doc).toMatchObject({
      status: 'current',
      type: { coding: [{ code: 'REMB' }] },
      category: [{ coding: [{ code: '60' }] }],
    });
    const url = new URL(doc['content'][0].attachment.url as string);
    const bytes = await t.app.inject({ method: 'GET', url: url.pathname, headers: auth(patient) });
    expect(bytes.statusCode).toBe(200);
    const parsed = parseCda(bytes.rawPayload);
    expect(parsed.ok ? [] : parsed.error).toEqual([]);
    expect(parsed.ok && parsed.value.code.code).toBe('REMB');
    expect(bytes.body).toContain('RADIOGRAPHIE DU THORAX');
    const deposits = await t.db
      .owner`SELECT action, actor_kind FROM audit_event WHERE action IN ('document.deposit', 'document.replace')`;
    expect(deposits.map((r) => r['actor_kind'])).toEqual(['operator', 'operator']);

    // Nothing new: nothing regenerated.
    expect(await regeneratePendingDocuments(t.deps, FEED)).toEqual({ generated: 0, failed: 0 });

    await feed(t, [
      `${NIR};${daysAgo(1)};CCAM;HBMD053;RESTAURATION 1 FACE PREMOLAIRE;1;810001000057;40;;1690100003;18,80`,
    ]);
    expect(await regeneratePendingDocuments(t.deps, FEED)).toEqual({ generated: 1, failed: 0 });
    const after = await search();
    expect(after.entry).toHaveLength(2);
    const current = after.entry.filter((e) => e.resource['status'] === 'current');
    expect(current).toHaveLength(1);
    expect(current[0]?.resource['id']).not.toBe(doc['id']);
    const onlyCurrent = (
      await t.app.inject({
        method: 'GET',
        url: `/fhir/DocumentReference?${byIns(NIR)}&type=REMB&status=current`,
        headers: auth(patient),
      })
    ).json() as Bundle;
    expect(onlyCurrent.entry.map((e) => e.resource['id'])).toEqual([current[0]?.resource['id']]);
    const replaced = await t.db
      .owner`SELECT count(*)::int AS n FROM audit_event WHERE action = 'document.replace'`;
    expect(replaced[0]?.['n']).toBe(1);
  });

  it('loads the demo care history once (idempotent)', async () => {
    const first = await loadDemoCareHistory(t.deps);
    expect(first.patients).toBeGreaterThan(10);
    expect(first.documents).toBe(first.patients);
    expect(await loadDemoCareHistory(t.deps)).toEqual({ patients: 0, lines: 0, documents: 0 });
  });
});
