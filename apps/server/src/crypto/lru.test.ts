import { describe, expect, it } from 'vitest';
import { Lru, SizedLru } from './lru.ts';

describe('Lru (second chance)', () => {
  it('keeps at most max entries and drops the oldest unmarked first', () => {
    const lru = new Lru<string, number>(3);
    lru.set('a', 1);
    lru.set('b', 2);
    lru.set('c', 3);
    expect(lru.get('a')).toBe(1); // marked: survives the next eviction
    lru.set('d', 4);
    expect([lru.get('a'), lru.get('b'), lru.get('c'), lru.get('d')]).toEqual([1, undefined, 3, 4]);
    expect(lru.size).toBe(3);
  });

  it('replaces a value set again, and forgets deleted and cleared keys', () => {
    const lru = new Lru<string, number>(2);
    lru.set('a', 1);
    lru.set('a', 2);
    expect([lru.get('a'), lru.size]).toEqual([2, 1]);
    lru.delete('a');
    expect(lru.get('a')).toBeUndefined();
    lru.set('b', 1);
    lru.set('c', 2);
    lru.clear();
    expect([lru.size, lru.get('b')]).toEqual([0, undefined]);
    lru.set('d', 3);
    lru.set('e', 4);
    lru.set('f', 5);
    expect([lru.get('d'), lru.get('e'), lru.get('f')]).toEqual([undefined, 4, 5]);
  });

  it('gives every entry a second chance in insertion order, across many evictions', () => {
    const lru = new Lru<number, number>(4);
    for (let i = 0; i < 4; i++) {
      lru.set(i, i);
    }
    // 0 and 2 are hit: 1 then 3 go first; then 0 and 2 (their mark spent) before the newer ones.
    lru.get(0);
    lru.get(2);
    lru.set(4, 4);
    lru.set(5, 5);
    expect([0, 1, 2, 3, 4, 5].map((k) => lru.get(k) !== undefined)).toEqual([
      true,
      false,
      true,
      false,
      true,
      true,
    ]);
    // All four were just hit (the check above): the sweep moves each behind the new entry, unmarked, and the new
    // entry, now the oldest unmarked one, goes (second chance, not strict LRU).
    lru.set(6, 6);
    expect([0, 2, 4, 5, 6].map((k) => lru.get(k) !== undefined)).toEqual([
      true,
      true,
      true,
      true,
      false,
    ]);
    // Every entry marked again by that check: the next miss still keeps the bound.
    lru.get(0);
    lru.set(7, 7);
    expect(lru.size).toBe(4);
    // A long stream of misses with deletes and re-sets in between keeps exactly the bound.
    for (let i = 7; i < 5_000; i++) {
      lru.set(i, i);
      if (i % 7 === 0) {
        lru.delete(i - 1);
      }
      if (i % 5 === 0) {
        lru.set(i - 2, -i);
      }
      expect(lru.size).toBeLessThanOrEqual(4);
    }
    expect(lru.get(4_999)).toBe(4_999);
  });
});

describe('a bound of 0 (caches off, src/caches.ts)', () => {
  it('keeps nothing, even a value of size 0', () => {
    const lru = new Lru<string, number>(0);
    lru.set('a', 1);
    expect([lru.get('a'), lru.size]).toEqual([undefined, 0]);
    const sized = new SizedLru<string, readonly number[]>(0, (v) => v.length);
    sized.set('empty', []);
    expect(sized.get('empty')).toBeUndefined();
    expect(() => new Lru(-1)).toThrow();
  });
});

describe('SizedLru', () => {
  it('keeps the total size under its bound and ignores a value larger than it', () => {
    const lru = new SizedLru<string, string>(10, (v) => v.length);
    lru.set('a', '12345');
    lru.set('b', '12345');
    lru.set('c', '123');
    expect([lru.get('a'), lru.get('b'), lru.get('c')]).toEqual([undefined, '12345', '123']);
    expect(lru.size).toBe(8);
    lru.set('big', '12345678901');
    expect(lru.get('big')).toBeUndefined();
  });
});
