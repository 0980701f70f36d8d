import { describe, expect, it } from 'vitest';
import { SYSTEM_STRIPES, stripeOfScope, systemScope, systemStripeOf } from './system-stripe.ts';

describe('system chain stripes', () => {
  it.each(['899700366240', 'opendmp', '158037505610143'])(
    'an actor (%s) always lands on the same stripe, one of 32',
    (actor) => {
      const stripe = systemStripeOf(actor);
      expect(systemStripeOf(actor)).toBe(stripe);
      expect(stripe).toBeGreaterThanOrEqual(0);
      expect(stripe).toBeLessThan(SYSTEM_STRIPES);
    },
  );

  it('is FNV-1a (32 bits) of the UTF-8 bytes modulo 32 (stable across releases)', () => {
    // FNV-1a 32 reference values: "" = 0x811c9dc5, "a" = 0xe40c292c, "foobar" = 0xbf9cf968
    expect(systemStripeOf('')).toBe(0x811c9dc5 % 32);
    expect(systemStripeOf('a')).toBe(0xe40c292c % 32);
    expect(systemStripeOf('foobar')).toBe(0xbf9cf968 % 32);
    expect(systemStripeOf('é')).not.toBe(systemStripeOf('e'));
  });

  it('spreads many actors over every stripe', () => {
    const seen = new Map<number, number>();
    for (let i = 0; i < 3200; i++) {
      const s = systemStripeOf(`8${String(99700000000 + i)}`);
      seen.set(s, (seen.get(s) ?? 0) + 1);
    }
    expect(seen.size).toBe(SYSTEM_STRIPES);
    expect(Math.max(...seen.values())).toBeLessThan(200); // 100 expected per stripe
  });

  it.each([
    [0, 'system'],
    [1, 'system/1'],
    [31, 'system/31'],
  ])('stripe %i is hashed with scope %s, and the scope names it back', (stripe, scope) => {
    expect(systemScope(stripe)).toBe(scope);
    expect(stripeOfScope(scope)).toBe(stripe);
  });

  it.each(['system/0', 'system/32', 'system/', 'systemx', '0b9f4c3e-6f1a-4c55-9d3c-1e0f7a1b2c3d'])(
    'scope %s names no stripe',
    (scope) => {
      expect(stripeOfScope(scope)).toBeNull();
    },
  );
});
