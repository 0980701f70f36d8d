import type { ConsentRow } from '../../db/consent.repository.ts';
import type { RecordRow } from '../../db/records.repository.ts';
import { IDNAT_PS_SYSTEM, IDNAT_STRUCT_SYSTEM, TRE_R248_SYSTEM } from './consent-reading.ts';
import type { ProfessionalRow, StructureRow } from '../../services/directory.ts';

/** Pure mapping of a stored authorization / block / objection to FHIR Consent. */
export function toFhirConsent(
  row: ConsentRow,
  record: RecordRow,
  directory: { professionals: Map<string, ProfessionalRow>; structures: Map<string, StructureRow> },
): Record<string, unknown> {
  const provision: Record<string, unknown> = {
    type: row.kind === 'authorization' ? 'permit' : 'deny',
  };
  if (row.actor_id && row.actor_kind) {
    const pro =
      row.actor_kind === 'professional' ? directory.professionals.get(row.actor_id) : undefined;
    const struct =
      row.actor_kind === 'structure' ? directory.structures.get(row.actor_id) : undefined;
    const display = pro ? `${pro.given_name} ${pro.family_name}` : struct ? struct.name : undefined;
    provision['actor'] = [
      {
        role: {
          coding: [
            {
              system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType',
              code: row.actor_kind === 'professional' ? 'PRCP' : 'CST',
            },
          ],
        },
        reference: {
          type: row.actor_kind === 'professional' ? 'Practitioner' : 'Organization',
          identifier: {
            system: row.actor_kind === 'professional' ? IDNAT_PS_SYSTEM : IDNAT_STRUCT_SYSTEM,
            value: row.actor_id,
          },
          ...(display ? { display } : {}),
        },
      },
    ];
    if (pro) {
      provision['code'] = [
        {
          coding: [
            {
              system:
                'https://mos.esante.gouv.fr/NOS/TRE_G15-ProfessionSante/FHIR/TRE-G15-ProfessionSante',
              code: pro.profession,
            },
          ],
        },
      ];
    }
  }
  if (row.purpose) {
    provision['purpose'] = [{ system: TRE_R248_SYSTEM, code: row.purpose }];
  }
  if (row.expires_at) {
    provision['period'] = {
      start: row.created_at.toISOString(),
      end: row.expires_at.toISOString(),
    };
  }
  return {
    resourceType: 'Consent',
    id: row.id,
    meta: { tag: [{ system: 'https://opendmp.fr/fhir/CodeSystem/consent-kind', code: row.kind }] },
    status: row.status,
    scope: {
      coding: [
        { system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' },
      ],
    },
    category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
    patient: {
      reference: `Patient/${record.patient_id}`,
      identifier: { system: `urn:oid:${record.ins_oid}`, value: record.ins },
    },
    dateTime: row.created_at.toISOString(),
    provision,
  };
}
