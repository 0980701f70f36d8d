import type { DomainIssue } from '../errors.ts';
import type { CdaRecordTarget } from './cda-header.ts';
import { INS_OIDS } from './cda-header.ts';
import { FIELD } from './model.ts';

/**
 * The patient a CDA names, against the record it is deposited in (issue 17 rule 10). Pure.
 *
 * Rules:
 *  CP1. A document concerns one patient: every `recordTarget/patientRole` carries an INS id, and all the INS ids
 *       of the header are the same (value and OID). A second recordTarget naming another INS, or naming someone
 *       by a local id only, is `DOC_CDA_PATIENT_MULTIPLE` (before, only the first INS was compared).
 *  CP2. The patient's administrative sex (`administrativeGenderCode` M, F, UN) agrees with the record's
 *       (`male`, `female`, `other`) — `DOC_CDA_SEX_MISMATCH`. A record of unknown sex, or a header without a
 *       sex code (nullFlavor), is not compared.
 *  CP3. The birth date (`birthTime`, HL7 TS) agrees with the record's to the precision the header gives (year,
 *       month, day; `00` for an unknown month or day stops the comparison there) — `DOC_CDA_BIRTH_DATE_MISMATCH`,
 *       also for a birthTime that is not a date. A header without birthTime is not compared.
 * CP2–CP3 are checked once the depositor may deposit on the record (the traits are never compared for a caller
 * the policy refused).
 *
 * Sources: CI-SIS volet structuration minimale (en-tête CDA: recordTarget [1..1], patient/administrativeGenderCode
 * and birthTime [1..1]); ANS INS référentiel (identity traits travel with the INS and must agree).
 */

/** The record's traits, as stored (patient_record.sex, birth_date YYYY-MM-DD). */
export interface RecordTraits {
  readonly sex: string;
  readonly birthDate: string;
}

const SEX_OF_GENDER: Readonly<Record<string, string>> = { M: 'male', F: 'female', UN: 'other' };

function insKeys(target: CdaRecordTarget): string[] {
  return target.ids
    .filter((i) => INS_OIDS.has(i.root) && i.extension !== undefined && i.extension !== '')
    .map((i) => `${i.root}|${i.extension ?? ''}`);
}

/** CP1. */
export function checkSinglePatient(targets: readonly CdaRecordTarget[]): DomainIssue | undefined {
  const keys = new Set<string>();
  let anonymous = false;
  for (const t of targets) {
    const k = insKeys(t);
    anonymous ||= k.length === 0;
    k.forEach((key) => keys.add(key));
  }
  if (keys.size > 1 || (targets.length > 1 && anonymous)) {
    return {
      code: 'DOC_CDA_PATIENT_MULTIPLE',
      message:
        'The CDA header names more than one patient (recordTarget): a document concerns exactly one patient, named by their INS.',
      location: [FIELD.patient],
    };
  }
  return undefined;
}

/** The YYYY, MM, DD parts of an HL7 TS as far as they are known; undefined when it is not a date. */
function dateParts(ts: string): string[] | undefined {
  const m = /^(\d{4})(\d{2})?(\d{2})?/.exec(ts);
  if (!m?.[1]) {
    return undefined;
  }
  const parts = [m[1]];
  for (const p of [m[2], m[3]]) {
    if (p === undefined || p === '00') {
      break;
    }
    parts.push(p);
  }
  return parts;
}

/** CP2–CP3, for every recordTarget. */
export function checkPatientTraits(
  targets: readonly CdaRecordTarget[],
  record: RecordTraits,
): DomainIssue[] {
  const issues: DomainIssue[] = [];
  const recordDate = record.birthDate.split('-');
  for (const t of targets) {
    const sex = t.gender !== undefined ? SEX_OF_GENDER[t.gender] : undefined;
    if (sex !== undefined && record.sex !== 'unknown' && sex !== record.sex) {
      issues.push({
        code: 'DOC_CDA_SEX_MISMATCH',
        message:
          'The patient’s sex in the CDA header (recordTarget/patientRole/patient/administrativeGenderCode) differs from the record’s.',
        location: [FIELD.patient],
      });
    }
    if (t.birthTime !== undefined) {
      const parts = dateParts(t.birthTime);
      if (!parts || parts.some((p, i) => p !== recordDate[i])) {
        issues.push({
          code: 'DOC_CDA_BIRTH_DATE_MISMATCH',
          message:
            'The patient’s birth date in the CDA header (recordTarget/patientRole/patient/birthTime) differs from the record’s.',
          location: [FIELD.patient],
        });
      }
    }
  }
  return issues;
}
