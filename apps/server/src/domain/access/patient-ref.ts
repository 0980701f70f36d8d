/**
 * A patient as a request names them: by INS (system as received, and value) or by the record's id. Every interface
 * reads its own form into it (FHIR: `patient.identifier` / `Patient/{id}`).
 */
export type PatientRef =
  | { readonly kind: 'ins'; readonly system: string | undefined; readonly value: string }
  | { readonly kind: 'id'; readonly id: string };
