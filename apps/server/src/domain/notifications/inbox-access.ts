/**
 * Whose notifications a caller may read (FHIR Communication) and mark as read:
 *  I1. the patient reads the notifications addressed to the patient of their own record;
 *  I2. a legal representative reads those addressed to the representatives of the represented person's record;
 *  I3. a professional reads only their own (addressed to them as médecin traitant), across records, and never
 *      addresses a record;
 *  I4. nobody else (the operator included) reads notifications.
 */
import type { Actor } from '../access/actor.ts';
import type { Result } from '../result.ts';
import { err, ok } from '../result.ts';
import type { RecipientKind } from './model.ts';

export interface InboxOwner {
  readonly recipientKind: RecipientKind;
  readonly recipientId: string;
}

export type InboxDenial = 'NOTIF_NOT_RECIPIENT' | 'ACCESS_ACTION_NOT_PERMITTED';

/**
 * @param recordIns - INS of the record addressed, or undefined when the caller addresses their own inbox
 */
export function decideInboxAccess(
  actor: Actor,
  recordIns: string | undefined,
): Result<InboxOwner, InboxDenial> {
  switch (actor.kind) {
    case 'patient':
    case 'representative':
      if (recordIns === undefined) {
        return ok({ recipientKind: actor.kind, recipientId: actor.ins });
      }
      return recordIns === actor.ins
        ? ok({ recipientKind: actor.kind, recipientId: actor.ins })
        : err('NOTIF_NOT_RECIPIENT');
    case 'professional':
      return recordIns === undefined
        ? ok({ recipientKind: 'medecin-traitant', recipientId: actor.idNatPs })
        : err('NOTIF_NOT_RECIPIENT');
    case 'operator':
    case 'software':
      return err('ACCESS_ACTION_NOT_PERMITTED');
  }
}

/** Whether a stored notification belongs to `owner`. */
export function ownsNotification(
  owner: InboxOwner,
  row: { readonly recipient_kind: string; readonly recipient_id: string },
): boolean {
  return row.recipient_kind === owner.recipientKind && row.recipient_id === owner.recipientId;
}
