import type { DomainIssue } from '../errors.ts';
import { validateIdNatPs } from '../identity/idnat-ps.ts';
import type { Result } from '../result.ts';
import { err, ok } from '../result.ts';

/**
 * The médecin traitant DMP named on a record (issue 17 rule 3). Pure; the directory entry is loaded by the shell.
 *
 * Rules:
 *  MT1. The named identifier is a valid IdNat_PS (idnat-ps.ts P1–P5; `ID_IDNAT_PS_FORMAT`, `ID_IDNAT_PS_PREFIX`).
 *  MT2. It names a person: `8` + RPPS or `0` + ADELI. The other IdNat_PS types (1, 3, 4, 5, 6) are cabinet,
 *       structure or internal identifiers and never a médecin (`REC_GP_NOT_MEDECIN`).
 *  MT3. The professional is known to the directory (`professional` reference table) (`REC_GP_UNKNOWN`).
 *  MT4. The directory says they are a médecin: TRE_G15 profession `10` (`REC_GP_NOT_MEDECIN`).
 *  MT5. The access policy gives the médecin-traitant standing only to a professional whose token carries TRE_G15
 *       profession 10 and the named IdNat_PS, itself a valid person identifier ({@link mayActAsMedecinTraitant}):
 *       a value stored before these checks (any string under the RPPS OID was accepted) grants nothing to a
 *       token that merely repeats it.
 *
 * Sources: Code de la sécurité sociale L162-5-3 (the médecin traitant is a médecin); CSP R1111-48 (informed of
 * emergency accesses); PDSM4DMP transaction_td02.md (EF_DMP01_07, "statut médecin traitant DMP").
 */

/** TRE_G15 code of the médecin profession. */
export const MEDECIN_PROFESSION = '10';

/** What the directory knows of a professional (reference table `professional`). */
export interface DirectoryProfessional {
  /** TRE_G15 profession code. */
  readonly profession: string;
}

/**
 * The field of the record an issue names (issue 18 point 4): its médecin traitant. Each adapter locates it on its own
 * request (FHIR: Patient.generalPractitioner, http/fhir/operation-locations.ts).
 */
export const MEDECIN_TRAITANT_FIELD = 'medecinTraitant';

const LOCATION = [MEDECIN_TRAITANT_FIELD] as const;

/** MT1–MT2: the IdNat_PS of a person (RPPS or ADELI based). */
export function isPersonIdNatPs(value: string): boolean {
  const parsed = validateIdNatPs(value);
  return parsed.ok && (parsed.value.kind === 'RPPS' || parsed.value.kind === 'ADELI');
}

/** MT1–MT2, before any directory lookup. */
export function validateMedecinTraitantId(value: string): Result<string, DomainIssue> {
  const parsed = validateIdNatPs(value);
  if (!parsed.ok) {
    return err({ ...parsed.error, location: LOCATION });
  }
  if (parsed.value.kind !== 'RPPS' && parsed.value.kind !== 'ADELI') {
    return err({
      code: 'REC_GP_NOT_MEDECIN',
      message:
        'The médecin traitant is a médecin named by their own IdNat_PS (8 + RPPS, or 0 + ADELI), not a structure or cabinet identifier.',
      location: LOCATION,
    });
  }
  return ok(value);
}

/** MT3–MT4, on the directory entry of an identifier that passed {@link validateMedecinTraitantId}. */
export function checkMedecinTraitant(
  entry: DirectoryProfessional | undefined,
): DomainIssue | undefined {
  if (entry === undefined) {
    return {
      code: 'REC_GP_UNKNOWN',
      message: 'No professional with this IdNat_PS is known to the directory.',
      location: LOCATION,
    };
  }
  if (entry.profession !== MEDECIN_PROFESSION) {
    return {
      code: 'REC_GP_NOT_MEDECIN',
      message: 'The médecin traitant must be a médecin (TRE_G15 profession 10).',
      location: LOCATION,
    };
  }
  return undefined;
}

/**
 * MT5: whether a professional (as their token describes them) may hold the médecin-traitant standing named
 * `named` on a record.
 */
export function mayActAsMedecinTraitant(
  actor: {
    readonly idNatPs: string;
    readonly profession: string;
    readonly professionSystem?: string;
  },
  named: string | undefined,
): boolean {
  return (
    named !== undefined &&
    named === actor.idNatPs &&
    actor.profession === MEDECIN_PROFESSION &&
    (actor.professionSystem === undefined || actor.professionSystem === 'TRE_G15') &&
    isPersonIdNatPs(actor.idNatPs)
  );
}
