/**
 * The access matrix ("matrice d'habilitation"): which document classes and types each profession may read.
 * Pure: the shell reads the JSON file (reference/access-matrix/default.json, or the file named by
 * OPENDMP_ACCESS_MATRIX) and hands the parsed value to `parseAccessMatrix`.
 *
 * Rules (product.md §2 "Who may read", rule 4; CSP R1111-46 last paragraph):
 * - M1 rows are keyed by (profession system, profession code[, specialty]); system defaults to TRE_G15.
 * - M2 a row lists all 11 DMP classes (JDV_J57) with true/false: an incomplete row is refused, so an
 *   operator cannot open or close a class by omission.
 * - M3 `types` holds type-level exceptions (typeCode → true/false); they beat the class column.
 * - M4 a specialty row (e.g. médecin SM25 médecine du travail) replaces the profession row entirely for
 *   actors with that specialty; other specialties use the profession row.
 * - M5 an actor whose profession has no row sees nothing (deny by default).
 * The author-sees-own-documents exception is the policy's business (policy.ts), not the matrix's.
 */
import type { DomainIssue } from '../errors.ts';
import { err, ok, type Result } from '../result.ts';

/** The 11 DMP document classes (JDV_J57-ClassCode-DMP, TRE_A03 codes). */
export const DMP_CLASS_CODES = [
  '10',
  '11',
  '31',
  '42',
  '43',
  '44',
  '45',
  '52',
  '60',
  '90',
  '95',
] as const;

export type DmpClassCode = (typeof DMP_CLASS_CODES)[number];

export const MATRIX_FORMAT = 'opendmp-access-matrix/1';

/** Profession terminology assumed when a row or an actor names none. */
export const DEFAULT_PROFESSION_SYSTEM = 'TRE_G15';

export interface ProfessionKey {
  /** TRE_G15 (default), TRE_G16, TRE_R94, TRE_R95 … */
  readonly system?: string | undefined;
  readonly profession: string;
  readonly specialty?: string | undefined;
}

export interface AccessMatrixRow {
  readonly system: string;
  readonly profession: string;
  readonly specialty?: string;
  readonly label?: string;
  readonly classes: Readonly<Record<DmpClassCode, boolean>>;
  /** Type-level exceptions: typeCode → allowed. */
  readonly types: ReadonlyMap<string, boolean>;
}

export interface DocumentKind {
  readonly typeCode: string;
  readonly classCode: string;
}

export interface AccessMatrix {
  readonly format: typeof MATRIX_FORMAT;
  readonly version: string;
  /** The document type a professional's access to the patient's medical profile is judged as. */
  readonly profileDocument: DocumentKind;
  readonly rows: readonly AccessMatrixRow[];
  /** rows by `system|profession|specialty` (specialty empty for the profession row). */
  readonly index: ReadonlyMap<string, AccessMatrixRow>;
}

const SYSTEM_PATTERN = /^TRE_[A-Z][0-9]+$/;
const CODE_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

function rowKey(system: string, profession: string, specialty: string | undefined): string {
  return `${system}|${profession}|${specialty ?? ''}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isDmpClass(code: string): code is DmpClassCode {
  return (DMP_CLASS_CODES as readonly string[]).includes(code);
}

function issue(message: string, location: string): DomainIssue {
  return { code: 'ACCESS_MATRIX_INVALID', message, location: [location] };
}

function optionalCode(
  raw: Record<string, unknown>,
  field: string,
  at: string,
  issues: DomainIssue[],
): string | undefined {
  const value = raw[field];
  if (value === undefined) {
    return undefined;
  }
  if (typeof value !== 'string' || !CODE_PATTERN.test(value)) {
    issues.push(issue(`${field} must be a code (letters, digits, _ . -)`, `${at}.${field}`));
    return undefined;
  }
  return value;
}

function parseRow(raw: unknown, at: string, issues: DomainIssue[]): AccessMatrixRow | undefined {
  if (!isObject(raw)) {
    issues.push(issue('each row must be an object', at));
    return undefined;
  }
  const before = issues.length;
  const systemRaw = raw['system'] ?? DEFAULT_PROFESSION_SYSTEM;
  if (typeof systemRaw !== 'string' || !SYSTEM_PATTERN.test(systemRaw)) {
    issues.push(issue('system must name a terminology such as TRE_G15', `${at}.system`));
  }
  const profession = raw['profession'];
  if (typeof profession !== 'string' || !CODE_PATTERN.test(profession)) {
    issues.push(issue('profession must be a code such as "10"', `${at}.profession`));
  }
  const specialty = optionalCode(raw, 'specialty', at, issues);
  const label = raw['label'];
  if (label !== undefined && typeof label !== 'string') {
    issues.push(issue('label must be a string', `${at}.label`));
  }
  const classesRaw = raw['classes'];
  const classes: Partial<Record<DmpClassCode, boolean>> = {};
  if (!isObject(classesRaw)) {
    issues.push(
      issue('classes must map each of the 11 DMP classes to true or false', `${at}.classes`),
    );
  } else {
    for (const key of Object.keys(classesRaw)) {
      if (!isDmpClass(key)) {
        issues.push(issue(`unknown DMP class "${key}"`, `${at}.classes.${key}`));
      }
    }
    for (const code of DMP_CLASS_CODES) {
      const value = classesRaw[code];
      if (typeof value !== 'boolean') {
        issues.push(issue(`class ${code} must be true or false`, `${at}.classes.${code}`));
      } else {
        classes[code] = value;
      }
    }
  }
  const types = new Map<string, boolean>();
  const typesRaw = raw['types'];
  if (typesRaw !== undefined) {
    if (!isObject(typesRaw)) {
      issues.push(issue('types must map type codes to true or false', `${at}.types`));
    } else {
      for (const [typeCode, value] of Object.entries(typesRaw)) {
        if (!CODE_PATTERN.test(typeCode) || typeof value !== 'boolean') {
          issues.push(issue(`type exception "${typeCode}" must be true or false`, `${at}.types`));
        } else {
          types.set(typeCode, value);
        }
      }
    }
  }
  for (const key of Object.keys(raw)) {
    if (!['system', 'profession', 'specialty', 'label', 'classes', 'types', 'note'].includes(key)) {
      issues.push(issue(`unknown field "${key}"`, `${at}.${key}`));
    }
  }
  if (issues.length > before) {
    return undefined;
  }
  const row: AccessMatrixRow = {
    system: systemRaw as string,
    profession: profession as string,
    classes: classes as Record<DmpClassCode, boolean>,
    types,
    ...(specialty !== undefined ? { specialty } : {}),
    ...(typeof label === 'string' ? { label } : {}),
  };
  return row;
}

function parseDocumentKind(
  raw: unknown,
  at: string,
  issues: DomainIssue[],
): DocumentKind | undefined {
  if (!isObject(raw)) {
    issues.push(issue('must be an object {typeCode, classCode}', at));
    return undefined;
  }
  const typeCode = raw['typeCode'];
  const classCode = raw['classCode'];
  if (typeof typeCode !== 'string' || !CODE_PATTERN.test(typeCode)) {
    issues.push(issue('typeCode must be a type code', `${at}.typeCode`));
    return undefined;
  }
  if (typeof classCode !== 'string' || !isDmpClass(classCode)) {
    issues.push(issue('classCode must be one of the 11 DMP classes', `${at}.classCode`));
    return undefined;
  }
  return { typeCode, classCode };
}

/**
 * Validates an access matrix document (see reference/access-matrix/README.md for the format).
 * @param json - the parsed JSON content of the matrix file
 * @returns the matrix, indexed for lookup, or every problem found (code ACCESS_MATRIX_INVALID)
 */
export function parseAccessMatrix(json: unknown): Result<AccessMatrix, DomainIssue[]> {
  const issues: DomainIssue[] = [];
  if (!isObject(json)) {
    return err([issue('the access matrix must be a JSON object', '$')]);
  }
  if (json['format'] !== MATRIX_FORMAT) {
    issues.push(issue(`format must be "${MATRIX_FORMAT}"`, 'format'));
  }
  const version = json['version'];
  if (typeof version !== 'string' || version.trim() === '') {
    issues.push(issue('version must be a non-empty string', 'version'));
  }
  const profileDocument = parseDocumentKind(json['profileDocument'], 'profileDocument', issues);
  const rowsRaw = json['rows'];
  const rows: AccessMatrixRow[] = [];
  const index = new Map<string, AccessMatrixRow>();
  if (!Array.isArray(rowsRaw) || rowsRaw.length === 0) {
    issues.push(issue('rows must be a non-empty array', 'rows'));
  } else {
    rowsRaw.forEach((raw: unknown, i) => {
      const row = parseRow(raw, `rows[${i}]`, issues);
      if (!row) {
        return;
      }
      const key = rowKey(row.system, row.profession, row.specialty);
      if (index.has(key)) {
        issues.push(issue(`duplicate row for ${key.replace(/\|$/, '')}`, `rows[${i}]`));
        return;
      }
      index.set(key, row);
      rows.push(row);
    });
    for (const row of rows) {
      if (
        row.specialty !== undefined &&
        !index.has(rowKey(row.system, row.profession, undefined))
      ) {
        issues.push(
          issue(
            `specialty row ${row.specialty} needs a row for profession ${row.profession} too`,
            'rows',
          ),
        );
      }
    }
  }
  if (issues.length > 0 || profileDocument === undefined || typeof version !== 'string') {
    return err(issues);
  }
  return ok({ format: MATRIX_FORMAT, version, profileDocument, rows, index });
}

/** The row that governs a profession (specialty row first, then the profession row), if any. */
export function findMatrixRow(
  matrix: AccessMatrix,
  who: ProfessionKey,
): AccessMatrixRow | undefined {
  const system = who.system ?? DEFAULT_PROFESSION_SYSTEM;
  if (who.specialty !== undefined) {
    const special = matrix.index.get(rowKey(system, who.profession, who.specialty));
    if (special) {
      return special;
    }
  }
  return matrix.index.get(rowKey(system, who.profession, undefined));
}

/**
 * Whether the matrix opens a document of this type and class to this profession (rule 4).
 * Unknown professions and classes outside the 11 DMP classes are denied.
 */
export function matrixAllows(matrix: AccessMatrix, who: ProfessionKey, doc: DocumentKind): boolean {
  const row = findMatrixRow(matrix, who);
  if (!row) {
    return false;
  }
  const byType = row.types.get(doc.typeCode);
  if (byType !== undefined) {
    return byType;
  }
  return isDmpClass(doc.classCode) ? row.classes[doc.classCode] : false;
}
