import * as outbox from '../../db/outbox.repository.ts';
import {
  hasLabel,
  INVISIBLE_PATIENT_NOTICE_DAYS,
  invisiblePatientLiftsAt,
  invisiblePatientNoticeAt,
} from '../../domain/access/facts.ts';
import { SYSTEM_ACTOR } from '../../domain/audit/audit-record.ts';
import { audit } from '../audit.ts';
import type { Deps } from '../deps.ts';
import { writeNotifications } from './notify.ts';

/**
 * The invisible-document job (CSP R1111-53, product.md §2 "Visibility"). For each current document still
 * labelled INVISIBLE_PATIENT:
 *  V1. two weeks after its deposit, the patient (and representatives) are told that a document awaits its
 *      announcement: a `document.pending-notice` notification and a `document.pending-notice` trace;
 *  V2. one calendar month after its deposit the access policy shows it to the patient by itself
 *      (isStillInvisibleToPatient); the job then writes a `document.visible-to-patient` trace and the new-document
 *      notification (`document.available`). If the service was down past the month, only V2 happens.
 *  V3. each step is done once per document (a marker row with its primary key, written in the same transaction
 *      as the trace and the outbox rows), so several instances or a re-run do nothing twice.
 */
const DAY_MS = 86_400_000;

export async function processInvisibleDocuments(
  deps: Deps,
  batch = 200,
): Promise<{ notices: number; madeVisible: number }> {
  const now = deps.clock.now();
  const noticeBefore = new Date(now.getTime() - INVISIBLE_PATIENT_NOTICE_DAYS * DAY_MS);
  const liftBefore = new Date(now.getTime() - 28 * DAY_MS); // no calendar month is shorter
  let notices = 0;
  let madeVisible = 0;
  let after: { at: Date; patientId: string; id: string } | null = null;
  for (;;) {
    const rows = await outbox.findInvisibleDocumentCandidates(
      deps.sql,
      noticeBefore,
      liftBefore,
      batch,
      after,
    );
    if (rows.length === 0) {
      break;
    }
    const last = rows[rows.length - 1];
    after = last ? { at: last.deposited_at, patientId: last.patient_id, id: last.id } : null;
    for (const row of rows) {
      const step: 'visible' | 'pending-notice' | null =
        now.getTime() >= invisiblePatientLiftsAt(row.deposited_at).getTime()
          ? 'visible'
          : !row.notice_sent &&
              now.getTime() >= invisiblePatientNoticeAt(row.deposited_at).getTime()
            ? 'pending-notice'
            : null;
      if (!step) {
        continue;
      }
      const done = await deps.sql.begin(async (tx) => {
        const doc = await outbox.lockInvisibleDocument(tx, row.patient_id, row.id);
        if (!doc || doc.status !== 'current' || !hasLabel(doc, 'INVISIBLE_PATIENT')) {
          return false;
        }
        if (!(await outbox.insertVisibilityMarker(tx, row.patient_id, row.id, step, now))) {
          return false;
        }
        await audit(tx, deps, SYSTEM_ACTOR, row.patient_id, {
          action: step === 'visible' ? 'document.visible-to-patient' : 'document.pending-notice',
          outcome: 'success',
          entityType: 'DocumentReference',
          entityId: row.id,
          detail: { label: 'INVISIBLE_PATIENT' },
        });
        await writeNotifications(tx, deps, {
          type: step === 'visible' ? 'document.available' : 'document.pending-notice',
          patientId: row.patient_id,
          actor: SYSTEM_ACTOR,
          documentId: row.id,
        });
        return true;
      });
      if (done && step === 'visible') {
        madeVisible++;
      } else if (done) {
        notices++;
      }
    }
  }
  return { notices, madeVisible };
}
