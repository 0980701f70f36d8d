import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { DomainFailure } from '../domain/errors.ts';
import {
  ByteBudget,
  checkParams,
  heapNeeded,
  maxBodyBytes,
  registerInputGate,
} from './input-gate.ts';

const MB = 1024 * 1024;

describe('ByteBudget', () => {
  it('takes reservations whole while they fit, and gives them back', () => {
    const budget = new ByteBudget(10);
    expect(budget.tryTake(6)).toBe(true);
    expect(budget.tryTake(5)).toBe(false);
    expect(budget.used).toBe(6);
    budget.give(6);
    expect(budget.tryTake(10)).toBe(true);
    budget.give(20);
    expect(budget.used).toBe(0);
  });

  it('has no limit at 0', () => {
    expect(new ByteBudget(0).tryTake(10 ** 12)).toBe(true);
  });
});

describe('memory plan', () => {
  it.each([
    [20 * MB, 29 * MB],
    [1 * MB, 2.4 * MB],
  ])('a %d-byte document limit makes a body limit of about %d bytes', (doc, body) => {
    expect(Math.abs(maxBodyBytes(doc) - body)).toBeLessThan(0.1 * MB);
  });

  it('fits the default budget (two bodies at the 20 MB limit) in the heap of npm start (192 MB)', () => {
    const budget = 2 * maxBodyBytes(20 * MB);
    expect(heapNeeded(budget)).toBeLessThanOrEqual(192 * MB);
    expect(heapNeeded(budget)).toBeGreaterThan(budget);
  });
});

describe('checkParams', () => {
  const code = (values: unknown): string | undefined => {
    try {
      checkParams(values);
      return undefined;
    } catch (e) {
      return e instanceof DomainFailure ? e.error.code : String(e);
    }
  };
  it.each([
    [{ id: 'abc' }, undefined],
    [{ q: ['a', 'b'] }, undefined],
    [{ q: '😀' }, undefined],
    [undefined, undefined],
    [{ id: 'a\0' }, 'HTTP_PARAM_CHARACTER'],
    [{ q: ['ok', '\ud800'] }, 'HTTP_PARAM_CHARACTER'],
    [{ 'k\0': 'v' }, 'HTTP_PARAM_CHARACTER'],
    [{ '*': '\udc00' }, 'HTTP_PARAM_CHARACTER'],
  ])('%j → %s', (values, expected) => {
    expect(code(values)).toBe(expected);
  });
});

describe('registerInputGate', () => {
  it('decodes large contents out of the body on deposit routes only; other routes get the JSON as sent', async () => {
    const app = Fastify();
    registerInputGate(app, { bodyLimit: 10 * MB, documentBudgetBytes: 0 });
    const echo = async (request: {
      body: unknown;
      documentContents: ReadonlyMap<string, Buffer> | null;
    }) => {
      const data = (request.body as { data: string }).data;
      return {
        contents: request.documentContents?.size ?? 0,
        data: data.slice(0, 16),
        length: data.length,
      };
    };
    app.post('/fhir/DocumentReference', echo);
    app.post('/fhir/Condition', echo);
    await app.ready();
    const data = Buffer.alloc(200_000, 7).toString('base64');
    const send = (url: string) =>
      app.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/fhir+json' },
        payload: { data },
      });
    const deposit = (await send('/fhir/DocumentReference')).json<{
      contents: number;
      data: string;
    }>();
    expect(deposit.contents).toBe(1);
    expect(deposit.data).not.toBe(data.slice(0, 16));
    expect((await send('/fhir/Condition')).json()).toEqual({
      contents: 0,
      data: data.slice(0, 16),
      length: data.length,
    });
    await app.close();
  });
});
