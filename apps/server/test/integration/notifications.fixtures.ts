import { randomUUID } from 'node:crypto';
import type { Sql } from '../../src/db/client.ts';
import type { TestApp } from '../helpers/app.ts';

/** Shared material for the notification, outbox and audit tests. */
export const TEST_OID = 'urn:oid:1.2.250.1.213.1.4.10';
export const IDNAT_PS = 'urn:oid:1.2.250.1.71.4.2.1';

export const DR_MEDECIN = {
  kind: 'professional',
  idNatPs: '899700366240',
  profession: '10',
  specialty: 'SM26',
  structure: '1750300000',
  sector: 'SA07',
  mode: 'normal',
};
/** The médecin traitant of the tests. */
export const DR_GENERALISTE = {
  kind: 'professional',
  idNatPs: '810001000008',
  profession: '10',
  specialty: 'SM26',
  structure: '1750600009',
  sector: 'SA07',
  mode: 'normal',
};
export const DR_CARDIO_EMERGENCY = {
  kind: 'professional',
  idNatPs: '810001000016',
  profession: '10',
  specialty: 'SM04',
  structure: '1750700007',
  sector: 'SA07',
  mode: 'bris_de_glace',
  reason: 'Patient inconscient aux urgences, antécédents inconnus',
};

export const auth = (token: string): Record<string, string> => ({
  authorization: `Bearer ${token}`,
});

/** Directory rows (structures, professionals with e-mail addresses) the tests rely on. */
export async function loadDirectory(owner: Sql): Promise<void> {
  await owner`INSERT INTO structure (id_nat_struct, name, sector, kind) VALUES
    ('1750300000', 'Centre hospitalier de démonstration', 'SA01', 'etablissement'),
    ('1750600009', 'Cabinet de médecine générale des Lilas', 'SA07', 'cabinet'),
    ('1750700007', 'Cabinet de cardiologie Voltaire', 'SA07', 'cabinet')
    ON CONFLICT DO NOTHING`;
  await owner`INSERT INTO professional (id_nat_ps, family_name, given_name, profession, specialty, email) VALUES
    ('899700366240', 'MEDECIN', 'Hélène', '10', 'SM26', NULL),
    ('810001000008', 'GENERALISTE', 'Paul', '10', 'SM26', 'paul.generaliste@cabinet-lilas.example'),
    ('810001000016', 'CARDIO', 'Anne', '10', 'SM04', NULL)
    ON CONFLICT DO NOTHING`;
}

export function patientBody(nir: string, birthDate: string, sex = 'male'): Record<string, unknown> {
  return {
    resourceType: 'Patient',
    identifier: [{ system: TEST_OID, value: nir }],
    name: [{ use: 'official', family: 'MARTIN', given: ['Jean'] }],
    gender: sex,
    birthDate,
    extension: [
      { url: 'https://opendmp.fr/fhir/StructureDefinition/birth-place-code', valueCode: '75056' },
    ],
  };
}

/** Creates a record through the API (as the operator); returns its id. */
export async function createRecord(
  t: TestApp,
  operator: string,
  nir: string,
  birthDate: string,
  sex = 'male',
): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/fhir/Patient',
    headers: { ...auth(operator), 'content-type': 'application/fhir+json' },
    payload: patientBody(nir, birthDate, sex),
  });
  if (res.statusCode !== 201) {
    throw new Error(`record creation failed: ${res.statusCode} ${res.body}`);
  }
  return (res.json() as { id: string }).id;
}

export function consentBody(
  nir: string,
  type: 'permit' | 'deny',
  idNatPs: string,
): Record<string, unknown> {
  return {
    resourceType: 'Consent',
    status: 'active',
    scope: {
      coding: [
        { system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' },
      ],
    },
    category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
    patient: { identifier: { system: TEST_OID, value: nir } },
    provision: {
      type,
      actor: [{ reference: { identifier: { system: IDNAT_PS, value: idNatPs } } }],
    },
  };
}

export async function postConsent(
  t: TestApp,
  token: string,
  body: Record<string, unknown>,
): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/fhir/Consent',
    headers: { ...auth(token), 'content-type': 'application/fhir+json' },
    payload: body,
  });
  if (res.statusCode !== 201 && res.statusCode !== 200) {
    throw new Error(`consent refused: ${res.statusCode} ${res.body}`);
  }
  return (res.json() as { id: string }).id;
}

export async function setMedecinTraitant(
  t: TestApp,
  operator: string,
  patientId: string,
  idNatPs: string,
): Promise<void> {
  const res = await t.app.inject({
    method: 'PATCH',
    url: `/fhir/Patient/${patientId}`,
    headers: { ...auth(operator), 'content-type': 'application/json-patch+json' },
    payload: [
      {
        op: 'add',
        path: '/generalPractitioner',
        value: [{ identifier: { system: IDNAT_PS, value: idNatPs } }],
      },
    ],
  });
  if (res.statusCode !== 200) {
    throw new Error(`médecin traitant refused: ${res.statusCode} ${res.body}`);
  }
}

/**
 * Writes a document's rows directly (owner connection), as the document services would: metadata only, with
 * a dummy encrypted content. Returns the document id.
 */
export async function insertDocument(
  owner: Sql,
  patientId: string,
  options: { confidentiality: string[]; depositedAt: Date; authorIdNatPs?: string },
): Promise<string> {
  const id = randomUUID();
  const contentId = randomUUID();
  const setId = randomUUID();
  const at = options.depositedAt;
  const author = options.authorIdNatPs ?? '899700366240';
  await owner`INSERT INTO record_data_key (patient_id, key_version, master_key_id, wrapped_key, created_at)
    VALUES (${patientId}, 1, 'test', ${Buffer.alloc(60)}, ${at}) ON CONFLICT DO NOTHING`;
  await owner`INSERT INTO document_content (patient_id, content_id, key_version, nonce, tag, ciphertext)
    VALUES (${patientId}, ${contentId}, 1, ${Buffer.alloc(12)}, ${Buffer.alloc(16)}, ${Buffer.from('x')})`;
  // The SubmissionSet's neutral truth and its FHIR cache (migrations 0150–0151): never read by these tests.
  await owner`INSERT INTO submission_set (patient_id, id, unique_id, depositor_kind, depositor_id, submitted_at, metadata, served)
    VALUES (${patientId}, ${setId}, ${`2.25.${Date.now()}${Math.floor(Math.random() * 1e6)}`}, 'professional', ${author},
      ${at}, ${owner.json({})}, '{}')`;
  await owner`INSERT INTO document (patient_id, id, entry_uuid, unique_id, lineage_id, status, type_code, class_code, format_code,
      facility_code, setting_code, confidentiality, author_ids, author_structures, depositor_kind, depositor_id,
      submission_set_id, deposited_at, updated_at, content_id, mime_type, size, sha1, metadata, served)
    VALUES (${patientId}, ${id}, ${id}, ${`2.25.${Date.now()}${Math.floor(Math.random() * 1e9)}`}, ${id}, 'current', '11490-0',
      '10', 'urn:ihe:iti:xds-sd:pdf:2008', 'SA01', 'ETABLISSEMENT', ${options.confidentiality}, ${[author]},
      ${['1750300000']}, 'professional', ${author}, ${setId}, ${at}, ${at}, ${contentId}, 'application/pdf', 1,
      ${Buffer.alloc(20)}, ${owner.json({})}, '{}')`;
  return id;
}
