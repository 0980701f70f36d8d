import type { Actor } from '../../domain/access/actor.ts';
import { actorId } from '../../domain/access/actor.ts';
import type { NewDocumentFacts } from '../../domain/access/facts.ts';
import { decideAccess } from '../../domain/access/policy.ts';
import type { DomainIssue } from '../../domain/errors.ts';
import { DomainFailure, domainError, validationError } from '../../domain/errors.ts';
import type {
  DocumentMetadata,
  PatientIns,
  RelationCode,
} from '../../domain/documents/metadata.ts';
import {
  authorIdNatPs,
  authorStructureIds,
  fhirTimeToEpoch,
} from '../../domain/documents/metadata.ts';
import type { Tx } from '../../db/client.ts';
import type { DocumentRow } from '../../db/documents.repository.ts';
import * as documents from '../../db/documents.repository.ts';
import type { RecordRow } from '../../db/records.repository.ts';
import * as records from '../../db/records.repository.ts';
import * as submissions from '../../db/submissions.repository.ts';
import { audit } from '../audit.ts';
import { accessContext, documentFacts, refuse } from './access.ts';
import type { DocumentDeps } from './context.ts';
import type { PreparedDocument } from './intake.ts';
import { prepareDocument } from './intake.ts';
import {
  listAuthorIds,
  listDesignation,
  listPatient,
  listSourceId,
  listUniqueId,
  serverSubmissionSet,
  storedList,
} from './list-resource.ts';
import type { ListSubmission, ProvideRequest } from './provide-bundle.ts';
import { storedResource } from './resource.ts';

/**
 * Deposit (ITI-65 and ITI-105): validate every document before touching the database, decide with the access
 * policy (document.deposit, or document.replace for a `relatesTo replaces`), then write everything — unique-id
 * claims, encrypted contents, metadata, the superseded versions, submission set, folders and one trace per
 * document — in ONE transaction: a failure anywhere leaves nothing behind.
 */
export interface StoredDocument {
  readonly id: string;
  readonly contentId: string;
  readonly versionId: number;
}

export interface ProvideResult {
  readonly patientId: string;
  /** By request key (entry fullUrl). */
  readonly documents: ReadonlyMap<string, StoredDocument>;
  readonly submissionSetId: string;
  readonly folderIds: readonly string[];
  /** Replaced documents: id → their new version. */
  readonly superseded: ReadonlyMap<string, number>;
  /** CDA parse + XSD validation time per document, in ms (for measurements). */
  readonly cdaMs: readonly number[];
}

const PATIENT_REF = /^Patient\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

function subjectReference(resource: Record<string, unknown>): string | undefined {
  const subject = resource['subject'];
  const ref =
    typeof subject === 'object' && subject !== null
      ? (subject as Record<string, unknown>)['reference']
      : undefined;
  return typeof ref === 'string' ? ref : undefined;
}

/** Records named by `Patient/<id>` subjects, loaded up front so that reading stays synchronous. */
async function preloadPatients(
  deps: DocumentDeps,
  request: ProvideRequest,
): Promise<Map<string, RecordRow>> {
  const refs = new Set<string>();
  for (const r of [
    ...request.documents.map((d) => d.resource),
    ...(request.submissionSet ? [request.submissionSet.resource] : []),
    ...request.folders.map((f) => f.resource),
  ]) {
    const m = PATIENT_REF.exec(subjectReference(r) ?? '');
    if (m?.[1]) {
      refs.add(m[1].toLowerCase());
    }
  }
  const out = new Map<string, RecordRow>();
  for (const id of refs) {
    const row = await records.findRecord(deps.sql, id);
    if (row) {
      out.set(`Patient/${id}`, row);
    }
  }
  return out;
}

function newFacts(meta: DocumentMetadata): NewDocumentFacts {
  return {
    typeCode: meta.type.code,
    classCode: meta.class.code,
    authorIdNatPs: authorIdNatPs(meta),
    authorStructures: authorStructureIds(meta),
    confidentiality: meta.confidentiality.map((c) => c.code),
  };
}

function unprocessable(code: string, message: string, location: string): DomainFailure {
  return new DomainFailure(domainError('unprocessable', code, message, [location]));
}

/** All documents and lists name the same patient. */
function samePatient(
  prepared: readonly PreparedDocument[],
  lists: readonly ListSubmission[],
  resolve: (reference: string) => PatientIns | undefined,
): PatientIns {
  const first = prepared[0]?.metadata.patient;
  if (!first) {
    throw new DomainFailure(
      domainError('invalid', 'DOC_BUNDLE_NO_DOCUMENT', 'No document was submitted.'),
    );
  }
  for (const p of prepared) {
    if (p.metadata.patient.value !== first.value) {
      throw unprocessable(
        'DOC_PATIENT_MISMATCH',
        'All documents of a submission concern the same patient.',
        `${p.submission.root}.subject`,
      );
    }
  }
  const issues: DomainIssue[] = [];
  for (const l of lists) {
    const ins = listPatient(l.resource, l.root, resolve);
    if (!ins.ok) {
      issues.push(ins.error);
    } else if (ins.value && ins.value.value !== first.value) {
      issues.push({
        code: 'DOC_PATIENT_MISMATCH',
        message: 'The List names another patient than its documents.',
        location: [`${l.root}.subject`],
      });
    }
  }
  if (issues.length > 0) {
    throw new DomainFailure(validationError(issues, 'unprocessable'));
  }
  return first;
}

/** Resolves a relation target (`DocumentReference/<id>` or a uniqueId) to a document of the record. */
async function findTarget(
  deps: DocumentDeps,
  patientId: string,
  target: { readonly target?: string; readonly targetUniqueId?: string },
): Promise<DocumentRow | undefined> {
  const m = /^(?:.*\/)?DocumentReference\/([0-9a-fA-F-]{36})$/.exec(target.target ?? '');
  if (m?.[1]) {
    return documents.findDocument(deps.sql, patientId, m[1].toLowerCase());
  }
  if (target.targetUniqueId !== undefined) {
    return documents.findDocumentByUniqueId(deps.sql, patientId, target.targetUniqueId);
  }
  return undefined;
}

interface Plan {
  readonly prepared: PreparedDocument;
  readonly id: string;
  readonly replaces: DocumentRow | undefined;
  readonly relatesTo: { code: RelationCode; target: string }[];
}

export async function provideDocuments(
  deps: DocumentDeps,
  actor: Actor,
  request: ProvideRequest,
): Promise<ProvideResult> {
  const preloaded = await preloadPatients(deps, request);
  const resolve = (reference: string): PatientIns | undefined => {
    const row = preloaded.get(reference);
    return row ? { value: row.ins, oid: row.ins_oid } : undefined;
  };
  const options = {
    reference: deps.reference,
    config: deps.config,
    resolvePatientReference: resolve,
  };
  const prepared = request.documents.map((d) => prepareDocument(d, options));
  const lists = [...(request.submissionSet ? [request.submissionSet] : []), ...request.folders];
  const ins = samePatient(prepared, lists, resolve);

  const seenIds = new Set<string>();
  for (const p of prepared) {
    if (seenIds.has(p.metadata.uniqueId)) {
      throw unprocessable(
        'DOC_UNIQUE_ID_DUPLICATE',
        'Two documents of the submission have the same uniqueId.',
        `${p.submission.root}.masterIdentifier`,
      );
    }
    seenIds.add(p.metadata.uniqueId);
  }

  const record = await records.findRecordByIns(deps.sql, ins.value);
  const context = await accessContext(deps.sql, deps, actor, ins.value, record);
  const patientId = record?.patient_id ?? null;

  const plans: Plan[] = [];
  for (const p of prepared) {
    const id = deps.ids();
    const relatesTo: Plan['relatesTo'] = [];
    let replaces: DocumentRow | undefined;
    if (record) {
      for (const [i, rel] of p.metadata.relatesTo.entries()) {
        const target = await findTarget(deps, record.patient_id, rel);
        if (!target && !p.relationsFromClient) {
          continue; // a CDA relatedDocument whose parent is not in this record: informative only
        }
        if (!target) {
          throw unprocessable(
            'DOC_RELATED_TARGET_UNKNOWN',
            'relatesTo names no document of this patient’s record.',
            `${p.submission.root}.relatesTo[${String(i)}]`,
          );
        }
        if (rel.code === 'replaces') {
          if (replaces) {
            throw unprocessable(
              'DOC_REPLACES_MULTIPLE',
              'A document replaces at most one document.',
              `${p.submission.root}.relatesTo[${String(i)}]`,
            );
          }
          replaces = target;
        }
        relatesTo.push({ code: rel.code, target: `DocumentReference/${target.id}` });
      }
    }
    const facts = newFacts(p.metadata);
    const decision = replaces
      ? decideAccess({
          ...context,
          action: 'document.replace',
          document: documentFacts(replaces),
          replacement: facts,
        })
      : decideAccess({ ...context, action: 'document.deposit', document: facts });
    if (!decision.allow) {
      await refuse(
        deps,
        actor,
        patientId,
        replaces ? 'document.replace' : 'document.deposit',
        decision,
        {
          addressedById: replaces !== undefined,
          ...(replaces ? { entityType: 'DocumentReference', entityId: replaces.id } : {}),
        },
      );
    }
    if (replaces && replaces.status !== 'current') {
      throw new DomainFailure(
        domainError(
          'conflict',
          'DOC_REPLACE_TARGET_NOT_CURRENT',
          'Only the current version of a document can be replaced.',
          [`${p.submission.root}.relatesTo`],
        ),
      );
    }
    plans.push({ prepared: p, id, replaces, relatesTo });
  }
  if (!record) {
    throw new Error('unreachable: deposit allowed without a record');
  }
  for (const s of request.supersedes) {
    if (!plans.some((pl) => pl.replaces?.id === s.targetId)) {
      throw unprocessable(
        'DOC_BUNDLE_ENTRY_UNSUPPORTED',
        'The PATCH names a document that no DocumentReference of the bundle replaces.',
        s.root,
      );
    }
  }
  return persist(deps, actor, record, request, plans);
}

function epoch(t: string | undefined): Date | null {
  const ms = t === undefined ? undefined : fhirTimeToEpoch(t);
  return ms === undefined ? null : new Date(ms);
}

async function insertList(
  tx: Tx,
  deps: DocumentDeps,
  actor: Actor,
  patientId: string,
  kind: 'submission-set' | 'folder',
  list: ListSubmission | undefined,
  members: readonly string[],
  now: Date,
): Promise<string> {
  const id = deps.ids();
  const date = now.toISOString();
  const uniqueId = (list && listUniqueId(list.resource)) ?? id;
  const memberRefs = members.map((m) => `DocumentReference/${m}`);
  const resource = list
    ? storedList(list.resource, { patientId, uniqueId, members: memberRefs, date })
    : serverSubmissionSet({ patientId, uniqueId, members: memberRefs, date });
  const inserted =
    kind === 'submission-set'
      ? await submissions.insertSubmissionSet(tx, {
          patient_id: patientId,
          id,
          unique_id: uniqueId,
          source_id: (list && listSourceId(list.resource)) ?? null,
          designation_code: (list && listDesignation(list.resource)) ?? null,
          author_ids: list
            ? listAuthorIds(list.resource)
            : actor.kind === 'professional'
              ? [actor.idNatPs]
              : [],
          depositor_kind: actor.kind,
          depositor_id: actorId(actor),
          submitted_at: now,
          resource,
        })
      : await submissions.insertFolder(tx, {
          patient_id: patientId,
          id,
          unique_id: uniqueId,
          codes: [],
          title: typeof list?.resource['title'] === 'string' ? list.resource['title'] : null,
          status: 'current',
          created_at: now,
          updated_at: now,
          resource,
        });
  if (!inserted) {
    throw new DomainFailure(
      domainError(
        'conflict',
        'DOC_LIST_UNIQUE_ID_EXISTS',
        'A List with this uniqueId already exists in the record.',
        [`${list?.root ?? 'List'}.identifier`],
      ),
    );
  }
  await documents.insertLocator(tx, id, patientId, 'List');
  return id;
}

async function persist(
  deps: DocumentDeps,
  actor: Actor,
  record: RecordRow,
  request: ProvideRequest,
  plans: readonly Plan[],
): Promise<ProvideResult> {
  const patientId = record.patient_id;
  const now = deps.clock.now();
  const byKey = new Map(request.documents.map((d, i) => [d.key, plans[i]?.id ?? '']));
  const stored = new Map<string, StoredDocument>();
  const superseded = new Map<string, number>();
  const outcome = await deps.sql.begin(async (tx) => {
    // The record may have been closed since the decision: checked again under the record's lock (which the
    // traces take anyway).
    const locked = await records.lockRecord(tx, patientId);
    if (locked?.status !== 'active') {
      throw new DomainFailure(
        domainError('unprocessable', 'DOC_RECORD_CLOSED', 'The record is closed: it accepts no document and no access.'),
      );
    }
    const submissionSetId = await insertList(
      tx,
      deps,
      actor,
      patientId,
      'submission-set',
      request.submissionSet,
      plans.map((p) => p.id),
      now,
    );
    for (const [i, plan] of plans.entries()) {
      const meta = plan.prepared.metadata;
      const root = plan.prepared.submission.root;
      if (!(await documents.claimUniqueId(tx, meta.uniqueId, patientId, plan.id))) {
        throw new DomainFailure(
          domainError(
            'conflict',
            'DOC_UNIQUE_ID_EXISTS',
            'A document with this uniqueId was already deposited.',
            [`${root}.masterIdentifier`],
          ),
        );
      }
      const contentId = await deps.contents.put(tx, patientId, plan.prepared.submission.bytes);
      await documents.insertLocator(tx, plan.id, patientId, 'DocumentReference');
      await documents.insertLocator(tx, contentId, patientId, 'Binary');
      if (plan.replaces) {
        const old = await documents.lockDocument(tx, patientId, plan.replaces.id);
        if (old?.status !== 'current') {
          throw new DomainFailure(
            domainError(
              'conflict',
              'DOC_REPLACE_TARGET_NOT_CURRENT',
              'Only the current version of a document can be replaced.',
              [`${root}.relatesTo`],
            ),
          );
        }
        superseded.set(
          old.id,
          await documents.updateDocument(tx, patientId, old.id, { status: 'superseded' }, now),
        );
      }
      const date = meta.date ?? now.toISOString();
      await documents.insertDocument(tx, {
        patient_id: patientId,
        id: plan.id,
        unique_id: meta.uniqueId,
        lineage_id: plan.replaces?.lineage_id ?? plan.id,
        replaces_id: plan.replaces?.id ?? null,
        status: 'current',
        archived: false,
        type_code: meta.type.code,
        class_code: meta.class.code,
        format_code: meta.format.code,
        facility_code: meta.facilityType.code,
        setting_code: meta.practiceSetting.code,
        confidentiality: meta.confidentiality.map((c) => c.code),
        event_codes: meta.eventCodes.map((c) => c.code),
        related_ids: [],
        author_ids: authorIdNatPs(meta),
        author_structures: authorStructureIds(meta),
        depositor_kind: actor.kind,
        depositor_id: actorId(actor),
        depositor_structure: actor.kind === 'professional' ? (actor.structure ?? null) : null,
        submission_set_id: submissionSetId,
        doc_date: epoch(date),
        creation_time: epoch(meta.creation),
        service_start: epoch(meta.serviceStart),
        service_stop: epoch(meta.serviceStop),
        deposited_at: new Date(now.getTime() + i), // keeps the submission's order in "newest first"
        content_id: contentId,
        mime_type: meta.mimeType,
        size: meta.size ?? plan.prepared.submission.bytes.byteLength,
        sha1: plan.prepared.sha1,
        resource: storedResource(
          meta,
          { id: plan.id, patientId, date, relatesTo: plan.relatesTo },
          plan.prepared.submission.resource,
        ),
      });
      stored.set(request.documents[i]?.key ?? plan.id, { id: plan.id, contentId, versionId: 1 });
      await audit(tx, deps, actor, patientId, {
        action: plan.replaces ? 'document.replace' : 'document.deposit',
        outcome: 'success',
        entityType: 'DocumentReference',
        entityId: plan.id,
        detail: {
          submissionSet: submissionSetId,
          ...(plan.replaces ? { replaced: plan.replaces.id } : {}),
        },
      });
    }
    await submissions.insertListEntries(
      tx,
      patientId,
      submissionSetId,
      plans.map((p) => p.id),
    );
    const folderIds: string[] = [];
    for (const folder of request.folders) {
      const members = folder.memberKeys.flatMap((k) =>
        byKey.get(k) ? [byKey.get(k) as string] : [],
      );
      const folderId = await insertList(tx, deps, actor, patientId, 'folder', folder, members, now);
      await submissions.insertListEntries(tx, patientId, folderId, members);
      folderIds.push(folderId);
    }
    return { submissionSetId, folderIds };
  });
  return {
    patientId,
    documents: stored,
    submissionSetId: outcome.submissionSetId,
    folderIds: outcome.folderIds,
    superseded,
    cdaMs: plans.map((p) => p.prepared.cdaMs),
  };
}
