import type { PatientRef } from '../../domain/access/patient-ref.ts';
import { UUID_SOURCE } from '../../domain/identity/uuid.ts';

type Query = Record<string, string | string[] | undefined>;

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

const PATIENT_REFERENCE = new RegExp(`^(?:.*/)?Patient/(${UUID_SOURCE})$`);

/**
 * The record a portal query names, read into the neutral `PatientRef`: `patient.identifier=<system>|<INS>` (the
 * form the portals send: the record's `identifier`), else `patient=<record id>` (also `Patient/<id>`).
 */
export function patientParameter(q: Query): PatientRef | undefined {
  const token = first(q['patient.identifier']);
  if (token) {
    const bar = token.indexOf('|');
    return bar < 0
      ? { kind: 'ins', system: undefined, value: token }
      : { kind: 'ins', system: token.slice(0, bar) || undefined, value: token.slice(bar + 1) };
  }
  const patient = first(q['patient']);
  if (!patient) {
    return undefined;
  }
  const m = PATIENT_REFERENCE.exec(patient.includes('/') ? patient : `Patient/${patient}`);
  return m?.[1] ? { kind: 'id', id: m[1].toLowerCase() } : undefined;
}
