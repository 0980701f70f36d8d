import { describe, expect, it } from 'vitest';
import { ServedEntryCache, SizedLru } from './served-cache.ts';

describe('ServedEntryCache', () => {
  const entry = (n: number): Buffer => Buffer.alloc(n, 'x');

  it('keys entries by document and version: another version is a miss', () => {
    const c = new ServedEntryCache(1000);
    c.set('a', 1, entry(10));
    expect(c.get('a', 1)?.byteLength).toBe(10);
    expect(c.get('a', 2)).toBeUndefined();
    expect(c.get('b', 1)).toBeUndefined();
  });

  it('stays within its byte budget, dropping the least recently used first', () => {
    const c = new ServedEntryCache(100);
    c.set('a', 1, entry(40));
    c.set('b', 1, entry(40));
    c.get('a', 1); // a is now the most recent
    c.set('c', 1, entry(40));
    expect(c.bytes).toBeLessThanOrEqual(100);
    expect(c.get('b', 1)).toBeUndefined();
    expect(c.get('a', 1)).toBeDefined();
    expect(c.get('c', 1)).toBeDefined();
  });

  it('keeps nothing when its budget is 0, and nothing larger than its budget', () => {
    const off = new ServedEntryCache(0);
    off.set('a', 1, entry(1));
    expect(off.get('a', 1)).toBeUndefined();
    const small = new ServedEntryCache(10);
    small.set('a', 1, entry(11));
    expect(small.get('a', 1)).toBeUndefined();
    expect(small.bytes).toBe(0);
  });

  it('replaces an entry set twice without counting it twice', () => {
    const c = new ServedEntryCache(100);
    c.set('a', 1, entry(30));
    c.set('a', 1, entry(30));
    expect(c.bytes).toBe(30);
  });
});

describe('SizedLru', () => {
  it('bounds the total size of its values, whatever their number', () => {
    const c = new SizedLru<string, number[]>(10, (v) => v.length);
    c.set('a', [1, 2, 3, 4]);
    c.set('b', [1, 2, 3, 4]);
    c.set('c', [1, 2, 3, 4]); // 12 > 10: the oldest goes
    expect(c.size).toBe(8);
    expect(c.get('a')).toBeUndefined();
    expect(c.get('b')).toEqual([1, 2, 3, 4]);
    c.set(
      'd',
      Array.from({ length: 11 }, () => 0),
    ); // larger than the budget: not kept
    expect(c.get('d')).toBeUndefined();
  });
});
