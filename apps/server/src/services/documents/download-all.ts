import type { Actor } from '../../domain/access/actor.ts';
import { deny } from '../../domain/access/decision.ts';
import { DomainFailure, domainError, validationError } from '../../domain/errors.ts';
import { validateIns } from '../../domain/identity/ins.ts';
import type { DocumentAuthor } from '../../domain/documents/model.ts';
import * as records from '../../db/records.repository.ts';
import { audit } from '../audit.ts';
import { enforceDecision } from '../refusal.ts';
import type { DocumentDeps } from './context.ts';
import { retrieveContent } from './read.ts';
import type { RegistryEntry } from './registry-entry.ts';
import { findDocuments } from './search.ts';
import type { DocumentSearch } from './search-query.ts';
import { decodeCursor } from './search-query.ts';

/**
 * "Télécharger tous mes documents" (issue 21 point 6): every document the holder side sees, listed through the
 * same find as ITI-67 (policy, paging, one `document.search` trace per page), then their contents retrieved one at a
 * time by the caller's encoder (each a `document.retrieve`, policy-checked and traced like any retrieval), so that
 * at most one document's bytes are in memory. One `record.download-all` trace with the count; a professional or the
 * operator is refused (403, traced): it is the patient's copy of their own record.
 */
export const MAX_ARCHIVED_DOCUMENTS = 5000;
const PAGE = 500;

export interface ArchivedDocument {
  readonly id: string;
  readonly contentId: string;
  readonly title: string;
  readonly type: string;
  /** Date of the act (service start), else creation. */
  readonly date: string;
  readonly authors: string;
  readonly mimeType: string;
  readonly replaced: boolean;
}

function authorName(a: DocumentAuthor): string {
  const person = a.name
    ? [a.name.prefix, ...(a.name.given ?? []), a.name.family].filter(Boolean).join(' ')
    : (a.displayName ?? '');
  const structure = a.structure?.name;
  return [person, structure].filter((x) => x !== undefined && x !== '').join(', ');
}

function describe(entry: RegistryEntry): ArchivedDocument {
  const m = entry.metadata;
  return {
    id: entry.id,
    contentId: entry.contentId,
    title: m.title,
    type: m.type.display ?? m.type.code,
    date: m.serviceStart !== '' ? m.serviceStart : m.creation,
    authors: m.authors
      .map(authorName)
      .filter((a) => a !== '')
      .join(' ; '),
    mimeType: m.mimeType,
    replaced: entry.status === 'superseded',
  };
}

export interface DownloadAll {
  readonly patientId: string;
  readonly documents: readonly ArchivedDocument[];
  /** More than MAX_ARCHIVED_DOCUMENTS: the archive holds the newest ones (the index says so). */
  readonly truncated: boolean;
  /** A document's bytes, retrieved (and traced) when the encoder reaches it. */
  readonly content: (contentId: string) => Promise<Buffer>;
}

export async function downloadAll(
  deps: DocumentDeps,
  actor: Actor,
  patientIdentifier: string,
): Promise<DownloadAll> {
  // The record named by its INS ([system|]value), every document the holder side sees, a page at a time.
  const bar = patientIdentifier.indexOf('|');
  const ins = validateIns(
    bar < 0 ? patientIdentifier : patientIdentifier.slice(bar + 1),
    bar > 0 ? patientIdentifier.slice(0, bar) : undefined,
  );
  if (!ins.ok) {
    throw new DomainFailure(
      validationError([{ ...ins.error, location: ['patient.identifier'] }], 'invalid'),
    );
  }
  const searchFrom = (cursor: string | undefined): DocumentSearch => {
    const after = cursor === undefined ? undefined : decodeCursor(cursor);
    return {
      patient: { kind: 'ins', ins: ins.value.value, oid: ins.value.oid },
      filter: { statuses: ['current', 'superseded'], archived: false, dates: [] },
      count: PAGE,
      ...(after && { cursor: after }),
    };
  };
  if (actor.kind !== 'patient' && actor.kind !== 'representative') {
    const ins = patientIdentifier.split('|')[1] ?? patientIdentifier;
    const record = await records.findRecordByIns(deps.sql, ins);
    await enforceDecision(
      deps,
      actor,
      record?.patient_id ?? null,
      deny('ACCESS_ACTION_NOT_PERMITTED'),
      { action: 'record.download-all' },
      () =>
        domainError(
          'forbidden',
          'ACCESS_ACTION_NOT_PERMITTED',
          'Only the holder or a legal representative downloads all the documents of a record.',
        ),
    );
  }
  const found: ArchivedDocument[] = [];
  let patientId: string | undefined;
  let cursor: string | undefined;
  let truncated = false;
  for (;;) {
    const page = await findDocuments(deps, actor, searchFrom(cursor));
    for (const e of page.entries) {
      patientId ??= e.patientId;
      found.push(describe(e));
    }
    cursor = page.nextCursor;
    if (cursor === undefined) {
      break;
    }
    if (found.length >= MAX_ARCHIVED_DOCUMENTS) {
      truncated = true;
      break;
    }
  }
  if (patientId === undefined) {
    const ins = patientIdentifier.split('|')[1] ?? patientIdentifier;
    patientId = (await records.findRecordByIns(deps.sql, ins))?.patient_id;
  }
  if (patientId !== undefined) {
    const id = patientId;
    await deps.sql.begin(async (tx) => {
      await audit(tx, deps, actor, id, {
        action: 'record.download-all',
        outcome: 'success',
        detail: { count: found.length, truncated },
      });
    });
  }
  return {
    patientId: patientId ?? '',
    documents: found.slice(0, MAX_ARCHIVED_DOCUMENTS),
    truncated,
    content: async (contentId) => (await retrieveContent(deps, actor, contentId)).bytes,
  };
}
