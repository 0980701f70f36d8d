/**
 * Issue 17 rule 11: `opendmp record merge SURVIVOR ABSORBED --confirm-identity` merges two records of one person
 * through the operator's service (same rules and traces as `POST /fhir/Patient/{id}/$merge`); records are named by
 * id or INS.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRecordMerge } from '../../src/cli/record-merge.ts';
import { buildTestApp, type TestApp } from '../helpers/app.ts';
import { client } from './issue17.fixtures.ts';

const nir = (digits: string): string =>
  digits + String(97 - Number(BigInt(digits) % 97n)).padStart(2, '0');
const SURVIVOR_INS = nir('2900375123456');
const ABSORBED_INS = nir('2900375123457');

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  return {
    stream: new Writable({
      write(chunk: Buffer, _enc, done) {
        text += chunk.toString();
        done();
      },
    }),
    text: () => text,
  };
}

describe('opendmp record merge', () => {
  let t: TestApp;
  let survivor: string;
  let absorbed: string;

  async function cli(args: string[]): Promise<{ status: number; out: string; err: string }> {
    const out = sink();
    const err = sink();
    const status = await runRecordMerge(t.deps, args, { stdout: out.stream, stderr: err.stream });
    return { status, out: out.text(), err: err.text() };
  }

  beforeAll(async () => {
    t = await buildTestApp();
    const c = client(t);
    survivor = await c.createRecord(SURVIVOR_INS);
    absorbed = await c.createRecord(ABSORBED_INS);
  });

  afterAll(async () => {
    await t.close();
  });

  it('refuses without the identity confirmation (exit 1, the service’s code), and a malformed name (exit 2)', async () => {
    const refused = await cli(['merge', SURVIVOR_INS, ABSORBED_INS]);
    expect(refused.status).toBe(1);
    expect(refused.err).toContain('REC_MERGE_UNCONFIRMED');
    const malformed = await cli(['merge', SURVIVOR_INS, 'not-an-ins', '--confirm-identity']);
    expect(malformed.status).toBe(2);
  });

  it('merges records named by INS: the absorbed INS then resolves to the survivor, traced as the operator', async () => {
    const done = await cli([
      'merge',
      SURVIVOR_INS,
      ABSORBED_INS,
      '--confirm-identity',
      '--json',
      '--operator',
      'op-cli',
    ]);
    expect(done.status, done.err).toBe(0);
    expect(JSON.parse(done.out)).toMatchObject({ survivor, absorbed, documentsMoved: 0 });
    const [row] = await t.db.owner<{ patient_id: string }[]>`SELECT patient_id FROM ins_index
      WHERE ins = ${ABSORBED_INS}`;
    expect(row?.patient_id).toBe(survivor);
    const [trace] = await t.db.owner<{ actor_id: string; outcome: string }[]>`
      SELECT actor_id, outcome FROM audit_event WHERE patient_id = ${survivor}
        AND action = 'record.merge' ORDER BY seq DESC LIMIT 1`;
    expect(trace).toEqual({ actor_id: 'op-cli', outcome: 'success' });
  });
});
