/** Reading untyped JSON (parsed request bodies, stored resources) without casts at every step. */
export type Json = Record<string, unknown>;

/** `v` when it is a JSON object (not null, not an array). */
export function jsonObject(v: unknown): Json | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
}

/** `v` when it is an array, else an empty one. */
export function jsonArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** `v` when it is a non-empty string. */
export function nonEmptyString(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
