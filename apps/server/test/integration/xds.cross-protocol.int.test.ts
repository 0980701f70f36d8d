import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.ts';
import { loadConfig } from '../../src/config.ts';
import { buildTestApp } from '../helpers/app.ts';
import { STORED_QUERY } from '../../src/http/xds/registry.ts';
import { XDS } from '../../src/xds/ebrim.ts';
import { ACTIONS } from '../../src/xds/soap.ts';
import * as fx from './documents.fixtures.ts';
import * as x from './xds.fixtures.ts';

/**
 * Issue 19 acceptance, cross-protocol: one store, one policy, one trace chain. ITI-57 masking (MASQUE_PS) hides the
 * document from another professional's FHIR ITI-67 but not from its author's ITI-18; ITI-57 archiving moves it from
 * Approved to the DMP's Archived status in ITI-18 and from FHIR's default search; a FHIR delete takes it out of
 * ITI-18; an emergency access through a VIHF purpose of use (bris de glace) notifies the patient.
 */
const { EXAMPLE, GP, CARDIO } = x;

describe('SOAP and FHIR on one registry', () => {
  let t: TestApp;
  const ins = fx.nir('1850575123457');
  const patientCx = `'${ins}^^^&amp;${fx.TEST_OID}&amp;ISO'`;
  let patientId = '';
  const json = (token: string) => ({
    authorization: `Bearer ${token}`,
    'content-type': 'application/fhir+json',
  });

  beforeAll(async () => {
    // Hundreds of SOAP requests and dev VIHF from one address in seconds: the per-address quota of public routes is
    // not what these tests are about (xds.security and quotas.api test quotas).
    t = await buildTestApp({
      masterKey: randomBytes(32).toString('base64'),
      quotas: { ...loadConfig({}).quotas, publicRequestsPerMinute: 0 },
    });
    patientId = await x.readableRecord(t, ins, GP, CARDIO);
  });
  afterAll(async () => {
    await t.close();
  });

  /** A CDA authored by the GP (its author rewritten), deposited through ITI-41; its FHIR id. */
  async function depositAsGp(): Promise<{ uniqueId: string; id: string }> {
    const xml = fx.rewriteDocumentId(fx.rewriteIns(fx.readExample(EXAMPLE), ins), fx.freshOid());
    const bytes = Buffer.from(xml);
    const meta = x.metadataOf(bytes);
    const deposit = x.iti41(await x.vihf(t, GP), [{ bytes, meta }]);
    const answer = await x.soap(t, 'repository', deposit.xml);
    expect(x.registryOutcome(answer.root), answer.text).toMatchObject({ errors: [] });
    const found = await fhirIds(GP, 'status=current');
    const rows = await t.db.owner<{ id: string }[]>`
      SELECT id FROM document WHERE patient_id = ${patientId} AND unique_id = ${meta.uniqueId}`;
    expect(found).toContain(rows[0]?.id);
    return { uniqueId: meta.uniqueId, id: rows[0]?.id ?? '' };
  }

  async function fhirIds(who: Record<string, unknown>, extra = ''): Promise<string[]> {
    const res = await t.app.inject({
      method: 'GET',
      url: `/fhir/DocumentReference?patient.identifier=${fx.TEST_SYSTEM}|${ins}${extra ? `&${extra}` : ''}`,
      headers: { authorization: `Bearer ${await t.token(who)}` },
    });
    expect(res.statusCode, res.body).toBe(200);
    // The documents by their logicalId (FHIR identifier), as the SOAP side names them: a metadata update gives the
    // FHIR id (the entryUUID) a new value (ADR 0021).
    return (
      (res.json<{ entry?: { resource: { identifier: { value: string }[] } }[] }>().entry ?? []) as {
        resource: { identifier: { value: string }[] };
      }[]
    ).map((e) => (e.resource.identifier[0]?.value ?? '').replace(/^urn:uuid:/, ''));
  }

  async function iti18Statuses(
    who: Record<string, unknown>,
    statuses: string,
  ): Promise<Map<string, string>> {
    const res = await x.soap(
      t,
      'registry',
      x.iti18(await x.vihf(t, who), STORED_QUERY.FindDocuments, {
        $XDSDocumentEntryPatientId: patientCx,
        $XDSDocumentEntryStatus: statuses,
      }),
    );
    expect(res.status, res.text).toBe(200);
    return new Map(
      x
        .descendants(res.root, x.NS.rim, 'ExtrinsicObject')
        // By lid (the logicalId): a metadata update gives the id (the entryUUID) a new value (ADR 0021).
        .map((e) => [(e.attrs['lid'] ?? '').replace('urn:uuid:', ''), e.attrs['status'] ?? '']),
    );
  }

  const { iti57, statusUpdate } = x;

  it('ITI-57 mask (MASQUE_PS) hides the document from another professional in FHIR, not from its author in ITI-18', async () => {
    const doc = await depositAsGp();
    expect(await fhirIds(CARDIO)).toContain(doc.id);
    // The new metadata version: a new entryUUID (id), the same logicalId (lid), its confidentiality codes plus
    // MASQUE_PS.
    const next = randomUUID();
    const read = await t.app.inject({
      method: 'GET',
      url: `/fhir/DocumentReference/${doc.id}`,
      headers: { authorization: `Bearer ${await t.token(GP)}` },
    });
    const level =
      read.json<{ securityLabel: { coding: { code: string }[] }[] }>().securityLabel[0]?.coding[0]
        ?.code ?? 'N';
    const entry =
      `<rim:ExtrinsicObject id="urn:uuid:${next}" lid="urn:uuid:${doc.id}" objectType="${XDS.documentEntry}" mimeType="text/xml">` +
      `<rim:Classification classificationScheme="${XDS.confidentialityCode}" classifiedObject="urn:uuid:${next}" nodeRepresentation="${level}" id="k1"><rim:Slot name="codingScheme"><rim:ValueList><rim:Value>2.16.840.1.113883.5.25</rim:Value></rim:ValueList></rim:Slot></rim:Classification>` +
      `<rim:Classification classificationScheme="${XDS.confidentialityCode}" classifiedObject="urn:uuid:${next}" nodeRepresentation="MASQUE_PS" id="k2"><rim:Slot name="codingScheme"><rim:ValueList><rim:Value>1.2.250.1.213.1.1.4.13</rim:Value></rim:ValueList></rim:Slot></rim:Classification>` +
      `</rim:ExtrinsicObject>`;
    const masked = await x.soap(t, 'registry', iti57(await x.vihf(t, GP), entry));
    expect(x.registryOutcome(masked.root), masked.text).toMatchObject({ errors: [] });
    expect(await fhirIds(CARDIO)).not.toContain(doc.id);
    expect((await iti18Statuses(GP, `('${XDS.approved}')`)).has(doc.id)).toBe(true);
    expect((await iti18Statuses(CARDIO, `('${XDS.approved}')`)).has(doc.id)).toBe(false);
  });

  it('ITI-57 archive moves the document to the DMP Archived status; unarchive brings it back', async () => {
    const doc = await depositAsGp();
    const archived = await x.soap(
      t,
      'registry',
      iti57(await x.vihf(t, GP), statusUpdate(doc.id, XDS.archived)),
    );
    expect(x.registryOutcome(archived.root), archived.text).toMatchObject({ errors: [] });
    expect((await iti18Statuses(GP, `('${XDS.approved}')`)).has(doc.id)).toBe(false);
    expect((await iti18Statuses(GP, `('${XDS.archived}')`)).get(doc.id)).toBe(XDS.archived);
    expect(await fhirIds(GP)).not.toContain(doc.id);
    expect(await fhirIds(GP, 'isArchived=true')).toContain(doc.id);
    const back = await x.soap(
      t,
      'registry',
      iti57(await x.vihf(t, GP), statusUpdate(doc.id, XDS.approved)),
    );
    expect(x.registryOutcome(back.root).errors).toEqual([]);
    expect((await iti18Statuses(GP, `('${XDS.approved}')`)).get(doc.id)).toBe(XDS.approved);
  });

  it('a FHIR delete takes the document out of ITI-18; an ITI-57 delete out of FHIR', async () => {
    const first = await depositAsGp();
    const del = await t.app.inject({
      method: 'PATCH',
      url: `/fhir/DocumentReference/${first.id}`,
      headers: { ...json(await t.token(GP)), 'content-type': 'application/json-patch+json' },
      payload: JSON.stringify([{ op: 'replace', path: '/status', value: 'entered-in-error' }]),
    });
    expect(del.statusCode, del.body).toBe(200);
    const all = `('${XDS.approved}','${XDS.archived}','${XDS.deprecated}','${XDS.deleted}')`;
    expect((await iti18Statuses(GP, all)).has(first.id)).toBe(false);

    const second = await depositAsGp();
    const gone = await x.soap(
      t,
      'registry',
      iti57(await x.vihf(t, GP), statusUpdate(second.id, XDS.deleted)),
    );
    expect(x.registryOutcome(gone.root), gone.text).toMatchObject({ errors: [] });
    expect(await fhirIds(GP, 'status=current,superseded,entered-in-error')).not.toContain(
      second.id,
    );
    const retrieve = await x.soap(t, 'repository', x.iti43(await x.vihf(t, GP), [second.uniqueId]));
    expect(x.registryOutcome(retrieve.root).errors[0]?.errorCode).toBe('XDSDocumentUniqueIdError');
  });

  it('an emergency access through the VIHF purpose of use (bris de glace) is traced as such and notifies the patient', async () => {
    const before = await t.db.owner<
      { n: number }[]
    >`SELECT count(*)::int AS n FROM outbox WHERE patient_id = ${patientId}`;
    const emergency = {
      ...CARDIO,
      idNatPs: '810002000015',
      mode: 'bris_de_glace',
      reason: 'Patient inconscient aux urgences',
      ins,
    };
    const res = await x.soap(
      t,
      'registry',
      x.iti18(await x.vihf(t, emergency), STORED_QUERY.FindDocuments, {
        $XDSDocumentEntryPatientId: patientCx,
        $XDSDocumentEntryStatus: `('${XDS.approved}')`,
      }),
    );
    expect(res.status, res.text).toBe(200);
    const traces = await t.db.owner<
      { access_mode: string; justification: string; detail: Record<string, unknown> }[]
    >`
      SELECT access_mode, justification, detail FROM audit_event
      WHERE patient_id = ${patientId} AND actor_id = '810002000015' AND action = 'document.search'`;
    expect(traces[0]).toMatchObject({
      access_mode: 'bris_de_glace',
      justification: 'Patient inconscient aux urgences',
      detail: expect.objectContaining({ channel: 'soap' }),
    });
    const after = await t.db.owner<
      { n: number }[]
    >`SELECT count(*)::int AS n FROM outbox WHERE patient_id = ${patientId}`;
    expect(after[0]?.n ?? 0).toBeGreaterThan(before[0]?.n ?? 0);
  });

  it('TD0.2 (PRPA_IN201307UV02) tells the same existence and standing as the FHIR TD0.2', async () => {
    const td02 = async (who: Record<string, unknown>, nir: string) =>
      x.soap(
        t,
        'patients',
        x.envelope(
          ACTIONS['TD0.2'].request,
          await x.vihf(t, who),
          `<PRPA_IN201307UV02 xmlns="urn:hl7-org:v3" ITSVersion="XML_1.0"><controlActProcess classCode="CACT" moodCode="EVN">` +
            `<reasonCode code="TEST_EXST" codeSystem="1.2.250.1.213.1.1.4.11"/><queryByParameter><parameterList>` +
            `<patientIdentifier><value root="${fx.TEST_OID}" extension="${nir}"/></patientIdentifier>` +
            `</parameterList></queryByParameter></controlActProcess></PRPA_IN201307UV02>`,
        ),
      );
    const observations = (root: x.XElementLike): Record<string, string> =>
      Object.fromEntries(
        x
          .descendants(root, 'urn:hl7-org:v3', 'observation')
          .map((o) => [
            x.kid(o, 'urn:hl7-org:v3', 'code')?.attrs['code'] ?? '',
            x.kid(o, 'urn:hl7-org:v3', 'value')?.attrs['value'] ?? '',
          ]),
      );
    const found = await td02(GP, ins);
    expect(found.status, found.text).toBe(200);
    expect(found.text).toContain('<queryResponseCode code="OK"/>');
    expect(observations(found.root)).toMatchObject({ AUTORISATION: 'true', BLOQUE: 'false' });
    const fhir = await t.app.inject({
      method: 'GET',
      url: `/fhir/Patient?identifier=${fx.TEST_SYSTEM}|${ins}`,
      headers: { authorization: `Bearer ${await t.token(GP)}` },
    });
    expect(fhir.body).toContain('"url":"authorized","valueBoolean":true');
    const other = { ...CARDIO, idNatPs: '810003000014' };
    const stranger = await td02(other, ins);
    expect(observations(stranger.root)).toMatchObject({ AUTORISATION: 'false' });
    const missing = await td02(GP, fx.nir('1850575999999'));
    expect(missing.text).toContain('<queryResponseCode code="NF"/>');
  });

  it('a consent declared through habilitations lets the professional search through FHIR', async () => {
    const newcomer = { ...CARDIO, idNatPs: '810004000013', structure: '1750400004' };
    const search = async (): Promise<number> =>
      (
        await t.app.inject({
          method: 'GET',
          url: `/fhir/DocumentReference?patient.identifier=${fx.TEST_SYSTEM}|${ins}`,
          headers: { authorization: `Bearer ${await t.token(newcomer)}` },
        })
      ).statusCode;
    expect(await search()).toBe(403);
    const declared = await x.soap(
      t,
      'habilitations',
      x.envelope(
        ACTIONS.HABILITATIONS.request,
        await x.vihf(t, newcomer),
        `<hab:setAuthorization xmlns:hab="urn:si-dmp-habilitations"><hab:action>AJOUT</hab:action>` +
          `<hab:ins root="${fx.TEST_OID}" extension="${ins}"/></hab:setAuthorization>`,
      ),
    );
    expect(declared.status, declared.text).toBe(200);
    expect(declared.text).toContain('<created>true</created>');
    expect(await search()).toBe(200);
    const traces = await t.db.owner<{ action: string; detail: Record<string, unknown> }[]>`
      SELECT action, detail FROM audit_event WHERE patient_id = ${patientId} AND actor_id = '810004000013'
      AND action LIKE 'consent.%'`;
    expect(traces[0]?.detail['channel']).toBe('soap');
  });
});
