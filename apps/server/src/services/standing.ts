import type { Actor, ProfessionalActor } from '../domain/access/actor.ts';
import { describeProfessionalStanding } from '../domain/access/audience.ts';
import { decideAccess } from '../domain/access/policy.ts';
import type { CallerStanding } from '../domain/records/standing.ts';
import type { RecordRow } from '../db/records.repository.ts';
import { loadAccessContext } from './access-facts.ts';
import { auditDenial, trace } from './audit.ts';
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

/**
 * Issue 17 rule 8 (identity vigilance): whether the TD0.2 answer carries the record's identity traits (birth name,
 * used name, first names, sex, birth date) to this caller, as decideAccess decides record.identity: the holder side
 * and the operator always; a professional with consultation grounds on the record; a structure's software never.
 * For professionals and software the decision is traced: record.identity, success (with its ground) or denied with
 * its stable reason (the answer then says existence and standing only).
 */
export async function identityDisclosed(
  deps: Deps,
  actor: Actor,
  row: RecordRow,
): Promise<boolean> {
  if (actor.kind !== 'professional' && actor.kind !== 'software') {
    return true;
  }
  const { context } = await loadAccessContext(deps.sql, deps, actor, row);
  const decision = decideAccess({ ...context, action: 'record.identity' });
  const target = { entityType: 'Patient', entityId: row.patient_id };
  if (decision.allow) {
    await trace(deps, actor, row.patient_id, {
      action: 'record.identity',
      outcome: 'success',
      ...target,
      ...(decision.via ? { detail: { via: decision.via } } : {}),
    });
    return true;
  }
  await auditDenial(deps, actor, row.patient_id, {
    action: 'record.identity',
    reasonCode: decision.reason,
    ...target,
  });
  return false;
}
