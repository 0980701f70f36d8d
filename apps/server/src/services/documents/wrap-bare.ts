import { createHash } from 'node:crypto';
import { levelOneContent, buildLevelOneCda } from '../../cda/level-one.ts';
import { levelOneInputOf } from '../../cda/level-one-input.ts';
import { uuidOid } from '../../cda/xml.ts';
import { SYSTEM_ACTOR } from '../../domain/audit/audit-record.ts';
import {
  CDA_MEDIA_TYPES,
  levelOneFormatFor,
  mediaTypeOf,
} from '../../domain/documents/cda-only.ts';
import { isUuid } from '../../domain/identity/uuid.ts';
import * as documents from '../../db/documents.repository.ts';
import * as wrap from '../../db/document-wrap.repository.ts';
import type { BareDocumentRef } from '../../db/document-wrap.repository.ts';
import * as records from '../../db/records.repository.ts';
import * as recordIds from '../../db/record-ids.repository.ts';
import { loggableError } from '../../loggable-error.ts';
import { parseCda } from '../../validation/cda.ts';
import { audit } from '../audit.ts';
import type { DocumentDeps } from './context.ts';
import { encodeEntry } from './encodings.ts';
import type { EntryTruth } from './encodings.ts';
import { cdaPatientOf, HOST_NAME } from './upload.ts';

/**
 * Documents stored bare before the API required CDA R2 (issue 17 rule 9; ADR 0014): each is wrapped, in place, in a
 * CDA N1 — run once at start (main.ts) and by `opendmp documents wrap-bare`; idempotent, traced.
 *
 * Rules:
 *  B1. A bare document is one the partial index document_bare lists: content not an XML media type, format not a
 *      non-CDA one (migration 0050). Each is handled in its own transaction, its row locked; one that changed or is
 *      no longer bare meanwhile is left to the next run.
 *  B2. Its media type (the stored mimeType) must be one a CDA N1 carries (PDF, JPEG, text, RTF, TIFF); otherwise it
 *      is left as it is and counted `unwrappable` (its id logged: an operator decides).
 *  B3. The CDA N1's header comes from the record (INS, birth identity) and the document's stored metadata (type,
 *      title, dates, confidentiality level, facility, setting, author — the depositor's declared author); its id is
 *      the document's uniqueId (root^extension), else the document id as an OID with the uniqueId as extension. It
 *      must be valid against the ANS schema and carry the stored bytes exactly, or the document is left (B2).
 *  B4. In place: same document id, uniqueId, status, lineage and visibility; the next version (versionId + 1) has
 *      contentType text/xml, the CDA's size and SHA-1, a new Binary; the former content is deleted. Traced
 *      `document.wrap` in the record's chain (the former and the new SHA-1, the media type — no content).
 */
export interface WrapSummary {
  readonly wrapped: number;
  readonly unwrappable: number;
  readonly skipped: number;
}

const BATCH = 100;
const OID = /^[0-2](\.(0|[1-9]\d*))+$/;

/** B3: the CDA id for a stored uniqueId. */
export function cdaIdOf(
  uniqueId: string,
  documentId: string,
): { root: string; extension?: string } {
  const [root = '', extension] = uniqueId.split('^', 2);
  if (OID.test(root) || isUuid(root)) {
    return extension === undefined ? { root } : { root, extension };
  }
  return { root: uuidOid(documentId), extension: uniqueId };
}

type Outcome = 'wrapped' | 'unwrappable' | 'skipped';

async function wrapOne(deps: DocumentDeps, ref: BareDocumentRef): Promise<Outcome> {
  // On Citus the new content's id is drawn into the record's shard, so that its Binary locator is written beside
  // the record (ADR 0035); before the transaction, on the pool.
  const contentId = await recordIds.idOnRecordShard(deps.sql, ref.patient_id, deps.ids);
  return deps.sql.begin(async (tx) => {
    const row = await documents.lockDocument(tx, ref.patient_id, ref.id);
    if (!row) {
      return 'skipped';
    }
    const media = mediaTypeOf(row.mime_type);
    if (CDA_MEDIA_TYPES.has(media)) {
      return 'skipped';
    }
    if (levelOneFormatFor(media) === undefined) {
      return 'unwrappable';
    }
    const record = await records.findRecord(tx, ref.patient_id);
    const bytes = await deps.contents.get(tx, ref.patient_id, row.content_id);
    if (!record || !bytes) {
      return 'skipped';
    }
    const now = deps.clock.now();
    const input = levelOneInputOf({
      metadata: row.metadata,
      patient: cdaPatientOf(record),
      fallback: { kind: 'person' },
      id: cdaIdOf(row.unique_id, row.id),
      now,
      hostName: HOST_NAME,
      mediaType: media,
      content: bytes,
    });
    if (!input.ok) {
      return 'unwrappable';
    }
    const cda = buildLevelOneCda(input.value);
    if (!parseCda(cda).ok || !levelOneContent(cda)?.equals(bytes)) {
      return 'unwrappable';
    }
    const sealed = await deps.contents.seal(tx, ref.patient_id, [cda], () => contentId);
    const content = sealed.contents[0];
    if (sealed.newKey || !content) {
      // A record holding a document has a key: a new one means the row vanished meanwhile.
      return 'skipped';
    }
    const sha1 = createHash('sha1').update(cda).digest();
    const metadata = {
      ...row.metadata,
      mimeType: 'text/xml',
      size: cda.byteLength,
      hash: sha1.toString('hex'),
    };
    const next: EntryTruth = {
      ...row,
      content_id: content.contentId,
      mime_type: 'text/xml',
      size: cda.byteLength,
      sha1,
      metadata,
      version_id: row.version_id + 1,
      updated_at: now,
    };
    const version = await wrap.replaceDocumentContent(
      tx,
      ref.patient_id,
      ref.id,
      {
        fromVersion: row.version_id,
        formerContentId: row.content_id,
        contentId: content.contentId,
        sealed: content,
        mimeType: 'text/xml',
        size: cda.byteLength,
        sha1,
        metadata,
        ...encodeEntry(deps.encodings, next),
      },
      now,
    );
    if (version === undefined) {
      throw new Error('document changed during wrapping');
    }
    await audit(tx, deps, SYSTEM_ACTOR, ref.patient_id, {
      action: 'document.wrap',
      outcome: 'success',
      entityType: 'DocumentReference',
      entityId: ref.id,
      detail: {
        version,
        mediaType: media,
        formerSha1: row.sha1.toString('hex'),
        sha1: sha1.toString('hex'),
      },
    });
    return 'wrapped';
  });
}

/** B1–B4 over every bare document, in batches; returns the counts (logged by the caller). */
export async function wrapBareDocuments(deps: DocumentDeps): Promise<WrapSummary> {
  let wrapped = 0;
  let unwrappable = 0;
  let skipped = 0;
  let after: BareDocumentRef | undefined;
  for (;;) {
    const batch = await wrap.findBareDocuments(deps.sql, BATCH, after);
    for (const ref of batch) {
      let outcome: Outcome;
      try {
        outcome = await wrapOne(deps, ref);
      } catch (e) {
        deps.log.warn(
          { documentId: ref.id, error: loggableError(e) },
          'a bare document could not be wrapped in a CDA N1 this time',
        );
        outcome = 'skipped';
      }
      if (outcome === 'wrapped') {
        wrapped++;
      } else if (outcome === 'unwrappable') {
        unwrappable++;
        deps.log.warn(
          { documentId: ref.id },
          'a bare document cannot be wrapped in a CDA N1 (media type or metadata): left as it is',
        );
      } else {
        skipped++;
      }
    }
    if (batch.length < BATCH) {
      break;
    }
    after = batch[batch.length - 1];
  }
  return { wrapped, unwrappable, skipped };
}
