/**
 * What a consent asks, in the registry's own terms (every interface reads its request into it; FHIR: a Consent,
 * http/fhir/consent-reading.ts): an authorization of a professional or a structure, a professional blocked, an
 * objection to the care team's access or to an emergency mode.
 */
export type ConsentIntent =
  | {
      readonly kind: 'authorization';
      readonly actorKind: 'professional' | 'structure';
      readonly actorId: string;
    }
  | { readonly kind: 'block'; readonly idNatPs: string }
  | { readonly kind: 'care-team-objection'; readonly structure: string }
  | { readonly kind: 'emergency-objection'; readonly mode: 'bris_de_glace' | 'centre_15' };
