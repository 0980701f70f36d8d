/**
 * One reimbursement line of the Assurance Maladie feed (docs/care-history.md): reading a CSV record into a
 * normalised line, and the line's canonical text (its SHA-256 is the idempotency key, computed by the shell).
 * Pure: the caller passes `today` and, when it has it, a TRE_G15 lookup.
 *
 * Rules (each failure is one issue located by the column name; messages never repeat the value):
 *  L1. `ins`: a valid INS matricule (identity/ins.ts validateIns: form and key) — ID_INS_FORMAT / ID_INS_KEY.
 *  L2. `date_soins`: a calendar date, AAAA-MM-JJ (or JJ/MM/AAAA) — CARE_DATE_INVALID; not after `today` —
 *      CARE_DATE_FUTURE. A line older than the 24-month window is valid but `expired` (window.ts).
 *  L3. `type_code` ∈ CCAM, NGAP, BIO, CIP13 (case-insensitive) — CARE_CODE_KIND_UNKNOWN.
 *  L4. `code` has the form of its kind — CARE_CODE_FORM: CCAM 4 letters + 3 digits (HBMD053, YYYY600);
 *      NGAP a letter key of 1–5 letters (C, G, AMI, FTR); BIO a NABM number of 1–4 digits (leading zeros
 *      dropped); CIP13 13 digits starting 3400 whose last digit is the EAN-13 check — CARE_CIP13_CHECK.
 *  L5. `libelle`: 1–200 characters after trimming and collapsing spaces, no control characters — CARE_LABEL.
 *  L6. `quantite`: a positive decimal (`.` or `,`, at most 2 decimals, < 10 000 000) — CARE_QUANTITY.
 *  L7. `executant_idnat_ps` (optional): an IdNat_PS (identity/idnat-ps.ts); when given, `executant_profession`
 *      is required: a TRE_G15 code (2 digits, and known when a lookup is passed) — CARE_PROFESSION.
 *  L8. `prescripteur_idnat_ps` (optional): an IdNat_PS; `structure_idnat_struct` (optional): an IdNat_Struct
 *      (identity/idnat-struct.ts, strict).
 *  L9. `montant_rembourse`: a non-negative amount in euros (`.` or `,`, at most 2 decimals, < 10 000 000) —
 *      CARE_AMOUNT; stored in cents.
 * Normalisation (the canonical text): trimmed fields, upper-case codes, collapsed label spaces, ISO date,
 * quantity without trailing zeros, amount in cents. Two lines equal after normalisation are the same line.
 */
import type { DomainIssue } from '../errors.ts';
import { validateIdNatPs } from '../identity/idnat-ps.ts';
import { validateIdNatStruct } from '../identity/idnat-struct.ts';
import { validateIns } from '../identity/ins.ts';
import type { Result } from '../result.ts';
import { err, ok } from '../result.ts';

export const CODE_KINDS = ['CCAM', 'NGAP', 'BIO', 'CIP13'] as const;
export type CodeKind = (typeof CODE_KINDS)[number];

/** The CSV columns, in the documented order (the header row names them; order is free). */
export const CSV_COLUMNS = [
  'ins',
  'date_soins',
  'type_code',
  'code',
  'libelle',
  'quantite',
  'executant_idnat_ps',
  'executant_profession',
  'prescripteur_idnat_ps',
  'structure_idnat_struct',
  'montant_rembourse',
] as const;
export type CsvColumn = (typeof CSV_COLUMNS)[number];

export const REQUIRED_COLUMNS: readonly CsvColumn[] = [
  'ins',
  'date_soins',
  'type_code',
  'code',
  'libelle',
  'quantite',
  'montant_rembourse',
];

/** A validated, normalised reimbursement line. */
export interface CareLine {
  readonly ins: string;
  /** ISO date AAAA-MM-JJ. */
  readonly careDate: string;
  readonly kind: CodeKind;
  readonly code: string;
  readonly label: string;
  /** Decimal text without trailing zeros ("1", "1.5"). */
  readonly quantity: string;
  readonly executantId: string | null;
  readonly executantProfession: string | null;
  readonly prescriberId: string | null;
  readonly structureId: string | null;
  readonly amountCents: number;
}

/** A TRE_G15 lookup: true when the profession code exists. */
export type ProfessionCheck = (code: string) => boolean;

export interface ReadLineOptions {
  /** Today's date (ISO), for L2. */
  readonly today: string;
  readonly professionExists?: ProfessionCheck;
}

/**
 * The header row's problems: a required column missing, or a column we do not know (a typo would otherwise
 * silently drop a field). Empty when the header is usable.
 */
export function checkHeader(columns: readonly string[]): DomainIssue[] {
  const issues: DomainIssue[] = [];
  const known = new Set<string>(CSV_COLUMNS);
  const seen = new Set<string>();
  for (const c of columns) {
    if (!known.has(c)) {
      issues.push({
        code: 'CARE_HEADER_UNKNOWN_COLUMN',
        message: `Unknown column "${c.slice(0, 40)}"; expected ${CSV_COLUMNS.join(';')}.`,
      });
    } else if (seen.has(c)) {
      issues.push({ code: 'CARE_HEADER_DUPLICATE_COLUMN', message: `Column ${c} appears twice.` });
    }
    seen.add(c);
  }
  for (const r of REQUIRED_COLUMNS) {
    if (!seen.has(r)) {
      issues.push({
        code: 'CARE_HEADER_MISSING_COLUMN',
        message: `The required column ${r} is missing.`,
      });
    }
  }
  return issues;
}

function issue(code: string, message: string, column: CsvColumn): DomainIssue {
  return { code, message, location: [column] };
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** AAAA-MM-JJ or JJ/MM/AAAA → ISO, when it is a real calendar date. */
export function parseCareDate(raw: string): string | undefined {
  let y: number;
  let m: number;
  let d: number;
  let match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(raw);
  if (match) {
    [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  } else {
    match = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(raw);
    if (!match) {
      return undefined;
    }
    [d, m, y] = [Number(match[1]), Number(match[2]), Number(match[3])];
  }
  const days = [31, isLeap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  if (y < 1900 || m < 1 || m > 12 || d < 1 || d > (days[m - 1] ?? 0)) {
    return undefined;
  }
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** EAN-13 check digit of the first 12 digits (weights 1, 3, 1, 3 …). */
export function ean13CheckDigit(first12: string): number {
  let sum = 0;
  for (let i = 0; i < 12; i++) {
    sum += Number(first12.charAt(i)) * (i % 2 === 0 ? 1 : 3);
  }
  return (10 - (sum % 10)) % 10;
}

/** L4: the normalised code, or the issue. */
export function checkCode(kind: CodeKind, raw: string): Result<string, DomainIssue> {
  const code = raw.trim().toUpperCase();
  const form = (message: string) => err(issue('CARE_CODE_FORM', message, 'code'));
  switch (kind) {
    case 'CCAM':
      return /^[A-Z]{4}\d{3}$/.test(code)
        ? ok(code)
        : form('A CCAM code is 4 letters followed by 3 digits (e.g. HBMD053).');
    case 'NGAP':
      return /^[A-Z]{1,5}$/.test(code)
        ? ok(code)
        : form('An NGAP code is its letter key, 1 to 5 letters (e.g. G, AMI).');
    case 'BIO':
      return /^\d{1,4}$/.test(code)
        ? ok(code.replace(/^0+(?=\d)/, ''))
        : form('A biology (NABM) code is 1 to 4 digits.');
    case 'CIP13':
      if (!/^3400\d{9}$/.test(code)) {
        return form('A CIP13 code is 13 digits starting with 3400.');
      }
      return ean13CheckDigit(code.slice(0, 12)) === Number(code.charAt(12))
        ? ok(code)
        : err(issue('CARE_CIP13_CHECK', 'The CIP13 check digit does not match.', 'code'));
  }
}

const DECIMAL = /^(\d{1,7})(?:[.,](\d{1,2}))?$/;

/** A decimal with at most 2 decimals as cents, or undefined. */
export function parseCents(raw: string): number | undefined {
  const m = DECIMAL.exec(raw);
  if (!m) {
    return undefined;
  }
  const fraction = (m[2] ?? '').padEnd(2, '0');
  return Number(m[1]) * 100 + Number(fraction);
}

/** Cents back to decimal text without trailing zeros (150 → "1.5"). */
export function centsToDecimal(cents: number): string {
  const units = Math.trunc(cents / 100);
  const rest = cents % 100;
  if (rest === 0) {
    return String(units);
  }
  return `${String(units)}.${String(rest).padStart(2, '0').replace(/0$/, '')}`;
}

function optional(v: string | undefined): string | undefined {
  const t = v?.trim();
  return t === undefined || t === '' ? undefined : t;
}

/** Reads one CSV record (column → raw text) into a line (L1–L9); all problems of the line are reported. */
export function readCareLine(
  record: Readonly<Partial<Record<string, string>>>,
  options: ReadLineOptions,
): Result<CareLine, DomainIssue[]> {
  const issues: DomainIssue[] = [];
  const field = (c: CsvColumn): string => (record[c] ?? '').trim();

  const insRaw = field('ins');
  const ins = validateIns(insRaw);
  if (!ins.ok) {
    issues.push({ ...ins.error, location: ['ins'] });
  }

  const careDate = parseCareDate(field('date_soins'));
  if (careDate === undefined) {
    issues.push(
      issue(
        'CARE_DATE_INVALID',
        'date_soins must be a date AAAA-MM-JJ (or JJ/MM/AAAA).',
        'date_soins',
      ),
    );
  } else if (careDate > options.today) {
    issues.push(issue('CARE_DATE_FUTURE', 'date_soins is in the future.', 'date_soins'));
  }

  const kindRaw = field('type_code').toUpperCase();
  const kind = (CODE_KINDS as readonly string[]).includes(kindRaw)
    ? (kindRaw as CodeKind)
    : undefined;
  let code: string | undefined;
  if (kind === undefined) {
    issues.push(
      issue(
        'CARE_CODE_KIND_UNKNOWN',
        `type_code must be one of ${CODE_KINDS.join(', ')}.`,
        'type_code',
      ),
    );
  } else {
    const checked = checkCode(kind, field('code'));
    if (checked.ok) {
      code = checked.value;
    } else {
      issues.push(checked.error);
    }
  }

  const label = field('libelle').replace(/\s+/g, ' ');
  // eslint-disable-next-line no-control-regex
  if (label.length === 0 || label.length > 200 || /[\u0000-\u001f\u007f]/.test(label)) {
    issues.push(
      issue(
        'CARE_LABEL',
        'libelle must be 1 to 200 characters without control characters.',
        'libelle',
      ),
    );
  }

  const quantityCents = parseCents(field('quantite'));
  if (quantityCents === undefined || quantityCents === 0) {
    issues.push(
      issue(
        'CARE_QUANTITY',
        'quantite must be a positive number with at most 2 decimals.',
        'quantite',
      ),
    );
  }

  const executant = optional(record['executant_idnat_ps']);
  const profession = optional(record['executant_profession']);
  if (executant !== undefined) {
    const checked = validateIdNatPs(executant);
    if (!checked.ok) {
      issues.push({ ...checked.error, location: ['executant_idnat_ps'] });
    }
    if (profession === undefined) {
      issues.push(
        issue(
          'CARE_PROFESSION',
          'executant_profession (TRE_G15) is required with executant_idnat_ps.',
          'executant_profession',
        ),
      );
    }
  }
  if (
    profession !== undefined &&
    (!/^\d{2}$/.test(profession) ||
      (options.professionExists && !options.professionExists(profession)))
  ) {
    issues.push(
      issue(
        'CARE_PROFESSION',
        'executant_profession must be a TRE_G15 profession code (e.g. 10 médecin, 21 pharmacien).',
        'executant_profession',
      ),
    );
  }
  const prescriber = optional(record['prescripteur_idnat_ps']);
  if (prescriber !== undefined) {
    const checked = validateIdNatPs(prescriber);
    if (!checked.ok) {
      issues.push({ ...checked.error, location: ['prescripteur_idnat_ps'] });
    }
  }
  const structure = optional(record['structure_idnat_struct']);
  if (structure !== undefined) {
    const checked = validateIdNatStruct(structure);
    if (!checked.ok) {
      issues.push({ ...checked.error, location: ['structure_idnat_struct'] });
    }
  }

  const amountCents = parseCents(field('montant_rembourse'));
  if (amountCents === undefined) {
    issues.push(
      issue(
        'CARE_AMOUNT',
        'montant_rembourse must be an amount in euros with at most 2 decimals.',
        'montant_rembourse',
      ),
    );
  }

  if (
    issues.length > 0 ||
    careDate === undefined ||
    kind === undefined ||
    code === undefined ||
    quantityCents === undefined ||
    amountCents === undefined
  ) {
    return err(issues);
  }
  return ok({
    ins: insRaw,
    careDate,
    kind,
    code,
    label,
    quantity: centsToDecimal(quantityCents),
    executantId: executant ?? null,
    executantProfession: profession ?? null,
    prescriberId: prescriber ?? null,
    structureId: structure ?? null,
    amountCents,
  });
}

/** The canonical text of a line: its SHA-256 is the idempotency key (unique per patient). */
export function canonicalLine(line: CareLine): string {
  return JSON.stringify([
    'care-line/1',
    line.ins,
    line.careDate,
    line.kind,
    line.code,
    line.label,
    line.quantity,
    line.executantId,
    line.executantProfession,
    line.prescriberId,
    line.structureId,
    line.amountCents,
  ]);
}

/** The CNAM-HR section a line belongs to (narrative table of the history document, and the `kind` filter). */
export type CareSection = 'medicaments' | 'soins' | 'radiologie' | 'biologie';

/** CCAM imaging: action Q (diagnostic) with technique K radiography, H CT, J MRI, M ultrasound, L scintigraphy; Y* supplements of imaging (YYYY). */
const CCAM_IMAGING = /^[A-Z]{2}Q[KHJML]\d{3}$/;

export function sectionOf(kind: CodeKind, code: string): CareSection {
  switch (kind) {
    case 'CIP13':
      return 'medicaments';
    case 'BIO':
      return 'biologie';
    case 'CCAM':
      return CCAM_IMAGING.test(code) || /^YYYY[0-9]{3}$/.test(code) ? 'radiologie' : 'soins';
    case 'NGAP':
      return 'soins';
  }
}
