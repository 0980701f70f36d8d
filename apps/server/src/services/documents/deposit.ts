import type { Actor } from '../../domain/access/actor.ts';
import type { NewDocumentFacts } from '../../domain/access/facts.ts';
import { decideAccess, type AccessContext } from '../../domain/access/policy.ts';
import type { DomainIssue } from '../../domain/errors.ts';
import { DomainFailure, domainError, validationError } from '../../domain/errors.ts';
import type {
  DocumentMetadata,
  DocumentRelation,
  PatientIns,
  RelationCode,
} from '../../domain/documents/model.ts';
import { authorIdNatPs, authorStructureIds } from '../../domain/documents/model.ts';
import type {
  DepositRequest,
  FolderSubmission,
  SubmissionSetSubmission,
} from '../../domain/documents/submission.ts';
import {
  checkSubmission,
  ENTRY_ROOT,
  LIST_FIELD,
  RELATION_OF,
  relationsOf,
} from '../../domain/documents/submission.ts';
import type { DocumentRow, NewDocument } from '../../db/documents.repository.ts';
import * as documents from '../../db/documents.repository.ts';
import * as records from '../../db/records.repository.ts';
import { accessContext, denialError, DOCUMENT_NOT_FOUND, documentFacts, refuse } from './access.ts';
import { allow, type Decision } from '../../domain/access/decision.ts';
import { decideRelationTarget } from '../../domain/access/relation-target.ts';
import type { DocumentDeps } from './context.ts';
import type { PreparedDocument } from './intake.ts';
import { prepareDocument } from './intake.ts';
import { persist } from './store-submission.ts';
import { StaleSubmission } from '../../db/submissions.repository.ts';
import { isUuid } from '../../domain/identity/uuid.ts';
import { checkPatientTraits } from '../../domain/documents/cda-patient.ts';
import { atEntry, FIELD } from '../../domain/documents/model.ts';
import { auditDenial } from '../audit.ts';
import { secretDeposit } from './secret-deposit.ts';
import { assertInsSystemAllowed } from '../ins-system.ts';
import * as recordIds from '../../db/record-ids.repository.ts';

/**
 * The deposit use case (XDS ITI-41 / MHD ITI-65 and ITI-105, whatever interface the submission came through:
 * domain/documents/submission.ts): validate every document before touching the database, decide with the access
 * policy (document.deposit, or document.replace for an RPLC association), then write everything — unique-id
 * claims, encrypted contents, metadata, the superseded versions, submission set, folders and one trace per
 * document — in ONE transaction: a failure anywhere leaves nothing behind.
 */
export interface StoredDocument {
  readonly id: string;
  readonly contentId: string;
  readonly versionId: number;
}

export interface DepositResult {
  readonly patientId: string;
  /** By entry key. */
  readonly documents: ReadonlyMap<string, StoredDocument>;
  readonly submissionSetId: string;
  /** In the order of the request's folders. */
  readonly folderIds: readonly string[];
  /** Replaced documents: id → their new version. */
  readonly superseded: ReadonlyMap<string, number>;
  /** The document rows as written, by document id (the deposit's answer is served from them). */
  readonly rows: ReadonlyMap<string, NewDocument>;
  /** CDA parse + XSD validation time per document, in ms (for measurements). */
  readonly cdaMs: readonly number[];
}

/**
 * The INS of records named by their id (an interface resolving a `Patient/<id>` reference before it reads its
 * request), for the ids that name a record.
 */
export async function recordInsByIds(
  deps: DocumentDeps,
  ids: Iterable<string>,
): Promise<Map<string, PatientIns>> {
  const out = new Map<string, PatientIns>();
  for (const id of new Set([...ids].map((i) => i.toLowerCase()))) {
    if (!isUuid(id)) {
      continue;
    }
    const row = await records.findRecord(deps.sql, id);
    if (row) {
      out.set(id, { value: row.ins, oid: row.ins_oid });
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
  lists: readonly { readonly list: SubmissionSetSubmission | FolderSubmission; root: string }[],
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
        `${p.submission.root}.${FIELD.patient}`,
      );
    }
  }
  const issues: DomainIssue[] = [];
  for (const l of lists) {
    if (l.list.patient && l.list.patient.value !== first.value) {
      issues.push({
        code: 'DOC_PATIENT_MISMATCH',
        message: 'The List names another patient than its documents.',
        location: [`${l.root}.${LIST_FIELD.patient}`],
      });
    }
  }
  if (issues.length > 0) {
    throw new DomainFailure(validationError(issues, 'unprocessable'));
  }
  return first;
}

function relatedTargetUnknown(root: string, index: number): DomainFailure {
  return unprocessable(
    'DOC_RELATED_TARGET_UNKNOWN',
    'relatesTo names no document of this patient’s record.',
    `${root}.${FIELD.relatesTo}[${String(index)}]`,
  );
}

/**
 * Whether the caller may name `target` in a relation: for `replaces`, unless the replacement itself would be
 * refused as if the document did not exist; for the other relations, domain/access/relation-target.ts.
 */
function relationTarget(
  context: AccessContext,
  code: RelationCode,
  target: DocumentRow,
  replacement: NewDocumentFacts,
): Decision {
  if (code !== 'replaces') {
    return decideRelationTarget(context, documentFacts(target));
  }
  const decision = decideAccess({
    ...context,
    action: 'document.replace',
    document: documentFacts(target),
    replacement,
  });
  return !decision.allow && denialError(decision, true) === DOCUMENT_NOT_FOUND ? decision : allow();
}

/** Resolves a relation target (registry id, else uniqueId) to a document of the record. */
async function findTarget(
  deps: DocumentDeps,
  patientId: string,
  target: Pick<DocumentRelation, 'targetId' | 'targetUniqueId'>,
): Promise<DocumentRow | undefined> {
  if (target.targetId !== undefined && isUuid(target.targetId.toLowerCase())) {
    return documents.findDocument(deps.sql, patientId, target.targetId.toLowerCase());
  }
  if (target.targetUniqueId !== undefined) {
    return documents.findDocumentByUniqueId(deps.sql, patientId, target.targetUniqueId);
  }
  return undefined;
}

/** One document, validated and decided, ready to be written. */
export interface Plan {
  readonly prepared: PreparedDocument;
  readonly id: string;
  readonly replaces: DocumentRow | undefined;
  /** The relations resolved to registry documents (stored as the metadata's relatesTo). */
  readonly relatesTo: { code: RelationCode; targetId: string }[];
}

/**
 * The one deposit use case: every interface's deposit comes here (see the header). Its issues name the entry and
 * the field of the neutral model (domain/documents/submission.ts).
 */
export async function deposit(
  deps: DocumentDeps,
  actor: Actor,
  request: DepositRequest,
): Promise<DepositResult> {
  const structure = checkSubmission(request);
  if (structure.length > 0) {
    throw new DomainFailure(validationError(structure, 'unprocessable'));
  }
  const options = { reference: deps.reference, config: deps.config };
  const prepared = request.documents.map((d, i) => {
    // Relations come as associations; the intake sees them as the draft's relatesTo (CDA agreement, M9).
    const relations = relationsOf(request, d.key).map((r): DocumentRelation => ({
      code: RELATION_OF[r.kind],
      ...(r.target.id !== undefined ? { targetId: r.target.id } : {}),
      ...(r.target.uniqueId !== undefined ? { targetUniqueId: r.target.uniqueId } : {}),
    }));
    const { relatesTo: _ignored, ...draft } = d.metadata;
    return prepareDocument(
      {
        key: d.key,
        bytes: d.bytes,
        root: ENTRY_ROOT.document(i),
        referenceIds: d.referenceIds ?? [],
        asSent: d.asSent,
      },
      relations.length > 0 ? { ...draft, relatesTo: relations } : draft,
      options,
    );
  });
  const lists = [
    ...(request.submissionSet
      ? [{ list: request.submissionSet, root: ENTRY_ROOT.submissionSet }]
      : []),
    ...request.folders.map((list, i) => ({ list, root: ENTRY_ROOT.folder(i) })),
  ];
  const ins = samePatient(prepared, lists);
  for (const p of prepared) {
    // Issue 17 rule 11: no test or demo INS system in a production configuration.
    assertInsSystemAllowed(deps.config, p.metadata.patient.oid, [
      `${p.submission.root}.${FIELD.patient}`,
    ]);
  }

  const seenIds = new Set<string>();
  for (const p of prepared) {
    if (seenIds.has(p.metadata.uniqueId)) {
      throw unprocessable(
        'DOC_UNIQUE_ID_DUPLICATE',
        'Two documents of the submission have the same uniqueId.',
        `${p.submission.root}.${FIELD.uniqueId}`,
      );
    }
    seenIds.add(p.metadata.uniqueId);
  }

  // What was read may change before the write, which re-checks it: then read and decide again.
  for (let attempt = 1; ; attempt++) {
    try {
      return await decideAndPersist(deps, actor, request, prepared, ins);
    } catch (e) {
      if (!(e instanceof StaleSubmission)) {
        throw e;
      }
      if (attempt >= MAX_ATTEMPTS) {
        throw new DomainFailure(
          domainError(
            'conflict',
            'DOC_CONCURRENT_CHANGE',
            'The record changed during the deposit, several times: send it again.',
          ),
        );
      }
    }
  }
}

const MAX_ATTEMPTS = 3;

async function decideAndPersist(
  deps: DocumentDeps,
  actor: Actor,
  request: DepositRequest,
  prepared: readonly PreparedDocument[],
  ins: PatientIns,
): Promise<DepositResult> {
  const record = await records.findRecordForDeposit(deps.sql, deps.caches, ins.value);
  const context = await accessContext(deps.sql, deps, actor, ins.value, record);
  const patientId = record?.patient_id ?? null;
  // On Citus, the deposit's new server ids are drawn into the record's shard, so that their locators are written
  // beside the record (ADR 0031): documents and contents, the SubmissionSet, the Folders. Plain PostgreSQL: deps.ids.
  const drawn = record
    ? recordIds.idsOnRecordShard(
        deps.sql,
        record.patient_id,
        2 * prepared.length + 1 + request.folders.length,
      )
    : undefined;
  const ids = drawn === undefined ? deps.ids : recordIds.drawnIds(await drawn, deps.ids);

  const plans: Plan[] = [];
  for (const sent of prepared) {
    // Issue 17 rule 2: in connexion secrète, a minor's document is invisible to the representatives by construction.
    const p = secretDeposit(sent, actor, context.record);
    const id = ids();
    const relatesTo: Plan['relatesTo'] = [];
    let replaces: DocumentRow | undefined;
    const facts = newFacts(p.metadata);
    if (record) {
      for (const [i, rel] of p.metadata.relatesTo.entries()) {
        const found = await findTarget(deps, record.patient_id, rel);
        // A document the caller may not know of is no target for them: answered exactly like a missing one
        // (issue 16), the refusal traced when the client named it.
        const known = found ? relationTarget(context, rel.code, found, facts) : undefined;
        const target = known?.allow === true ? found : undefined;
        if (!target && !p.relationsFromClient) {
          continue; // a CDA relatedDocument whose parent is not in this record: informative only
        }
        if (!target) {
          if (found && known && !known.allow) {
            await auditDenial(deps, actor, record.patient_id, {
              action: rel.code === 'replaces' ? 'document.replace' : 'document.relate',
              reasonCode: known.reason,
              entityType: 'DocumentReference',
              entityId: found.id,
            });
          }
          throw relatedTargetUnknown(p.submission.root, i);
        }
        if (rel.code === 'replaces') {
          if (replaces) {
            throw unprocessable(
              'DOC_REPLACES_MULTIPLE',
              'A document replaces at most one document.',
              `${p.submission.root}.${FIELD.relatesTo}[${String(i)}]`,
            );
          }
          replaces = target;
        }
        relatesTo.push({ code: rel.code, targetId: target.id });
      }
    }
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
    // Issue 17 rule 10: the CDA's patient has the record's sex and birth date (only told to a depositor the
    // policy allowed; traced like a denial, with its code).
    const traits = record
      ? checkPatientTraits(p.cdaRecordTargets, {
          sex: record.sex,
          birthDate: record.birth_date,
        })
      : [];
    if (record && traits[0]) {
      await auditDenial(deps, actor, record.patient_id, {
        action: replaces ? 'document.replace' : 'document.deposit',
        reasonCode: traits[0].code,
      });
      throw new DomainFailure(validationError(atEntry(traits, p.submission.root), 'unprocessable'));
    }
    if (replaces && replaces.status !== 'current') {
      throw new DomainFailure(
        domainError(
          'conflict',
          'DOC_REPLACE_TARGET_NOT_CURRENT',
          'Only the current version of a document can be replaced.',
          [`${p.submission.root}.${FIELD.relatesTo}`],
        ),
      );
    }
    plans.push({ prepared: p, id, replaces, relatesTo });
  }
  if (!record) {
    throw new Error('unreachable: deposit allowed without a record');
  }
  return persist(deps, actor, record, request, plans, ids);
}
