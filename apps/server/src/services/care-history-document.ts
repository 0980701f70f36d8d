import type { OperatorActor } from '../domain/access/actor.ts';
import { loggableError } from '../loggable-error.ts';
import { windowStart, isoDay } from '../domain/care-history/window.ts';
import { DomainFailure } from '../domain/errors.ts';
import { CS } from '../domain/identity/code-systems.ts';
import * as careDb from '../db/care-history.repository.ts';
import * as documents from '../db/documents.repository.ts';
import * as records from '../db/records.repository.ts';
import { buildCnamHr } from '../cda/cnam-hr.ts';
import type { CnamHrLine } from '../cda/cnam-hr.ts';
import { uuidOid } from '../cda/xml.ts';
import { loadReferenceData } from '../reference/value-sets.ts';
import { documentDeps } from './documents/context.ts';
import type { DocumentDeps } from './documents/context.ts';
import type { DepositRequest } from '../domain/documents/submission.ts';
import { deposit, recordInsByIds } from './documents/deposit.ts';
import type { Deps } from './deps.ts';
import { lookupDirectory } from './directory.ts';

/**
 * The CNAM-HR document of a record (cda/cnam-hr.ts), regenerated when new lines arrived (care_history_state.pending,
 * set by the importer in the batch's transaction) and deposited by the operator through the document service's
 * deposit use case (services/documents/deposit.ts): the first version as a deposit, the next ones as a replacement of
 * the current version (`relatesTo replaces`), so that ITI-67 finds only the current one. The deposit is validated
 * (XSD, header ↔ metadata, value sets), decided (operator, class 60) and traced (`document.deposit` /
 * `document.replace`) by that service like any deposit.
 *
 * The deposit and the state update are two transactions: if the process stops in between, the next regeneration
 * finds the recorded version superseded or gone and deposits a fresh lineage (the stale document stays findable
 * until the patient or the operator deletes it). Run regeneration from one place at a time (the importer, or a job).
 */
const TEXT_XML = 'text/xml';

/** One set per record and document kind: the record's UUID as an OID, arc .1 for the CNAM-HR history. */
function setIdOf(patientId: string): string {
  return `${uuidOid(patientId)}.1`;
}

export interface RegenerateResult {
  readonly generated: boolean;
  readonly documentId?: string;
  readonly version?: number;
}

/** Builds the CNAM-HR CDA of a record from its lines in view (no deposit). */
export async function buildCareHistoryCda(
  deps: Deps,
  patientId: string,
  options: {
    readonly version: number;
    readonly documentUuid: string;
    readonly previousUniqueId?: string | undefined;
  },
): Promise<{ xml: string; uniqueId: string } | undefined> {
  const row = await records.findRecord(deps.sql, patientId);
  if (!row) {
    return undefined;
  }
  const now = deps.clock.now();
  const today = isoDay(now);
  const from = windowStart(today);
  const lines: CnamHrLine[] = [];
  let after: { careDate: string; lineKey: Buffer } | undefined;
  for (;;) {
    const page = await careDb.findCareLines(deps.sql, patientId, {
      from,
      to: today,
      after,
      limit: 5000,
    });
    for (const l of page) {
      lines.push({
        careDate: l.care_date,
        kind: l.code_kind,
        code: l.code,
        label: l.label,
        quantity: l.quantity.replace(/\.?0+$/, ''),
        executantId: l.executant_id,
        executantProfession: l.executant_profession,
        prescriberId: l.prescriber_id,
        structureId: l.structure_id,
        amountCents: l.amount_cents,
      });
    }
    const last = page.at(-1);
    if (page.length < 5000 || !last) {
      break;
    }
    after = { careDate: last.care_date, lineKey: last.line_key };
  }
  const professionals = new Set<string>();
  const structures = new Set<string>();
  for (const l of lines) {
    for (const id of [l.executantId, l.prescriberId]) {
      if (id !== null) {
        professionals.add(id);
      }
    }
    if (l.structureId !== null) {
      structures.add(l.structureId);
    }
  }
  const directory = await lookupDirectory(deps, [...professionals], [...structures]);
  const g15 = loadReferenceData().valueSets.get('G15');
  const uniqueId = uuidOid(options.documentUuid);
  const xml = buildCnamHr({
    id: { root: uniqueId },
    setId: { root: setIdOf(patientId) },
    version: options.version,
    ...(options.previousUniqueId !== undefined
      ? { previous: { root: options.previousUniqueId } }
      : {}),
    effectiveTime: now,
    patient: {
      ins: row.ins,
      insOid: row.ins_oid,
      birthName: row.birth_name,
      givenNames: row.given_names,
      sex: row.sex,
      birthDate: row.birth_date,
    },
    lines,
    period: { from, to: today },
    names: {
      professional: (id) => {
        const p = directory.professionals.get(id);
        return p ? `${p.given_name} ${p.family_name}` : undefined;
      },
      structure: (id) => directory.structures.get(id)?.name,
      profession: (code) => g15?.find(CS.TRE_G15_PROFESSION_SANTE, code)?.display,
    },
  });
  return { xml, uniqueId };
}

/**
 * Regenerates and deposits the CNAM-HR document of one record (active records only); clears its pending flag.
 * @param docs - document dependencies (encrypted content store, terminology); built from `deps` when absent
 */
export async function regenerateCareHistoryDocument(
  deps: Deps,
  actor: OperatorActor,
  patientId: string,
  docs: DocumentDeps = documentDeps(deps),
): Promise<RegenerateResult> {
  const row = await records.findRecord(deps.sql, patientId);
  const state = await careDb.findState(deps.sql, patientId);
  if (!row || row.status !== 'active') {
    if (state?.pending) {
      await careDb.saveGenerated(deps.sql, patientId, {
        documentId: state.document_id,
        uniqueId: state.document_unique_id ?? '',
        version: state.document_version,
        at: deps.clock.now(),
      });
    }
    return { generated: false };
  }
  // The version to replace: the one recorded, if it is still the current document of the record.
  const previous =
    state?.document_id !== undefined && state.document_id !== null
      ? await documents.findDocument(deps.sql, patientId, state.document_id)
      : undefined;
  const replacing = previous?.status === 'current' ? previous : undefined;
  const version = replacing ? (state?.document_version ?? 0) + 1 : 1;
  const documentUuid = deps.ids();
  const built = await buildCareHistoryCda(deps, patientId, {
    version,
    documentUuid,
    previousUniqueId: replacing?.unique_id,
  });
  if (!built) {
    return { generated: false };
  }
  const bytes = Buffer.from(built.xml, 'utf8');
  const ins = (await recordInsByIds(docs, [patientId])).get(patientId);
  if (!ins) {
    return { generated: false };
  }
  // The CDA header gives the rest of the metadata; a next version replaces the current one (RPLC).
  const request: DepositRequest = {
    documents: [{ key: 'history', bytes, metadata: { patient: ins, mimeType: TEXT_XML } }],
    folders: [],
    associations: replacing
      ? [{ kind: 'RPLC', source: 'history', target: { id: replacing.id } }]
      : [],
  };
  let result;
  try {
    result = await deposit(docs, actor, request);
  } catch (e) {
    // Someone replaced or deleted the recorded version in between: start a new lineage next time.
    if (e instanceof DomainFailure && e.error.code === 'DOC_REPLACE_TARGET_NOT_CURRENT' && state) {
      await careDb.saveGenerated(deps.sql, patientId, {
        documentId: null,
        uniqueId: '',
        version: 0,
        at: deps.clock.now(),
      });
      await careDb.markPending(deps.sql, patientId, deps.clock.now());
    }
    throw e;
  }
  const stored = [...result.documents.values()][0];
  await careDb.saveGenerated(deps.sql, patientId, {
    documentId: stored?.id ?? null,
    uniqueId: built.uniqueId,
    version,
    at: deps.clock.now(),
  });
  return { generated: true, ...(stored ? { documentId: stored.id } : {}), version };
}

/** Regenerates every record whose lines changed since its last CNAM-HR document (importer, or a job). */
export async function regeneratePendingDocuments(
  deps: Deps,
  actor: OperatorActor,
  options: { readonly onProgress?: (done: number) => void } = {},
): Promise<{ generated: number; failed: number; firstError?: string }> {
  const docs = documentDeps(deps);
  let generated = 0;
  let failed = 0;
  let firstError: string | undefined;
  // Records that failed stay pending (a later run retries them); only they are remembered here.
  const failedIds = new Set<string>();
  for (;;) {
    const batch = (await careDb.pendingRecords(deps.sql, 500 + failedIds.size)).filter(
      (id) => !failedIds.has(id),
    );
    if (batch.length === 0) {
      break;
    }
    for (const patientId of batch) {
      try {
        if ((await regenerateCareHistoryDocument(deps, actor, patientId, docs)).generated) {
          generated++;
        }
      } catch (e) {
        failed++;
        failedIds.add(patientId);
        const reason =
          e instanceof DomainFailure ? e.error.code : e instanceof Error ? e.message : String(e);
        firstError ??= reason;
        deps.log.error(
          { err: e instanceof DomainFailure ? { code: e.error.code } : loggableError(e) },
          'CNAM-HR regeneration failed',
        );
      }
      options.onProgress?.(generated + failed);
    }
  }
  return { generated, failed, ...(firstError !== undefined ? { firstError } : {}) };
}
