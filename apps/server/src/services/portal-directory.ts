import type { Actor } from '../domain/access/actor.ts';
import { DomainFailure, domainError } from '../domain/errors.ts';
import type { DirectoryEntryRow } from '../db/portal-directory.repository.ts';
import { findDirectoryEntries, searchProfessionals } from '../db/portal-directory.repository.ts';
import type { Deps } from './deps.ts';

/**
 * Directory search for the portals (choosing a médecin traitant, blocking a professional): the professional
 * directory is reference data (the public Annuaire Santé role), not patient data, so any signed-in person may
 * search it; nothing about a record is read or traced here.
 */
export interface DirectoryEntry {
  readonly idNatPs: string;
  readonly name: string;
  /** The directory's civilité, when it gives one (issue 21 point 8: the portals agree their words with it). */
  readonly sex?: 'male' | 'female';
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
  return rows.map(entryOf);
}

/** At most this many IdNat_PS in one lookup. */
export const MAX_LOOKUP_IDS = 50;

/**
 * The entries of the professionals a portal page names (the authorized, the blocked, the médecin traitant), looked up
 * by IdNat_PS in one request; an id the directory does not know is simply absent.
 */
export async function lookupProfessionals(
  deps: Deps,
  actor: Actor | undefined,
  ids: readonly string[],
): Promise<DirectoryEntry[]> {
  if (!actor) {
    throw new DomainFailure(
      domainError('unauthenticated', 'AUTH_TOKEN_MISSING', 'A bearer token is required.'),
    );
  }
  if (ids.length > MAX_LOOKUP_IDS || ids.some((id) => !/^[0-9A-Za-z]{1,32}$/.test(id))) {
    throw new DomainFailure(
      domainError(
        'invalid',
        'HTTP_PARAMETER_INVALID',
        `id must be an IdNat_PS, repeated at most ${MAX_LOOKUP_IDS} times.`,
        ['id'],
      ),
    );
  }
  return (await findDirectoryEntries(deps.sql, [...new Set(ids)])).map(entryOf);
}

function entryOf(r: DirectoryEntryRow): DirectoryEntry {
  return {
    idNatPs: r.id_nat_ps,
    name: `${r.given_name} ${r.family_name}`,
    ...(r.sex !== null ? { sex: r.sex } : {}),
    profession: r.profession,
    ...(r.specialty !== null ? { specialty: r.specialty } : {}),
    ...(r.structure_id !== null && r.structure_name !== null
      ? { structure: { id: r.structure_id, name: r.structure_name } }
      : {}),
  };
}
