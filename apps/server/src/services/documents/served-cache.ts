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
  // By document id, the version beside the entry: the ids are the rows' own strings, whose hash V8 keeps, where a
  // `${id}:${version}` key was a new string to flatten and hash on every lookup (50 per search). A document's newer
  // version replaces its older one's entry.
  readonly #entries: SizedLru<string, { readonly version: number; readonly entry: Buffer }>;

  constructor(maxBytes: number) {
    this.#entries = new SizedLru(maxBytes, (v) => v.entry.byteLength);
  }

  get bytes(): number {
    return this.#entries.size;
  }

  get(id: string, version: number): Buffer | undefined {
    const known = this.#entries.get(id);
    return known?.version === version ? known.entry : undefined;
  }

  set(id: string, version: number, entry: Buffer): void {
    this.#entries.set(id, { version, entry });
  }
}
