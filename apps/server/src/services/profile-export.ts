import type { Actor } from '../domain/access/actor.ts';
import { decideAccess } from '../domain/access/policy.ts';
import { domainError, DomainFailure } from '../domain/errors.ts';
import { CS, systemUrl } from '../domain/identity/code-systems.ts';
import { PROFILE_TYPES } from '../domain/profile/entry.ts';
import * as documents from '../db/documents.repository.ts';
import * as profiles from '../db/profile.repository.ts';
import * as records from '../db/records.repository.ts';
import { buildProfileCda, PROFILE_FORMAT_CODE } from '../cda/profile.ts';
import { uuidOid } from '../cda/xml.ts';
import { loadAccessContext } from './access-facts.ts';
import { audit, auditDenial } from './audit.ts';
import { documentDeps } from './documents/context.ts';
import { deposit } from './documents/deposit.ts';
import type { Deps } from './deps.ts';
import { isUuid } from '../domain/identity/uuid.ts';

/**
 * `POST /fhir/Patient/{id}/$export-profile` (docs/care-history.md "Export"): the patient or representative turns the
 * profile into the "profil médical" document (DOCPAT08, CDA R2 with a narrative body, cda/profile.ts) and, unless
 * `deposit` is false, deposits it in their record through the document service (services/documents/deposit.ts: validated, decided as
 * a patient deposit, traced `document.deposit`); the next export replaces the previous one (relatedDocument RPLC,
 * `document.replace`) while it is current, so ITI-67 finds one profile document. The export itself is traced
 * `profile.export` (counts only). Decided as 'profile.write': only the holder side exports.
 */
export interface ProfileExport {
  readonly xml: string;
  readonly documentId?: string;
  readonly entries: number;
}

const MAX_ENTRIES = 2000;

export async function exportProfile(
  deps: Deps,
  actor: Actor,
  patientId: string,
  options: { readonly deposit: boolean },
): Promise<ProfileExport> {
  const record = isUuid(patientId) ? await records.findRecord(deps.sql, patientId) : undefined;
  if (!record) {
    throw new DomainFailure(domainError('not-found', 'REC_NOT_FOUND', 'No such record.'));
  }
  const { context } = await loadAccessContext(deps.sql, deps, actor, record);
  const decision = decideAccess({ ...context, action: 'profile.write' });
  if (!decision.allow) {
    await auditDenial(deps, actor, record.patient_id, {
      action: 'profile.export',
      reasonCode: decision.reason,
    });
    throw new DomainFailure(
      decision.reason === 'ACCESS_NOT_HOLDER' ||
        decision.reason === 'ACCESS_OPERATOR_NO_CLINICAL' ||
        decision.reason === 'ACCESS_NOT_REPRESENTATIVE'
        ? domainError('not-found', 'REC_NOT_FOUND', 'No such record.')
        : domainError(
            decision.reason === 'ACCESS_RECORD_CLOSED' ? 'unprocessable' : 'forbidden',
            decision.reason,
            decision.message,
          ),
    );
  }
  const rows = await profiles.findEntries(deps.sql, record.patient_id, {
    types: PROFILE_TYPES,
    limit: MAX_ENTRIES,
    offset: 0,
  });
  const previous = await profiles.findExport(deps.sql, record.patient_id);
  const previousDoc = previous
    ? await documents.findDocument(deps.sql, record.patient_id, previous.document_id)
    : undefined;
  const replacing = previousDoc?.status === 'current' ? previous : undefined;
  const version = replacing ? replacing.version + 1 : 1;
  const uniqueId = uuidOid(deps.ids());
  const now = deps.clock.now();
  const xml = buildProfileCda({
    id: { root: uniqueId },
    // One set per record and document kind: the record's UUID as an OID, arc .2 for the profile.
    setId: { root: `${uuidOid(record.patient_id)}.2` },
    version,
    ...(replacing ? { previous: { root: replacing.unique_id } } : {}),
    effectiveTime: now,
    patient: {
      ins: record.ins,
      insOid: record.ins_oid,
      birthName: record.birth_name,
      givenNames: record.given_names,
      sex: record.sex,
      birthDate: record.birth_date,
    },
    entries: rows.map((r) => ({ section: r.section, resource: r.resource })),
  });
  let documentId: string | undefined;
  if (options.deposit) {
    const bytes = Buffer.from(xml, 'utf8');
    // The CDA header gives the rest of the metadata (ITI-105-like: the registry makes the SubmissionSet).
    const result = await deposit(documentDeps(deps), actor, {
      documents: [
        {
          key: 'profile',
          bytes,
          metadata: {
            patient: { value: record.ins, oid: record.ins_oid },
            mimeType: 'text/xml',
            format: {
              system: systemUrl(CS.TRE_A06_FORMAT_CODE_COMPLEMENTAIRE),
              code: PROFILE_FORMAT_CODE,
            },
          },
        },
      ],
      folders: [],
      associations: [],
    });
    documentId = [...result.documents.values()][0]?.id;
    if (documentId !== undefined) {
      await profiles.saveExport(deps.sql, record.patient_id, {
        documentId,
        uniqueId,
        version,
        at: now,
      });
    }
  }
  await deps.sql.begin(async (tx) => {
    await audit(tx, deps, actor, record.patient_id, {
      action: 'profile.export',
      outcome: 'success',
      entityType: documentId !== undefined ? 'DocumentReference' : 'Patient',
      entityId: documentId ?? record.patient_id,
      detail: { entries: rows.length, deposited: documentId !== undefined, version },
    });
  });
  return { xml, entries: rows.length, ...(documentId !== undefined ? { documentId } : {}) };
}
