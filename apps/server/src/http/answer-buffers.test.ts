import { afterEach, describe, expect, it, vi } from 'vitest';
import { AnswerBuffers } from './answer-buffers.ts';

const KB = 1024;

describe('answers assembled in reusable buffers', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('never hands out a buffer whose answer is still being sent', () => {
    const answers = new AnswerBuffers();
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

  it('an answer takes the smallest size that holds it, from 64 KB, doubling', () => {
    const answers = new AnswerBuffers();
    const size = (n: number): number =>
      answers.assemble([Buffer.alloc(n, 'x')]).body.buffer.byteLength;
    expect(size(10)).toBe(64 * KB);
    expect(size(64 * KB)).toBe(64 * KB);
    expect(size(64 * KB + 1)).toBe(128 * KB);
    expect(size(170 * KB)).toBe(256 * KB);
    expect(size(1024 * KB)).toBe(1024 * KB);
  });

  it('a buffer goes back to answers of its own size only', () => {
    const answers = new AnswerBuffers();
    const big = answers.assemble([Buffer.alloc(700 * KB, 'b')]);
    big.release();
    const small = answers.assemble([Buffer.from('small')]);
    expect(small.body.buffer).not.toBe(big.body.buffer);
    const again = answers.assemble([Buffer.alloc(600 * KB, 'c')]);
    expect(again.body.buffer).toBe(big.body.buffer);
  });

  it('answers larger than the largest pooled size get their own memory', () => {
    const answers = new AnswerBuffers({ largest: 64 * KB });
    const { body, release } = answers.assemble([Buffer.alloc(100 * KB, 'x'), Buffer.from('!')]);
    expect(body.byteLength).toBe(100 * KB + 1);
    expect(body.subarray(-2).toString()).toBe('x!');
    release();
    expect(answers.freeBytes).toBe(0);
  });

  it('keeps at most keepBytes of free buffers', () => {
    const answers = new AnswerBuffers({ keepBytes: 128 * KB });
    const held = [1, 2, 3].map(() => answers.assemble([Buffer.from('answer')]));
    for (const h of held) {
      h.release();
    }
    expect(answers.freeBytes).toBe(128 * KB);
  });

  it('forgets the buffers of a size none was taken of for idleMs, keeps those in use', () => {
    vi.useFakeTimers();
    const answers = new AnswerBuffers({ idleMs: 30_000 });
    answers.assemble([Buffer.alloc(700 * KB)]).release();
    answers.assemble([Buffer.from('page')]).release();
    expect(answers.freeBytes).toBe(1024 * KB + 64 * KB);
    // Pages keep being asked for; the large answers stopped.
    for (let s = 0; s < 40; s += 5) {
      vi.advanceTimersByTime(5_000);
      answers.assemble([Buffer.from('page')]).release();
    }
    expect(answers.freeBytes).toBe(64 * KB);
    vi.advanceTimersByTime(31_000);
    expect(answers.freeBytes).toBe(0);
  });
});
