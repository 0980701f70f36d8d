import type { Actor } from '../domain/access/actor.ts';
import { DomainFailure, domainError } from '../domain/errors.ts';
import { searchProfessionals } from '../db/portal-directory.repository.ts';
import type { Deps } from './deps.ts';

/**
 * Directory search for the portals (choosing a médecin traitant, blocking a professional): the professional
 * directory is reference data (the public Annuaire Santé role), not patient data, so any signed-in person may
 * search it; nothing about a record is read or traced here.
 */
export interface DirectoryEntry {
  readonly idNatPs: string;
  readonly name: string;
  readonly profession: string;
  readonly specialty?: string;
  readonly structure?: { readonly id: string; readonly name: string };
}

export async function findProfessionals(
  deps: Deps,
  actor: Actor | undefined,
  text: string,
): Promise<DirectoryEntry[]> {
  if (!actor) {
    throw new DomainFailure(
      domainError('unauthenticated', 'AUTH_TOKEN_MISSING', 'A bearer token is required.'),
    );
  }
  const q = text.trim();
  if (q.length < 2 || q.length > 80) {
    throw new DomainFailure(
      domainError(
        'invalid',
        'PORTAL_SEARCH_TEXT',
        'Search with 2 to 80 characters of a name or an IdNat_PS.',
        ['q'],
      ),
    );
  }
  const rows = await searchProfessionals(deps.sql, q, 20);
  return rows.map((r) => ({
    idNatPs: r.id_nat_ps,
    name: `${r.given_name} ${r.family_name}`,
    profession: r.profession,
    ...(r.specialty !== null ? { specialty: r.specialty } : {}),
    ...(r.structure_id !== null && r.structure_name !== null
      ? { structure: { id: r.structure_id, name: r.structure_name } }
      : {}),
  }));
}
