import type { OperatorActor } from '../domain/access/actor.ts';
import { DomainFailure } from '../domain/errors.ts';
import * as records from '../db/records.repository.ts';
import type { Deps } from '../services/deps.ts';
import { createRecord, setOpposition } from '../services/records.ts';
import * as reps from '../db/representation.repository.ts';
import { registerRepresentation } from '../services/representation.ts';
import { PATIENTS, PROFESSIONALS, STRUCTURES, TEST_NIR_OID } from './directory.ts';

export const DEMO_OPERATOR: OperatorActor = {
  kind: 'operator',
  id: 'demo-loader',
  name: 'Chargement des données de démonstration',
};

/**
 * Loads the demo directory and records through the same services the API uses (so they are validated and traced).
 * Idempotent: what exists is left alone.
 */
export async function loadDemoData(
  deps: Deps,
): Promise<{ professionals: number; patients: number; created: number }> {
  await deps.sql.begin(async (tx) => {
    for (const s of STRUCTURES) {
      await tx`INSERT INTO structure (id_nat_struct, name, sector, kind) VALUES (${s.idNatStruct}, ${s.name}, ${s.sector}, ${s.kind})
        ON CONFLICT (id_nat_struct) DO NOTHING`;
    }
    for (const p of PROFESSIONALS) {
      await tx`INSERT INTO professional (id_nat_ps, family_name, given_name, sex, profession, specialty, regulator)
        VALUES (${p.idNatPs}, ${p.familyName}, ${p.givenName}, ${p.sex}, ${p.profession}, ${p.specialty ?? null}, ${p.regulator ?? false})
        ON CONFLICT (id_nat_ps) DO UPDATE SET sex = EXCLUDED.sex WHERE professional.sex IS NULL`;
      await tx`INSERT INTO professional_structure (id_nat_ps, id_nat_struct, care_team)
        VALUES (${p.idNatPs}, ${p.structure}, ${p.careTeam ?? false}) ON CONFLICT DO NOTHING`;
    }
  });
  let created = 0;
  for (const p of PATIENTS) {
    if (p.opposition) {
      await setOpposition(deps, DEMO_OPERATOR, p.ins, TEST_NIR_OID, 'register');
      continue;
    }
    if (await records.findPatientIdByIns(deps.sql, p.ins)) {
      continue;
    }
    try {
      const row = await createRecord(deps, DEMO_OPERATOR, {
        identifiers: [{ system: TEST_NIR_OID, value: p.ins }],
        birthName: p.birthName,
        usedName: p.usedName ?? undefined,
        givenNames: p.givenNames,
        sex: p.sex,
        birthDate: p.birthDate,
        birthPlace: p.birthPlace,
      });
      created++;
      await deps.sql.begin(async (tx) => {
        if (p.medecinTraitant) {
          await records.setGeneralPractitioner(tx, row.patient_id, p.medecinTraitant);
        }
      });
    } catch (e) {
      if (e instanceof DomainFailure && e.error.code === 'REC_ALREADY_EXISTS') {
        continue;
      }
      throw e;
    }
  }
  for (const p of PATIENTS) {
    if (p.representative && p.opposition !== true) {
      await ensureRepresentation(deps, p.ins, p.representative);
    }
  }
  return { professionals: PROFESSIONALS.length, patients: PATIENTS.length, created };
}

/**
 * The demo minor's representative is registered on the record (issue 17 rule 1), through the operator's service; a
 * row loaded before migration 0040 (a name, no identity) is completed instead. Left alone once the minor is of age.
 */
async function ensureRepresentation(
  deps: Deps,
  ins: string,
  rep: { id: string; name: string; relation: string },
): Promise<void> {
  const patientId = await records.findPatientIdByIns(deps.sql, ins);
  if (!patientId) {
    return;
  }
  const rows = await reps.findRepresentations(deps.sql, patientId);
  if (rows.some((r) => r.identifier === rep.id)) {
    return;
  }
  const legacy = rows.find((r) => r.identifier === null && r.name === rep.name);
  if (legacy) {
    await deps.sql.begin(async (tx) => {
      await reps.completeRepresentation(
        tx,
        patientId,
        legacy.id,
        `urn:oid:${TEST_NIR_OID}`,
        rep.id,
      );
    });
    return;
  }
  try {
    await registerRepresentation(deps, DEMO_OPERATOR, {
      patient: { kind: 'id', id: patientId },
      identifierSystem: `urn:oid:${TEST_NIR_OID}`,
      identifier: rep.id,
      name: rep.name,
      relation: rep.relation,
      start: null,
      end: null,
    });
  } catch (e) {
    if (e instanceof DomainFailure && e.error.code === 'REP_HOLDER_NOT_MINOR') {
      return;
    }
    throw e;
  }
}
