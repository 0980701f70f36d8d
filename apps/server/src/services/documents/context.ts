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

/**
 * The document dependencies of an application: the encrypted content store (master key resolved on first
 * use: building the app reads no key file) and the terminology.
 */
export function documentDeps(deps: Deps, contents?: ContentStore): DocumentDeps {
  return {
    ...deps,
    contents:
      contents ??
      new EncryptedContentStore({
        masterKey: () => loadMasterKey(deps.config),
        ids: deps.ids,
        now: () => deps.clock.now(),
      }),
    reference: loadReferenceData(),
  };
}
