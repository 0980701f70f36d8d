/**
 * Issue 17 rule 11: the operator merges two records of one person (`POST /fhir/Patient/{survivor}/$merge`,
 * docs/adr/0016-record-merge.md). Before, two records of one person stayed two: a professional asking under the
 * second INS found nothing of the first, and nothing could join them. After the merge both INS resolve to the
 * survivor, its documents answer under either, the absorbed record's consents apply to it, its holder's history
 * shows both chains, and every chain still verifies.
 */
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnchorSettings } from '../../src/crypto/anchor-key.ts';
import { loadAnchorSettings } from '../../src/crypto/anchor-key.ts';
import type { DomainFailure } from '../../src/domain/errors.ts';
import { mergeRecords } from '../../src/services/record-merge.ts';
import { writeAnchor } from '../../src/services/audit-anchor.ts';
import { verifyAuditChains } from '../../src/services/audit-verify.ts';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp, OPERATOR } from '../helpers/app.ts';
import * as fx from './documents.fixtures.ts';
import type { Json } from './documents.fixtures.ts';
import { cdaBy, client, HOSPITAL, pro, type Client } from './issue17.fixtures.ts';

/** A NIR with its key (97 − the 13 digits mod 97). */
const nir = (digits: string): string =>
  digits + String(97 - Number(BigInt(digits) % 97n)).padStart(2, '0');
// Same sex and birth month (fx.patientBody derives the traits from the INS), three people.
const SURVIVOR_INS = nir('1800175123456');
const ABSORBED_INS = nir('1800175123457');
const OTHER_BIRTH_INS = nir('1800275123458');
const WITH_PROFILE_INS = nir('1800175123459');
const AUTHOR = pro('810001000024', '10', HOSPITAL, { specialty: 'SM54' });
const BLOCKED_PS = '810001000016';

describe('the operator merges two records of one person (issue 17 rule 11)', () => {
  let t: TestApp;
  let c: Client;
  let survivor: string;
  let absorbed: string;
  let survivorDoc: { resource: Json; bytes: Buffer };
  let absorbedDoc: { resource: Json; bytes: Buffer };
  let anchors: AnchorSettings;
  let absorbedListId: string;
  const holder = (ins: string): Json => ({ kind: 'patient', ins });
  const q = (ins: string) => encodeURIComponent(`${fx.TEST_SYSTEM}|${ins}`);
  const mergeInto = (actor: Json, into: string, from: string, confirm = true) =>
    c.call(actor, 'POST', `/fhir/Patient/${into}/$merge`, {
      resourceType: 'Parameters',
      parameter: [
        { name: 'source-patient', valueReference: { reference: `Patient/${from}` } },
        { name: 'confirm-identity', valueBoolean: confirm },
      ],
    });
  const declare = async (actor: Json, ins: string, idNatPs: string, type: 'permit' | 'deny') => {
    const res = await c.call(actor, 'POST', '/fhir/Consent', {
      ...fx.consentBody(ins, idNatPs),
      provision: {
        type,
        actor: [{ reference: { identifier: { system: fx.IDNAT_PS, value: idNatPs } } }],
      },
    });
    expect(res.status, res.body).toBe(201);
  };
  const depositOn = async (ins: string): Promise<{ resource: Json; bytes: Buffer }> => {
    const bytes = Buffer.from(cdaBy(AUTHOR, ins), 'utf8');
    const res = await c.call(
      AUTHOR,
      'POST',
      '/fhir/DocumentReference',
      fx.iti105(fx.cdaDocumentReference(ins, bytes), bytes),
    );
    expect(res.status, res.body).toBe(201);
    return { resource: res.json(), bytes };
  };
  const retrieve = async (actor: Json, doc: Json): Promise<Buffer | number> => {
    const url = String((((doc['content'] as Json[])[0] as Json)['attachment'] as Json)['url']);
    const res = await t.app.inject({
      method: 'GET',
      url: new URL(url).pathname,
      headers: { authorization: `Bearer ${await t.token(actor)}` },
    });
    return res.statusCode === 200 ? res.rawPayload : res.statusCode;
  };
  const td02 = async (ins: string): Promise<string | undefined> => {
    const res = await c.call(AUTHOR, 'GET', `/fhir/Patient?identifier=${q(ins)}`);
    expect(res.status, res.body).toBe(200);
    return (res.json()['entry'] as { resource: Json }[] | undefined)?.[0]?.resource['id'] as
      string | undefined;
  };
  const traces = (patientId: string, action: string) =>
    t.db.owner<{ outcome: string; reason_code: string | null; entity_id: string | null }[]>`
      SELECT outcome, reason_code, entity_id FROM audit_event
      WHERE patient_id = ${patientId} AND action = ${action} ORDER BY seq`;

  beforeAll(async () => {
    t = await buildTestApp();
    c = client(t);
    survivor = await c.createRecord(SURVIVOR_INS);
    absorbed = await c.createRecord(ABSORBED_INS);
    survivorDoc = await depositOn(SURVIVOR_INS);
    absorbedDoc = await depositOn(ABSORBED_INS);
    // The author is authorized on both records (the same consent twice), the absorbed record's holder blocked
    // a professional.
    await declare(AUTHOR, SURVIVOR_INS, String(AUTHOR['idNatPs']), 'permit');
    await declare(AUTHOR, ABSORBED_INS, String(AUTHOR['idNatPs']), 'permit');
    await declare(holder(ABSORBED_INS), ABSORBED_INS, BLOCKED_PS, 'deny');
    // Both chains anchored outside the database before the merge (ADR 0013).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opendmp-merge-anchors-'));
    const key = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' });
    anchors = loadAnchorSettings(
      { demo: false, dataDir: dir },
      { OPENDMP_ANCHOR_KEY: key as string, OPENDMP_ANCHOR_DIR: dir },
    )!;
    await writeAnchor(t.db.sql, anchors);
  });

  afterAll(async () => {
    await t.close();
    fs.rmSync(anchors.dir, { recursive: true, force: true });
  });

  it('before: each INS names its own record, with its own documents', async () => {
    expect(await td02(ABSORBED_INS)).toBe(absorbed);
    const docs = new Map([
      ['survivor', survivorDoc.resource],
      ['absorbed', absorbedDoc.resource],
    ]);
    expect((await c.sees(AUTHOR, ABSORBED_INS, docs)).search).toEqual(['absorbed']);
    expect((await c.sees(AUTHOR, SURVIVOR_INS, docs)).search).toEqual(['survivor']);
    // The absorbed deposit's submission set, read by id (this process now remembers where it is).
    const [set] = await t.db.owner<{ id: string }[]>`SELECT id FROM submission_set
      WHERE patient_id = ${absorbed}`;
    absorbedListId = String(set?.id);
    const list = await c.call(holder(ABSORBED_INS), 'GET', `/fhir/List/${absorbedListId}`);
    expect(list.status, list.body).toBe(200);
  });

  it('refuses anyone but the operator, traced on the survivor', async () => {
    for (const actor of [holder(SURVIVOR_INS), AUTHOR]) {
      const res = await mergeInto(actor, survivor, absorbed);
      expect(res.status, res.body).toBe(403);
      expect(fx.issueCodes(res.body)).toEqual(['REC_OPERATOR_ONLY']);
    }
    expect((await traces(survivor, 'record.merge')).map((r) => r.outcome)).toEqual([
      'denied',
      'denied',
    ]);
  });

  it('refuses, with a stable code traced on the survivor, what is not the merge of two live records of one person', async () => {
    const otherBirth = await c.createRecord(OTHER_BIRTH_INS);
    const withProfile = await c.createRecord(WITH_PROFILE_INS);
    const condition = await c.call(holder(WITH_PROFILE_INS), 'POST', '/fhir/Condition', {
      resourceType: 'Condition',
      subject: { identifier: { system: fx.TEST_SYSTEM, value: WITH_PROFILE_INS } },
      code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10', code: 'J45' }] },
    });
    expect(condition.status, condition.body).toBe(201);
    const cases: [string, string, boolean, number, string][] = [
      [survivor, survivor, true, 400, 'REC_MERGE_SAME'],
      [survivor, otherBirth, true, 409, 'REC_MERGE_TRAITS_DIFFER'],
      [survivor, absorbed, false, 400, 'REC_MERGE_UNCONFIRMED'],
      [survivor, withProfile, true, 409, 'REC_MERGE_HAS_PROFILE'],
      [survivor, '00000000-0000-4000-8000-000000000000', true, 400, 'REC_MERGE_SOURCE_NOT_FOUND'],
    ];
    // Located on the operation's Parameters for a FHIR client, by the FHIR adapter: the core names the field of its
    // own input (issue 18 point 4).
    const located: Record<string, [string[], string[]]> = {
      REC_MERGE_SAME: [["Parameters.parameter.where(name='source-patient')"], ['absorbed']],
      REC_MERGE_UNCONFIRMED: [
        ["Parameters.parameter.where(name='confirm-identity')"],
        ['confirmed'],
      ],
      REC_MERGE_SOURCE_NOT_FOUND: [
        ["Parameters.parameter.where(name='source-patient')"],
        ['absorbed'],
      ],
    };
    for (const [into, from, confirm, status, code] of cases) {
      const res = await mergeInto(OPERATOR, into, from, confirm);
      expect(res.status, res.body).toBe(status);
      expect(fx.issueCodes(res.body)).toEqual([code]);
      const [fhir, neutral] = located[code] ?? [[], undefined];
      expect(
        (JSON.parse(res.body) as { issue: { expression?: string[] }[] }).issue.flatMap(
          (i) => i.expression ?? [],
        ),
      ).toEqual(fhir);
      if (neutral) {
        const refusal = await mergeRecords(
          t.deps,
          { kind: 'operator', id: 'ops' },
          into,
          from,
          confirm,
        ).catch((e: unknown) => e);
        expect((refusal as DomainFailure).error).toMatchObject({ code, location: neutral });
      }
    }
    const failures = (await traces(survivor, 'record.merge')).filter(
      (r) => r.outcome === 'failure',
    );
    expect(failures.map((r) => r.reason_code)).toEqual(
      cases.flatMap((k) => (located[k[4]] ? [k[4], k[4]] : [k[4]])),
    );
    // Nothing moved: the refused records still answer for their own INS.
    expect(await td02(WITH_PROFILE_INS)).toBe(withProfile);
    expect(await td02(OTHER_BIRTH_INS)).toBe(otherBirth);
  });

  it('merges: the survivor answers, the absorbed record is closed and names it', async () => {
    const res = await mergeInto(OPERATOR, survivor, absorbed);
    expect(res.status, res.body).toBe(200);
    expect(res.json()['id']).toBe(survivor);
    const [row] = await t.db.owner<{ status: string; merged_into: string }[]>`
      SELECT status, merged_into FROM patient_record WHERE patient_id = ${absorbed}`;
    expect(row).toEqual({ status: 'closed', merged_into: survivor });
  });

  it('both INS resolve to the survivor (TD0.2); both records’ documents answer under either, byte for byte', async () => {
    expect(await td02(SURVIVOR_INS)).toBe(survivor);
    expect(await td02(ABSORBED_INS)).toBe(survivor);
    const docs = new Map([
      ['survivor', survivorDoc.resource],
      ['absorbed', absorbedDoc.resource],
    ]);
    for (const ins of [SURVIVOR_INS, ABSORBED_INS]) {
      expect(await c.sees(AUTHOR, ins, docs)).toEqual({
        search: ['absorbed', 'survivor'],
        read: ['absorbed', 'survivor'],
        retrieve: ['absorbed', 'survivor'],
      });
    }
    for (const doc of [survivorDoc, absorbedDoc]) {
      const bytes = await retrieve(holder(SURVIVOR_INS), doc.resource);
      expect(Buffer.isBuffer(bytes) && bytes.equals(doc.bytes)).toBe(true);
    }
    // The submission set moved with its id.
    const list = await c.call(holder(SURVIVOR_INS), 'GET', `/fhir/List/${absorbedListId}`);
    expect(list.status, list.body).toBe(200);
    expect(list.json()['id']).toBe(absorbedListId);
    // The moved contents are sealed under the survivor's key; the absorbed record keeps no content nor key.
    const [left] = await t.db.owner<{ contents: number; keys: number; documents: number }[]>`
      SELECT (SELECT count(*)::int FROM document_content WHERE patient_id = ${absorbed}) AS contents,
        (SELECT count(*)::int FROM record_data_key WHERE patient_id = ${absorbed}) AS keys,
        (SELECT count(*)::int FROM document WHERE patient_id = ${survivor}) AS documents`;
    expect(left).toEqual({ contents: 0, keys: 0, documents: 2 });
  });

  it('a holder’s token under the absorbed INS acts as the holder of the survivor', async () => {
    const docs = new Map([
      ['survivor', survivorDoc.resource],
      ['absorbed', absorbedDoc.resource],
    ]);
    for (const ins of [SURVIVOR_INS, ABSORBED_INS]) {
      expect(await c.sees(holder(ABSORBED_INS), ins, docs)).toEqual({
        search: ['absorbed', 'survivor'],
        read: ['absorbed', 'survivor'],
        retrieve: ['absorbed', 'survivor'],
      });
    }
    const history = await c.call(
      holder(ABSORBED_INS),
      'GET',
      `/fhir/AuditEvent?patient.identifier=${q(ABSORBED_INS)}&_count=5`,
    );
    expect(history.status, history.body).toBe(200);
  });

  it('the absorbed record’s consents apply to the survivor: its block holds, the duplicate authorization is ended', async () => {
    const res = await c.call(
      holder(SURVIVOR_INS),
      'GET',
      `/fhir/Consent?patient.identifier=${q(SURVIVOR_INS)}`,
    );
    expect(res.status, res.body).toBe(200);
    const consents = ((res.json()['entry'] ?? []) as { resource: Json }[]).map((e) => e.resource);
    const denies = consents.filter(
      (r) => (r['provision'] as Json | undefined)?.['type'] === 'deny' && r['status'] === 'active',
    );
    expect(JSON.stringify(denies)).toContain(BLOCKED_PS);
    const blocked = pro(BLOCKED_PS, '10', '1750700007', { specialty: 'SM04' });
    const search = await c.call(
      blocked,
      'GET',
      `/fhir/DocumentReference?patient.identifier=${q(SURVIVOR_INS)}`,
    );
    expect(search.status, search.body).toBe(403);
    expect(fx.issueCodes(search.body)).toEqual(['ACCESS_BLOCKED']);
    const active = await t.db.owner<{ n: number }[]>`SELECT count(*)::int AS n FROM consent
      WHERE patient_id = ${survivor} AND kind = 'authorization' AND status = 'active'`;
    expect(active[0]?.n).toBe(1);
    const moved = await t.db.owner<{ n: number }[]>`SELECT count(*)::int AS n FROM consent
      WHERE patient_id = ${absorbed}`;
    expect(moved[0]?.n).toBe(0);
  });

  it('the holder’s access history shows both records’ traces, the merge included', async () => {
    const res = await c.call(
      holder(SURVIVOR_INS),
      'GET',
      `/fhir/AuditEvent?patient.identifier=${q(SURVIVOR_INS)}&_count=500`,
    );
    expect(res.status, res.body).toBe(200);
    const subtypes = ((res.json()['entry'] ?? []) as { resource: Json }[]).flatMap((e) =>
      ((e.resource['subtype'] as { code: string }[] | undefined) ?? []).map((s) => s.code),
    );
    expect(subtypes.filter((s) => s === 'record.create')).toHaveLength(2);
    expect(subtypes).toContain('record.merge');
    expect(subtypes).toContain('record.merged');
    expect(subtypes).toContain('consent.block');
  });

  it('the absorbed chain ends with record.merged naming the survivor; every chain and anchor verifies', async () => {
    const [last] = await t.db.owner<{ action: string; entity_id: string }[]>`
      SELECT action, entity_id FROM audit_event WHERE patient_id = ${absorbed}
      ORDER BY seq DESC LIMIT 1`;
    expect(last).toEqual({ action: 'record.merged', entity_id: survivor });
    const [merge] = (await traces(survivor, 'record.merge')).filter((r) => r.outcome === 'success');
    expect(merge?.entity_id).toBe(absorbed);
    // The chains and the anchors written before and after the merge all verify.
    await writeAnchor(t.db.sql, anchors);
    const report = await verifyAuditChains(t.db.owner, { anchors, all: true });
    expect(report.intact, JSON.stringify(report)).toBe(true);
    expect(report.anchors).toBe(2);
  });

  it('the absorbed record cannot be reopened nor merged again', async () => {
    const reopen = await c.call(OPERATOR, 'POST', `/fhir/Patient/${absorbed}/$reopen`);
    expect(reopen.status, reopen.body).toBe(409);
    expect(fx.issueCodes(reopen.body)).toEqual(['REC_MERGED']);
    const again = await mergeInto(OPERATOR, survivor, absorbed);
    expect(again.status, again.body).toBe(409);
    expect(fx.issueCodes(again.body)).toEqual(['REC_MERGE_CLOSED']);
  });

  it('the CapabilityStatement announces the operation', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/fhir/metadata' });
    const rest = (
      res.json() as { rest: { resource: { type: string; operation?: { name: string }[] }[] }[] }
    ).rest[0];
    const patient = rest?.resource.find((r) => r.type === 'Patient');
    expect(patient?.operation?.map((o) => o.name)).toContain('merge');
  });
});
