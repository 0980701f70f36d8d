import type { RecordRow } from '../../db/records.repository.ts';
import type { CallerStanding } from '../../domain/records/standing.ts';
import { BIRTH_PLACE_CODE_EXTENSION } from './patient-reading.ts';

/**
 * Pure mapping of a record to FHIR Patient. The identity traits (official and usual names, sex, birth date) only
 * when the caller may have them (issue 17 rule 8, decideAccess record.identity); otherwise status and standing.
 */
export const RECORD_STATUS_EXTENSION =
  'https://opendmp.fr/fhir/StructureDefinition/dmp-record-status';
export const CALLER_STANDING_EXTENSION =
  'https://opendmp.fr/fhir/StructureDefinition/dmp-caller-standing';

type Ext = { url: string; [k: string]: unknown };

function statusExtension(row: RecordRow): Ext {
  const parts: Ext[] = [{ url: 'status', valueCode: row.status }];
  if (row.closed_at) {
    parts.push({ url: 'closureDate', valueDateTime: row.closed_at.toISOString() });
  }
  if (row.closure_reason) {
    parts.push({ url: 'closureReason', valueCode: row.closure_reason });
  }
  if (row.deletion_requested_at) {
    parts.push({
      url: 'deletionRequested',
      valueDateTime: row.deletion_requested_at.toISOString(),
    });
  }
  return { url: RECORD_STATUS_EXTENSION, extension: parts };
}

function standingExtension(s: CallerStanding): Ext {
  const parts: Ext[] = [
    { url: 'authorized', valueBoolean: s.authorized },
    { url: 'blocked', valueBoolean: s.blocked },
    { url: 'medecinTraitant', valueBoolean: s.medecinTraitant },
    { url: 'bris_de_glace', valueBoolean: s.brisDeGlaceOpen },
    { url: 'centre_15', valueBoolean: s.centre15Open },
  ];
  if (s.authorizedVia) {
    parts.push({ url: 'authorizedVia', valueCode: s.authorizedVia });
  }
  return { url: CALLER_STANDING_EXTENSION, extension: parts };
}

export function toFhirPatient(
  row: RecordRow,
  options: { traits: boolean; standing?: CallerStanding; sentIdentifierSystem?: string },
): Record<string, unknown> {
  const extension: Ext[] = [statusExtension(row)];
  if (options.standing) {
    extension.push(standingExtension(options.standing));
  }
  const base: Record<string, unknown> = {
    resourceType: 'Patient',
    id: row.patient_id,
    meta: { versionId: String(row.version) },
    identifier: [
      { system: options.sentIdentifierSystem ?? `urn:oid:${row.ins_oid}`, value: row.ins },
      // Issue 17 rule 11: the NIA the record was created under, which still resolves to it.
      ...(row.former_ins && row.former_ins_oid
        ? [{ use: 'old', system: `urn:oid:${row.former_ins_oid}`, value: row.former_ins }]
        : []),
    ],
    active: row.status === 'active',
  };
  if (!options.traits) {
    return { ...base, extension };
  }
  if (row.birth_place) {
    extension.push({ url: BIRTH_PLACE_CODE_EXTENSION, valueCode: row.birth_place });
  }
  const out: Record<string, unknown> = {
    ...base,
    extension,
    name: [
      { use: 'official', family: row.birth_name, given: row.given_names },
      // Issue 17 rule 8: the used name (nom d'usage), when the patient has one.
      ...(row.used_name ? [{ use: 'usual', family: row.used_name, given: row.given_names }] : []),
    ],
    gender: row.sex,
    birthDate: row.birth_date,
  };
  if (row.general_practitioner) {
    out['generalPractitioner'] = [
      { identifier: { system: 'urn:oid:1.2.250.1.71.4.2.1', value: row.general_practitioner } },
    ];
  }
  return out;
}
