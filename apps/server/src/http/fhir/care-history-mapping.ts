import type { CodeKind } from '../../domain/care-history/line.ts';
import { sectionOf } from '../../domain/care-history/line.ts';
import type { CareLineRow } from '../../db/care-history.repository.ts';
import type { RecordRow } from '../../db/records.repository.ts';

/**
 * One reimbursement line as a FHIR R4 ExplanationOfBenefit (docs/care-history.md "FHIR shape"). Translation only.
 * Code systems: the OIDs of the CNAM-HR volet (JDV_sejours_actes_CNAM-HR_CISIS for NGAP and CCAM, JDV_NABM for
 * biology, JDV_BDM for CIP13), as `urn:oid:`.
 */
export const CODE_SYSTEMS: Readonly<Record<CodeKind, string>> = {
  NGAP: 'urn:oid:1.2.250.1.215.200.3.3',
  CCAM: 'urn:oid:1.2.250.1.215.200.3.4',
  BIO: 'urn:oid:1.2.250.1.215.200.4.1',
  CIP13: 'urn:oid:1.2.250.1.215.200.1.1.1',
};
export const SECTION_SYSTEM = 'https://opendmp.fr/fhir/CodeSystem/care-history-section';
export const CODE_KIND_SYSTEM = 'https://opendmp.fr/fhir/CodeSystem/care-code-kind';
export const CARE_TEAM_ROLE_SYSTEM = 'https://opendmp.fr/fhir/CodeSystem/care-team-role';
const TRE_G15_URL =
  'https://mos.esante.gouv.fr/NOS/TRE_G15-ProfessionSante/FHIR/TRE-G15-ProfessionSante';
const PS = 'urn:oid:1.2.250.1.71.4.2.1';
const STRUCT = 'urn:oid:1.2.250.1.71.4.2.2';
const ADJUDICATION = 'http://terminology.hl7.org/CodeSystem/adjudication';

type Json = Record<string, unknown>;

export interface Names {
  readonly professional?: (id: string) => string | undefined;
  readonly structure?: (id: string) => string | undefined;
}

function ref(system: string, value: string, display: string | undefined): Json {
  return { identifier: { system, value }, ...(display !== undefined ? { display } : {}) };
}

export function toExplanationOfBenefit(
  line: CareLineRow,
  record: RecordRow,
  names: Names = {},
): Json {
  const euros = Number((line.amount_cents / 100).toFixed(2));
  const benefit = {
    coding: [{ system: ADJUDICATION, code: 'benefit', display: 'Benefit Amount' }],
  };
  const careTeam: Json[] = [];
  if (line.executant_id !== null) {
    careTeam.push({
      sequence: 1,
      provider: ref(PS, line.executant_id, names.professional?.(line.executant_id)),
      role: {
        coding: [
          { system: 'http://terminology.hl7.org/CodeSystem/claimcareteamrole', code: 'primary' },
        ],
      },
      ...(line.executant_profession !== null
        ? { qualification: { coding: [{ system: TRE_G15_URL, code: line.executant_profession }] } }
        : {}),
    });
  }
  if (line.prescriber_id !== null) {
    careTeam.push({
      sequence: careTeam.length + 1,
      provider: ref(PS, line.prescriber_id, names.professional?.(line.prescriber_id)),
      role: {
        coding: [{ system: CARE_TEAM_ROLE_SYSTEM, code: 'prescriber', display: 'Prescripteur' }],
      },
    });
  }
  const structure =
    line.structure_id !== null
      ? ref(STRUCT, line.structure_id, names.structure?.(line.structure_id))
      : undefined;
  const provider =
    line.executant_id !== null
      ? ref(PS, line.executant_id, names.professional?.(line.executant_id))
      : (structure ?? { display: 'Non communiqué' });
  const quantity = Number(line.quantity);
  return {
    resourceType: 'ExplanationOfBenefit',
    id: line.line_key.toString('hex'),
    meta: {
      tag: [
        { system: SECTION_SYSTEM, code: sectionOf(line.code_kind, line.code) },
        { system: CODE_KIND_SYSTEM, code: line.code_kind },
      ],
    },
    status: 'active',
    type: {
      coding: [
        {
          system: 'http://terminology.hl7.org/CodeSystem/claim-type',
          code: line.code_kind === 'CIP13' ? 'pharmacy' : 'professional',
        },
      ],
    },
    use: 'claim',
    patient: {
      reference: `Patient/${record.patient_id}`,
      identifier: { system: `urn:oid:${record.ins_oid}`, value: record.ins },
    },
    billablePeriod: { start: line.care_date, end: line.care_date },
    created: line.imported_at.toISOString(),
    insurer: { ...ref(STRUCT, '318003502400041', 'Assurance Maladie') },
    provider,
    ...(structure ? { facility: structure } : {}),
    ...(careTeam.length > 0 ? { careTeam } : {}),
    outcome: 'complete',
    insurance: [{ focal: true, coverage: { display: 'Assurance maladie obligatoire' } }],
    item: [
      {
        sequence: 1,
        ...(line.executant_id !== null ? { careTeamSequence: [1] } : {}),
        productOrService: {
          coding: [{ system: CODE_SYSTEMS[line.code_kind], code: line.code, display: line.label }],
          text: line.label,
        },
        servicedDate: line.care_date,
        quantity: { value: quantity },
        adjudication: [{ category: benefit, amount: { value: euros, currency: 'EUR' } }],
      },
    ],
    total: [{ category: benefit, amount: { value: euros, currency: 'EUR' } }],
  };
}
