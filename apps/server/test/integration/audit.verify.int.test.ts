import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJobNow } from '../../src/jobs/scheduler.ts';
import { describeBreak, verifyAuditChains } from '../../src/services/audit-verify.ts';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp, OPERATOR } from '../helpers/app.ts';
import {
  auth,
  consentBody,
  createRecord,
  DR_CARDIO_EMERGENCY,
  DR_MEDECIN,
  loadDirectory,
  postConsent,
  TEST_OID,
} from './notifications.fixtures.ts';

const BIN = fileURLToPath(new URL('../../bin/opendmp.js', import.meta.url));

function cli(url: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, 'audit', 'verify'], {
    env: { ...process.env, DATABASE_URL: url },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('opendmp audit verify', () => {
  let t: TestApp;
  const ids: string[] = [];

  beforeAll(async () => {
    t = await buildTestApp();
    await loadDirectory(t.db.owner);
    const operator = await t.token(OPERATOR);
    // A few records with varied traces: creation, consents, emergency look-ups, reads, closure, job runs.
    for (const [nir, birth, sex] of [
      ['158037505610143', '1958-03-21', 'male'],
      ['262076912310249', '1962-07-22', 'female'],
      ['175111305510370', '1975-11-23', 'male'],
    ] as const) {
      ids.push(await createRecord(t, operator, nir, birth, sex));
      const patient = await t.token({ kind: 'patient', ins: nir });
      await postConsent(t, patient, consentBody(nir, 'permit', DR_MEDECIN.idNatPs));
      await postConsent(
        t,
        await t.token(DR_MEDECIN),
        consentBody(nir, 'permit', DR_MEDECIN.idNatPs),
      );
      await t.app.inject({
        method: 'GET',
        url: `/fhir/Patient?identifier=${encodeURIComponent(`${TEST_OID}|${nir}`)}`,
        headers: auth(await t.token({ ...DR_CARDIO_EMERGENCY, ins: nir })),
      });
      await t.app.inject({ method: 'GET', url: '/fhir/AuditEvent', headers: auth(patient) });
    }
    await runJobNow(t.deps, 'outbox');
    await runJobNow(t.deps, 'purge');
  });
  afterAll(async () => {
    await t.close();
  });

  it('finds every chain intact on an untouched database (function and CLI exit 0)', async () => {
    const report = await verifyAuditChains(t.db.owner);
    expect(report).toMatchObject({ intact: true, records: 3, breaks: [] });
    // create, 2 consents, emergency look-up (status and identity, issue 17 rule 8), history read
    expect(report.recordEvents).toBe(3 * 6);
    expect(report.systemEvents).toBeGreaterThan(5);
    const run = cli(t.db.url);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/Checked 3 record chain\(s\)/);
    expect(run.stdout).toContain('All audit chains are intact.');
    expect(run.status).toBe(0);
  });

  it('catches an altered row, naming the record, seq and event (function and CLI exit 1)', async () => {
    const pid = ids[0]!;
    const [row] = await t.db.owner<{ id: string; actor_id: string }[]>`
      SELECT id, actor_id FROM audit_event WHERE patient_id = ${pid} AND seq = 2`;
    await t.db
      .owner`UPDATE audit_event SET actor_id = '810001000099' WHERE patient_id = ${pid} AND seq = 2`;
    try {
      const report = await verifyAuditChains(t.db.owner);
      expect(report.intact).toBe(false);
      expect(report.breaks).toEqual([
        expect.objectContaining({
          chain: 'record',
          patientId: pid,
          seq: '2',
          eventId: row!.id,
          problem: 'HASH',
        }),
      ]);
      const run = cli(t.db.url);
      expect(run.status).toBe(1);
      expect(run.stdout).toContain(`BROKEN record ${pid} (seq 2, event ${row!.id}): HASH`);
    } finally {
      await t.db
        .owner`UPDATE audit_event SET actor_id = ${row!.actor_id} WHERE patient_id = ${pid} AND seq = 2`;
    }
    expect((await verifyAuditChains(t.db.owner)).intact).toBe(true);
  });

  it('catches a deleted row in the middle of a chain and at its end', async () => {
    const pid = ids[1]!;
    const [third] = await t.db.owner<
      { id: string }[]
    >`SELECT id FROM audit_event WHERE patient_id = ${pid} AND seq = 3`;
    await t.db.owner`DELETE FROM audit_event WHERE patient_id = ${pid} AND seq = 3`;
    const middle = await verifyAuditChains(t.db.owner);
    expect(middle.breaks[0]).toMatchObject({ patientId: pid, seq: '4', problem: 'SEQ_GAP' });
    expect(describeBreak(middle.breaks[0]!)).toContain(
      'expected seq 3, found seq 4: event 3 missing',
    );
    const run = cli(t.db.url);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(
      new RegExp(`BROKEN record ${pid} \\(seq 4, event [0-9a-f-]{36}\\): SEQ_GAP`),
    );
    expect(third).toBeDefined();

    const other = ids[2]!;
    const [last] = await t.db.owner<{ seq: string; id: string }[]>`
      SELECT seq, id FROM audit_event WHERE patient_id = ${other} ORDER BY seq DESC LIMIT 1`;
    await t.db.owner`DELETE FROM audit_event WHERE patient_id = ${other} AND seq = ${last!.seq}`;
    const all = await verifyAuditChains(t.db.owner, { all: true });
    expect(all.breaks.map((b) => `${b.patientId}:${b.problem}`)).toEqual(
      [`${pid}:SEQ_GAP`, `${other}:HEAD_SEQ`].sort((a, b) =>
        a.split(':')[0]! < b.split(':')[0]! ? -1 : 1,
      ),
    );
    const head = all.breaks.find((b) => b.problem === 'HEAD_SEQ')!;
    expect(head.message).toContain(`event(s) ${last!.seq}–${last!.seq} missing`);
  });

  it('catches an altered event of the system chain', async () => {
    await t.db.owner`UPDATE system_audit_event SET outcome = 'denied' WHERE seq = 2`;
    const report = await verifyAuditChains(t.db.owner, { all: true });
    expect(
      report.breaks.some((b) => b.chain === 'system' && b.seq === '2' && b.problem === 'HASH'),
    ).toBe(true);
  });

  it('catches the last events of the system chain removed (its head names them)', async () => {
    const t2 = await buildTestApp();
    try {
      await runJobNow(t2.deps, 'purge');
      await runJobNow(t2.deps, 'purge');
      expect((await verifyAuditChains(t2.db.owner)).intact).toBe(true);
      const [last] = await t2.db.owner<{ stripe: number; seq: string }[]>`
        SELECT stripe, seq FROM system_audit_event ORDER BY seq DESC LIMIT 1`;
      await t2.db
        .owner`DELETE FROM system_audit_event WHERE stripe = ${last!.stripe} AND seq = ${last!.seq}`;
      const report = await verifyAuditChains(t2.db.owner);
      expect(report.breaks[0]).toMatchObject({
        chain: 'system',
        stripe: last!.stripe,
        problem: 'HEAD_SEQ',
      });
      expect(report.breaks[0]!.message).toContain(`event(s) ${last!.seq}–${last!.seq} missing`);
      expect(cli(t2.db.url).status).toBe(1);
    } finally {
      await t2.close();
    }
  });

  it('catches a record removed outside the purge', async () => {
    const t2 = await buildTestApp();
    try {
      const operator = await t2.token(OPERATOR);
      const pid = await createRecord(t2, operator, '158037505610143', '1958-03-21');
      await t2.db.owner`DELETE FROM patient_record WHERE patient_id = ${pid}`;
      const report = await verifyAuditChains(t2.db.owner);
      expect(report.breaks[0]).toMatchObject({
        patientId: pid,
        problem: 'ORPHAN_EVENTS',
        seq: '1',
      });
      await t2.db.owner`DELETE FROM audit_event WHERE patient_id = ${pid}`;
      expect((await verifyAuditChains(t2.db.owner)).breaks[0]).toMatchObject({
        patientId: pid,
        problem: 'RECORD_MISSING',
      });
    } finally {
      await t2.close();
    }
  });
});
