/**
 * Read traces of several records go in one statement (migration 0140, services/audit.ts): reads spread over many
 * records, each read rarely, had one transaction per trace, and its commit cost more database CPU than the read.
 * What a user relies on stays: every read traced once on its own record's chain, every chain intact, and a record
 * whose access facts moved refused alone (its trace not written) while the others of the same statement are
 * written.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendRecordsAuditBatch, multiRecordAppends } from '../../src/db/audit.repository.ts';
import { buildAuditRecord } from '../../src/domain/audit/audit-record.ts';
import { computeNirKey } from '../../src/domain/identity/ins.ts';
import { verifyAuditChains } from '../../src/services/audit-verify.ts';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp, OPERATOR } from '../helpers/app.ts';
import { auth, createRecord, TEST_OID } from './notifications.fixtures.ts';

const RECORDS = 8;
const READS_PER_RECORD = 12;

function nirOf(i: number): string {
  const first13 = `1580375056${String(200 + i).padStart(3, '0')}`;
  return `${first13}${String(computeNirKey(first13)).padStart(2, '0')}`;
}

/** A patient's read of a document, as the read paths trace it. */
function readEvent(ins: string | undefined): ReturnType<typeof buildAuditRecord> {
  return buildAuditRecord(
    { kind: 'patient', ins: String(ins) },
    { action: 'read', outcome: 'success', entityType: 'DocumentReference', entityId: randomUUID() },
    new Date(),
    randomUUID(),
  );
}

describe('read traces of several records in one statement', () => {
  let t: TestApp;
  const nirs = Array.from({ length: RECORDS }, (_, i) => nirOf(i));
  const ids: string[] = [];

  beforeAll(async () => {
    t = await buildTestApp();
    const operator = await t.token(OPERATOR);
    for (const nir of nirs) {
      ids.push(await createRecord(t, operator, nir, '1958-03-21'));
    }
  });
  afterAll(async () => {
    await t.close();
  });

  async function eventsPerRecord(): Promise<Map<string, number>> {
    const rows = await t.db.owner<{ patient_id: string; n: number }[]>`
      SELECT patient_id, count(*)::int AS n FROM audit_event WHERE patient_id = ANY(${ids}::uuid[])
      GROUP BY patient_id`;
    return new Map(rows.map((r) => [r.patient_id, r.n]));
  }

  it('traces each of many concurrent searches over several records once, on its own chain, chains intact', async () => {
    const before = await eventsPerRecord();
    const tokens = await Promise.all(nirs.map((ins) => t.token({ kind: 'patient', ins })));
    const searches = nirs.flatMap((nir, i) =>
      Array.from({ length: READS_PER_RECORD }, () =>
        t.app.inject({
          method: 'GET',
          url: `/fhir/DocumentReference?patient.identifier=${TEST_OID}|${nir}`,
          headers: auth(String(tokens[i])),
        }),
      ),
    );
    const answers = await Promise.all(searches);
    expect(answers.map((a) => a.statusCode)).toEqual(answers.map(() => 200));

    const after = await eventsPerRecord();
    for (const id of ids) {
      expect((after.get(id) ?? 0) - (before.get(id) ?? 0)).toBe(READS_PER_RECORD);
    }
    // On plain PostgreSQL, traces of several records were committed together (one transaction wrote them): one
    // transaction per record's traces before migration 0140. On Citus each record's append stays alone (delegated
    // to its worker; several records in one statement would be a two-phase commit over the workers).
    const [together] = await t.db.owner<{ records: number }[]>`
      SELECT coalesce(max(records), 0)::int AS records FROM (
        SELECT count(DISTINCT patient_id) AS records FROM audit_event
        WHERE patient_id = ANY(${ids}::uuid[]) GROUP BY xmin::text) x`;
    if (await multiRecordAppends(t.db.sql)) {
      expect(together?.records).toBeGreaterThan(1);
    } else {
      expect(together?.records).toBe(1);
    }
    expect((await verifyAuditChains(t.db.owner)).intact).toBe(true);
  });

  it('refuses only the record whose facts moved, appends the others, and names a record that is gone', async () => {
    const [{ citus } = { citus: false }] = await t.db.owner<{ citus: boolean }[]>`
      SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') AS citus`;
    expect(await multiRecordAppends(t.db.sql)).toBe(!citus);
    if (citus) {
      return; // the service appends each record alone there (the test above)
    }
    const [a, b] = ids as [string, string];
    const [tagA] = await t.db.owner<{ tag: string }[]>`SELECT record_access_tag(${a}::uuid) AS tag`;
    const before = await eventsPerRecord();
    const event = (): ReturnType<typeof buildAuditRecord> => readEvent(nirs[0]);
    const outcomes = await appendRecordsAuditBatch(t.db.sql, [
      { patientId: a, records: [event(), event()], tag: tagA?.tag },
      { patientId: b, records: [event()], tag: 'a tag the record no longer has' },
      { patientId: randomUUID(), records: [event()], tag: undefined },
    ]);
    expect(outcomes).toEqual(['appended', 'stale', 'no-record']);
    const after = await eventsPerRecord();
    expect((after.get(a) ?? 0) - (before.get(a) ?? 0)).toBe(2);
    expect(after.get(b)).toBe(before.get(b));
    expect((await verifyAuditChains(t.db.owner)).intact).toBe(true);
  });

  it('answers in the order given and continues a record named twice in one call on its own chain', async () => {
    if (!(await multiRecordAppends(t.db.sql))) {
      return; // Citus: each record alone (the first test)
    }
    const [, , c, d] = ids as [string, string, string, string];
    const [tagD] = await t.db.owner<{ tag: string }[]>`SELECT record_access_tag(${d}::uuid) AS tag`;
    const before = await eventsPerRecord();
    const event = (): ReturnType<typeof buildAuditRecord> => readEvent(nirs[3]);
    const outcomes = await appendRecordsAuditBatch(t.db.sql, [
      { patientId: d, records: [event()], tag: tagD?.tag },
      { patientId: randomUUID(), records: [event(), event()], tag: undefined },
      { patientId: c, records: [event(), event(), event()], tag: undefined },
      { patientId: d, records: [event(), event()], tag: undefined },
    ]);
    expect(outcomes).toEqual(['appended', 'no-record', 'appended', 'appended']);
    const after = await eventsPerRecord();
    expect((after.get(c) ?? 0) - (before.get(c) ?? 0)).toBe(3);
    expect((after.get(d) ?? 0) - (before.get(d) ?? 0)).toBe(3);
    // Each record's seqs run on without a gap and its head is its last event's hash.
    const heads = await t.db.owner<{ ok: boolean }[]>`
      SELECT r.audit_seq = (SELECT max(seq) FROM audit_event e WHERE e.patient_id = r.patient_id)
        AND r.audit_seq = (SELECT count(*) FROM audit_event e WHERE e.patient_id = r.patient_id)
        AND r.audit_head = (SELECT hash FROM audit_event e WHERE e.patient_id = r.patient_id
                             ORDER BY seq DESC LIMIT 1) AS ok
      FROM patient_record r WHERE r.patient_id = ANY(${[c, d]}::uuid[])`;
    expect(heads.map((h) => h.ok)).toEqual([true, true]);
    expect((await verifyAuditChains(t.db.owner)).intact).toBe(true);
  });
});
