import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { demoVihfKey } from '../../src/http/auth/dev-vihf.ts';
import { STORED_QUERY } from '../../src/http/xds/registry.ts';
import {
  buildAssertion,
  certificateSubject,
  signAssertion,
  type VihfSubject,
} from '../../src/xds/vihf.ts';
import { addCertificate } from '../../src/xds/vihf-store.ts';
import { buildTestApp, type TestApp } from '../helpers/app.ts';
import * as fx from './documents.fixtures.ts';
import { cdaBy, HOSPITAL, pro } from './issue17.fixtures.ts';
import * as x from './xds.fixtures.ts';

/**
 * Issue 19: "a software registered as deposit-only consults nothing". The operator lists deposit-only software by
 * LPS_ID (OPENDMP_VIHF_DEPOSIT_ONLY_SOFTWARE); a VIHF naming one acts as its structure's software with the deposit
 * profile (issue 17 rule 12): its ITI-41 deposits go through, its ITI-18 and ITI-43 are refused by the policy
 * (ACCESS_SOFTWARE_DEPOSIT_ONLY) and traced — even though the professional the VIHF names may consult, and does so
 * through another software.
 */
const LAB = { id: 'lab-lps', name: 'Laboratoire LPS', version: '2', homologation: 'HOMOL-LAB-1' };
const OTHER = { id: 'dpi-lps', name: 'DPI', version: '7', homologation: 'HOMOL-DPI-1' };
const DOCTOR = pro('810001000024', '10', HOSPITAL, { specialty: 'SM54' });

describe('a deposit-only software (VIHF LPS_ID) deposits and consults nothing', () => {
  let t: TestApp;
  const key = demoVihfKey();
  const ins = fx.nir('1790351215190');
  const patientCx = `'${ins}^^^&amp;${fx.TEST_OID}&amp;ISO'`;
  let patientId = '';
  let uniqueId = '';

  beforeAll(async () => {
    t = await buildTestApp({
      masterKey: randomBytes(32).toString('base64'),
      quotas: { ...loadConfig({}).quotas, publicRequestsPerMinute: 0 },
      vihfDepositOnlySoftware: [LAB.id],
    });
    await addCertificate(t.deps.sql, {
      structure: HOSPITAL,
      pem: key.certificatePem,
      by: 'test',
      at: t.clock.now(),
    });
    patientId = await x.readableRecord(t, ins, DOCTOR);
  });
  afterAll(async () => {
    await t.close();
  });

  function vihf(software: typeof LAB): string {
    const now = t.clock.now();
    const subject: VihfSubject = {
      idNatPs: String(DOCTOR['idNatPs']),
      profession: '10',
      specialty: 'SM54',
      structure: HOSPITAL,
      sector: 'SA07',
      software,
    };
    return signAssertion(
      buildAssertion(
        subject,
        certificateSubject(key.certificatePem),
        `_${randomUUID()}`,
        now,
        new Date(now.getTime() + 3600_000),
      ),
      key,
    );
  }

  async function traces(
    action: string,
  ): Promise<
    { actor_kind: string; actor_id: string; outcome: string; reason_code: string | null }[]
  > {
    return t.db.owner`
      SELECT actor_kind, actor_id, outcome, reason_code FROM audit_event
      WHERE patient_id = ${patientId} AND action = ${action} ORDER BY seq`;
  }

  function findDocuments(assertion: string): string {
    return x.iti18(assertion, STORED_QUERY.FindDocuments, {
      $XDSDocumentEntryPatientId: patientCx,
      $XDSDocumentEntryStatus: "('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')",
    });
  }

  it('deposits through ITI-41 as its structure’s software (traced as such, channel soap)', async () => {
    const bytes = Buffer.from(cdaBy(DOCTOR, ins), 'utf8');
    const meta = x.metadataOf(bytes);
    uniqueId = meta.uniqueId;
    const answer = await x.soap(t, 'repository', x.iti41(vihf(LAB), [{ bytes, meta }]).xml);
    expect(x.registryOutcome(answer.root), answer.text).toMatchObject({ errors: [] });
    const rows = await t.db.owner<
      { actor_kind: string; actor_id: string; detail: Record<string, unknown> }[]
    >`
      SELECT actor_kind, actor_id, detail FROM audit_event
      WHERE patient_id = ${patientId} AND action = 'document.deposit'`;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      actor_kind: 'software',
      actor_id: LAB.id,
      detail: { softwareProfile: 'deposit', channel: 'soap', homologation: LAB.homologation },
    });
  });

  it('consults nothing: ITI-18 and ITI-43 refused (ACCESS_SOFTWARE_DEPOSIT_ONLY), traced', async () => {
    const found = await x.soap(t, 'registry', findDocuments(vihf(LAB)));
    expect(found.status, found.text).toBe(200);
    expect(x.descendants(found.root, x.NS.rim, 'ExtrinsicObject')).toHaveLength(0);
    expect(x.registryOutcome(found.root).status).not.toContain('Success');
    const retrieved = await x.soap(t, 'repository', x.iti43(vihf(LAB), [uniqueId]));
    expect(x.descendants(retrieved.root, x.NS.xdsb, 'Document')).toHaveLength(0);
    expect(x.registryOutcome(retrieved.root).errors.map((e) => e.errorCode)).toEqual([
      'XDSDocumentUniqueIdError',
    ]);
    const denied = [...(await traces('document.search')), ...(await traces('document.retrieve'))]
      .filter((r) => r.outcome === 'denied')
      .map((r) => `${r.actor_kind}:${r.actor_id}:${r.reason_code ?? ''}`);
    expect(denied).toEqual([
      `software:${LAB.id}:ACCESS_SOFTWARE_DEPOSIT_ONLY`,
      `software:${LAB.id}:ACCESS_SOFTWARE_DEPOSIT_ONLY`,
    ]);
  });

  it('the professional the VIHF names consults through another software', async () => {
    const found = await x.soap(t, 'registry', findDocuments(vihf(OTHER)));
    expect(found.status, found.text).toBe(200);
    expect(x.descendants(found.root, x.NS.rim, 'ExtrinsicObject')).toHaveLength(1);
    const retrieved = await x.soap(t, 'repository', x.iti43(vihf(OTHER), [uniqueId]));
    expect(x.descendants(retrieved.root, x.NS.xdsb, 'Document')).toHaveLength(1);
  });
});
