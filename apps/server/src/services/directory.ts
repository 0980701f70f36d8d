import { findProfessionals, findStructures } from '../db/directory.repository.ts';
import type { ProfessionalRow, StructureRow } from '../db/directory.repository.ts';
import type { Deps } from './deps.ts';

export type { ProfessionalRow, StructureRow };

/** Display data for identifiers (names, professions) from the directory. */
export async function lookupDirectory(
  deps: Deps,
  professionals: readonly string[],
  structures: readonly string[],
): Promise<{ professionals: Map<string, ProfessionalRow>; structures: Map<string, StructureRow> }> {
  const [p, s] = await Promise.all([
    findProfessionals(deps.sql, professionals),
    findStructures(deps.sql, structures),
  ]);
  return { professionals: p, structures: s };
}
