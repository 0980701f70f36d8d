import { SizedLru } from '../../crypto/lru.ts';

export { SizedLru };

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
