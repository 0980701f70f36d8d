import type { Actor } from '../../domain/access/actor.ts';
import { relatedIdentifierValues } from './resource.ts';
import { actorId } from '../../domain/access/actor.ts';
import { DomainFailure, domainError } from '../../domain/errors.ts';
import {
  authorIdNatPs,
  authorStructureIds,
  fhirTimeToEpoch,
} from '../../domain/documents/metadata.ts';
import type { Db } from '../../db/client.ts';
import { pipelinedTransaction } from '../../db/client.ts';
import type { NewDocument } from '../../db/documents.repository.ts';
import * as documents from '../../db/documents.repository.ts';
import type { RecordRow } from '../../db/records.repository.ts';
import * as records from '../../db/records.repository.ts';
import * as submissions from '../../db/submissions.repository.ts';
import { audit } from '../audit.ts';
import type { DocumentDeps } from './context.ts';
import {
  listAuthorIds,
  listDesignation,
  listSourceId,
  listUniqueId,
  serverSubmissionSet,
  storedList,
} from './list-resource.ts';
import type { ListSubmission, ProvideRequest } from './provide-bundle.ts';
import type { Plan, ProvideResult, StoredDocument } from './provide.ts';
import { documentChange, servedText, storedResource } from './resource.ts';

/**
 * The write half of a deposit: everything of one submission in ONE transaction — the record re-checked under its
 * lock, uniqueId claims, encrypted contents, id locators, the superseded versions, metadata rows, SubmissionSet,
 * Folders, list memberships and one trace per document. Any failure rolls the whole submission back.
 */
function epoch(t: string | undefined): Date | null {
  const ms = t === undefined ? undefined : fhirTimeToEpoch(t);
  return ms === undefined ? null : new Date(ms);
}

async function insertList(
  tx: Db,
  deps: DocumentDeps,
  actor: Actor,
  patientId: string,
  kind: 'submission-set' | 'folder',
  list: ListSubmission | undefined,
  members: readonly string[],
  now: Date,
  id: string,
): Promise<string> {
  const date = now.toISOString();
  const uniqueId = (list && listUniqueId(list.resource)) ?? id;
  const memberRefs = members.map((m) => `DocumentReference/${m}`);
  const resource = list
    ? storedList(list.resource, { patientId, uniqueId, members: memberRefs, date })
    : serverSubmissionSet({ patientId, uniqueId, members: memberRefs, date });
  // Both statements are sent at once; the uniqueId check waits for the insert's answer.
  const insertion =
    kind === 'submission-set'
      ? submissions.insertSubmissionSet(tx, {
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
      : submissions.insertFolder(tx, {
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
  const [inserted] = await Promise.all([
    insertion,
    documents.insertLocator(tx, id, patientId, 'List'),
  ]);
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
  return id;
}

export async function persist(
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
  const rows = new Map<string, NewDocument>();
  // The statements of each phase are sent together (pipelined on the transaction's connection) and awaited
  // together: a deposit costs a few round trips, not one per row. Statements run in the order they are issued,
  // so rows are written after what they reference.
  const outcome = await pipelinedTransaction(deps.sql, async (tx) => {
    // Phase 1: the record re-checked under its lock (it may have been closed since the decision; the traces
    // take that lock anyway), the uniqueId claims, the replaced versions' locks, the sealed contents.
    const [locked, claims, olds, writer] = await Promise.all([
      records.lockRecord(tx, patientId),
      Promise.all(
        plans.map((plan) =>
          documents.claimUniqueId(tx, plan.prepared.metadata.uniqueId, patientId, plan.id),
        ),
      ),
      Promise.all(
        plans.map((plan) =>
          plan.replaces
            ? documents.lockDocument(tx, patientId, plan.replaces.id)
            : Promise.resolve(undefined),
        ),
      ),
      deps.contents.prepare(tx, patientId),
    ]);
    if (locked?.status !== 'active') {
      throw new DomainFailure(
        domainError(
          'unprocessable',
          'DOC_RECORD_CLOSED',
          'The record is closed: it accepts no document and no access.',
        ),
      );
    }
    for (const [i, plan] of plans.entries()) {
      const root = plan.prepared.submission.root;
      if (!claims[i]) {
        throw new DomainFailure(
          domainError(
            'conflict',
            'DOC_UNIQUE_ID_EXISTS',
            'A document with this uniqueId was already deposited.',
            [`${root}.masterIdentifier`],
          ),
        );
      }
      if (plan.replaces && olds[i]?.status !== 'current') {
        throw new DomainFailure(
          domainError(
            'conflict',
            'DOC_REPLACE_TARGET_NOT_CURRENT',
            'Only the current version of a document can be replaced.',
            [`${root}.relatesTo`],
          ),
        );
      }
    }

    // Phase 2: every row of the submission, then its traces and notifications. The sealed contents go first (the
    // document rows reference them).
    const pending: Promise<unknown>[] = [];
    const contentIds = plans.map((plan) => {
      const { contentId, written } = writer.write(plan.prepared.submission.bytes);
      pending.push(written);
      return contentId;
    });
    const submissionSetId = deps.ids();
    pending.push(
      insertList(
        tx,
        deps,
        actor,
        patientId,
        'submission-set',
        request.submissionSet,
        plans.map((p) => p.id),
        now,
        submissionSetId,
      ),
    );
    for (const [i, plan] of plans.entries()) {
      const meta = plan.prepared.metadata;
      const contentId = contentIds[i] as string;
      pending.push(
        documents.insertLocators(tx, patientId, [
          { id: plan.id, kind: 'DocumentReference' },
          { id: contentId, kind: 'Binary' },
        ]),
      );
      const old = olds[i];
      if (old) {
        pending.push(
          documents
            .updateDocument(
              tx,
              patientId,
              old.id,
              documentChange(old, { status: 'superseded' }, now),
              now,
            )
            .then((version) => superseded.set(old.id, version)),
        );
      }
      const date = meta.date ?? now.toISOString();
      const row: Omit<NewDocument, 'served'> = {
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
        related_ids: relatedIdentifierValues(plan.prepared.submission.resource),
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
      };
      const written: NewDocument = {
        ...row,
        served: servedText({ ...row, version_id: 1, updated_at: row.deposited_at }),
      };
      pending.push(documents.insertDocument(tx, written));
      rows.set(plan.id, written);
      stored.set(request.documents[i]?.key ?? plan.id, { id: plan.id, contentId, versionId: 1 });
      pending.push(
        audit(tx, deps, actor, patientId, {
          action: plan.replaces ? 'document.replace' : 'document.deposit',
          outcome: 'success',
          entityType: 'DocumentReference',
          entityId: plan.id,
          detail: {
            submissionSet: submissionSetId,
            ...(plan.replaces ? { replaced: plan.replaces.id } : {}),
          },
        }),
      );
      // The patient (and representatives) are told of a new document — not while INVISIBLE_PATIENT hides it.
      if (deps.notify) {
        pending.push(
          deps.notify(tx, {
            type: plan.replaces ? 'document.replace' : 'document.deposit',
            patientId,
            actor,
            documentId: plan.id,
          }),
        );
      }
    }
    pending.push(
      submissions.insertListEntries(
        tx,
        patientId,
        submissionSetId,
        plans.map((p) => p.id),
      ),
    );
    const folderIds: string[] = [];
    for (const folder of request.folders) {
      const members = folder.memberKeys.flatMap((k) =>
        byKey.get(k) ? [byKey.get(k) as string] : [],
      );
      const folderId = deps.ids();
      pending.push(
        insertList(tx, deps, actor, patientId, 'folder', folder, members, now, folderId),
        submissions.insertListEntries(tx, patientId, folderId, members),
      );
      folderIds.push(folderId);
    }
    await Promise.all(pending);
    return { submissionSetId, folderIds };
  });
  return {
    patientId,
    documents: stored,
    submissionSetId: outcome.submissionSetId,
    folderIds: outcome.folderIds,
    superseded,
    rows,
    cdaMs: plans.map((p) => p.prepared.cdaMs),
  };
}
