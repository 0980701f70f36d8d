import type { AuditEventRow } from '../../db/audit-query.repository.ts';
import type { RecordRow } from '../../db/records.repository.ts';
import { CS, systemUrl } from '../../domain/identity/code-systems.ts';
import type { ProfessionalRow, StructureRow } from '../../services/directory.ts';

/**
 * Pure mapping of a trace to a FHIR R4 AuditEvent, shaped like IHE BALP (Basic Audit Log Patterns):
 *  - type: `rest` (audit-event-type) for API interactions, DICOM 110114 User Authentication for logins,
 *    DICOM 110100 Application Activity for jobs; subtype: the FHIR interaction (create, read, update, delete,
 *    search-type) and our own action code (system AUDIT_ACTION_SYSTEM, e.g. `record.status`, `consent.block`);
 *  - action C/R/U/D/E; recorded; outcome 0 (success), 4 (denied; outcomeDesc = the stable reason code) or 8;
 *  - agent[0] = who acted (requestor): IdNat_PS (urn:oid:1.2.250.1.71.4.2.1), INS, operator or application id,
 *    with display name and, for a professional, profession (TRE_G15) and specialty (TRE_R01) in `role`;
 *    agent[1] = the structure a professional acted from (IdNat_Struct, urn:oid:1.2.250.1.71.4.2.2) with its name;
 *  - purposeOfEvent = the access mode (TRE_R248, NOS canonical system), its `text` the written justification of a
 *    bris de glace;
 *  - entity: the patient (Patient/{id} + INS) and the object acted on (DocumentReference/{id}, Consent/{id}…),
 *    with the trace's identifier-only details as entity.detail.
 */
export const AUDIT_ACTION_SYSTEM = 'https://opendmp.fr/fhir/CodeSystem/audit-action';
export const AGENT_KIND_SYSTEM = 'https://opendmp.fr/fhir/CodeSystem/agent-kind';
const IDNAT_PS = 'urn:oid:1.2.250.1.71.4.2.1';
const IDNAT_STRUCT = 'urn:oid:1.2.250.1.71.4.2.2';
const INS_NIR = 'urn:oid:1.2.250.1.213.1.4.8';
const OPERATOR_SYSTEM = 'https://opendmp.fr/fhir/NamingSystem/operator';
const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const AUDIT_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-event-type';
const RESTFUL = 'http://hl7.org/fhir/restful-interaction';
const ROLE_CLASS = 'http://terminology.hl7.org/CodeSystem/v3-RoleClass';
const ROLE_CODE = 'http://terminology.hl7.org/CodeSystem/v3-RoleCode';
const ENTITY_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-entity-type';
const OBJECT_ROLE = 'http://terminology.hl7.org/CodeSystem/object-role';

export type AuditAction = 'C' | 'R' | 'U' | 'D' | 'E';

const UPDATES = new Set([
  'record.close',
  'record.reopen',
  'record.request-deletion',
  'record.medecin-traitant',
  'communication.mark-read',
  'notification.preferences.update',
]);
const DELETES = new Set(['record.purge', 'opposition.lift', 'document.delete']);
const READS = new Set([
  'record.read',
  'document.read',
  'document.retrieve',
  'consent.read',
  'audit.read',
  'communication.read',
  'notification.preferences.read',
]);
const CREATES = new Set([
  'record.create',
  'opposition.register',
  'document.deposit',
  'consent.authorization',
  'consent.block',
  'consent.emergency-objection',
  'consent.care-team-objection',
]);

/** C/R/U/D/E of one of our action codes (searches, look-ups, logins and jobs are E). */
export function auditActionOf(action: string): AuditAction {
  if (CREATES.has(action)) {
    return 'C';
  }
  if (DELETES.has(action) || (action.startsWith('consent.') && action.endsWith('.end'))) {
    return 'D';
  }
  if (READS.has(action)) {
    return 'R';
  }
  if (
    UPDATES.has(action) ||
    /^document\.(replace|archive|unarchive|patch|update|set-visibility|visible-to-patient|wrap)/.test(
      action,
    )
  ) {
    return 'U';
  }
  return 'E';
}

const INTERACTION: Record<AuditAction, string> = {
  C: 'create',
  R: 'read',
  U: 'update',
  D: 'delete',
  E: 'search-type',
};

const MODE_DISPLAY: Readonly<Record<string, string>> = {
  normal: 'Accès normal',
  bris_de_glace: 'Accès en mode bris de glace',
  centre_15: 'Accès en mode centre de régulation',
};

const FHIR_TYPES = new Set([
  'Patient',
  'DocumentReference',
  'Binary',
  'List',
  'Consent',
  'AuditEvent',
  'Communication',
]);

export interface AuditDirectory {
  readonly professionals: ReadonlyMap<string, ProfessionalRow>;
  readonly structures: ReadonlyMap<string, StructureRow>;
}

type Json = Record<string, unknown>;

function coding(system: string, code: string, display?: string): Json {
  return display === undefined ? { system, code } : { system, code, display };
}

function typeOf(row: AuditEventRow, action: AuditAction): { type: Json; subtype: Json[] } {
  const own = coding(AUDIT_ACTION_SYSTEM, row.action);
  if (row.action === 'auth.login') {
    return {
      type: coding(DCM, '110114', 'User Authentication'),
      subtype: [coding(DCM, '110122', 'Login'), own],
    };
  }
  if (row.action.startsWith('job.')) {
    return { type: coding(DCM, '110100', 'Application Activity'), subtype: [own] };
  }
  return {
    type: coding(AUDIT_TYPE, 'rest', 'Restful Operation'),
    subtype: [coding(RESTFUL, INTERACTION[action]), own],
  };
}

function personName(p: ProfessionalRow | undefined): string | undefined {
  return p ? `${p.given_name} ${p.family_name}` : undefined;
}

function agents(row: AuditEventRow, record: RecordRow | undefined, dir: AuditDirectory): Json[] {
  const display = (fallback?: string): Json => {
    const name = row.actor_name ?? fallback;
    return name ? { display: name } : {};
  };
  switch (row.actor_kind) {
    case 'professional': {
      const p = dir.professionals.get(row.actor_id);
      const role: Json[] = [];
      const profession = row.actor_profession ?? p?.profession;
      if (profession) {
        role.push({ coding: [coding(systemUrl(CS.TRE_G15_PROFESSION_SANTE), profession)] });
      }
      const specialty = row.actor_specialty ?? p?.specialty ?? undefined;
      if (specialty) {
        role.push({ coding: [coding(systemUrl(CS.TRE_R01_SAVOIR_FAIRE), specialty)] });
      }
      const out: Json[] = [
        {
          type: { coding: [coding(ROLE_CLASS, 'PROV', 'healthcare provider')] },
          ...(role.length > 0 ? { role } : {}),
          who: { identifier: { system: IDNAT_PS, value: row.actor_id }, ...display(personName(p)) },
          requestor: true,
        },
      ];
      if (row.actor_structure) {
        const s = dir.structures.get(row.actor_structure);
        out.push({
          type: { coding: [coding(AGENT_KIND_SYSTEM, 'structure', 'Structure d’exercice')] },
          who: {
            identifier: { system: IDNAT_STRUCT, value: row.actor_structure },
            ...(s ? { display: s.name } : {}),
          },
          requestor: false,
        });
      }
      return out;
    }
    case 'patient':
    case 'representative': {
      const system = record && record.ins === row.actor_id ? `urn:oid:${record.ins_oid}` : INS_NIR;
      const type =
        row.actor_kind === 'patient'
          ? coding(ROLE_CLASS, 'PAT', 'patient')
          : coding(ROLE_CODE, 'GUARD', 'guardian');
      return [
        {
          type: { coding: [type] },
          who: {
            identifier: { system, value: row.actor_id },
            ...display(
              row.actor_kind === 'patient' ? 'Le titulaire du dossier' : 'Représentant légal',
            ),
          },
          requestor: true,
        },
      ];
    }
    case 'operator':
      return [
        {
          type: { coding: [coding(AGENT_KIND_SYSTEM, 'operator', 'Opérateur du DMP')] },
          who: { identifier: { system: OPERATOR_SYSTEM, value: row.actor_id }, ...display() },
          requestor: true,
        },
      ];
    case 'software': {
      // Issue 17 rule 12: a structure's software acting on its own, shown with its structure.
      const s = row.actor_structure ? dir.structures.get(row.actor_structure) : undefined;
      return [
        {
          type: { coding: [coding(DCM, '110150', 'Application')] },
          who: { display: row.actor_name ?? `Logiciel ${row.actor_id}` },
          requestor: true,
        },
        ...(row.actor_structure
          ? [
              {
                type: { coding: [coding(AGENT_KIND_SYSTEM, 'structure', 'Structure d’exercice')] },
                who: {
                  identifier: { system: IDNAT_STRUCT, value: row.actor_structure },
                  ...(s ? { display: s.name } : {}),
                },
                requestor: false,
              },
            ]
          : []),
      ];
    }
    default:
      return [
        {
          type: { coding: [coding(DCM, '110150', 'Application')] },
          who: { display: row.actor_id },
          requestor: false,
        },
      ];
  }
}

function entities(row: AuditEventRow, record: RecordRow | undefined): Json[] {
  const out: Json[] = [];
  const patientId = row.patient_id ?? (row.entity_type === 'Patient' ? row.entity_id : null);
  if (patientId) {
    out.push({
      what: {
        reference: `Patient/${patientId}`,
        ...(record
          ? { identifier: { system: `urn:oid:${record.ins_oid}`, value: record.ins } }
          : {}),
      },
      type: coding(ENTITY_TYPE, '1', 'Person'),
      role: coding(OBJECT_ROLE, '1', 'Patient'),
    });
  }
  const details = Object.entries(row.detail)
    .filter(([, v]) => v !== null && v !== '')
    .map(([k, v]) => ({ type: k, valueString: String(v) }));
  const objectIsPatient = row.entity_type === 'Patient' && row.entity_id === patientId;
  if (row.entity_type && row.entity_id && !objectIsPatient) {
    const what: Json = FHIR_TYPES.has(row.entity_type)
      ? { reference: `${row.entity_type}/${row.entity_id}` }
      : row.entity_type === 'ins'
        ? { identifier: { system: INS_NIR, value: row.entity_id } }
        : { identifier: { value: row.entity_id }, display: row.entity_type };
    out.push({
      what,
      type: coding(ENTITY_TYPE, '2', 'System Object'),
      role:
        row.entity_type === 'DocumentReference'
          ? coding(OBJECT_ROLE, '3', 'Report')
          : coding(OBJECT_ROLE, '4', 'Domain Resource'),
      ...(details.length > 0 ? { detail: details } : {}),
    });
  } else if (details.length > 0) {
    if (out[0]) {
      out[0] = { ...out[0], detail: details };
    } else {
      out.push({ type: coding(ENTITY_TYPE, '4', 'Other'), detail: details });
    }
  }
  return out;
}

/** The AuditEvent of one trace. */
export function toFhirAuditEvent(
  row: AuditEventRow,
  record: RecordRow | undefined,
  dir: AuditDirectory,
): Json {
  const action = auditActionOf(row.action);
  const { type, subtype } = typeOf(row, action);
  const purpose =
    row.access_mode !== null
      ? [
          {
            coding: [
              coding(
                systemUrl(CS.TRE_R248_MODE_ACCES),
                row.access_mode,
                MODE_DISPLAY[row.access_mode],
              ),
            ],
            ...(row.justification ? { text: row.justification } : {}),
          },
        ]
      : undefined;
  return {
    resourceType: 'AuditEvent',
    id: row.id,
    type,
    subtype,
    action,
    recorded: row.recorded_at.toISOString(),
    outcome: row.outcome === 'success' ? '0' : row.outcome === 'denied' ? '4' : '8',
    ...(row.reason_code ? { outcomeDesc: row.reason_code } : {}),
    ...(purpose ? { purposeOfEvent: purpose } : {}),
    agent: agents(row, record, dir),
    source: {
      observer: { display: 'opendmp' },
      type: [
        coding(
          'http://terminology.hl7.org/CodeSystem/security-source-type',
          '4',
          'Application Server',
        ),
      ],
    },
    entity: entities(row, record),
  };
}

/** IdNat_PS and IdNat_Struct named by a page of traces, for one directory look-up. */
export function directoryKeys(rows: readonly AuditEventRow[]): {
  professionals: string[];
  structures: string[];
} {
  const professionals = new Set<string>();
  const structures = new Set<string>();
  for (const r of rows) {
    if (r.actor_kind === 'professional') {
      professionals.add(r.actor_id);
      if (r.actor_structure) {
        structures.add(r.actor_structure);
      }
    }
  }
  return { professionals: [...professionals], structures: [...structures] };
}
