import type { Db } from './client.ts';

/** The professional directory as the portals search it (reference tables; no patient data). */
export interface DirectoryEntryRow {
  id_nat_ps: string;
  family_name: string;
  given_name: string;
  sex: 'male' | 'female' | null;
  profession: string;
  specialty: string | null;
  structure_id: string | null;
  structure_name: string | null;
}

function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Professionals whose name or IdNat_PS contains `text` (case-insensitive), with their first structure. */
/** A directory entry's columns, each professional with their first structure (a fragment both reads share). */
function entries(db: Db): ReturnType<Db> {
  return db`
    SELECT p.id_nat_ps, p.family_name, p.given_name, p.sex, p.profession, p.specialty,
           s.id_nat_struct AS structure_id, s.name AS structure_name
    FROM professional p
    LEFT JOIN LATERAL (
      SELECT st.id_nat_struct, st.name FROM professional_structure ps
      JOIN structure st ON st.id_nat_struct = ps.id_nat_struct
      WHERE ps.id_nat_ps = p.id_nat_ps ORDER BY st.id_nat_struct LIMIT 1
    ) s ON true`;
}

export async function searchProfessionals(
  db: Db,
  text: string,
  limit: number,
): Promise<DirectoryEntryRow[]> {
  const pattern = likePattern(text.trim());
  return db<DirectoryEntryRow[]>`
    ${entries(db)}
    WHERE p.id_nat_ps ILIKE ${pattern}
       OR (p.given_name || ' ' || p.family_name) ILIKE ${pattern}
       OR (p.family_name || ' ' || p.given_name) ILIKE ${pattern}
    ORDER BY p.family_name, p.given_name
    LIMIT ${limit}`;
}

/** The directory entries of these IdNat_PS (those the directory knows), with their first structure. */
export async function findDirectoryEntries(
  db: Db,
  ids: readonly string[],
): Promise<DirectoryEntryRow[]> {
  if (ids.length === 0) {
    return [];
  }
  return db<DirectoryEntryRow[]>`
    ${entries(db)}
    WHERE p.id_nat_ps IN ${db([...ids])}
    ORDER BY p.family_name, p.given_name`;
}

/** The structures each professional acts from. */
export async function findProfessionalStructures(
  db: Db,
  ids: readonly string[],
): Promise<Map<string, string[]>> {
  if (ids.length === 0) {
    return new Map();
  }
  const rows = await db<{ id_nat_ps: string; id_nat_struct: string }[]>`
    SELECT id_nat_ps, id_nat_struct FROM professional_structure WHERE id_nat_ps IN ${db([...ids])}
    ORDER BY id_nat_struct`;
  const out = new Map<string, string[]>();
  for (const r of rows) {
    out.set(r.id_nat_ps, [...(out.get(r.id_nat_ps) ?? []), r.id_nat_struct]);
  }
  return out;
}
