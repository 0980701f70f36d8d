/**
 * The system chain is striped (issue 20, finding 8; docs/adr/0026-system-chain-stripes.md): events attached to no
 * record are appended to one of `SYSTEM_STRIPES` independent chains, chosen by the actor id, so that logins and traces
 * of look-ups that found no record do not all wait for one head row (on Citus, one row replicated to every node).
 * One actor's system events stay in one chain, in order. The count is part of the stored format: the migration
 * that created the stripes (0072) wrote one head per stripe, and an actor's stripe must not move.
 *
 * Stripe 0 continues the single system chain written before migration 0072 (its links were hashed with the scope
 * `system`); stripe k > 0 hashes its links with the scope `system/k`, so that a link moved to another stripe fails.
 */
export const SYSTEM_STRIPES = 32;

const encoder = new TextEncoder();

/**
 * The stripe of an actor's system events: FNV-1a (32 bits) of the actor id's UTF-8 bytes, modulo SYSTEM_STRIPES.
 * Not a security boundary (anyone may pick an id on a given stripe; it only spreads the load), but stable. Pure.
 */
export function systemStripeOf(actorId: string): number {
  let h = 0x811c9dc5;
  for (const byte of encoder.encode(actorId)) {
    h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  }
  return h % SYSTEM_STRIPES;
}

/** The scope a stripe's links are hashed with (the first element of the canonical payload). Pure. */
export function systemScope(stripe: number): string {
  return stripe === 0 ? 'system' : `system/${stripe}`;
}

/** The stripe named by a chain scope, or null for a record's chain (its scope is the patient id). Pure. */
export function stripeOfScope(scope: string): number | null {
  if (scope === 'system') {
    return 0;
  }
  const m = /^system\/(\d{1,2})$/.exec(scope);
  if (!m) {
    return null;
  }
  const n = Number(m[1]);
  return n > 0 && n < SYSTEM_STRIPES ? n : null;
}
