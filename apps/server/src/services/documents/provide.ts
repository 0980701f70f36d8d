import type { Actor } from '../../domain/access/actor.ts';
import type { NewDocumentFacts } from '../../domain/access/facts.ts';
import { decideAccess, type AccessContext } from '../../domain/access/policy.ts';
import type { DomainIssue } from '../../domain/errors.ts';
import { DomainFailure, domainError, validationError } from '../../domain/errors.ts';
import type {
  DocumentMetadata,
  PatientIns,
  RelationCode,
} from '../../domain/documents/metadata.ts';
import { authorIdNatPs, authorStructureIds } from '../../domain/documents/metadata.ts';
import type { DocumentRow, NewDocument } from '../../db/documents.repository.ts';
import * as documents from '../../db/documents.repository.ts';
import type { RecordRow } from '../../db/records.repository.ts';
import * as records from '../../db/records.repository.ts';
import { accessContext, denialError, DOCUMENT_NOT_FOUND, documentFacts, refuse } from './access.ts';
import { allow, type Decision } from '../../domain/access/decision.ts';
import { decideRelationTarget } from '../../domain/access/relation-target.ts';
import type { DocumentDeps } from './context.ts';
import type { PreparedDocument } from './intake.ts';
import { prepareDocument } from './intake.ts';
import { listPatient } from './list-resource.ts';
import type { ListSubmission, ProvideRequest } from './provide-bundle.ts';
import { persist } from './store-submission.ts';
import { StaleSubmission } from '../../db/submissions.repository.ts';
import { UUID_SOURCE } from '../../domain/identity/uuid.ts';
import { checkPatientTraits } from '../../domain/documents/cda-patient.ts';
import { rebaseIssues } from '../../domain/documents/model.ts';
import { auditDenial } from '../audit.ts';
import { secretDeposit } from './secret-deposit.ts';
import { assertInsSystemAllowed } from '../ins-system.ts';

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
  /** The document rows as written, by document id (the deposit's answer is served from them). */
  readonly rows: ReadonlyMap<string, NewDocument>;
  /** CDA parse + XSD validation time per document, in ms (for measurements). */
  readonly cdaMs: readonly number[];
}

const DOCUMENT_REFERENCE = new RegExp(`^(?:.*/)?DocumentReference/(${UUID_SOURCE})$`);
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
function relatedTargetUnknown(root: string, index: number): DomainFailure {
  return unprocessable(
    'DOC_RELATED_TARGET_UNKNOWN',
    'relatesTo names no document of this patient’s record.',
    `${root}.relatesTo[${String(index)}]`,
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

async function findTarget(
  deps: DocumentDeps,
  patientId: string,
  target: { readonly target?: string; readonly targetUniqueId?: string },
): Promise<DocumentRow | undefined> {
  const m = DOCUMENT_REFERENCE.exec(target.target ?? '');
  if (m?.[1]) {
    return documents.findDocument(deps.sql, patientId, m[1].toLowerCase());
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
  for (const p of prepared) {
    // Issue 17 rule 11: no test or demo INS system in a production configuration.
    assertInsSystemAllowed(deps.config, p.metadata.patient.oid, [`${p.submission.root}.subject`]);
  }

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
  request: ProvideRequest,
  prepared: readonly PreparedDocument[],
  ins: PatientIns,
): Promise<ProvideResult> {
  const record = await records.findRecordForDeposit(deps.sql, ins.value);
  const context = await accessContext(deps.sql, deps, actor, ins.value, record);
  const patientId = record?.patient_id ?? null;

  const plans: Plan[] = [];
  for (const sent of prepared) {
    // Issue 17 rule 2: in connexion secrète, a minor's document is invisible to the representatives by construction.
    const p = secretDeposit(sent, actor, context.record);
    const id = deps.ids();
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
              `${p.submission.root}.relatesTo[${String(i)}]`,
            );
          }
          replaces = target;
        }
        relatesTo.push({ code: rel.code, target: `DocumentReference/${target.id}` });
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
      throw new DomainFailure(
        validationError(rebaseIssues(traits, p.submission.root), 'unprocessable'),
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
