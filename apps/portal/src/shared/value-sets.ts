/**
 * The server's reference value sets (GET /portal-api/value-sets/:id), fetched once per page load.
 */
import { useEffect, useState } from 'react';
import { getJson } from './api.ts';

export interface Concept {
  readonly system: string;
  readonly code: string;
  readonly display: string;
  /** Document types only: the class code the DMP associates with the type (ASS_X16). */
  readonly class?: string;
}

export interface ValueSetView {
  readonly id: string;
  readonly name: string;
  readonly concepts: readonly Concept[];
}

const cache = new Map<string, Promise<ValueSetView>>();

export function loadValueSet(id: string): Promise<ValueSetView> {
  let p = cache.get(id);
  if (!p) {
    p = getJson<ValueSetView>(`/portal-api/value-sets/${encodeURIComponent(id)}`);
    p.catch(() => cache.delete(id));
    cache.set(id, p);
  }
  return p;
}

/** The value set's concepts (empty while loading or when unavailable). */
export function useValueSet(id: string): readonly Concept[] {
  const [concepts, setConcepts] = useState<readonly Concept[]>([]);
  useEffect(() => {
    let live = true;
    loadValueSet(id).then(
      (vs) => {
        if (live) {
          setConcepts(vs.concepts);
        }
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [id]);
  return concepts;
}

export function labelOf(
  concepts: readonly Concept[],
  code: string | undefined,
): string | undefined {
  if (code === undefined) {
    return undefined;
  }
  return concepts.find((c) => c.code === code)?.display;
}
