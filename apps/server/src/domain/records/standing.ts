/** A professional's standing on a record, as TD0.2 reports it (product.md §3). */
export interface CallerStanding {
  readonly authorized: boolean;
  readonly authorizedVia: string | null;
  readonly blocked: boolean;
  readonly medecinTraitant: boolean;
  readonly brisDeGlaceOpen: boolean;
  readonly centre15Open: boolean;
}
