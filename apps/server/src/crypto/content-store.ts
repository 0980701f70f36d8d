import type { Db } from '../db/client.ts';
import * as repo from '../db/document-content.repository.ts';
import { generateDataKey, masterKeyId, open, seal, unwrapKey, wrapKey } from './envelope.ts';
import { Lru, SizedLru } from './lru.ts';

/**
 * Where document bytes live. Narrow on purpose: an object store (S3-like) can replace the PostgreSQL
 * implementation later; `put` then writes the object and the transaction only records its key.
 */
export interface ContentStore {
  /** Stores the bytes for the record, inside the caller's transaction; returns the content id. */
  put(tx: Db, patientId: string, bytes: Uint8Array): Promise<string>;
  /**
   * `put` in two steps, for callers that pipeline their statements: `prepare` reads what writing needs (the
   * record's current key) inside the transaction; the writer's `write` then sends the content's statement at
   * once (before any statement issued after it) and gives its id without waiting for the result.
   */
  prepare(tx: Db, patientId: string): Promise<ContentWriter>;
  /** The exact bytes, or undefined when there is no such content for that record. */
  get(db: Db, patientId: string, contentId: string): Promise<Buffer | undefined>;
}

export interface ContentWriter {
  write(bytes: Uint8Array): { readonly contentId: string; readonly written: Promise<void> };
}

const contentAad = (patientId: string, contentId: string, keyVersion: number): string =>
  `opendmp:content:v1:${patientId}:${contentId}:${String(keyVersion)}`;
const keyAad = (patientId: string, keyVersion: number): string =>
  `opendmp:data-key:v1:${patientId}:${String(keyVersion)}`;

export interface EncryptedStoreOptions {
  /** The master key, resolved lazily (the first deposit or read), so that building the app reads no file. */
  readonly masterKey: () => Buffer;
  readonly ids: () => string;
  readonly now: () => Date;
  /** Unwrapped record keys kept in memory (32 bytes each). */
  readonly cacheSize?: number;
  /**
   * Sealed contents kept in memory, in bytes of ciphertext (OPENDMP_CONTENT_CACHE_MB; default 16 MB). A sealed
   * content never changes once written (a content id is never reused), so a remembered one is the one the
   * database holds; it stays encrypted in memory and is opened on each read, as one read from the database is.
   */
  readonly sealedCacheBytes?: number;
}

/**
 * Envelope encryption in PostgreSQL: one random AES-256 data key per record (`record_data_key`, wrapped by
 * the master key), contents sealed with it (`document_content`: nonce, tag, ciphertext; no clear byte).
 */
export class EncryptedContentStore implements ContentStore {
  readonly #options: EncryptedStoreOptions;
  readonly #keys: Lru<string, Buffer>;
  readonly #sealed: SizedLru<string, repo.ContentRow>;

  constructor(options: EncryptedStoreOptions) {
    this.#options = options;
    this.#keys = new Lru(options.cacheSize ?? 10_000);
    this.#sealed = new SizedLru(
      options.sealedCacheBytes ?? 16 * 1024 * 1024,
      (row) => row.ciphertext.byteLength + 64,
    );
  }

  async put(tx: Db, patientId: string, bytes: Uint8Array): Promise<string> {
    const { contentId, written } = (await this.prepare(tx, patientId)).write(bytes);
    await written;
    return contentId;
  }

  async prepare(tx: Db, patientId: string): Promise<ContentWriter> {
    const { version, key } = await this.#currentKey(tx, patientId);
    return {
      write: (bytes) => {
        const contentId = this.#options.ids();
        const sealed = seal(key, bytes, contentAad(patientId, contentId, version));
        const written = repo.insertContent(tx, patientId, contentId, {
          key_version: version,
          ...sealed,
        });
        return { contentId, written };
      },
    };
  }

  async get(db: Db, patientId: string, contentId: string): Promise<Buffer | undefined> {
    const sealedKey = `${patientId}:${contentId}`;
    let row = this.#sealed.get(sealedKey);
    if (!row) {
      row = await repo.findContent(db, patientId, contentId);
      if (!row) {
        return undefined;
      }
      this.#sealed.set(sealedKey, row);
    }
    const key = await this.#keyVersion(db, patientId, row.key_version);
    return open(key, row, contentAad(patientId, contentId, row.key_version));
  }

  #unwrap(patientId: string, row: repo.DataKeyRow): Buffer {
    const cacheKey = `${patientId}:${String(row.key_version)}`;
    const cached = this.#keys.get(cacheKey);
    if (cached) {
      return cached;
    }
    const master = this.#options.masterKey();
    if (row.master_key_id !== masterKeyId(master)) {
      throw new Error(
        `record data key ${cacheKey} was wrapped by another master key (${row.master_key_id})`,
      );
    }
    const key = unwrapKey(master, row.wrapped_key, keyAad(patientId, row.key_version));
    this.#keys.set(cacheKey, key);
    return key;
  }

  async #keyVersion(db: Db, patientId: string, version: number): Promise<Buffer> {
    const cached = this.#keys.get(`${patientId}:${String(version)}`);
    if (cached) {
      return cached;
    }
    const row = await repo.findDataKey(db, patientId, version);
    if (!row) {
      throw new Error(`record data key ${patientId}:${String(version)} is missing`);
    }
    return this.#unwrap(patientId, row);
  }

  async #currentKey(tx: Db, patientId: string): Promise<{ version: number; key: Buffer }> {
    let row = await repo.findCurrentDataKey(tx, patientId);
    if (!row) {
      const master = this.#options.masterKey();
      const key = generateDataKey();
      const candidate: repo.DataKeyRow = {
        key_version: 1,
        master_key_id: masterKeyId(master),
        wrapped_key: wrapKey(master, key, keyAad(patientId, 1)),
      };
      // Not cached here: the transaction may still roll back; the key is cached once read back committed.
      if (await repo.insertDataKey(tx, patientId, candidate, this.#options.now())) {
        return { version: 1, key };
      }
      row = await repo.findCurrentDataKey(tx, patientId);
      if (!row) {
        throw new Error('record data key vanished');
      }
    }
    return { version: row.key_version, key: this.#unwrap(patientId, row) };
  }
}
