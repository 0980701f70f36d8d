/**
 * Issue 17 rule 1: `opendmp representative add|list|end` registers, lists and ends the legal representatives of a
 * minor through the operator's service (same rules and traces as the API); the registered representative's token
 * then reaches the record, and no longer once ended.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRepresentative } from '../../src/cli/representative.ts';
import { buildTestApp, OPERATOR, type TestApp } from '../helpers/app.ts';
import * as fx from './documents.fixtures.ts';

const MINOR = '112087505611139';
const ADULT = '158037505610143';
const PARENT = '284067505600131';

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

describe('opendmp representative', () => {
  let t: TestApp;

  async function cli(args: string[]): Promise<{ status: number; out: string; err: string }> {
    const out = sink();
    const err = sink();
    const status = await runRepresentative(t.deps, args, {
      stdout: out.stream,
      stderr: err.stream,
    });
    return { status, out: out.text(), err: err.text() };
  }
  async function recordStatus(): Promise<number> {
    const token = await t.token({ kind: 'representative', ins: MINOR, id: PARENT });
    const res = await t.app.inject({
      method: 'GET',
      url: `/fhir/Patient?identifier=${encodeURIComponent(`${fx.TEST_SYSTEM}|${MINOR}`)}`,
      headers: { authorization: `Bearer ${token}` },
    });
    return res.json<{ total: number }>().total;
  }

  beforeAll(async () => {
    t = await buildTestApp();
    const operator = await t.token(OPERATOR);
    for (const nir of [MINOR, ADULT]) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/fhir/Patient',
        headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/fhir+json' },
        payload: fx.patientBody(nir),
      });
      expect(res.statusCode).toBe(201);
    }
  });
  afterAll(async () => {
    await t.close();
  });

  it('adds, lists and ends a representation; the representative’s token follows', async () => {
    expect(await recordStatus()).toBe(0);
    const added = await cli([
      'add',
      '--ins',
      MINOR,
      '--id',
      PARENT,
      '--name',
      'Claire SIMON',
      '--relation',
      'MTH',
      '--json',
      '--operator',
      'agent-42',
    ]);
    expect(added.status, added.err).toBe(0);
    const [row] = JSON.parse(added.out) as { registration: string; active: boolean }[];
    expect(row?.active).toBe(true);
    expect(await recordStatus()).toBe(1);

    const listed = await cli(['list', '--ins', MINOR]);
    expect(listed.status).toBe(0);
    expect(listed.out).toContain(`${PARENT}  Claire SIMON  MTH`);
    expect(listed.out).toContain('active');

    const ended = await cli(['end', '--ins', MINOR, '--registration', row?.registration ?? '']);
    expect(ended.status, ended.err).toBe(0);
    expect(ended.out).toContain('not active');
    expect(await recordStatus()).toBe(0);

    const [trace] = await t.db.owner<{ actor_id: string }[]>`
      SELECT actor_id FROM audit_event WHERE action = 'representation.register'`;
    expect(trace?.actor_id).toBe('agent-42');
  });

  it('refuses an adult’s record and an unknown one (exit 1), a bad command line (exit 2)', async () => {
    const adult = await cli(['add', '--ins', ADULT, '--id', PARENT, '--name', 'X']);
    expect(adult.status).toBe(1);
    expect(adult.err).toContain('REP_HOLDER_NOT_MINOR');
    const unknown = await cli(['list', '--ins', '214067505622239']);
    expect(unknown.status).toBe(1);
    expect(unknown.err).toContain('REC_NOT_FOUND');
    const usage = await cli(['add', '--ins', MINOR]);
    expect(usage.status).toBe(2);
    expect(usage.err).toContain('--id, --name required');
    expect((await cli(['add', '--ins', '123', '--id', 'x', '--name', 'y'])).status).toBe(2);
  });
});
