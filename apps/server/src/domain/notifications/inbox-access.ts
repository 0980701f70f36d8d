/**
 * Whose notifications a caller reads (FHIR Communication) and marks as read. Whether they may is the access policy's
 * (decideAccess 'inbox.read', domain/access/policy.ts): the patient reads the notifications addressed to the patient
 * of their own record, a legal representative those addressed to the representatives of the represented person's
 * record, a professional only their own (addressed to them as médecin traitant) across records; nobody else.
 */
import type { Actor } from '../access/actor.ts';
import type { RecipientKind } from './model.ts';

export interface InboxOwner {
  readonly recipientKind: RecipientKind;
  readonly recipientId: string;
}

/** The inbox `actor` reads once the policy allowed inbox.read; undefined for those who have none. */
export function inboxOwnerOf(actor: Actor): InboxOwner | undefined {
  switch (actor.kind) {
    case 'patient':
    case 'representative':
      return { recipientKind: actor.kind, recipientId: actor.ins };
    case 'professional':
      return { recipientKind: 'medecin-traitant', recipientId: actor.idNatPs };
    case 'operator':
    case 'software':
      return undefined;
  }
}

/** Whether a stored notification belongs to `owner`. */
export function ownsNotification(
  owner: InboxOwner,
  row: { readonly recipient_kind: string; readonly recipient_id: string },
): boolean {
  return row.recipient_kind === owner.recipientKind && row.recipient_id === owner.recipientId;
}
