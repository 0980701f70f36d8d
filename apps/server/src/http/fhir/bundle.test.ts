import { describe, expect, it } from 'vitest';
import { AnswerBuffers } from '../answer-buffers.ts';
import { searchsetParts } from './bundle.ts';

describe('search answers assembled in reusable buffers', () => {
  const entry = (n: number): Buffer => Buffer.from(JSON.stringify({ fullUrl: `u${String(n)}` }));

  it('gives the exact bundle, parseable, with its entries in order', () => {
    const answers = new AnswerBuffers();
    const { body } = answers.assemble(searchsetParts('self', [entry(1), entry(2)], 7, 'next'));
    expect(JSON.parse(body.toString())).toEqual({
      resourceType: 'Bundle',
      type: 'searchset',
      total: 7,
      link: [
        { relation: 'self', url: 'self' },
        { relation: 'next', url: 'next' },
      ],
      entry: [{ fullUrl: 'u1' }, { fullUrl: 'u2' }],
    });
  });
});
