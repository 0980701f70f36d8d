import type { Db } from './client.ts';

/** The professional and structure directory (reference tables). */
export interface ProfessionalRow {
  id_nat_ps: string;
  family_name: string;
  given_name: string;
  profession: string;
  specialty: string | null;
  regulator: boolean;
}

export interface StructureRow {
  id_nat_struct: string;
  name: string;
  sector: string | null;
  kind: string;
}

export async function findProfessionals(
  db: Db,
  ids: readonly string[],
): Promise<Map<string, ProfessionalRow>> {
  if (ids.length === 0) {
    return new Map();
  }
  const rows = await db<
    ProfessionalRow[]
  >`SELECT * FROM professional WHERE id_nat_ps IN ${db([...ids])}`;
  return new Map(rows.map((r) => [r.id_nat_ps, r]));
}

export async function findStructures(
  db: Db,
  ids: readonly string[],
): Promise<Map<string, StructureRow>> {
  if (ids.length === 0) {
    return new Map();
  }
  const rows = await db<
    StructureRow[]
  >`SELECT * FROM structure WHERE id_nat_struct IN ${db([...ids])}`;
  return new Map(rows.map((r) => [r.id_nat_struct, r]));
}
