import { describe, expect, it } from 'vitest';
import { Caches, createCaches } from './caches.ts';
import { loadConfig } from './config.ts';
import { Lru, SizedLru } from './crypto/lru.ts';
import { ServedEntryCache } from './services/documents/served-cache.ts';

const settings = { searchEntryBytes: 1 << 20, sealedContentBytes: 1 << 20 };

/** Puts one small value in every cache of `caches`, then reads it back: how many kept it. */
function kept(caches: Caches): { total: number; kept: number } {
  let total = 0;
  let found = 0;
  for (const [name, cache] of Object.entries(caches)) {
    if (cache instanceof Lru || cache instanceof SizedLru) {
      total++;
      // Values sized by the caches' own measures: an array (search facts) or a row with a ciphertext.
      const value =
        name === 'searchFacts'
          ? [{}]
          : { row: { ciphertext: Buffer.alloc(8) }, patientId: 'p', xml: Buffer.alloc(8) };
      (cache as Lru<string, unknown>).set('k', value);
      found += cache.get('k') === undefined ? 0 : 1;
    } else if (cache instanceof ServedEntryCache) {
      total++;
      cache.set('k', 1, Buffer.from('entry'));
      found += cache.get('k', 1) === undefined ? 0 : 1;
    }
  }
  return { total, kept: found };
}

describe('Caches', () => {
  it('owns every cache: each one keeps a value when on', () => {
    expect(kept(new Caches({ on: true, ...settings }))).toEqual({ total: 12, kept: 12 });
  });

  it('OPENDMP_CACHES=off: every cache holds nothing', () => {
    const off = createCaches(loadConfig({ OPENDMP_CACHES: 'off' }));
    expect(off.on).toBe(false);
    expect(kept(off)).toEqual({ total: 12, kept: 0 });
    expect(createCaches(loadConfig({})).on).toBe(true);
    expect(() => loadConfig({ OPENDMP_CACHES: 'no' })).toThrow(/OPENDMP_CACHES/);
  });
});
