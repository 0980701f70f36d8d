import { describe, expect, it } from 'vitest';
import { ownBytes, ownUtf8 } from './own-bytes.ts';

describe('bytes a cache keeps', () => {
  it('own their ArrayBuffer: a small pooled Buffer is copied out of its slab', () => {
    const pooled = Buffer.from('0123456789abcdef0123456789abcdef01234567', 'hex');
    expect(pooled.buffer.byteLength).toBeGreaterThan(pooled.byteLength); // a view of the pool (Node.js 24: 64 KB)
    const own = ownBytes(pooled);
    expect(own.equals(pooled)).toBe(true);
    expect(own.buffer.byteLength).toBe(20);
    expect(ownBytes(own)).toBe(own);
  });

  it('the UTF-8 of a text, in its own ArrayBuffer', () => {
    const text = 'entrée é ' + 'x'.repeat(3000);
    const own = ownUtf8(text);
    expect(own.toString('utf8')).toBe(text);
    expect(own.buffer.byteLength).toBe(Buffer.byteLength(text));
    expect(Buffer.from(text).buffer.byteLength).toBeGreaterThan(own.byteLength);
  });

  it('keep no slab alive: 2,000 remembered SHA-1s amid other small Buffers hold 2,000 × 20 bytes, not their slabs', () => {
    const keep: Buffer[] = [];
    const slabs = new Set<ArrayBufferLike>();
    for (let i = 0; i < 2000; i++) {
      for (let j = 0; j < 30; j++) {
        Buffer.from('ab'.repeat(100), 'hex');
      }
      const sha1 = Buffer.from('0123456789abcdef0123456789abcdef01234567', 'hex');
      slabs.add(sha1.buffer);
      keep.push(ownBytes(sha1));
    }
    expect(slabs.size).toBeGreaterThan(50); // what keeping the pooled views would have held, 64 KB each
    expect(keep.reduce((n, b) => n + b.buffer.byteLength, 0)).toBe(2000 * 20);
  });
});
