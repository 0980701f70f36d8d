import { enforceDecision } from './refusal.ts';
import type { Actor } from '../domain/access/actor.ts';
import { actorId } from '../domain/access/actor.ts';
import type { Decision, Deny } from '../domain/access/decision.ts';
import type { AccessContext } from '../domain/access/policy.ts';
import { decideAccess } from '../domain/access/policy.ts';
import type { PatientRef } from '../domain/access/patient-ref.ts';
import type { DomainError } from '../domain/errors.ts';
import { domainError, DomainFailure } from '../domain/errors.ts';
import type {
  ProfileAuthorKind,
  ProfileSection,
  ProfileType,
  ReadEntry,
  Stamp,
} from '../domain/profile/entry.ts';
import { sectionAccessKind } from '../domain/profile/entry.ts';
import type { ProfileRow } from '../db/profile.repository.ts';
import * as profiles from '../db/profile.repository.ts';
import type { RecordRow } from '../db/records.repository.ts';
import * as records from '../db/records.repository.ts';
import { loadAccessContext } from './access-facts.ts';
import { lookupDirectory } from './directory.ts';
import { audit } from './audit.ts';
import { resolveRecord } from './consent.ts';
import type { Deps } from './deps.ts';

/**
 * The medical profile (docs/care-history.md "Medical profile"): FHIR resources written by the patient or their
 * legal representative (decideAccess 'profile.write'), read by them and by professionals under the access rules
 * (decideAccess 'profile.read', each section judged as its document kind: advance directives as EXPPAT_3 and the
 * trusted person as EXPPAT_1, the rest as the matrix's profile document DOCPAT08). Every create, read, search,
 * update and delete is traced on the record (entity type and id, section, counts — never the content); denials
 * are traced in their own transaction. An entry the caller may not see answers exactly like a missing one.
 *
 * The use cases take an entry in the registry's terms ({@link ProfileEntryInput}: its type, record, section, code
 * and date, read by the interface — http/fhir/profile.routes.ts reads the FHIR resource) and store its content as
 * the interface encodes it for the server's stamp (id, version, record, author, section), opaque to them.
 */

type Json = Record<string, unknown>;

/** An entry of the profile as its interface read it, with the encoding of its content for a stamp. */
export interface ProfileEntryInput extends ReadEntry {
  /** The content to store (and serve) for the server's stamp: the interface's encoding, opaque to the core. */
  readonly encode: (stamp: Stamp) => Json;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function notFound(type: ProfileType): DomainError {
  return domainError('not-found', 'PROFILE_NOT_FOUND', `No such ${type} is available to you.`);
}

/** Denials that must look like "no such entry" when the entry was addressed by id. */
const HIDING = new Set([
  'ACCESS_MATRIX_DENIED',
  'ACCESS_NOT_HOLDER',
  'ACCESS_OPERATOR_NO_CLINICAL',
]);

function denialError(decision: Deny, type: ProfileType, addressedById: boolean): DomainError {
  if (
    addressedById &&
    (HIDING.has(decision.reason) || decision.reason === 'ACCESS_NOT_REPRESENTATIVE')
  ) {
    return notFound(type);
  }
  if (decision.reason === 'ACCESS_NOT_REPRESENTATIVE') {
    // Issue 17 rule 1: answered like a missing record.
    return domainError('not-found', 'REC_NOT_FOUND', 'No such record.');
  }
  return domainError(
    decision.reason === 'ACCESS_RECORD_CLOSED' ? 'unprocessable' : 'forbidden',
    decision.reason,
    decision.message,
  );
}

async function enforce(
  deps: Deps,
  actor: Actor,
  record: RecordRow,
  decision: Decision,
  trace: { action: string; type: ProfileType; id?: string },
): Promise<void> {
  await enforceDecision(
    deps,
    actor,
    record.patient_id,
    decision,
    {
      action: trace.action,
      entityType: trace.type,
      ...(trace.id !== undefined ? { entityId: trace.id } : {}),
    },
    (d) => denialError(d, trace.type, trace.id !== undefined),
  );
}

function readDecision(context: AccessContext, section: ProfileSection | undefined): Decision {
  const kind = section === undefined ? undefined : sectionAccessKind(section);
  return decideAccess({ ...context, action: 'profile.read', ...(kind ? { section: kind } : {}) });
}

function authorOf(actor: Actor): { kind: ProfileAuthorKind; id: string } {
  return {
    kind:
      actor.kind === 'representative'
        ? 'representative'
        : actor.kind === 'professional'
          ? 'professional'
          : 'patient',
    id: actorId(actor),
  };
}

/** "Dr Anne CARDIO" from the directory (the IdNat_PS alone for a professional outside it). */
async function professionalDisplay(deps: Deps, idNatPs: string): Promise<string> {
  const { professionals } = await lookupDirectory(deps, [idNatPs], []);
  const p = professionals.get(idNatPs);
  if (!p) {
    return `Professionnel de santé n° ${idNatPs}`;
  }
  const name = `${p.given_name} ${p.family_name}`.trim();
  return p.profession === '10' ? `Dr ${name}` : name;
}

/** The record an entry names, which must be the one it is written into. */
async function recordOf(deps: Deps, ref: PatientRef): Promise<RecordRow> {
  return resolveRecord(deps, ref);
}

/** POST /fhir/{type}: the patient or representative adds an entry. */
export async function createEntry(
  deps: Deps,
  actor: Actor,
  entry: ProfileEntryInput,
): Promise<{ row: ProfileRow; record: RecordRow }> {
  const { type } = entry;
  const record = await recordOf(deps, entry.patient);
  const { context } = await loadAccessContext(deps.sql, deps, actor, record);
  // A professional writes only a vaccination they gave (issue 21 point 5); the rest of the profile is the
  // holder side's ('profile.write' refuses a professional).
  const byProfessional = actor.kind === 'professional' && type === 'Immunization';
  await enforce(
    deps,
    actor,
    record,
    decideAccess({
      ...context,
      action: byProfessional ? 'profile.record-vaccination' : 'profile.write',
    }),
    { action: 'profile.create', type },
  );
  const id = deps.ids();
  const now = deps.clock.now();
  const author = authorOf(actor);
  const professional =
    byProfessional && actor.kind === 'professional'
      ? { idNatPs: actor.idNatPs, display: await professionalDisplay(deps, actor.idNatPs) }
      : undefined;
  const resource = entry.encode({
    id,
    patientId: record.patient_id,
    ins: record.ins,
    insOid: record.ins_oid,
    versionId: 1,
    lastUpdated: now,
    authorKind: author.kind,
    section: entry.section,
    ...(professional ? { professional } : {}),
  });
  await deps.sql.begin(async (tx) => {
    // The trace first: it locks the record row (FOR UPDATE) before the entry's foreign key takes a KEY SHARE
    // lock on it, so two concurrent writers of one record queue instead of deadlocking.
    await audit(tx, deps, actor, record.patient_id, {
      action: 'profile.create',
      outcome: 'success',
      entityType: type,
      entityId: id,
      detail: { section: entry.section },
    });
    await profiles.insertEntry(tx, {
      patientId: record.patient_id,
      id,
      type,
      section: entry.section,
      codeSystem: entry.code?.system ?? null,
      code: entry.code?.code ?? null,
      effective: entry.effective ?? null,
      at: now,
      authorKind: author.kind,
      authorId: author.id,
      resource,
    });
  });
  const row = await profiles.findEntry(deps.sql, record.patient_id, id);
  if (!row) {
    throw new Error('profile entry vanished after creation');
  }
  return { row, record };
}

async function locate(
  deps: Deps,
  type: ProfileType,
  id: string,
): Promise<{ record: RecordRow; row: ProfileRow } | undefined> {
  if (!UUID.test(id)) {
    return undefined;
  }
  const patientId = await profiles.locateEntry(deps.sql, type, id.toLowerCase());
  const record = patientId ? await records.findRecord(deps.sql, patientId) : undefined;
  const row = record
    ? await profiles.findEntry(deps.sql, record.patient_id, id.toLowerCase())
    : undefined;
  return record && row ? { record, row } : undefined;
}

/** GET /fhir/{type}/{id}. */
export async function readEntry(
  deps: Deps,
  actor: Actor,
  type: ProfileType,
  id: string,
): Promise<{ row: ProfileRow; record: RecordRow }> {
  const found = await locate(deps, type, id);
  if (!found || found.row.deleted) {
    throw new DomainFailure(notFound(type));
  }
  const { record, row } = found;
  const { context } = await loadAccessContext(deps.sql, deps, actor, record);
  await enforce(deps, actor, record, readDecision(context, row.section), {
    action: 'profile.read',
    type,
    id: row.id,
  });
  await deps.sql.begin(async (tx) => {
    await audit(tx, deps, actor, record.patient_id, {
      action: 'profile.read',
      outcome: 'success',
      entityType: type,
      entityId: row.id,
      detail: { section: row.section },
    });
  });
  return found;
}

export interface ProfileSearch {
  readonly patient: PatientRef;
  readonly types: readonly ProfileType[];
  readonly code?: { readonly system?: string | undefined; readonly code: string } | undefined;
  readonly count: number;
  readonly offset: number;
}

/**
 * GET /fhir/{type}?patient.identifier=…: the entries of a record. Record-level grounds are decided once (profile
 * document kind); entries of sections the caller's matrix row closes are left out (not counted).
 */
export async function searchEntries(
  deps: Deps,
  actor: Actor,
  search: ProfileSearch,
): Promise<{ record: RecordRow; rows: ProfileRow[]; more: boolean }> {
  const record = await resolveRecord(deps, search.patient);
  const { context } = await loadAccessContext(deps.sql, deps, actor, record);
  const type = search.types[0] ?? 'Condition';
  await enforce(deps, actor, record, readDecision(context, undefined), {
    action: 'profile.search',
    type,
  }).catch((error: unknown) => {
    // A record addressed by its id (Patient/{id}/$profile) that the caller may not read answers like a missing
    // one (issue 16) — unless it is the caller's own record, whose existence they know.
    const own =
      (actor.kind === 'patient' || actor.kind === 'representative') && actor.ins === record.ins;
    throw search.patient.kind === 'id' && !own && error instanceof DomainFailure
      ? new DomainFailure(domainError('not-found', 'REC_NOT_FOUND', 'No such record.'))
      : error;
  });
  const fetched = await profiles.findEntries(deps.sql, record.patient_id, {
    types: search.types,
    code: search.code,
    limit: search.count + 1,
    offset: search.offset,
  });
  const more = fetched.length > search.count;
  const rows = fetched.slice(0, search.count).filter((r) => readDecision(context, r.section).allow);
  await deps.sql.begin(async (tx) => {
    await audit(tx, deps, actor, record.patient_id, {
      action: 'profile.search',
      outcome: 'success',
      entityType: search.types.join(','),
      detail: { count: rows.length, hidden: Math.min(fetched.length, search.count) - rows.length },
    });
  });
  return { record, rows, more };
}

/**
 * PUT /fhir/{type}/{id}: replaces an entry (If-Match W/"n" optional). The new entry is read (`entryOf`, which may
 * refuse it) once the caller is allowed to write it, so that a refused caller learns nothing from their body.
 */
export async function updateEntry(
  deps: Deps,
  actor: Actor,
  type: ProfileType,
  id: string,
  entryOf: (id: string) => ProfileEntryInput,
  ifMatch: number | undefined,
): Promise<{ row: ProfileRow; record: RecordRow }> {
  const found = await locate(deps, type, id);
  if (!found || found.row.deleted) {
    throw new DomainFailure(notFound(type));
  }
  const { record } = found;
  const { context } = await loadAccessContext(deps.sql, deps, actor, record);
  await enforce(deps, actor, record, decideAccess({ ...context, action: 'profile.write' }), {
    action: 'profile.update',
    type,
    id: found.row.id,
  });
  if (found.row.author_kind === 'professional') {
    // The professional who gave a vaccination vouches for it: the holder side may delete it, not rewrite it.
    throw new DomainFailure(
      domainError(
        'unprocessable',
        'PROFILE_PROFESSIONAL_ENTRY',
        'A vaccination recorded by a professional is not edited (it may be deleted).',
      ),
    );
  }
  const entry = entryOf(found.row.id);
  if (entry.type !== type) {
    throw new Error('a profile entry is replaced by one of its type');
  }
  if (
    entry.patient.kind === 'id'
      ? entry.patient.id !== record.patient_id
      : entry.patient.value !== record.ins
  ) {
    throw new DomainFailure(
      domainError(
        'unprocessable',
        'PROFILE_PATIENT_CHANGED',
        'An entry stays in the record it was written in.',
        [`${type}.subject`],
      ),
    );
  }
  const now = deps.clock.now();
  const author = authorOf(actor);
  const failure = await deps.sql.begin(async (tx) => {
    const current = await profiles.lockEntry(tx, record.patient_id, found.row.id);
    if (!current || current.deleted) {
      return notFound(type);
    }
    if (ifMatch !== undefined && ifMatch !== current.version_id) {
      return domainError(
        'conflict',
        'PROFILE_VERSION_CONFLICT',
        'The entry changed since you read it (If-Match).',
      );
    }
    const versionId = current.version_id + 1;
    await profiles.updateEntry(tx, record.patient_id, current.id, {
      section: entry.section,
      versionId,
      codeSystem: entry.code?.system ?? null,
      code: entry.code?.code ?? null,
      effective: entry.effective ?? null,
      at: now,
      authorKind: author.kind,
      authorId: author.id,
      resource: entry.encode({
        id: current.id,
        patientId: record.patient_id,
        ins: record.ins,
        insOid: record.ins_oid,
        versionId,
        lastUpdated: now,
        authorKind: author.kind,
        section: entry.section,
      }),
    });
    await audit(tx, deps, actor, record.patient_id, {
      action: 'profile.update',
      outcome: 'success',
      entityType: type,
      entityId: current.id,
      detail: { section: entry.section, version: versionId },
    });
    return null;
  });
  if (failure) {
    throw new DomainFailure(failure);
  }
  const row = await profiles.findEntry(deps.sql, record.patient_id, found.row.id);
  if (!row) {
    throw new DomainFailure(notFound(type));
  }
  return { row, record };
}

/** DELETE /fhir/{type}/{id}: a logical delete (never served again). */
export async function deleteEntry(
  deps: Deps,
  actor: Actor,
  type: ProfileType,
  id: string,
): Promise<void> {
  const found = await locate(deps, type, id);
  if (!found || found.row.deleted) {
    throw new DomainFailure(notFound(type));
  }
  const { record, row } = found;
  const { context } = await loadAccessContext(deps.sql, deps, actor, record);
  await enforce(deps, actor, record, decideAccess({ ...context, action: 'profile.write' }), {
    action: 'profile.delete',
    type,
    id: row.id,
  });
  await deps.sql.begin(async (tx) => {
    await profiles.markDeleted(tx, record.patient_id, row.id, deps.clock.now());
    await audit(tx, deps, actor, record.patient_id, {
      action: 'profile.delete',
      outcome: 'success',
      entityType: type,
      entityId: row.id,
      detail: { section: row.section },
    });
  });
}
