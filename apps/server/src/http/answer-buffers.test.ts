import { describe, expect, it } from 'vitest';
import { AnswerBuffers } from './answer-buffers.ts';

describe('answers assembled in reusable buffers', () => {
  it('never hands out a buffer whose answer is still being sent', () => {
    const answers = new AnswerBuffers(4096, 2);
    const first = answers.assemble([Buffer.from('first answer')]);
    const second = answers.assemble([Buffer.from('second')]);
    expect(first.body.buffer).not.toBe(second.body.buffer);
    expect(first.body.toString()).toBe('first answer');
    first.release();
    first.release(); // twice is harmless: the buffer is pooled once
    const third = answers.assemble([Buffer.from('third')]);
    const fourth = answers.assemble([Buffer.from('fourth')]);
    expect(third.body.buffer).toBe(first.body.buffer);
    expect(fourth.body.buffer).not.toBe(first.body.buffer);
    expect(second.body.toString()).toBe('second');
  });

  it('answers larger than a pooled buffer get their own memory', () => {
    const answers = new AnswerBuffers(16, 2);
    const big = Buffer.alloc(100, 'x');
    const { body, release } = answers.assemble([big, Buffer.from('!')]);
    expect(body.toString()).toBe(`${'x'.repeat(100)}!`);
    release();
    const next = answers.assemble([Buffer.from('small')]);
    expect(next.body.buffer).not.toBe(body.buffer);
  });
});
