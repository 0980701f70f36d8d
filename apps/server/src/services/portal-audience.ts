import type { Actor } from '../domain/access/actor.ts';
import {
  explainDocumentAudience,
  type AudienceProfessional,
  type DocumentAudience,
  type ProfessionRef,
} from '../domain/access/audience.ts';
import { deny, type DenyReason } from '../domain/access/decision.ts';
import { resolveStanding } from '../domain/access/facts.ts';
import { decideAccess } from '../domain/access/policy.ts';
import { findProfessionalStructures } from '../db/portal-directory.repository.ts';
import { grantsOf, loadAccessContext } from './access-facts.ts';
import { audit } from './audit.ts';
import { lookupDirectory } from './directory.ts';
import { documentFacts, refuse } from './documents/access.ts';
import type { DocumentDeps } from './documents/context.ts';
import { locateDocument } from './documents/read.ts';

/**
 * "Who can see this document" for the patient portal (GET /portal-api/documents/:id/audience).
 *
 * Rules:
 *  A1. Only the holder or a legal representative asks, and only about a document the policy lets them read
 *      (document.read): anyone else — professionals included — gets the same answer as for a missing
 *      document. Granted and denied requests are traced (`document.audience`).
 *  A2. The answer is computed by explainDocumentAudience, i.e. by calling decideAccess itself for each
 *      professional known to the record (authorized professionals, the médecin traitant, the authors, blocked
 *      professionals), for each care team holding an authorization, for each profession of the access matrix
 *      (as if authorized) and for the two emergency modes — so what the patient is shown is what is enforced.
 *  A3. Names and professions come from the directory; a professional unknown to it is listed by IdNat_PS only,
 *      with no decision (the policy needs their profession).
 */
export type AudienceRole = 'authorized' | 'medecin-traitant' | 'author' | 'blocked';

export interface AudienceProfessionalView {
  readonly idNatPs: string;
  readonly name?: string;
  readonly profession?: string;
  readonly specialty?: string;
  readonly roles: readonly AudienceRole[];
  /** undefined when the professional is unknown to the directory (A3). */
  readonly canRead?: boolean;
  readonly reason?: DenyReason;
}

export interface AudienceView {
  readonly documentId: string;
  readonly patient: boolean;
  readonly representatives: boolean;
  readonly professionals: readonly AudienceProfessionalView[];
  readonly careTeams: readonly {
    readonly structure: string;
    readonly name?: string;
    readonly professions: readonly ProfessionRef[];
  }[];
  readonly professions: DocumentAudience['professions'];
  readonly emergency: DocumentAudience['emergency'];
}

export async function documentAudience(
  deps: DocumentDeps,
  actor: Actor,
  documentId: string,
): Promise<AudienceView> {
  const loaded = await locateDocument(deps, actor, documentId);
  const facts = documentFacts(loaded.row);
  const patientId = loaded.record.patient_id;
  const decision =
    actor.kind === 'patient' || actor.kind === 'representative'
      ? decideAccess({ ...loaded.context, action: 'document.read', document: facts })
      : deny('ACCESS_NOT_HOLDER');
  if (!decision.allow) {
    await refuse(deps, actor, patientId, 'document.audience', decision, {
      addressedById: true,
      entityType: 'DocumentReference',
      entityId: loaded.row.id,
    });
  }

  const access = await loadAccessContext(deps.sql, deps, actor, loaded.record);
  const context = access.context;
  // Issue 17 rule 2: an authorization declared in connexion secrète is not shown to the representatives.
  const grants =
    actor.kind === 'representative'
      ? grantsOf(access.consents.filter((c) => c.secret !== true))
      : access.grants;
  const record = context.record;
  if (!record) {
    throw new Error('record facts missing for an existing record');
  }
  const roles = new Map<string, Set<AudienceRole>>();
  const addRole = (id: string, role: AudienceRole): void => {
    roles.set(id, (roles.get(id) ?? new Set()).add(role));
  };
  for (const g of grants) {
    if (g.kind === 'professional') {
      addRole(g.idNatPs, 'authorized');
    }
  }
  if (record.medecinTraitantIdNatPs !== undefined) {
    addRole(record.medecinTraitantIdNatPs, 'medecin-traitant');
  }
  for (const id of facts.authorIdNatPs) {
    addRole(id, 'author');
  }
  for (const id of record.blockedIdNatPs) {
    addRole(id, 'blocked');
  }
  const ids = [...roles.keys()];
  const teams = grants.filter((g) => g.kind === 'care-team');
  const [directory, structuresOf] = await Promise.all([
    lookupDirectory(
      deps,
      ids,
      teams.map((t) => t.structure),
    ),
    findProfessionalStructures(deps.sql, ids),
  ]);

  const known: AudienceProfessional[] = [];
  for (const id of ids) {
    const p = directory.professionals.get(id);
    if (!p) {
      continue;
    }
    const structure = structuresOf.get(id)?.[0];
    known.push({
      idNatPs: id,
      profession: p.profession,
      ...(p.specialty !== null ? { specialty: p.specialty } : {}),
      ...(structure !== undefined ? { structure } : {}),
      name: `${p.given_name} ${p.family_name}`,
      standing: resolveStanding(
        { idNatPs: id, ...(structure !== undefined ? { structure } : {}) },
        grants,
        context.now,
      ),
    });
  }
  const audience = explainDocumentAudience({
    ins: loaded.record.ins,
    record,
    document: facts,
    matrix: context.matrix,
    now: context.now,
    professionals: known,
    careTeams: teams.map((t) => ({ structure: t.structure, patientObjected: t.patientObjected })),
  });
  const decisions = new Map(audience.professionals.map((p) => [p.idNatPs, p.decision]));

  await deps.sql.begin(async (tx) => {
    await audit(tx, deps, actor, patientId, {
      action: 'document.audience',
      outcome: 'success',
      entityType: 'DocumentReference',
      entityId: loaded.row.id,
    });
  });

  return {
    documentId: loaded.row.id,
    patient: audience.patient,
    representatives: audience.representatives,
    professionals: ids.map((id): AudienceProfessionalView => {
      const p = directory.professionals.get(id);
      const d = decisions.get(id);
      return {
        idNatPs: id,
        ...(p ? { name: `${p.given_name} ${p.family_name}`, profession: p.profession } : {}),
        ...(p?.specialty ? { specialty: p.specialty } : {}),
        roles: [...(roles.get(id) ?? [])],
        ...(d ? { canRead: d.allow } : {}),
        ...(d && !d.allow ? { reason: d.reason } : {}),
      };
    }),
    careTeams: audience.careTeams.map((t) => {
      const name = directory.structures.get(t.structure)?.name;
      return {
        structure: t.structure,
        ...(name !== undefined ? { name } : {}),
        professions: t.professions,
      };
    }),
    professions: audience.professions,
    emergency: audience.emergency,
  };
}
