import type { Actor } from '../../domain/access/actor.ts';
import type { RecordFacts } from '../../domain/access/facts.ts';
import { withSecretLabel } from '../../domain/documents/secret-label.ts';
import type { PreparedDocument } from './intake.ts';

/**
 * Issue 17 rule 2 (L1111-5): a document deposited by a professional in connexion secrète on a minor's record is
 * stored, decided and served with INVISIBLE_REPRESENTANTS_LEGAUX (domain/documents/secret-label.ts SL1).
 */
export function secretDeposit(
  prepared: PreparedDocument,
  actor: Actor,
  record: RecordFacts | undefined,
): PreparedDocument {
  const metadata = withSecretLabel(
    prepared.metadata,
    actor.kind === 'professional' && actor.secret === true,
    record?.isMinor === true,
  );
  return metadata === prepared.metadata ? prepared : { ...prepared, metadata };
}
