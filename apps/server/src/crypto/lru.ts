/**
 * Bounded maps that drop the least recently used entries first, by second chance: a hit only marks its entry; when
 * room is needed, the oldest entries are looked at in insertion order, a marked one is moved to the end (unmarked)
 * and the first unmarked one goes. A hit allocates nothing: moving the entry on every hit (delete + set) made the
 * Map's table fill with deleted slots and be rebuilt every few dozen hits, so that the hot caches of a search
 * allocated old-generation memory on every request (docs/benchmarks.md).
 */
interface Slot<V> {
  readonly value: V;
  readonly size: number;
  hit: boolean;
}

class SecondChance<K, V> {
  readonly #entries = new Map<K, Slot<V>>();
  #size = 0;
  /**
   * Where eviction goes on: a live iterator over the entries, always at the oldest one (every entry it passed was
   * deleted or moved to the end). Starting a new iterator at each eviction made it skip, inside the Map, every slot
   * deleted since the Map's table was last rebuilt: work that grew with the cache (up to 21 µs per insert into a full
   * cache of 100,000 entries; bench/lru.ts), 4 % of the server's CPU in the spread search workload.
   */
  #hand: MapIterator<[K, Slot<V>]> | undefined;

  get count(): number {
    return this.#entries.size;
  }

  get size(): number {
    return this.#size;
  }

  get(key: K): V | undefined {
    const slot = this.#entries.get(key);
    if (slot) {
      slot.hit = true;
    }
    return slot?.value;
  }

  set(key: K, value: V, size: number): void {
    this.delete(key);
    this.#entries.set(key, { value, size, hit: false });
    this.#size += size;
  }

  delete(key: K): void {
    const slot = this.#entries.get(key);
    if (slot) {
      this.#entries.delete(key);
      this.#size -= slot.size;
    }
  }

  /** Drops entries until `fits()` holds, oldest unmarked first. */
  shrink(fits: () => boolean): void {
    while (!fits()) {
      this.#hand ??= this.#entries.entries();
      let oldest = this.#hand.next();
      if (oldest.done) {
        // Past the end (everything it passed was moved behind it): start again from the oldest.
        this.#hand = this.#entries.entries();
        oldest = this.#hand.next();
        if (oldest.done) {
          return;
        }
      }
      const [key, slot] = oldest.value;
      this.#entries.delete(key);
      if (slot.hit) {
        slot.hit = false;
        this.#entries.set(key, slot);
      } else {
        this.#size -= slot.size;
      }
    }
  }

  clear(): void {
    this.#entries.clear();
    this.#size = 0;
    this.#hand = undefined;
  }
}

/** At most `max` entries; `0` keeps none (caches off). */
export class Lru<K, V> {
  readonly #max: number;
  readonly #entries = new SecondChance<K, V>();

  constructor(max: number) {
    if (!Number.isInteger(max) || max < 0) {
      throw new Error('LRU size must be a non-negative integer');
    }
    this.#max = max;
  }

  get size(): number {
    return this.#entries.count;
  }

  get(key: K): V | undefined {
    return this.#entries.get(key);
  }

  set(key: K, value: V): void {
    if (this.#max === 0) {
      return;
    }
    this.#entries.set(key, value, 0);
    this.#entries.shrink(() => this.#entries.count <= this.#max);
  }

  delete(key: K): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }
}

/** Bounded by the total size of its values (`sizeOf`), not by their number; `0` keeps nothing (caches off). */
export class SizedLru<K, V> {
  readonly #maxSize: number;
  readonly #sizeOf: (value: V) => number;
  readonly #entries = new SecondChance<K, V>();

  constructor(maxSize: number, sizeOf: (value: V) => number) {
    this.#maxSize = Math.max(0, maxSize);
    this.#sizeOf = sizeOf;
  }

  /** The total size held. */
  get size(): number {
    return this.#entries.size;
  }

  get(key: K): V | undefined {
    return this.#entries.get(key);
  }

  set(key: K, value: V): void {
    const size = this.#sizeOf(value);
    if (size > this.#maxSize || this.#maxSize === 0) {
      return;
    }
    this.#entries.set(key, value, size);
    this.#entries.shrink(() => this.#entries.size <= this.#maxSize);
  }
}
