import type { PatientActor, RepresentativeActor } from '../domain/access/actor.ts';
import type { ProfileType } from '../domain/profile/entry.ts';
import { PROFILE_TYPES } from '../domain/profile/entry.ts';
import * as profiles from '../db/profile.repository.ts';
import * as records from '../db/records.repository.ts';
import { readProfileEntry, stampEntry } from '../http/fhir/profile-entry.ts';
import { isMinor } from '../services/access-facts.ts';
import type { Deps } from '../services/deps.ts';
import { createEntry } from '../services/profile.ts';
import { PATIENTS, TEST_NIR_OID } from './directory.ts';

/**
 * Demo medical profiles, written as FHIR resources through the FHIR adapter's reader (http/fhir/profile-entry.ts)
 * and the same service as the API (validated, authored by the patient or the legal representative, traced). Idempotent: a record whose profile has any entry is left alone. Call after the
 * demo records exist (demo/load.ts).
 */
type Json = Record<string, unknown>;

const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';
const SNOMED = 'http://snomed.info/sct';
const CIM10 = 'http://hl7.org/fhir/sid/icd-10';
const CLINICAL = 'http://terminology.hl7.org/CodeSystem/condition-clinical';
const TRUSTED = 'https://opendmp.fr/fhir/CodeSystem/profile-relationship';

const condition = (code: string, display: string, onset: string): Json => ({
  resourceType: 'Condition',
  clinicalStatus: { coding: [{ system: CLINICAL, code: 'active' }] },
  code: { coding: [{ system: CIM10, code, display }], text: display },
  onsetDateTime: onset,
});
const allergy = (code: string, display: string, criticality: string): Json => ({
  resourceType: 'AllergyIntolerance',
  clinicalStatus: {
    coding: [
      {
        system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical',
        code: 'active',
      },
    ],
  },
  type: 'allergy',
  criticality,
  code: { coding: [{ system: SNOMED, code, display }], text: display },
});
const treatment = (text: string, dosage: string, since: string): Json => ({
  resourceType: 'MedicationStatement',
  status: 'active',
  medicationCodeableConcept: { text },
  effectivePeriod: { start: since },
  dosage: [{ text: dosage }],
});
const vaccination = (text: string, date: string): Json => ({
  resourceType: 'Immunization',
  status: 'completed',
  vaccineCode: { text },
  occurrenceDateTime: date,
});
const measure = (
  code: string,
  display: string,
  value: number,
  unit: string,
  date: string,
): Json => ({
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: LOINC, code, display }], text: display },
  effectiveDateTime: date,
  valueQuantity: { value, unit, system: UCUM, code: unit },
});
const bloodPressure = (sys: number, dia: number, date: string): Json => ({
  resourceType: 'Observation',
  status: 'final',
  code: {
    coding: [{ system: LOINC, code: '85354-9', display: 'Pression artérielle' }],
    text: 'Pression artérielle',
  },
  effectiveDateTime: date,
  component: [
    {
      code: { coding: [{ system: LOINC, code: '8480-6', display: 'Systolique' }] },
      valueQuantity: { value: sys, unit: 'mm[Hg]', system: UCUM, code: 'mm[Hg]' },
    },
    {
      code: { coding: [{ system: LOINC, code: '8462-4', display: 'Diastolique' }] },
      valueQuantity: { value: dia, unit: 'mm[Hg]', system: UCUM, code: 'mm[Hg]' },
    },
  ],
});
const directives = (text: string, date: string): Json => ({
  resourceType: 'Observation',
  status: 'final',
  code: {
    coding: [{ system: LOINC, code: '42348-3', display: 'Directives anticipées' }],
    text: 'Directives anticipées',
  },
  effectiveDateTime: date,
  valueString: text,
});
const trustedPerson = (given: string, family: string, link: string, phone: string): Json => ({
  resourceType: 'RelatedPerson',
  active: true,
  relationship: [
    {
      coding: [
        { system: TRUSTED, code: 'personne-de-confiance', display: 'Personne de confiance' },
      ],
    },
    { text: link },
  ],
  name: [{ family, given: [given] }],
  telecom: [{ system: 'phone', value: phone }],
});

interface DemoProfile {
  readonly ins: string;
  readonly representative?: string;
  readonly entries: readonly Json[];
}

export const DEMO_PROFILES: readonly DemoProfile[] = [
  {
    ins: '158037505610143',
    entries: [
      condition('I10', 'Hypertension artérielle', '2015-04'),
      condition('E11', 'Diabète de type 2', '2019-09'),
      allergy('91936005', 'Allergie à la pénicilline', 'high'),
      treatment('Amlodipine 5 mg', '1 comprimé le matin', '2015-05-01'),
      treatment('Metformine 850 mg', '1 comprimé matin et soir', '2019-10-01'),
      vaccination('Vaccin grippe saisonnière', '2025-10-15'),
      vaccination('Rappel diphtérie-tétanos-poliomyélite', '2023-03-02'),
      measure('29463-7', 'Poids', 84, 'kg', '2026-09-01'),
      measure('8302-2', 'Taille', 176, 'cm', '2026-09-01'),
      bloodPressure(138, 86, '2026-09-01T08:30:00+02:00'),
      trustedPerson('Anne', 'MARTIN', 'Épouse', '+33600000001'),
    ],
  },
  {
    ins: '262076912310249',
    entries: [
      condition('J45', 'Asthme', '1990'),
      allergy('256259004', 'Allergie au pollen de graminées', 'low'),
      treatment('Salbutamol 100 µg, inhalation', 'si besoin', '2010-01-01'),
      vaccination('Vaccin COVID-19', '2024-11-05'),
      measure('29463-7', 'Poids', 61.5, 'kg', '2026-06-12'),
    ],
  },
  {
    ins: '244092A00410659',
    entries: [
      condition('I48', 'Fibrillation auriculaire', '2018-02'),
      condition('M81', 'Ostéoporose', '2012'),
      treatment('Apixaban 5 mg', '1 comprimé matin et soir', '2018-03-01'),
      vaccination('Vaccin pneumococcique', '2022-01-20'),
      bloodPressure(142, 78, '2026-08-20T10:00:00+02:00'),
      directives(
        'Je refuse toute obstination déraisonnable. Mes directives anticipées écrites sont confiées à ma fille et à mon médecin traitant.',
        '2024-05-10',
      ),
      trustedPerson('Lucie', 'RICHARD', 'Fille', '+33600000002'),
    ],
  },
  {
    ins: '112087505611139',
    representative: 'Claire SIMON',
    entries: [
      allergy('227493005', "Allergie à l'arachide", 'high'),
      vaccination('ROR (rougeole, oreillons, rubéole)', '2013-09-10'),
      vaccination('Hexavalent (DTCaP-Hib-HepB)', '2012-10-15'),
      measure('29463-7', 'Poids', 42, 'kg', '2026-09-05'),
      measure('8302-2', 'Taille', 152, 'cm', '2026-09-05'),
    ],
  },
  {
    ins: '135022123111366',
    entries: [
      condition('G30', 'Maladie d’Alzheimer', '2021'),
      condition('I50', 'Insuffisance cardiaque', '2016'),
      treatment('Furosémide 40 mg', '1 comprimé le matin', '2016-06-01'),
      directives(
        'Pas de réanimation cardio-pulmonaire ; soins de confort privilégiés.',
        '2021-11-02',
      ),
      trustedPerson('Marc', 'LEFEBVRE', 'Fils', '+33600000003'),
    ],
  },
];

const SUBJECT_FIELD: Readonly<Record<ProfileType, string>> = {
  Condition: 'subject',
  AllergyIntolerance: 'patient',
  MedicationStatement: 'subject',
  Immunization: 'patient',
  Observation: 'subject',
  RelatedPerson: 'patient',
};

export async function loadDemoProfiles(deps: Deps): Promise<{ patients: number; entries: number }> {
  let patients = 0;
  let entries = 0;
  for (const p of DEMO_PROFILES) {
    const row = await records.findRecordByIns(deps.sql, p.ins);
    if (!row || row.status !== 'active') {
      continue;
    }
    const existing = await profiles.findEntries(deps.sql, row.patient_id, {
      types: PROFILE_TYPES,
      limit: 1,
      offset: 0,
    });
    if (existing.length > 0) {
      continue;
    }
    // Written by the registered representative while the holder is a minor (issue 17 rule 1), by the holder after.
    const actor: PatientActor | RepresentativeActor =
      p.representative && isMinor(row.birth_date, deps.clock.now())
        ? {
            kind: 'representative',
            ins: p.ins,
            // The representative registered on the record by the demo loader (issue 17 rule 1).
            id: PATIENTS.find((d) => d.ins === p.ins)?.representative?.id,
            name: p.representative,
          }
        : { kind: 'patient', ins: p.ins };
    patients++;
    for (const e of p.entries) {
      const type = e['resourceType'] as ProfileType;
      const resource = {
        ...e,
        [SUBJECT_FIELD[type]]: { identifier: { system: `urn:oid:${TEST_NIR_OID}`, value: p.ins } },
      };
      // The demo's own resources, read without the FHIR adapter's schema check (they are the project's).
      const read = readProfileEntry(resource, type, JSON.stringify(resource).length);
      if (!read.ok) {
        throw new Error(
          `demo profile entry ${type} unreadable: ${read.error.map((i) => i.code).join(', ')}`,
        );
      }
      await createEntry(deps, actor, {
        ...read.value,
        encode: (stamp) => stampEntry(resource, type, stamp),
      });
      entries++;
    }
  }
  return { patients, entries };
}
