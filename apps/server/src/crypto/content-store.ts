import type { Db } from '../db/client.ts';
import * as repo from '../db/document-content.repository.ts';
import type { KeyObject } from 'node:crypto';
import {
  generateDataKey,
  importKey,
  masterKeyId,
  open,
  seal,
  unwrapKey,
  wrapKey,
} from './envelope.ts';
import type { Caches } from '../caches.ts';
import type { Lru, SizedLru } from './lru.ts';
import { ownBytes } from '../own-bytes.ts';

/**
 * Where document bytes live. Narrow on purpose: an object store (S3-like) can replace the PostgreSQL
 * implementation later; `put` then writes the object and the transaction only records its key.
 */
export interface ContentStore {
  /**
   * Seals contents of the record for a write that stores them itself (a deposit's one statement,
   * store_submission): with the record's current key as this process knows it, which the write checks is still
   * the current one, or with a first key for the record, which the write inserts. `ids`: where the contents' ids
   * come from (a deposit on Citus draws them into the record's shard, ADR 0031); the store's own by default.
   */
  seal(
    db: Db,
    patientId: string,
    contents: readonly Uint8Array[],
    ids?: () => string,
  ): Promise<SealedContents>;
  /** Forgets what this process knows of the record's current key (a write found it outdated). */
  forgetCurrentKey(patientId: string): void;
  /** The exact bytes, or undefined when there is no such content for that record: {@link fetch} then {@link open}. */
  get(db: Db, patientId: string, contentId: string): Promise<Buffer | undefined>;
  /**
   * The content as stored, still sealed (nothing decrypted, no key touched), or undefined when there is no such
   * content for that record: a retrieval reads it while it reads the document's facts, and opens it only once the
   * policy allowed (issue 18 point 5).
   */
  fetch(db: Db, patientId: string, contentId: string): Promise<FetchedContent | undefined>;
  /** Whether {@link fetch} would answer this content from memory, without the database. */
  remembers(patientId: string, contentId: string): boolean;
  /** The exact bytes of a fetched content: the record's key for it looked up, the content decrypted and checked. */
  open(db: Db, fetched: FetchedContent): Promise<Buffer>;
  /**
   * Moves contents of one record to another, keeping their ids (a merge, ADR 0016): each is opened with the source
   * record's key and sealed again with the target record's current key as `db` holds it, one at a time, and given
   * to `write.content`; when the target has no key yet, a first one is given to `write.key` before any content.
   * Nothing is remembered of the target's key: the caller's transaction may still roll back.
   */
  moveContents(
    db: Db,
    from: string,
    to: string,
    contentIds: readonly string[],
    write: ContentMoveWriter,
  ): Promise<void>;
}

/** A content read but not opened (see ContentStore.fetch). */
export interface FetchedContent {
  readonly patientId: string;
  readonly contentId: string;
  readonly row: repo.ContentRow;
}

export interface ContentMoveWriter {
  key(row: repo.DataKeyRow & { readonly created_at: Date }): Promise<void>;
  content(contentId: string, row: repo.ContentRow): Promise<void>;
}

export interface SealedContent extends repo.ContentRow {
  readonly contentId: string;
}

export interface SealedContents {
  /** The key version the contents are sealed with. */
  readonly keyVersion: number;
  /** The record's first key, to be inserted by the write (the record had none). */
  readonly newKey?: repo.DataKeyRow & { readonly created_at: Date };
  /** In the order of the contents given. */
  readonly contents: readonly SealedContent[];
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
  /**
   * Its memory (src/caches.ts, rules there): unwrapped record keys, each record's current key, and sealed contents
   * (they stay encrypted in memory and are opened on each read, as one read from the database is).
   */
  readonly caches: Pick<Caches, 'recordKeys' | 'currentKeys' | 'sealedContents'>;
}

/**
 * Envelope encryption in PostgreSQL: one random AES-256 data key per record (`record_data_key`, wrapped by
 * the master key), contents sealed with it (`document_content`: nonce, tag, ciphertext; no clear byte).
 */
export class EncryptedContentStore implements ContentStore {
  readonly #options: EncryptedStoreOptions;
  // Caches are keyed by the ids themselves (strings V8 has hashed already), not by `${a}:${b}` keys built, flattened
  // and hashed on every read.
  /** Unwrapped keys, by patient id, then key version. */
  readonly #keys: Lru<string, Map<number, KeyObject>>;
  /** Sealed contents by content id, with the record they belong to (checked on every read). */
  readonly #sealed: SizedLru<string, { readonly patientId: string; readonly row: repo.ContentRow }>;
  /** Each record's current key as last read, by patient id (checked by every write that uses it). */
  readonly #current: Lru<string, { readonly version: number; readonly key: KeyObject }>;

  constructor(options: EncryptedStoreOptions) {
    this.#options = options;
    this.#keys = options.caches.recordKeys;
    this.#current = options.caches.currentKeys;
    this.#sealed = options.caches.sealedContents;
  }

  async seal(
    db: Db,
    patientId: string,
    contents: readonly Uint8Array[],
    ids: () => string = this.#options.ids,
  ): Promise<SealedContents> {
    let current = this.#current.get(patientId);
    let newKey: SealedContents['newKey'];
    if (!current) {
      const row = await repo.findCurrentDataKey(db, patientId);
      if (row) {
        current = { version: row.key_version, key: this.#unwrap(patientId, row) };
        this.#current.set(patientId, current);
      } else {
        // Not remembered: the write may not happen, or a concurrent deposit may create the first key instead.
        const master = this.#options.masterKey();
        const key = generateDataKey();
        newKey = {
          key_version: 1,
          master_key_id: masterKeyId(master),
          wrapped_key: wrapKey(master, key, keyAad(patientId, 1)),
          created_at: this.#options.now(),
        };
        current = { version: 1, key: importKey(key) };
      }
    }
    const { version, key } = current;
    return {
      keyVersion: version,
      ...(newKey ? { newKey } : {}),
      contents: contents.map((bytes) => {
        const contentId = ids();
        return {
          contentId,
          key_version: version,
          ...seal(key, bytes, contentAad(patientId, contentId, version)),
        };
      }),
    };
  }

  forgetCurrentKey(patientId: string): void {
    this.#current.delete(patientId);
  }

  async get(db: Db, patientId: string, contentId: string): Promise<Buffer | undefined> {
    const fetched = await this.fetch(db, patientId, contentId);
    return fetched ? this.open(db, fetched) : undefined;
  }

  remembers(patientId: string, contentId: string): boolean {
    return this.#sealed.get(contentId)?.patientId === patientId;
  }

  async fetch(db: Db, patientId: string, contentId: string): Promise<FetchedContent | undefined> {
    const known = this.#sealed.get(contentId);
    let row = known?.patientId === patientId ? known.row : undefined;
    if (!row) {
      row = await repo.findContent(db, patientId, contentId);
      if (!row) {
        return undefined;
      }
      this.#sealed.set(contentId, {
        patientId,
        row: { ...row, nonce: ownBytes(row.nonce), tag: ownBytes(row.tag) },
      });
    }
    return { patientId, contentId, row };
  }

  async open(db: Db, fetched: FetchedContent): Promise<Buffer> {
    const { patientId, contentId, row } = fetched;
    const key = await this.#keyVersion(db, patientId, row.key_version);
    return open(key, row, contentAad(patientId, contentId, row.key_version));
  }

  async moveContents(
    db: Db,
    from: string,
    to: string,
    contentIds: readonly string[],
    write: ContentMoveWriter,
  ): Promise<void> {
    if (contentIds.length === 0) {
      return;
    }
    const master = this.#options.masterKey();
    const current = await repo.findCurrentDataKey(db, to);
    let target: { readonly version: number; readonly key: KeyObject };
    if (current) {
      if (current.master_key_id !== masterKeyId(master)) {
        throw new Error(
          `record data key ${to}:${String(current.key_version)} was wrapped by another master key`,
        );
      }
      target = {
        version: current.key_version,
        key: importKey(unwrapKey(master, current.wrapped_key, keyAad(to, current.key_version))),
      };
    } else {
      const key = generateDataKey();
      await write.key({
        key_version: 1,
        master_key_id: masterKeyId(master),
        wrapped_key: wrapKey(master, key, keyAad(to, 1)),
        created_at: this.#options.now(),
      });
      target = { version: 1, key: importKey(key) };
    }
    for (const contentId of contentIds) {
      const bytes = await this.get(db, from, contentId);
      if (!bytes) {
        throw new Error(`content ${contentId} of record ${from} is missing`);
      }
      await write.content(contentId, {
        key_version: target.version,
        ...seal(target.key, bytes, contentAad(to, contentId, target.version)),
      });
    }
  }

  #unwrap(patientId: string, row: repo.DataKeyRow): KeyObject {
    const cached = this.#keys.get(patientId)?.get(row.key_version);
    if (cached) {
      return cached;
    }
    const master = this.#options.masterKey();
    if (row.master_key_id !== masterKeyId(master)) {
      throw new Error(
        `record data key ${patientId}:${String(row.key_version)} was wrapped by another master key (${row.master_key_id})`,
      );
    }
    const key = importKey(unwrapKey(master, row.wrapped_key, keyAad(patientId, row.key_version)));
    const versions = this.#keys.get(patientId) ?? new Map<number, KeyObject>();
    versions.set(row.key_version, key);
    this.#keys.set(patientId, versions);
    return key;
  }

  async #keyVersion(db: Db, patientId: string, version: number): Promise<KeyObject> {
    const cached = this.#keys.get(patientId)?.get(version);
    if (cached) {
      return cached;
    }
    const row = await repo.findDataKey(db, patientId, version);
    if (!row) {
      throw new Error(`record data key ${patientId}:${String(version)} is missing`);
    }
    return this.#unwrap(patientId, row);
  }
}
