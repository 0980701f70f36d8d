import * as outbox from '../../db/outbox.repository.ts';
import type { PreferenceRow } from '../../db/outbox.repository.ts';
import * as records from '../../db/records.repository.ts';
import type { Actor } from '../../domain/access/actor.ts';
import type { DomainIssue } from '../../domain/errors.ts';
import { domainError, DomainFailure, validationError } from '../../domain/errors.ts';
import type { PreferenceInput } from '../../domain/notifications/preferences.ts';
import type { Result } from '../../domain/result.ts';
import { audit, auditDenial } from '../audit.ts';
import { unregisteredRepresentative } from '../representative-gate.ts';
import type { Deps } from '../deps.ts';

/**
 * Channel preferences of the holder (and, separately, of the legal representatives) of the caller's record:
 * `GET` / `PUT /portal-api/notification-preferences`. Only the patient and their representatives have
 * preferences; emergency accesses and pending-document notices ignore them (domain/notifications/plan.ts).
 */
export interface PreferenceView {
  readonly channels: readonly string[];
  readonly email: string | null;
  readonly muted: readonly string[];
  readonly updatedAt: Date | null;
}

const DEFAULT_VIEW: PreferenceView = {
  channels: ['inbox'],
  email: null,
  muted: [],
  updatedAt: null,
};

function viewOf(row: PreferenceRow | undefined): PreferenceView {
  return row
    ? { channels: row.channels, email: row.email, muted: row.muted, updatedAt: row.updated_at }
    : DEFAULT_VIEW;
}

async function holder(
  deps: Deps,
  actor: Actor,
  traceAction: string,
): Promise<{ patientId: string; kind: 'patient' | 'representative' }> {
  if (actor.kind !== 'patient' && actor.kind !== 'representative') {
    await auditDenial(deps, actor, null, { action: traceAction, reasonCode: 'NOTIF_HOLDER_ONLY' });
    throw new DomainFailure(
      domainError(
        'forbidden',
        'NOTIF_HOLDER_ONLY',
        'Only the patient and their legal representatives have notification preferences.',
      ),
    );
  }
  const row = await records.findRecordByIns(deps.sql, actor.ins);
  if (!row || (await unregisteredRepresentative(deps, actor, row, traceAction))) {
    throw new DomainFailure(domainError('not-found', 'REC_NOT_FOUND', 'No such record.'));
  }
  return { patientId: row.patient_id, kind: actor.kind };
}

export async function getPreferences(deps: Deps, actor: Actor): Promise<PreferenceView> {
  const { patientId, kind } = await holder(deps, actor, 'notification.preferences.read');
  const row = await outbox.findPreference(deps.sql, patientId, kind);
  await deps.sql.begin(async (tx) => {
    await audit(tx, deps, actor, patientId, {
      action: 'notification.preferences.read',
      outcome: 'success',
    });
  });
  return viewOf(row);
}

/**
 * Saves the preferences as the interface read them (domain/notifications/preferences.ts `readPreferences`, at the
 * portal's edge), or the issues it found: those are answered after the holder check, so that a caller who has no
 * preferences is refused (and traced) whatever it sent.
 */
export async function setPreferences(
  deps: Deps,
  actor: Actor,
  parsed: Result<PreferenceInput, DomainIssue[]>,
): Promise<PreferenceView> {
  const { patientId, kind } = await holder(deps, actor, 'notification.preferences.update');
  if (!parsed.ok) {
    throw new DomainFailure(validationError(parsed.error));
  }
  const input = parsed.value;
  const row = await deps.sql.begin(async (tx) => {
    const saved = await outbox.upsertPreference(tx, {
      patientId,
      kind,
      channels: input.channels,
      email: input.email,
      muted: input.muted,
      at: deps.clock.now(),
    });
    await audit(tx, deps, actor, patientId, {
      action: 'notification.preferences.update',
      outcome: 'success',
      detail: {
        channels: input.channels.join(','),
        email: input.email !== null,
        muted: input.muted.join(','),
      },
    });
    return saved;
  });
  return viewOf(row);
}
