import type { DomainIssue } from '../errors.ts';
import type { Result } from '../result.ts';
import { err, ok } from '../result.ts';

/**
 * INS matricule: the patient's national health identifier, a NIR or a NIA (product.md §2 "Identifiers";
 * dmp-domain-facts §7).
 *
 * Rules:
 *  I1. Exactly 15 characters, no spaces, no separators: we compare and store what we validate, so we do not
 *      normalise (`ID_INS_FORMAT`).
 *  I2. Structure sex(1) year(2) month(2) department(2) commune(3) order(3) key(2), decree 82-103 art. 4.
 *      - sex: 1 or 2; also 3, 4 (older provisional registrations of people born abroad) and 7, 8 (provisional
 *        numbers of the health-insurance bodies) are accepted, permissively (`ID_INS_FORMAT`).
 *      - year: any two digits.
 *      - month: 01–12, or 20–42 and 50–99 (fictitious months INSEE gives when the civil record has no usable
 *        month) (`ID_INS_FORMAT`).
 *      - department: 2 digits (01–99: 97/98 overseas, 99 born abroad; 20 for Corsica before 1976) or 2A/2B
 *        (Corsica), upper case only (`ID_INS_FORMAT`).
 *      - commune, order: 3 digits each.
 *  I3. Key = 97 − (first 13 digits mod 97), so 01–97, with 2A → 19 and 2B → 18 before computing
 *      (`ID_INS_KEY` when it does not match).
 *  I4. The NIA has the same form and key as the NIR; only its OID tells it apart.
 *  I5. OIDs: INS-NIR 1.2.250.1.213.1.4.8, INS-NIA 1.2.250.1.213.1.4.9, test NIR 1.2.250.1.213.1.4.10,
 *      demo NIR 1.2.250.1.213.1.4.11; given bare or as `urn:oid:`; another OID is `ID_INS_OID_UNKNOWN`.
 *      Without an OID the value is taken as an INS-NIR.
 *  I6. A FHIR token search parameter is `system|value` with the system one of those OIDs
 *      (`ID_INS_TOKEN_FORMAT` when the `|` or the system is missing).
 *  I7. Messages never repeat the submitted value.
 *  I8. The test (…4.10) and demo (…4.11) systems are for demo and test configurations only (issue 17 rule 11): a
 *      service configured for production refuses them (`ID_INS_TEST_SYSTEM`), so that software pointed at the wrong
 *      platform cannot reach a real record by its matricule ({@link checkInsSystemAllowed}).
 *
 * Sources: product.md §2; dmp-domain-facts §7; CNAM github assurance-maladie-digital/nir-validation
 * (NirValidator.php: structure, 2A/2B, key 97 − n mod 97; NnpValidator.php: 7/8 provisional numbers);
 * INSEE NIR description (fictitious months 20–42, 50–99; 20 for Corsica before 1976).
 */

export type InsKind = 'NIR' | 'NIA';

/** A validated INS matricule. */
export interface Ins {
  /** The 15-character matricule, as submitted. */
  readonly value: string;
  /** Bare OID of the identifier system. */
  readonly oid: string;
  readonly kind: InsKind;
  /** True for the test (…4.10) and demo (…4.11) NIR systems. */
  readonly test: boolean;
}

/** The four INS identifier systems (bare OIDs). */
export const INS_OID = {
  NIR: '1.2.250.1.213.1.4.8',
  NIA: '1.2.250.1.213.1.4.9',
  TEST: '1.2.250.1.213.1.4.10',
  DEMO: '1.2.250.1.213.1.4.11',
} as const;

const OIDS: ReadonlyMap<string, { readonly kind: InsKind; readonly test: boolean }> = new Map([
  [INS_OID.NIR, { kind: 'NIR', test: false }],
  [INS_OID.NIA, { kind: 'NIA', test: false }],
  [INS_OID.TEST, { kind: 'NIR', test: true }],
  [INS_OID.DEMO, { kind: 'NIR', test: true }],
]);

/**
 * I8: undefined when the INS system `oid` (bare or `urn:oid:`) may be used; `ID_INS_TEST_SYSTEM` for the test and
 * demo systems when `testSystemsAllowed` is false (a production configuration).
 */
export function checkInsSystemAllowed(
  oid: string,
  testSystemsAllowed: boolean,
): DomainIssue | undefined {
  if (testSystemsAllowed || OIDS.get(bareOid(oid.trim()))?.test !== true) {
    return undefined;
  }
  return {
    code: 'ID_INS_TEST_SYSTEM',
    message:
      'The test (1.2.250.1.213.1.4.10) and demo (1.2.250.1.213.1.4.11) INS systems are not accepted by this service: name the patient by INS-NIR (1.2.250.1.213.1.4.8) or INS-NIA (1.2.250.1.213.1.4.9).',
  };
}

/** Whether `system` (bare OID or `urn:oid:…`) is one of the INS systems (I5). */
export function isInsSystem(system: string): boolean {
  return OIDS.has(bareOid(system));
}

/** The bare OID of an identifier system given as an OID or as its `urn:oid:` URN (RFC 3001). */
export function bareOid(system: string): string {
  return system.startsWith('urn:oid:') ? system.slice('urn:oid:'.length) : system;
}

const FORM = /^[1234578]\d{2}\d{2}(?:\d{2}|2[AB])\d{6}\d{2}$/;

function format(message: string): DomainIssue {
  return { code: 'ID_INS_FORMAT', message };
}

/**
 * The NIR/NIA key of the first 13 characters (I3): 97 − (n mod 97), 2A/2B read as 19/18.
 * Throws a RangeError when `first13` is not 13 digits (2A/2B allowed at positions 6–7): it is meant for
 * generators and for {@link validateIns}, which checks the form first.
 */
export function computeNirKey(first13: string): number {
  if (!/^\d{5}(?:\d{2}|2[AB])\d{6}$/.test(first13)) {
    throw new RangeError('computeNirKey expects 13 digits (2A/2B allowed for the department)');
  }
  const digits = first13.slice(0, 5) + corsica(first13.slice(5, 7)) + first13.slice(7);
  return 97 - Number(BigInt(digits) % 97n);
}

function corsica(dept: string): string {
  return dept === '2A' ? '19' : dept === '2B' ? '18' : dept;
}

function monthOk(month: number): boolean {
  return (month >= 1 && month <= 12) || (month >= 20 && month <= 42) || month >= 50;
}

/**
 * Validates an INS matricule (I1–I5, I7). `oid` is the identifier system, bare or `urn:oid:`; absent means
 * INS-NIR.
 */
export function validateIns(value: string, oid?: string): Result<Ins, DomainIssue> {
  const system = oid === undefined ? INS_OID.NIR : bareOid(oid.trim());
  const known = OIDS.get(system);
  if (!known) {
    return err({
      code: 'ID_INS_OID_UNKNOWN',
      message:
        'The identifier system is not an INS system (expected 1.2.250.1.213.1.4.8 NIR, .9 NIA, .10 test or .11 demo).',
    });
  }
  if (value.length === 0) {
    return err(format('The INS is empty.'));
  }
  if (/\s/.test(value)) {
    return err(format('The INS must not contain spaces or other whitespace.'));
  }
  if (value.length !== 15) {
    return err(format(`The INS must have 15 characters (${value.length} given).`));
  }
  if (!FORM.test(value)) {
    if (!/^[0-9A-Z]+$/.test(value)) {
      return err(format('The INS may only contain digits (and 2A/2B for a Corsican department).'));
    }
    if (!/^[1234578]/.test(value)) {
      return err(
        format('The INS must start with a sex digit 1 or 2 (3, 4, 7, 8 for provisional numbers).'),
      );
    }
    return err(format('The INS does not have the NIR/NIA structure.'));
  }
  if (!monthOk(Number(value.slice(3, 5)))) {
    return err(format('The INS birth month must be 01–12, 20–42 or 50–99.'));
  }
  if (value.slice(5, 7) === '00') {
    return err(format('The INS department must not be 00.'));
  }
  const key = Number(value.slice(13));
  if (key < 1 || key > 97 || key !== computeNirKey(value.slice(0, 13))) {
    return err({
      code: 'ID_INS_KEY',
      message: 'The INS control key does not match its first 13 characters.',
    });
  }
  return ok({ value, oid: system, kind: known.kind, test: known.test });
}

/**
 * Parses a FHIR token search value `system|value` for an INS (I6), e.g.
 * `urn:oid:1.2.250.1.213.1.4.8|279035121518989`, and validates it.
 */
export function parseInsToken(token: string): Result<Ins, DomainIssue> {
  const bar = token.indexOf('|');
  if (bar < 0) {
    return err({
      code: 'ID_INS_TOKEN_FORMAT',
      message:
        'An INS search value must be system|value, e.g. urn:oid:1.2.250.1.213.1.4.8|<matricule>.',
    });
  }
  const system = token.slice(0, bar);
  if (system.length === 0) {
    return err({
      code: 'ID_INS_TOKEN_FORMAT',
      message:
        'An INS search value needs its system (urn:oid:1.2.250.1.213.1.4.8, .9, .10 or .11).',
    });
  }
  return validateIns(token.slice(bar + 1), system);
}
