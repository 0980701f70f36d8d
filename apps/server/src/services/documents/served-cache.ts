/**
 * A least-recently-used map bounded by the total size of its values (`sizeOf`), not by their number.
 */
export class SizedLru<K, V> {
  readonly #maxSize: number;
  readonly #sizeOf: (value: V) => number;
  readonly #entries = new Map<K, V>();
  #size = 0;

  constructor(maxSize: number, sizeOf: (value: V) => number) {
    this.#maxSize = Math.max(0, maxSize);
    this.#sizeOf = sizeOf;
  }

  /** The total size held. */
  get size(): number {
    return this.#size;
  }

  get(key: K): V | undefined {
    const value = this.#entries.get(key);
    if (value !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, value);
    }
    return value;
  }

  set(key: K, value: V): void {
    const size = this.#sizeOf(value);
    if (size > this.#maxSize) {
      return;
    }
    const previous = this.#entries.get(key);
    if (previous !== undefined) {
      this.#size -= this.#sizeOf(previous);
      this.#entries.delete(key);
    }
    this.#entries.set(key, value);
    this.#size += size;
    for (const [oldest, old] of this.#entries) {
      if (this.#size <= this.#maxSize) {
        break;
      }
      this.#entries.delete(oldest);
      this.#size -= this.#sizeOf(old);
    }
  }
}

/**
 * Search-set entries by document version, as the UTF-8 bytes a search answer copies. A version's entry is a pure
 * function of the row at that version (its stored served text, written once per version) and of the service's
 * public URL, so remembering it can never serve stale data: every search still reads the versions of the documents
 * it returns, and a new version is a new key. Bounded in bytes; the policy decides on every request exactly as
 * without it.
 */
export class ServedEntryCache {
  readonly #entries: SizedLru<string, Buffer>;

  constructor(maxBytes: number) {
    this.#entries = new SizedLru(maxBytes, (b) => b.byteLength);
  }

  get bytes(): number {
    return this.#entries.size;
  }

  get(id: string, version: number): Buffer | undefined {
    return this.#entries.get(`${id}:${String(version)}`);
  }

  set(id: string, version: number, entry: Buffer): void {
    this.#entries.set(`${id}:${String(version)}`, entry);
  }
}
