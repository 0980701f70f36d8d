import type { Actor } from '../../domain/access/actor.ts';
import { actorId } from '../../domain/access/actor.ts';
import { DomainFailure, domainError } from '../../domain/errors.ts';
import { authorIdNatPs, authorStructureIds, FIELD } from '../../domain/documents/model.ts';
import { fhirTimeToEpoch } from '../../domain/documents/identifiers.ts';
import type { NewDocument } from '../../db/documents.repository.ts';
import type { RecordForDeposit } from '../../db/records.repository.ts';
import * as submissions from '../../db/submissions.repository.ts';
import { buildAuditRecord, canonicalAuditTail } from '../../domain/audit/audit-record.ts';
import type { AuditInput } from '../../domain/audit/audit-record.ts';
import { notificationOfTrace } from '../../domain/notifications/triggers.ts';
import type { NotificationFactsRow } from '../../db/outbox.repository.ts';
import { outboxTableRow } from '../../db/outbox.repository.ts';
import type { SubmissionWrite } from '../../db/submissions.repository.ts';
import { StaleSubmission, SubmissionConflict } from '../../db/submissions.repository.ts';
import type { OutboxEvent } from '../notifications/notify.ts';
import { planOutbox } from '../notifications/notify.ts';
import type { DocumentDeps } from './context.ts';
import { pendingSingleUse, SingleUseRefused } from '../single-use.ts';
import type {
  DepositRequest,
  FolderSubmission,
  SubmissionSetSubmission,
} from '../../domain/documents/submission.ts';
import { ENTRY_ROOT, LIST_FIELD, membersOf } from '../../domain/documents/submission.ts';
import type { ListMetadata } from '../../domain/documents/list-model.ts';
import { folderMetadata, submissionSetMetadata } from '../../domain/documents/list-model.ts';
import type { Plan, DepositResult, StoredDocument } from './deposit.ts';
import { documentChange, encodeEntry } from './encodings.ts';
import type { EntryTruth, RegistryEncodings } from './encodings.ts';

/**
 * The write half of a deposit: every row of one submission built here — uniqueId claims, encrypted contents, id
 * locators, the superseded versions, metadata rows, SubmissionSet, Folders, list memberships, one trace per
 * document and the outbox rows — then written by ONE statement, its own transaction (store_submission, migration
 * 0018), which re-checks under the record's lock what may have changed since the decision. Any refusal leaves
 * nothing behind. StaleSubmission: what the rows were built on changed; the caller decides again. A SOAP request's
 * pending VIHF single use is written by the same statement (ADR 0039): SingleUseRefused when another request holds
 * it, nothing written.
 */
function epoch(t: string | undefined): Date | null {
  const ms = t === undefined ? undefined : fhirTimeToEpoch(t);
  return ms === undefined ? null : new Date(ms);
}

const hex = (b: Uint8Array): string => `\\x${Buffer.from(b).toString('hex')}`;
const base64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');

interface ListRow {
  readonly table: 'submission_sets' | 'folders';
  readonly root: string;
  readonly row: Record<string, unknown>;
}

function listRow(
  encodings: RegistryEncodings,
  actor: Actor,
  patientId: string,
  list:
    | { readonly kind: 'submission-set'; readonly list: SubmissionSetSubmission | undefined }
    | {
        readonly kind: 'folder';
        readonly list: FolderSubmission;
        readonly index: number;
        /** The SubmissionSet of this submission: the Folder's creator (XDS HasMember SubmissionSet → Folder). */
        readonly submissionSetId: string;
      },
  members: readonly string[],
  now: Date,
  id: string,
): ListRow {
  const facts = { patientId, uniqueId: list.list?.uniqueId ?? id, now: now.toISOString() };
  // The truth (ADR 0029), what the interface sent beside it, and the encoding cached from both.
  const encoded = (
    metadata: ListMetadata,
    asSent: Readonly<Record<string, unknown>> | undefined,
  ) => {
    const carried = encodings.listCarried(metadata, asSent);
    const served = encodings.list(
      { id, versionId: 1, lastUpdated: now, metadata, carried },
      members,
    );
    return { metadata, fhir_carried: carried, served };
  };
  if (list.kind === 'submission-set') {
    const metadata = submissionSetMetadata(list.list, { ...facts, depositor: actor });
    return {
      table: 'submission_sets',
      root: ENTRY_ROOT.submissionSet,
      row: {
        patient_id: patientId,
        id,
        unique_id: metadata.uniqueId,
        source_id: metadata.sourceId ?? null,
        designation_code: metadata.contentTypeCode ?? null,
        author_ids: metadata.authorIdNatPs,
        depositor_kind: actor.kind,
        depositor_id: actorId(actor),
        submitted_at: now,
        ...encoded(metadata, list.list?.asSent),
      },
    };
  }
  const metadata = folderMetadata(list.list, { ...facts, submissionSetId: list.submissionSetId });
  return {
    table: 'folders',
    root: ENTRY_ROOT.folder(list.index),
    row: {
      patient_id: patientId,
      id,
      unique_id: metadata.uniqueId,
      codes: metadata.codeList,
      title: metadata.title ?? null,
      status: metadata.status,
      version_id: 1,
      created_at: now,
      updated_at: now,
      ...encoded(metadata, list.list.asSent),
    },
  };
}

/** A refusal of store_submission as the client hears it, located on the entry concerned. */
function conflictFailure(
  e: SubmissionConflict,
  plans: readonly Plan[],
  lists: readonly ListRow[],
): DomainFailure {
  const byDocument = plans.find((p) => p.id === e.entityId)?.prepared.submission.root;
  switch (e.code) {
    case 'DOC_UNIQUE_ID_EXISTS':
      return new DomainFailure(
        domainError(
          'conflict',
          'DOC_UNIQUE_ID_EXISTS',
          'A document with this uniqueId was already deposited.',
          byDocument !== undefined ? [`${byDocument}.${FIELD.uniqueId}`] : undefined,
        ),
      );
    case 'DOC_REPLACE_TARGET_NOT_CURRENT': {
      const root = plans.find((p) => p.replaces?.id === e.entityId)?.prepared.submission.root;
      return new DomainFailure(
        domainError(
          'conflict',
          'DOC_REPLACE_TARGET_NOT_CURRENT',
          'Only the current version of a document can be replaced.',
          root !== undefined ? [`${root}.${FIELD.relatesTo}`] : undefined,
        ),
      );
    }
    case 'DOC_LIST_UNIQUE_ID_EXISTS': {
      const root = lists.find((l) => l.row['id'] === e.entityId)?.root;
      return new DomainFailure(
        domainError(
          'conflict',
          'DOC_LIST_UNIQUE_ID_EXISTS',
          'A List with this uniqueId already exists in the record.',
          root !== undefined ? [`${root}.${LIST_FIELD.uniqueId}`] : undefined,
        ),
      );
    }
    default:
      return new DomainFailure(
        domainError(
          'unprocessable',
          'DOC_RECORD_CLOSED',
          'The record is closed: it accepts no document and no access.',
        ),
      );
  }
}

export async function persist(
  deps: DocumentDeps,
  actor: Actor,
  record: RecordForDeposit,
  request: DepositRequest,
  plans: readonly Plan[],
  /** Where the new server ids come from (on Citus, drawn into the record's shard: ADR 0031); traces use deps.ids. */
  ids: () => string = deps.ids,
): Promise<DepositResult> {
  const patientId = record.patient_id;
  const now = deps.clock.now();
  const byKey = new Map(request.documents.map((d, i) => [d.key, plans[i]?.id ?? '']));
  const stored = new Map<string, StoredDocument>();
  const superseded = new Map<string, number>();
  const rows = new Map<string, NewDocument>();
  const sealed = await deps.contents.seal(
    deps.sql,
    patientId,
    plans.map((plan) => plan.prepared.submission.bytes),
    ids,
  );
  const submissionSetId = ids();
  const lists: ListRow[] = [
    listRow(
      deps.encodings,
      actor,
      patientId,
      { kind: 'submission-set', list: request.submissionSet },
      plans.map((p) => p.id),
      now,
      submissionSetId,
    ),
  ];
  const listEntries = (listId: string, members: readonly string[]): Record<string, unknown>[] =>
    members.map((documentId, position) => ({
      patient_id: patientId,
      list_id: listId,
      document_id: documentId,
      position,
    }));
  const entries = listEntries(
    submissionSetId,
    plans.map((p) => p.id),
  );
  const folderIds: string[] = [];
  for (const [index, folder] of request.folders.entries()) {
    const members = membersOf(request, folder.key).flatMap((k) =>
      byKey.get(k) ? [byKey.get(k) as string] : [],
    );
    const folderId = ids();
    lists.push(
      listRow(
        deps.encodings,
        actor,
        patientId,
        { kind: 'folder', list: folder, index, submissionSetId },
        members,
        now,
        folderId,
      ),
    );
    entries.push(...listEntries(folderId, members));
    folderIds.push(folderId);
  }

  // What notifications need of the record was read with it; a document's own facts are the row written here.
  const facts: NotificationFactsRow = {
    ins: record.ins,
    general_practitioner: record.general_practitioner,
    closure_reason: record.closure_reason,
    has_representatives: record.has_representatives,
    mt_has_email: record.mt_has_email,
    preferences: record.preferences,
    document: null,
    consent: null,
  };
  const outbox: Record<string, unknown>[] = [];
  const notify = (event: OutboxEvent, factsOfEvent: NotificationFactsRow): void => {
    if (deps.notify) {
      outbox.push(...planOutbox(deps, event, factsOfEvent).map(outboxTableRow));
    }
  };
  const auditTails: string[] = [];
  const documentRows: NewDocument[] = [];
  const supersede: SubmissionWrite['supersede'][number][] = [];
  for (const [i, plan] of plans.entries()) {
    const meta = plan.prepared.metadata;
    const content = sealed.contents[i];
    if (!content) {
      throw new Error('a content was not sealed');
    }
    const contentId = content.contentId;
    const old = plan.replaces;
    if (old) {
      const change = documentChange(deps.encodings, old, { status: 'superseded' }, now);
      supersede.push({ id: old.id, from_version: change.fromVersion, served: change.served });
      superseded.set(old.id, change.fromVersion + 1);
    }
    const date = meta.date ?? now.toISOString();
    const size = meta.size ?? plan.prepared.submission.bytes.byteLength;
    // The record of truth (ADR 0020): the typed columns below and the neutral metadata as the registry answers it —
    // the server's size and SHA-1, the relations by registry id, no client URL, archived in its column.
    const { contentUrl: _url, archived: _archived, relatesTo: _relations, ...checked } = meta;
    const metadata = {
      ...checked,
      date,
      size,
      hash: Buffer.from(plan.prepared.sha1).toString('hex'),
      relatesTo: plan.relatesTo,
    };
    const truth: EntryTruth = {
      patient_id: patientId,
      id: plan.id,
      // The first metadata version: its entryUUID is the logicalId (ADR 0021).
      entry_uuid: plan.id,
      entry_version: 1,
      version_id: 1,
      unique_id: meta.uniqueId,
      lineage_id: old?.lineage_id ?? plan.id,
      replaces_id: old?.id ?? null,
      status: 'current',
      archived: false,
      type_code: meta.type.code,
      class_code: meta.class.code,
      format_code: meta.format.code,
      facility_code: meta.facilityType.code,
      setting_code: meta.practiceSetting.code,
      confidentiality: meta.confidentiality.map((c) => c.code),
      event_codes: meta.eventCodes.map((c) => c.code),
      related_ids: [...plan.prepared.submission.referenceIds],
      author_ids: authorIdNatPs(meta),
      author_structures: authorStructureIds(meta),
      depositor_kind: actor.kind,
      depositor_id: actorId(actor),
      depositor_structure:
        actor.kind === 'professional' || actor.kind === 'software'
          ? (actor.structure ?? null)
          : null,
      submission_set_id: submissionSetId,
      doc_date: epoch(date),
      creation_time: epoch(meta.creation),
      service_start: epoch(meta.serviceStart),
      service_stop: epoch(meta.serviceStop),
      deposited_at: new Date(now.getTime() + i), // keeps the submission's order in "newest first"
      updated_at: new Date(now.getTime() + i),
      content_id: contentId,
      mime_type: meta.mimeType,
      size,
      sha1: plan.prepared.sha1,
      subject_patient_id: null,
      metadata,
      fhir_carried: deps.encodings.carried(plan.prepared.submission.asSent),
    };
    const { version_id: _v, updated_at: _u, ...row } = truth;
    const written: NewDocument = { ...row, ...encodeEntry(deps.encodings, truth) };
    documentRows.push(written);
    rows.set(plan.id, written);
    stored.set(request.documents[i]?.key ?? plan.id, { id: plan.id, contentId, versionId: 1 });

    const action = old ? 'document.replace' : 'document.deposit';
    const input: AuditInput = {
      action,
      outcome: 'success',
      entityType: 'DocumentReference',
      entityId: plan.id,
      detail: { submissionSet: submissionSetId, ...(old ? { replaced: old.id } : {}) },
    };
    auditTails.push(canonicalAuditTail(buildAuditRecord(actor, input, now, deps.ids())));
    // Emergency accesses notify from their trace (services/audit.ts does the same for every trace).
    const fromTrace = notificationOfTrace(actor, patientId, input);
    if (fromTrace) {
      notify(fromTrace, facts);
    }
    // The patient (and representatives) are told of a new document — not while INVISIBLE_PATIENT hides it.
    notify(
      { type: action, patientId, actor, documentId: plan.id },
      {
        ...facts,
        document: {
          id: plan.id,
          confidentiality: row.confidentiality,
          status: 'current',
          depositorKind: actor.kind,
        },
      },
    );
  }

  const write: SubmissionWrite = {
    now: now.toISOString(),
    key_version: sealed.keyVersion,
    ...(sealed.newKey
      ? {
          new_key: {
            patient_id: patientId,
            ...sealed.newKey,
            wrapped_key: hex(sealed.newKey.wrapped_key),
          },
        }
      : {}),
    claims: plans.map((plan) => ({
      unique_id: plan.prepared.metadata.uniqueId,
      patient_id: patientId,
      document_id: plan.id,
    })),
    supersede,
    contents: sealed.contents.map((c) => ({
      content_id: c.contentId,
      key_version: c.key_version,
      nonce: base64(c.nonce),
      tag: base64(c.tag),
    })),
    locators: [
      ...plans.flatMap((plan, i) => [
        { id: plan.id, patient_id: patientId, kind: 'DocumentReference' },
        { id: sealed.contents[i]?.contentId, patient_id: patientId, kind: 'Binary' },
      ]),
      ...lists.map((l) => ({ id: l.row['id'], patient_id: patientId, kind: 'List' })),
    ],
    submission_sets: lists.filter((l) => l.table === 'submission_sets').map((l) => l.row),
    folders: lists.filter((l) => l.table === 'folders').map((l) => l.row),
    documents: documentRows.map(({ served: _served, ...d }) => ({
      ...d,
      version_id: 1,
      updated_at: d.deposited_at,
      sha1: hex(d.sha1),
    })),
    list_entries: entries,
    audit_tails: auditTails,
    outbox,
  };
  // A SOAP request's pending single use goes in the deposit's statement: one commit for both (ADR 0039).
  const use = pendingSingleUse();
  try {
    const stored = await submissions.storeSubmission(
      deps.sql,
      patientId,
      write,
      {
        ciphertexts: sealed.contents.map((c) => c.ciphertext),
        served: documentRows.map((d) => d.served),
      },
      use,
    );
    if (!stored) {
      throw new SingleUseRefused();
    }
    if (use) {
      use.confirmed = true;
    }
  } catch (e) {
    if (e instanceof StaleSubmission) {
      deps.contents.forgetCurrentKey(patientId);
    }
    if (e instanceof SubmissionConflict) {
      throw conflictFailure(e, plans, lists);
    }
    throw e;
  }
  return {
    patientId,
    documents: stored,
    submissionSetId,
    folderIds,
    superseded,
    rows,
    cdaMs: plans.map((p) => p.prepared.cdaMs),
  };
}
