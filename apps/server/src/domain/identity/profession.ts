import type { DomainIssue } from '../errors.ts';
import type { Result } from '../result.ts';
import { err, ok } from '../result.ts';
import { CS } from './code-systems.ts';

/**
 * Profession and specialty of a health professional, checked against the national terminologies.
 *
 * Rules:
 *  F1. The profession is a code of TRE_G15-ProfessionSante (OID 1.2.250.1.71.1.2.7), e.g. `10` Médecin,
 *      `21` Pharmacien (`ID_PROFESSION_UNKNOWN`).
 *  F2. The specialty ("savoir-faire") is a code of TRE_R01-EnsembleSavoirFaire-CISIS (OID 1.2.250.1.71.4.2.5),
 *      which includes the ordinal specialties SMxx of TRE_R38 (e.g. `SM26` Qualifié en médecine générale)
 *      (`ID_SPECIALTY_UNKNOWN`).
 *  F3. Codes are compared exactly (no trimming, no case folding).
 *  F4. The terminology is passed in (the reference data loaded by the shell); when the needed table is missing
 *      the answer is `ID_REFERENCE_UNAVAILABLE`, never a silent acceptance.
 *
 * Sources: product.md §2 "Identifiers"; TRE_G15 and TRE_R01 (reference/value-sets/SOURCES.md).
 */

/** What these checks need from the reference data; `ReferenceData` (reference/value-sets.ts) satisfies it. */
export interface TerminologyLookup {
  readonly valueSets: ReadonlyMap<
    string,
    {
      find(
        system: string,
        code: string,
      ): { readonly code: string; readonly display: string } | undefined;
    }
  >;
}

/** A recognised code with its French label. */
export interface CodedValue {
  readonly code: string;
  readonly display: string;
}

function lookup(
  ref: TerminologyLookup,
  table: string,
  system: string,
  code: string,
  unknown: DomainIssue,
): Result<CodedValue, DomainIssue> {
  const vs = ref.valueSets.get(table);
  if (vs === undefined) {
    return err({
      code: 'ID_REFERENCE_UNAVAILABLE',
      message: `The terminology TRE_${table} is not loaded.`,
    });
  }
  const found = code.length > 0 ? vs.find(system, code) : undefined;
  return found === undefined ? err(unknown) : ok({ code: found.code, display: found.display });
}

/** Checks a TRE_G15 profession code and returns its label (F1, F3, F4). */
export function validateProfession(
  code: string,
  ref: TerminologyLookup,
): Result<CodedValue, DomainIssue> {
  return lookup(ref, 'G15', CS.TRE_G15_PROFESSION_SANTE, code, {
    code: 'ID_PROFESSION_UNKNOWN',
    message: 'The profession code is not in TRE_G15-ProfessionSante.',
  });
}

/** Checks a TRE_R01 specialty (savoir-faire) code and returns its label (F2, F3, F4). */
export function validateSpecialty(
  code: string,
  ref: TerminologyLookup,
): Result<CodedValue, DomainIssue> {
  return lookup(ref, 'R01', CS.TRE_R01_SAVOIR_FAIRE, code, {
    code: 'ID_SPECIALTY_UNKNOWN',
    message: 'The specialty code is not in TRE_R01-EnsembleSavoirFaire-CISIS.',
  });
}
