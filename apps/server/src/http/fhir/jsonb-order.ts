/**
 * JSON the service does not model (what a FHIR client sent beside the neutral truth: carried extensions, references,
 * contained resources), with its members in one order whatever order it was read in — PostgreSQL's jsonb order:
 * shorter names first, then bytewise — so that an entry or a List encodes to the same bytes at deposit and when
 * rebuilt from the stored truth.
 */
export function jsonbOrdered(v: unknown): unknown {
  if (Array.isArray(v)) {
    return v.map(jsonbOrdered);
  }
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort((a, b) =>
      a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0,
    )) {
      out[k] = jsonbOrdered((v as Record<string, unknown>)[k]);
    }
    return out;
  }
  return v;
}
