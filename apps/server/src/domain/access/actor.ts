/**
 * Who is calling, as established from a verified token (http/auth). Pure data; no I/O.
 * Kinds follow product.md §1: professional (PS), patient (titulaire), legal representative, operator.
 */
export type AccessMode = 'normal' | 'bris_de_glace' | 'centre_15';

export interface ProfessionalActor {
  readonly kind: 'professional';
  /** IdNat_PS, e.g. 8 + RPPS (12 chars) or 0 + ADELI. */
  readonly idNatPs: string;
  /** TRE_G15 profession code, e.g. "10" médecin, "21" pharmacien. */
  readonly profession: string;
  /**
   * Terminology of `profession` when it is not TRE_G15 (absent = TRE_G15): `TRE_R94` social professions
   * (OID 1.2.250.1.213.1.6.1.4), `TRE_R95` professional titles such as psychologue (…1.6.1.109), `TRE_G16`
   * students (1.2.250.1.71.1.2.8). The access matrix keys its rows by (system, code).
   */
  readonly professionSystem?: string;
  /** TRE_R01/R38 specialty code (SMxx) for médecins, when known. */
  readonly specialty?: string;
  /** IdNat_Struct of the structure the professional acts from. */
  readonly structure?: string;
  /** TRE_R02 activity sector (SAxx). */
  readonly sector?: string;
  readonly mode: AccessMode;
  /**
   * The identity provider vouches that the caller works as a SAMU medical regulator (centre 15): Pro Santé
   * Connect's `Acces_Regulation_Medicale` = "VRAI", or `"regulator": true` in a development token.
   * `centre_15` mode is granted only to a médecin (profession 10) with this flag.
   */
  readonly regulator?: boolean;
  /** Written justification; required for bris_de_glace. */
  readonly reason?: string;
  /**
   * INS of the one record an emergency mode (and its justification) applies to (issue 17 rule 6): required with
   * `bris_de_glace` and `centre_15` (token claim `ins`); on any other record such an actor is refused.
   */
  readonly emergencyIns?: string;
  /**
   * Connexion secrète (CSP L1111-5, issue 17 rule 2): the professional cares for a minor who asked that their
   * legal representatives not know (the DMP's CONNEXION_SECRETE; VIHF confidentiality attribute; `"secret": true`
   * in an opendmp token). Their deposits on a minor's record carry INVISIBLE_REPRESENTANTS_LEGAUX by
   * construction, and their traces are left out of the representatives' view of the history.
   */
  readonly secret?: boolean;
  /** Display name when the identity provider gives one. */
  readonly name?: string;
  /**
   * How strongly the identity provider authenticated the professional (issue 17 rule 12): the token's `acr`
   * (e.g. Pro Santé Connect `eidas2`, `eidas3`), else its `amr` values joined by `+`; absent when the token says
   * neither. Recorded in every trace of the professional (detail `authStrength`).
   */
  readonly authStrength?: string;
  /**
   * The interface and software the call came through, when it is not the FHIR API (issue 19): `soap` for the DMP's
   * SOAP services with a VIHF, with the VIHF's LPS_ID and LPS_ID_HOMOLOGATION_DMP. Recorded in every trace.
   */
  readonly client?: {
    readonly channel: 'soap';
    readonly software?: string;
    readonly homologation?: string;
  };
}

/** What a structure's software may do on the DMP ("profil" of the LPS, issue 17 rule 12). */
export type SoftwareProfile = 'deposit' | 'consultation';

/**
 * A structure's own system (a hospital's feeding software, "authentification indirecte" with the structure's
 * certificate; issue 17 rule 12): it deposits the documents its professionals authored and manages (replaces,
 * archives, deletes, masks) its structure's documents. It consults nothing itself: with the `consultation`
 * profile, consultation goes through the professional's own token; with `deposit` ("alimentation") it is
 * refused outright.
 */
export interface SoftwareActor {
  readonly kind: 'software';
  /** The software's identifier at its identity provider (its LPS_ID, or its client id). */
  readonly id: string;
  /** IdNat_Struct of the structure it belongs to. */
  readonly structure: string;
  readonly profile: SoftwareProfile;
  readonly name?: string;
  /** The SOAP channel when the software called with a VIHF (issue 19; see ProfessionalActor.client). */
  readonly client?: ProfessionalActor['client'];
}

export interface PatientActor {
  readonly kind: 'patient';
  /** The holder's INS (NIR or NIA, 15 chars). */
  readonly ins: string;
  readonly name?: string;
}

export interface RepresentativeActor {
  readonly kind: 'representative';
  /** INS of the represented person (a minor). */
  readonly ins: string;
  /**
   * The representative's own identifier, as their identity provider vouches for it (their own INS, or their
   * subject at the patients' provider): token claim `id`. Representation is a fact of the record (issue 17 rule
   * 1): the policy grants something only when a live registration on the record names this identifier.
   */
  readonly id?: string;
  readonly name?: string;
}

export interface OperatorActor {
  readonly kind: 'operator';
  readonly id: string;
  readonly name?: string;
}

export type Actor =
  ProfessionalActor | PatientActor | RepresentativeActor | OperatorActor | SoftwareActor;

/** A stable short identifier of the actor for traces (never health data). */
export function actorId(actor: Actor): string {
  switch (actor.kind) {
    case 'professional':
      return actor.idNatPs;
    case 'patient':
    case 'representative':
      return actor.ins;
    case 'operator':
      return actor.id;
    case 'software':
      return `${actor.structure}/${actor.id}`;
  }
}
