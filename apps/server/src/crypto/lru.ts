/** A small least-recently-used map (Map keeps insertion order: a hit moves the entry to the end). */
export class Lru<K, V> {
  readonly #max: number;
  readonly #map = new Map<K, V>();

  constructor(max: number) {
    if (!Number.isInteger(max) || max < 1) {
      throw new Error('LRU size must be a positive integer');
    }
    this.#max = max;
  }

  get size(): number {
    return this.#map.size;
  }

  get(key: K): V | undefined {
    const value = this.#map.get(key);
    if (value !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, value);
    }
    return value;
  }

  set(key: K, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    if (this.#map.size > this.#max) {
      const oldest = this.#map.keys().next();
      if (!oldest.done) {
        this.#map.delete(oldest.value);
      }
    }
  }

  delete(key: K): void {
    this.#map.delete(key);
  }

  clear(): void {
    this.#map.clear();
  }
}

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
