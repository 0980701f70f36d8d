/**
 * Every in-memory cache of the service, owned by one object per application and handed to the code that uses it
 * through the dependencies (`Deps.caches`; issue 18 point 6, docs/adr/0022-caches-owned-by-one-object.md). Each is
 * bounded, and each states beside it why what it returns is never wrong — its invalidation rule. With
 * `OPENDMP_CACHES=off` (config `caches: false`) every one of them holds nothing: each read goes to the database,
 * and the results are the same (CI runs the integration suite that way too, .ci/run).
 *
 * Bytes a cache keeps own their ArrayBuffer (own-bytes.ts, ADR 0036): a small Buffer is a view of a shared 64 KB slab
 * that a remembered view would keep whole, beyond the bytes the cache counts.
 *
 * Kept per process, never shared between instances: an instance learns nothing from another's writes, which is why
 * none of these is trusted on its own where a stale value could change an answer (the rules below).
 *
 * Not caches (nothing here goes stale): the reference data, the access matrix, the schemas and the master key, each
 * loaded once from files; the VIHF public keys parsed from certificates (xds/vihf.ts, a pure function of the PEM); the portal sessions, the quota buckets, the VIHF single-use keys (state, not copies).
 * The identity providers' discovery documents and JWKS are kept by the OIDC login and `jose` with their own TTL.
 */
import type { KeyObject } from 'node:crypto';
import type { Config } from './config.ts';
import { Lru, SizedLru } from './crypto/lru.ts';
import type { ContentRow } from './db/document-content.repository.ts';
import type { ContentFactsRow, DocumentFactsRow, StoredStatus } from './db/documents.repository.ts';
import type { RecordWithConsents } from './db/records.repository.ts';
import type { Actor } from './domain/access/actor.ts';
import type { RegisteredCertificate } from './xds/vihf.ts';
import { ServedEntryCache } from './services/documents/served-cache.ts';

/** Record facts remembered (row, active consents, access tag). */
const RECORDS = 10_000;
/** INS → patient id pairs remembered. */
const PATIENT_IDS = 50_000;
/** Resource locators remembered. */
const LOCATORS = 50_000;
/** Document facts remembered for searches, in all (a few hundred bytes each: ~20 MB at most). */
const SEARCH_FACTS = 50_000;
/** Contents whose document facts retrievals remember (a few hundred bytes each). */
const CONTENT_FACTS = 20_000;
/** Records whose unwrapped keys (and current key) are remembered. */
const RECORD_KEYS = 10_000;
/** Verified tokens remembered (each a few hundred bytes plus its actor). */
export const VERIFIED_TOKENS = 5_000;
/** Structures whose registered VIHF certificates are remembered. */
const VIHF_STRUCTURES = 10_000;

export interface CacheSettings {
  /** false: every cache holds nothing (OPENDMP_CACHES=off). */
  readonly on: boolean;
  /** Search entries, in bytes (OPENDMP_SEARCH_CACHE_MB). */
  readonly searchEntryBytes: number;
  /** Sealed contents, in bytes (OPENDMP_CONTENT_CACHE_MB). */
  readonly sealedContentBytes: number;
}

export function cacheSettings(
  config: Pick<Config, 'caches' | 'searchCacheBytes' | 'contentCacheBytes'>,
): CacheSettings {
  return {
    on: config.caches,
    searchEntryBytes: config.searchCacheBytes,
    sealedContentBytes: config.contentCacheBytes,
  };
}

export class Caches {
  readonly on: boolean;

  /**
   * Record facts — the record row, its active consents and its access tag — by patient id
   * (db/records.repository.ts `findRecordWithConsents` with a source). Rule: never trusted alone; a read decided on
   * them is answered only once its trace, written on the condition that the record's tag is still the one
   * remembered, succeeds; else the read runs again on fresh facts (services/confirmed-read.ts, ADR 0009). A fresh
   * read replaces the entry; a record found missing removes it.
   */
  readonly recordFacts: Lru<string, RecordWithConsents>;

  /**
   * INS → patient id (db/records.repository.ts). Rule: the pair never changes while the record exists; a remembered
   * id is used only when the row it names still carries that INS (or as its former INS) and is not absorbed by a
   * merge, else it is forgotten and looked up again.
   */
  readonly patientIds: Lru<string, string>;

  /**
   * `kind/id` → the patient id of the record holding that resource (db/documents.repository.ts `locate`). Rule: ids
   * are never reused, so a locator changes only when a merge moves the resource to the survivor: a remembered
   * locator that finds nothing is looked up again (`relocate`); a purged record's rows are gone, so a stale locator
   * answers the 404 the database would. Only found locators are kept.
   */
  readonly locators: Lru<string, string>;

  /**
   * The access facts of a record's documents matching a search filter, by record, documents revision and filter
   * (services/documents/search.ts). Rule: every change to a record's documents moves its documents revision, and the
   * facts are read after the record, so what is remembered under a revision is never older than it. The policy facts
   * made from each row are kept on the row object (search.ts `rowFacts`, a WeakMap): they live exactly as long as it.
   */
  readonly searchFacts: SizedLru<string, readonly DocumentFactsRow[]>;

  /**
   * A content's document facts, by content id, with the documents revision they were read under
   * (services/documents/read.ts). Rule: used only while the record's current documents revision is that one.
   */
  readonly contentFacts: Lru<string, { readonly revision: string; readonly row: ContentFactsRow }>;

  /**
   * Search-set entries by document id and version (services/documents/served-cache.ts). Rule: an entry is a pure
   * function of the document's version and of the public URL; a new version is a new entry, and only entries built
   * with the configured public URL are kept.
   */
  readonly servedEntries: ServedEntryCache;

  /**
   * ITI-18 ExtrinsicObjects as UTF-8, by document id, with the version, status and archive flag they encode
   * (http/xds/ebrim-entries.ts). Rule: a pure function of the document's metadata version; used only when all three
   * match the row the query read (every change makes a new version). Bounded like the search entries.
   */
  readonly ebrimEntries: SizedLru<
    string,
    {
      readonly version: number;
      readonly status: StoredStatus;
      readonly archived: boolean;
      readonly xml: Buffer;
    }
  >;

  /**
   * Sealed (still encrypted) contents by content id, with their record (crypto/content-store.ts). Rule: a content
   * never changes once written; the record it belongs to is checked on every read, and each read still decides
   * access first and opens it with the record's key.
   */
  readonly sealedContents: SizedLru<
    string,
    { readonly patientId: string; readonly row: ContentRow }
  >;

  /**
   * Unwrapped record keys, by patient id then key version (crypto/content-store.ts). Rule: a key version never
   * changes; a rotation or a merge writes a new version under a new number.
   */
  readonly recordKeys: Lru<string, Map<number, KeyObject>>;

  /**
   * Each record's current key as last read, by patient id (crypto/content-store.ts). Rule: every write sealed with
   * it checks in its statement that it is still the current one; one that is not is forgotten and the write redone.
   */
  readonly currentKeys: Lru<string, { readonly version: number; readonly key: KeyObject }>;

  /**
   * Tokens whose signature was verified, with their actor (http/auth/verifier.ts). Rule: a token never changes;
   * a hit is honoured only inside the token's own exp/nbf window.
   */
  readonly verifiedTokens: Lru<string, { actor: Actor; exp: number; nbf: number | undefined }>;

  /**
   * The VIHF certificates registered for a structure, by structure (xds/vihf-store.ts `cachedCertificateLookup`).
   * Rule: never trusted alone; a VIHF verified against a remembered certificate is accepted only once its single-use
   * key is written by a statement that finds that certificate still registered and not revoked
   * (vihf-store.ts `useAssertion`); else the structure is forgotten and the VIHF verified again on fresh rows. Any
   * refusal decided on remembered rows is decided again on fresh ones (a certificate registered meanwhile).
   */
  readonly vihfCertificates: Lru<string, readonly RegisteredCertificate[]>;

  constructor(settings: CacheSettings) {
    const on = settings.on;
    const n = (size: number): number => (on ? size : 0);
    this.on = on;
    this.recordFacts = new Lru(n(RECORDS));
    this.patientIds = new Lru(n(PATIENT_IDS));
    this.locators = new Lru(n(LOCATORS));
    this.searchFacts = new SizedLru(n(SEARCH_FACTS), (facts) => facts.length);
    this.contentFacts = new Lru(n(CONTENT_FACTS));
    this.servedEntries = new ServedEntryCache(n(settings.searchEntryBytes));
    this.ebrimEntries = new SizedLru(n(settings.searchEntryBytes), (k) => k.xml.byteLength + 64);
    this.sealedContents = new SizedLru(
      n(settings.sealedContentBytes),
      (known) => known.row.ciphertext.byteLength + 64,
    );
    this.recordKeys = new Lru(n(RECORD_KEYS));
    this.currentKeys = new Lru(n(RECORD_KEYS));
    this.verifiedTokens = new Lru(n(VERIFIED_TOKENS));
    this.vihfCertificates = new Lru(n(VIHF_STRUCTURES));
  }
}

/** The caches of an application, as its configuration says. */
export function createCaches(
  config: Pick<Config, 'caches' | 'searchCacheBytes' | 'contentCacheBytes'>,
): Caches {
  return new Caches(cacheSettings(config));
}
