/**
 * The part of the reference data the document rules read. Structural, so the loader's object
 * (reference/value-sets.ts `loadReferenceData()`) is passed as is, and domain/ imports nothing from it.
 */
export interface ConceptLike {
  readonly system: string;
  readonly code: string;
  readonly display: string;
}

export interface CodeLookup {
  readonly name: string;
  /** `system` in any spelling (NOS URL, FHIR canonical, urn:oid:, bare OID). */
  has(system: string, code: string): boolean;
  find(system: string, code: string): ConceptLike | undefined;
  /** The concept when the code belongs to a single system of the set. */
  findByCode(code: string): ConceptLike | undefined;
}

export interface ReferenceTables {
  /** Value sets by NOS key: 'J66', 'J07', 'J57', 'J06', 'J60', 'J10', 'J61', 'J02', 'J04', 'J58', 'J08'… */
  readonly valueSets: ReadonlyMap<string, CodeLookup>;
  /** ASS_X16: typeCode → classCode (DMP). */
  readonly typeToClassDmp: ReadonlyMap<string, string>;
  /** ASS_X04: typeCode → classCode (CI-SIS). */
  readonly typeToClassCisis: ReadonlyMap<string, string>;
  /** ASS_A11: CDA templateId root → formatCode (templates with a single format). */
  readonly templateToFormat: ReadonlyMap<string, string>;
}
