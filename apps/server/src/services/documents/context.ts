import type { ContentStore } from '../../crypto/content-store.ts';
import { EncryptedContentStore } from '../../crypto/content-store.ts';
import { loadMasterKey } from '../../crypto/master-key.ts';
import type { ReferenceData } from '../../reference/value-sets.ts';
import { loadReferenceData } from '../../reference/value-sets.ts';
import { Lru } from '../../crypto/lru.ts';
import type { ContentFactsRow, DocumentFactsRow } from '../../db/documents.repository.ts';
import type { Deps } from '../deps.ts';
import { ServedEntryCache, SizedLru } from './served-cache.ts';

/** What the document use cases need beyond the common dependencies. */
export interface DocumentDeps extends Deps {
  readonly contents: ContentStore;
  readonly reference: ReferenceData;
  /** Search entries by document version (OPENDMP_SEARCH_CACHE_MB). */
  readonly servedEntries: ServedEntryCache;
  /** Access facts a search read, by record, documents revision and filter (services/documents/search.ts). */
  readonly searchFacts: SizedLru<string, readonly DocumentFactsRow[]>;
  /** A content's document facts as a retrieval read them, by content id, with the documents revision (read.ts). */
  readonly contentFacts: Lru<string, { readonly revision: string; readonly row: ContentFactsRow }>;
}

const shared = new WeakMap<Deps, DocumentDeps>();

/** Document facts remembered for searches, in all (a few hundred bytes each: ~20 MB at most). */
const SEARCH_FACTS_REMEMBERED = 50_000;
/** Contents whose document facts retrievals remember (a few hundred bytes each). */
const CONTENT_FACTS_REMEMBERED = 20_000;

/**
 * The document dependencies of an application: the encrypted content store (master key resolved on first
 * use: building the app reads no key file) and the terminology. One per `deps` (memoized), so that every
 * caller shares the cache of unwrapped record keys.
 */
export function documentDeps(deps: Deps, contents?: ContentStore): DocumentDeps {
  if (contents === undefined) {
    const known = shared.get(deps);
    if (known) {
      return known;
    }
  }
  const made: DocumentDeps = {
    ...deps,
    contents:
      contents ??
      new EncryptedContentStore({
        masterKey: () => loadMasterKey(deps.config),
        ids: deps.ids,
        now: () => deps.clock.now(),
        sealedCacheBytes: deps.config.contentCacheBytes,
      }),
    reference: loadReferenceData(),
    servedEntries: new ServedEntryCache(deps.config.searchCacheBytes),
    searchFacts: new SizedLru(SEARCH_FACTS_REMEMBERED, (facts) => facts.length),
    contentFacts: new Lru(CONTENT_FACTS_REMEMBERED),
  };
  if (contents === undefined) {
    shared.set(deps, made);
  }
  return made;
}
