/**
 * Issue 17 rule 11: the operator merges two records of one person (domain/records/merge.ts, ADR 0016). In one
 * transaction: both records locked (in id order, so two crossed merges cannot deadlock), the rules decided, the
 * absorbed record's documents (contents re-sealed under the survivor's key, ids kept), consents, notification
 * preferences and legal representatives moved to the survivor, every INS of
 * the absorbed record repointed to the survivor, the absorbed record closed naming its survivor; the survivor's chain
 * gets `record.merge` (naming the absorbed record) and the absorbed record's chain ends with `record.merged` (naming
 * the survivor). A refusal changes nothing and is traced `record.merge` (failure, with its code) on the survivor's
 * chain — or on the system chain when the survivor does not exist.
 */
import type { Actor } from '../domain/access/actor.ts';
import type { DomainError } from '../domain/errors.ts';
import { domainError, DomainFailure } from '../domain/errors.ts';
import { isUuid } from '../domain/identity/uuid.ts';
import {
  consentsToEnd,
  decideMerge,
  MERGE_FIELD,
  preferencesToMove,
} from '../domain/records/merge.ts';
import type { MergeRecordFacts } from '../domain/records/merge.ts';
import { decideAccess, NO_RECORD_INS } from '../domain/access/policy.ts';
import type { RecordRow } from '../db/records.repository.ts';
import * as records from '../db/records.repository.ts';
import * as merge from '../db/merge.repository.ts';
import { accessContextOf } from './access-facts.ts';
import { audit } from './audit.ts';
import { refuseDenial } from './refusal.ts';
import type { Deps } from './deps.ts';
import { documentDeps } from './documents/context.ts';

export interface MergeOutcome {
  readonly survivor: RecordRow;
  readonly absorbedId: string;
  readonly documentsMoved: number;
  readonly consentsMoved: number;
  readonly consentsEnded: number;
}

const TRACE = 'record.merge';

const notFound = (which: 'survivor' | 'source'): DomainError =>
  which === 'survivor'
    ? domainError('not-found', 'REC_NOT_FOUND', 'No such record.')
    : domainError('invalid', 'REC_MERGE_SOURCE_NOT_FOUND', 'The record to absorb does not exist.', [
        MERGE_FIELD.absorbed,
      ]);

const factsOf = (row: RecordRow): MergeRecordFacts => ({
  patientId: row.patient_id,
  status: row.status,
  birthDate: row.birth_date,
  sex: row.sex,
});

/** Merges the record `absorbedId` into the record `survivorId` (operator only). */
export async function mergeRecords(
  deps: Deps,
  actor: Actor,
  survivorId: string,
  absorbedId: string,
  confirmed: boolean,
): Promise<MergeOutcome> {
  const survivorKnown = isUuid(survivorId)
    ? await records.findRecord(deps.sql, survivorId)
    : undefined;
  const context = await accessContextOf(
    deps.sql,
    deps,
    actor,
    survivorKnown?.ins ?? NO_RECORD_INS,
    survivorKnown,
  );
  const decision = decideAccess({ ...context, action: 'record.manage', operation: 'merge' });
  if (!decision.allow) {
    await refuseDenial(
      deps,
      actor,
      survivorKnown?.patient_id ?? null,
      decision,
      {
        action: TRACE,
        entityType: 'Patient',
        ...(isUuid(absorbedId) ? { entityId: absorbedId } : {}),
      },
      domainError('forbidden', decision.reason, decision.message),
    );
  }
  if (!survivorKnown) {
    throw new DomainFailure(notFound('survivor'));
  }
  const now = deps.clock.now();
  const result = await deps.sql.begin(
    async (tx): Promise<{ ok: false; error: DomainError } | { ok: true; value: MergeOutcome }> => {
      const absorbedValid = isUuid(absorbedId);
      const order = absorbedValid ? [survivorId, absorbedId].sort() : [survivorId];
      const locked = new Map<string, RecordRow>();
      for (const id of order) {
        const row = await records.lockRecord(tx, id);
        if (row) {
          locked.set(id, row);
        }
      }
      const survivor = locked.get(survivorId);
      if (!survivor) {
        return { ok: false, error: notFound('survivor') };
      }
      const absorbed = absorbedValid ? locked.get(absorbedId) : undefined;
      const refusal = absorbed
        ? decideMerge(
            factsOf(survivor),
            factsOf(absorbed),
            confirmed,
            await merge.countUnmovable(tx, absorbed.patient_id),
          )
        : notFound('source');
      if (refusal || !absorbed) {
        await audit(tx, deps, actor, survivorId, {
          action: TRACE,
          outcome: 'failure',
          reasonCode: refusal?.code ?? 'REC_MERGE_SOURCE_NOT_FOUND',
          entityType: 'Patient',
          entityId: absorbedValid ? absorbedId : null,
        });
        return { ok: false, error: refusal ?? notFound('source') };
      }
      // The absorbed record's keys in the look-up tables, before its rows move (ids of its consents included).
      const keys = await records.findLookupKeys(tx, absorbedId);
      const toKey = (r: merge.MergeConsentRow) => ({
        id: r.id,
        kind: r.kind,
        actorKind: r.actor_kind,
        actorId: r.actor_id,
        purpose: r.purpose,
        active: r.status === 'active',
      });
      const ended = consentsToEnd(
        (await merge.findConsentKeys(tx, survivorId)).map(toKey),
        (await merge.findConsentKeys(tx, absorbedId)).map(toKey),
      );
      const consentsMoved = await merge.moveConsents(tx, absorbedId, survivorId, ended, now);
      await merge.movePreferences(
        tx,
        absorbedId,
        survivorId,
        preferencesToMove(
          await merge.findPreferenceKinds(tx, survivorId),
          await merge.findPreferenceKinds(tx, absorbedId),
        ),
      );
      // Documents: each content opened with the absorbed record's key and sealed with the survivor's (same ids).
      const contentIds = await merge.findContentIds(tx, absorbedId);
      await documentDeps(deps).contents.moveContents(tx, absorbedId, survivorId, contentIds, {
        key: (row) => merge.insertDataKey(tx, survivorId, row),
        content: (contentId, row) => merge.insertContent(tx, survivorId, contentId, row),
      });
      const documentsMoved = await merge.moveDocuments(tx, absorbedId, survivorId, keys);
      const representativesMoved = await merge.moveRepresentatives(tx, absorbedId, survivorId);
      const insMoved = await merge.repointIns(tx, absorbedId, survivorId, keys.ins);
      await merge.recordMerge(tx, absorbedId, survivorId, now);
      // The absorbed chain's last link names the survivor; the survivor's names the absorbed record.
      await audit(tx, deps, actor, absorbedId, {
        action: 'record.merged',
        outcome: 'success',
        entityType: 'Patient',
        entityId: survivorId,
        detail: { survivor: survivorId },
      });
      await audit(tx, deps, actor, survivorId, {
        action: TRACE,
        outcome: 'success',
        entityType: 'Patient',
        entityId: absorbedId,
        detail: {
          absorbed: absorbedId,
          absorbedSystem: absorbed.ins_oid,
          documentsMoved,
          contentsResealed: contentIds.length,
          consentsMoved,
          consentsEnded: ended.length,
          representativesMoved,
          identifiersRepointed: insMoved,
        },
      });
      const after = await records.findRecord(tx, survivorId);
      if (!after) {
        return { ok: false, error: notFound('survivor') };
      }
      return {
        ok: true,
        value: {
          survivor: after,
          absorbedId,
          documentsMoved,
          consentsMoved,
          consentsEnded: ended.length,
        },
      };
    },
  );
  if (!result.ok) {
    throw new DomainFailure(result.error);
  }
  return result.value;
}

/**
 * The holder side under the record's current INS (issue 17 rule 11): a patient's or representative's token naming
 * an INS that now resolves to a record under another INS (a record absorbed by a merge, an NIA that received its
 * NIR) acts as the holder side of that record, whose policy compares the token's INS with the record's. Other actors,
 * and INS that name no record or the record's own, are returned as they are. One statement per holder-side request.
 */
export async function currentHolder(deps: Pick<Deps, 'sql'>, actor: Actor): Promise<Actor> {
  if (actor.kind !== 'patient' && actor.kind !== 'representative') {
    return actor;
  }
  const ins = await merge.findCurrentIns(deps.sql, actor.ins);
  return ins === undefined || ins === actor.ins ? actor : { ...actor, ins };
}
