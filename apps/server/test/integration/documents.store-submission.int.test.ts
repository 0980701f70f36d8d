import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDataKey, masterKeyId, wrapKey } from '../../src/crypto/envelope.ts';
import {
  StaleSubmission,
  SubmissionConflict,
  storeSubmission,
} from '../../src/db/submissions.repository.ts';
import type { SubmissionWrite } from '../../src/db/submissions.repository.ts';
import { documentDeps } from '../../src/services/documents/context.ts';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp, GP, OPERATOR } from '../helpers/app.ts';
import * as fx from './documents.fixtures.ts';
import type { Json } from './documents.fixtures.ts';
import { createCaches } from '../../src/caches.ts';

/**
 * The write of a deposit is one database statement (store_submission, migrations 0018 and 0019) that re-checks under the
 * record's lock what the service read before deciding: a record closed meanwhile refuses it, and a record key
 * changed meanwhile (another instance) makes the service seal again with the current key.
 */
describe('documents: the one-statement write re-checks what the decision was made on', () => {
  let t: TestApp;
  let gp: string;
  const master = randomBytes(32);
  const ins = fx.nir('2790351215189');
  const json = (token: string) => ({
    authorization: `Bearer ${token}`,
    'content-type': 'application/fhir+json',
  });
  const author = { idNatPs: GP.idNatPs, structure: GP.structure };
  let patientId: string;

  const emptyWrite = (keyVersion: number): SubmissionWrite => ({
    now: new Date().toISOString(),
    key_version: keyVersion,
    claims: [],
    supersede: [],
    contents: [],
    locators: [],
    submission_sets: [],
    folders: [],
    documents: [],
    list_entries: [],
    audit_tails: [],
    outbox: [],
  });

  async function deposit(
    text: string,
  ): Promise<{ status: number; binaryUrl: string; bytes: Buffer }> {
    const bytes = fx.n1Bytes(ins, text);
    const res = await t.app.inject({
      method: 'POST',
      url: '/fhir/DocumentReference',
      headers: json(gp),
      payload: fx.iti105(fx.pdfDocumentReference(ins, bytes, author), bytes),
    });
    const content = (res.json<Json>()['content'] as Json[] | undefined)?.[0];
    const url = (content?.['attachment'] as { url?: string } | undefined)?.url ?? '';
    return { status: res.statusCode, binaryUrl: url, bytes };
  }

  beforeAll(async () => {
    t = await buildTestApp({ masterKey: master.toString('base64') });
    gp = await t.token(GP);
    const operator = await t.token(OPERATOR);
    const res = await t.app.inject({
      method: 'POST',
      url: '/fhir/Patient',
      headers: json(operator),
      payload: fx.patientBody(ins),
    });
    expect(res.statusCode, res.body).toBe(201);
    patientId = String(res.json<Json>()['id']);
  });
  afterAll(async () => {
    await t.close();
  });

  it('a record key created by another instance: the deposit is sealed again with it, and reads back', async () => {
    expect((await deposit('first')).status).toBe(201);
    // Another instance moves the record to a second key; this process still remembers the first as current.
    const key2 = generateDataKey();
    await t.db
      .owner`INSERT INTO record_data_key (patient_id, key_version, master_key_id, wrapped_key, created_at)
      VALUES (${patientId}, 2, ${masterKeyId(master)},
        ${wrapKey(master, key2, `opendmp:data-key:v1:${patientId}:2`)}, now())`;
    const second = await deposit('second');
    expect(second.status).toBe(201);
    const [row] = await t.db.owner<{ key_version: number }[]>`SELECT c.key_version
      FROM document_content c JOIN document d ON d.patient_id = c.patient_id AND d.content_id = c.content_id
      WHERE c.patient_id = ${patientId} ORDER BY d.deposited_at DESC LIMIT 1`;
    expect(row?.key_version).toBe(2);
    // Opened with the second key, by a process that had never read it.
    const contentId = second.binaryUrl.split('/').pop() ?? '';
    const fresh = documentDeps({ ...t.deps, caches: createCaches(t.deps.config) }).contents;
    expect((await fresh.get(t.db.sql, patientId, contentId))?.equals(second.bytes)).toBe(true);
    // Remembered by content id, it is still served only under its own record.
    expect(await fresh.get(t.db.sql, randomUUID(), contentId)).toBeUndefined();
  });

  it('a deposit moves the documents revision by one and the trace chain by its traces (one record update)', async () => {
    const read = async () => {
      const [r] = await t.db.owner<
        { rev: string; seq: string }[]
      >`SELECT documents_revision::text AS rev,
        audit_seq::text AS seq FROM patient_record WHERE patient_id = ${patientId}`;
      return { rev: Number(r?.rev), seq: Number(r?.seq) };
    };
    const before = await read();
    expect((await deposit('third')).status).toBe(201);
    const after = await read();
    const [traces] = await t.db.owner<{ n: number }[]>`SELECT count(*)::int AS n FROM audit_event
      WHERE patient_id = ${patientId} AND seq > ${before.seq}`;
    expect(after.rev - before.rev).toBe(1);
    expect(traces?.n).toBeGreaterThan(0);
    expect(after.seq - before.seq).toBe(traces?.n);
  });

  it('sealed with an outdated key: refused as stale, nothing written', async () => {
    await expect(
      storeSubmission(t.db.sql, patientId, emptyWrite(1), { ciphertexts: [], served: [] }),
    ).rejects.toBeInstanceOf(StaleSubmission);
  });

  it('a record closed after the decision: DOC_RECORD_CLOSED, nothing written', async () => {
    await t.db.owner`UPDATE patient_record SET status = 'closed', closed_at = now(),
      closure_reason = 'operator-decision' WHERE patient_id = ${patientId}`;
    const [before] = await t.db.owner<{ n: number }[]>`SELECT count(*)::int AS n FROM audit_event
      WHERE patient_id = ${patientId}`;
    const refusal = await storeSubmission(t.db.sql, patientId, emptyWrite(2), {
      ciphertexts: [],
      served: [],
    }).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(SubmissionConflict);
    expect((refusal as SubmissionConflict).code).toBe('DOC_RECORD_CLOSED');
    const [after] = await t.db.owner<{ n: number }[]>`SELECT count(*)::int AS n FROM audit_event
      WHERE patient_id = ${patientId}`;
    expect(after?.n).toBe(before?.n);
  });
});
