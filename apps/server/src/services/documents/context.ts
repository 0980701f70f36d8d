import type { ContentStore } from '../../crypto/content-store.ts';
import { EncryptedContentStore } from '../../crypto/content-store.ts';
import { loadMasterKey } from '../../crypto/master-key.ts';
import type { ReferenceData } from '../../reference/value-sets.ts';
import { loadReferenceData } from '../../reference/value-sets.ts';
import type { Deps } from '../deps.ts';

/** What the document use cases need beyond the common dependencies. */
export interface DocumentDeps extends Deps {
  readonly contents: ContentStore;
  readonly reference: ReferenceData;
}

const shared = new WeakMap<Deps, DocumentDeps>();

/**
 * The document dependencies of an application: the encrypted content store (master key resolved on first
 * use: building the app reads no key file; its memory is `deps.caches`) and the terminology. One per `deps`
 * (memoized).
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
        caches: deps.caches,
      }),
    reference: loadReferenceData(),
  };
  if (contents === undefined) {
    shared.set(deps, made);
  }
  return made;
}
