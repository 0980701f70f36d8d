/**
 * Search-set entries by document version, as the UTF-8 bytes a search answer copies. A version's entry is a pure
 * function of the row at that version (its stored served text, written once per version) and of the service's
 * public URL, so remembering it can never serve stale data: every search still reads the versions of the documents
 * it returns, and a new version is a new key. Bounded in bytes (least recently used out first); the policy decides
 * on every request exactly as without it.
 */
export class ServedEntryCache {
  readonly #maxBytes: number;
  readonly #entries = new Map<string, Buffer>();
  #bytes = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = Math.max(0, maxBytes);
  }

  get bytes(): number {
    return this.#bytes;
  }

  get(id: string, version: number): Buffer | undefined {
    const key = `${id}:${String(version)}`;
    const entry = this.#entries.get(key);
    if (entry) {
      this.#entries.delete(key);
      this.#entries.set(key, entry);
    }
    return entry;
  }

  set(id: string, version: number, entry: Buffer): void {
    if (entry.byteLength > this.#maxBytes) {
      return;
    }
    const key = `${id}:${String(version)}`;
    const previous = this.#entries.get(key);
    if (previous) {
      this.#bytes -= previous.byteLength;
      this.#entries.delete(key);
    }
    this.#entries.set(key, entry);
    this.#bytes += entry.byteLength;
    for (const [oldest, value] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) {
        break;
      }
      this.#entries.delete(oldest);
      this.#bytes -= value.byteLength;
    }
  }
}
