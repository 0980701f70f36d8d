import type { ProfessionalActor } from '../domain/access/actor.ts';
import { describeProfessionalStanding } from '../domain/access/audience.ts';
import type { CallerStanding } from '../domain/records/standing.ts';
import type { RecordRow } from '../db/records.repository.ts';
import { loadAccessContext } from './access-facts.ts';
import type { Deps } from './deps.ts';

/** The professional's own standing on a record (TD0.2), computed by the access policy itself. */
export async function callerStanding(
  deps: Deps,
  actor: ProfessionalActor,
  row: RecordRow,
): Promise<CallerStanding> {
  const { context } = await loadAccessContext(deps.sql, deps, actor, row);
  const summary = describeProfessionalStanding({ ...context, actor });
  return {
    authorized: summary.authorized,
    authorizedVia: summary.via ?? null,
    blocked: summary.blocked,
    medecinTraitant: summary.medecinTraitant,
    brisDeGlaceOpen: summary.emergency.bris_de_glace,
    centre15Open: summary.emergency.centre_15,
  };
}
