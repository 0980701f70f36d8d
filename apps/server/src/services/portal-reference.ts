import { DomainFailure, domainError } from '../domain/errors.ts';
import { loadReferenceData } from '../reference/value-sets.ts';

/**
 * The value sets the portals' pickers use (GET /portal-api/value-sets/:id), from the same reference data the
 * server validates deposits against — so a picker never offers a code the API would refuse. Terminology is
 * public reference data: no record is read, nothing is traced.
 */
export interface ValueSetConcept {
  readonly system: string;
  readonly code: string;
  readonly display: string;
  /** For document types (J66, J07): the class code the DMP association table (ASS_X16, else X04) gives. */
  readonly class?: string;
}

export interface ValueSetView {
  readonly id: string;
  readonly name: string;
  readonly concepts: readonly ValueSetConcept[];
}

export function portalValueSet(id: string): ValueSetView {
  const reference = loadReferenceData();
  const set = /^[A-Za-z0-9_]{1,16}$/.test(id) ? reference.valueSets.get(id) : undefined;
  if (!set) {
    throw new DomainFailure(
      domainError('not-found', 'PORTAL_VALUE_SET_UNKNOWN', 'No such value set.'),
    );
  }
  const withClass = id === 'J66' || id === 'J07';
  return {
    id: set.id,
    name: set.name,
    concepts: set.concepts.map((c) => {
      const cls = withClass
        ? (reference.typeToClassDmp.get(c.code) ?? reference.typeToClassCisis.get(c.code))
        : undefined;
      return {
        system: c.system,
        code: c.code,
        display: frenchDisplay(c.code, c.display),
        ...(cls !== undefined ? { class: cls } : {}),
      };
    }),
  };
}

/** Displays the reference data gives in English, as a French reader names them (issue 21 point 8). */
const FRENCH_DISPLAYS: Readonly<Record<string, string>> = {
  E1762: 'Document sans type précis (ASTM E1762)',
};

/** Capitalized words whose accent the reference data drops on the capital letter. */
const ACCENTED: readonly (readonly [RegExp, string])[] = [
  [/\bEtablissement/g, 'Établissement'],
  [/\bEvaluation/g, 'Évaluation'],
  [/\bEquipe/g, 'Équipe'],
  [/\bEtude/g, 'Étude'],
  [/\bEcole/g, 'École'],
  [/\bReference\b/g, 'Référence'],
];

/**
 * The French display of a concept in the pickers: no English ("Full Document"), the accents the reference data
 * drops restored ("Etablissement" → "Établissement"). Only what is shown changes; the code is the reference's. Pure.
 */
export function frenchDisplay(code: string, display: string): string {
  const own = FRENCH_DISPLAYS[code];
  if (own !== undefined) {
    return own;
  }
  return ACCENTED.reduce((text, [re, fixed]) => text.replace(re, fixed), display);
}
