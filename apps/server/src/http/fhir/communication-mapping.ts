import type { InboxRow } from '../../db/outbox.repository.ts';
import { renderMessage } from '../../domain/notifications/messages.ts';
import type { ProfessionalRow, StructureRow } from '../../services/directory.ts';

/**
 * Pure mapping of a delivered notification to FHIR R4 Communication:
 *  - id = the notification id; category = the event type (system NOTIFICATION_TYPE_SYSTEM);
 *  - status `in-progress` while unread, `completed` once the recipient marked it read (extension READ_EXTENSION
 *    gives when); priority routine | urgent (emergency accesses);
 *  - medium: v3-ParticipationMode ELECTRONIC (in-portal inbox) or EMAILWRIT (e-mail);
 *  - subject = the patient's record (Patient/{id}, and the INS for a médecin traitant's emergency notice);
 *    recipient = the patient (INS), the representatives, or the médecin traitant (IdNat_PS);
 *  - sent = when the event happened, received = when it was delivered; about = the document or consent concerned;
 *  - payload[0].contentString = the French text (names of professionals and structures from the directory).
 */
export const NOTIFICATION_TYPE_SYSTEM = 'https://opendmp.fr/fhir/CodeSystem/notification-type';
export const READ_EXTENSION = 'https://opendmp.fr/fhir/StructureDefinition/communication-read';
const PARTICIPATION_MODE = 'http://terminology.hl7.org/CodeSystem/v3-ParticipationMode';
const IDNAT_PS = 'urn:oid:1.2.250.1.71.4.2.1';
const INS_NIR = 'urn:oid:1.2.250.1.213.1.4.8';

export interface CommunicationDirectory {
  readonly professionals: ReadonlyMap<string, ProfessionalRow>;
  readonly structures: ReadonlyMap<string, StructureRow>;
}

function professionalName(p: ProfessionalRow | undefined): string | undefined {
  if (!p) {
    return undefined;
  }
  return `${p.profession === '10' ? 'Dr ' : ''}${p.given_name} ${p.family_name}`;
}

function partyName(
  kind: string | null | undefined,
  id: string | null | undefined,
  dir: CommunicationDirectory,
): string | undefined {
  if (!id) {
    return undefined;
  }
  return kind === 'structure'
    ? dir.structures.get(id)?.name
    : professionalName(dir.professionals.get(id));
}

export function toFhirCommunication(
  row: InboxRow,
  dir: CommunicationDirectory,
  /** The bare OID of the record's INS system (services/records.ts), written here as `urn:oid:…`. */
  insOid?: string,
): Record<string, unknown> {
  const insSystem = insOid === undefined ? undefined : `urn:oid:${insOid}`;
  const p = row.payload;
  const message = renderMessage(
    {
      eventType: row.event_type,
      recipientKind: row.recipient_kind,
      payload: p,
      at: row.created_at,
      actorName:
        p['actorKind'] === 'professional'
          ? partyName('professional', p['actorId'], dir)
          : undefined,
      structureName: p['actorStructure']
        ? dir.structures.get(p['actorStructure'])?.name
        : undefined,
      subjectName: partyName(p['subjectKind'], p['subjectId'], dir),
    },
    true,
  );
  const about: { reference: string }[] = [];
  if (p['documentId']) {
    about.push({ reference: `DocumentReference/${p['documentId']}` });
  }
  if (p['consentId']) {
    about.push({ reference: `Consent/${p['consentId']}` });
  }
  const recipient =
    row.recipient_kind === 'medecin-traitant'
      ? { identifier: { system: IDNAT_PS, value: row.recipient_id } }
      : {
          identifier: { system: insSystem ?? INS_NIR, value: row.recipient_id },
          display:
            row.recipient_kind === 'patient' ? 'Titulaire du dossier' : 'Représentants légaux',
        };
  const subject: Record<string, unknown> = { reference: `Patient/${row.patient_id}` };
  if (p['patientIns'] && row.recipient_kind === 'medecin-traitant') {
    subject['identifier'] = { system: insSystem ?? INS_NIR, value: p['patientIns'] };
  }
  return {
    resourceType: 'Communication',
    id: row.notification_id,
    ...(row.read_at
      ? { extension: [{ url: READ_EXTENSION, valueDateTime: row.read_at.toISOString() }] }
      : {}),
    status: row.read_at ? 'completed' : 'in-progress',
    category: [
      {
        coding: [
          { system: NOTIFICATION_TYPE_SYSTEM, code: row.event_type, display: message.subject },
        ],
      },
    ],
    priority: row.priority,
    medium: [
      {
        coding: [
          row.channel === 'email'
            ? { system: PARTICIPATION_MODE, code: 'EMAILWRIT', display: 'email' }
            : { system: PARTICIPATION_MODE, code: 'ELECTRONIC', display: 'electronic data' },
        ],
      },
    ],
    subject,
    ...(about.length > 0 ? { about } : {}),
    sent: row.created_at.toISOString(),
    received: row.delivered_at.toISOString(),
    recipient: [recipient],
    sender: { display: 'opendmp' },
    payload: [{ contentString: message.text }],
  };
}

/** IdNat_PS and IdNat_Struct named by notifications, for one directory look-up. */
export function communicationDirectoryKeys(rows: readonly InboxRow[]): {
  professionals: string[];
  structures: string[];
} {
  const professionals = new Set<string>();
  const structures = new Set<string>();
  for (const { payload: p } of rows) {
    if (p['actorKind'] === 'professional' && p['actorId']) {
      professionals.add(p['actorId']);
    }
    if (p['actorStructure']) {
      structures.add(p['actorStructure']);
    }
    if (p['subjectId']) {
      (p['subjectKind'] === 'structure' ? structures : professionals).add(p['subjectId']);
    }
  }
  return { professionals: [...professionals], structures: [...structures] };
}
