/**
 * Bytes in an ArrayBuffer of their own, for what a cache keeps. Node.js (24: `Buffer.poolSize` is 64 KB) makes a
 * Buffer under half the pool's size — `Buffer.from(text)`, `Buffer.allocUnsafe(n)`, a `bytea` postgres.js decodes —
 * as a view of a shared 64 KB slab, and the slab stays in memory as long as any of its views does: a remembered
 * 20-byte SHA-1 or a 3 KB search entry kept the whole 64 KB it was cut from, while the caches counted only their own
 * bytes (session 13: the server's ArrayBuffers grew by 100 MB in ten seconds of retrievals at random, each caching a
 * facts row and a sealed content). Memory made explicit (ADR 0022) means the bytes a cache counts are the bytes it
 * holds.
 */

/** `b` itself when it owns its ArrayBuffer, else a copy that does. */
export function ownBytes(b: Buffer): Buffer {
  if (b.byteOffset === 0 && b.buffer.byteLength === b.byteLength) {
    return b;
  }
  const own = Buffer.allocUnsafeSlow(b.byteLength);
  b.copy(own);
  return own;
}

/** The UTF-8 bytes of `text` in an ArrayBuffer of their own. */
export function ownUtf8(text: string): Buffer {
  const own = Buffer.allocUnsafeSlow(Buffer.byteLength(text));
  own.write(text);
  return own;
}
