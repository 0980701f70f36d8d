import type { Decision } from './decision.ts';
import { allow } from './decision.ts';
import type { DocumentFacts } from './facts.ts';
import { decideAccess, isAuthor, type AccessContext } from './policy.ts';

/**
 * May a deposit name this existing document in `relatesTo` (replaces, appends, transforms, signs)? (issue 16)
 *   T1. yes when the caller may read it;
 *   T2. yes when the caller is a professional who wrote it (an author replaces their own document even without
 *       an authorization on the record) and it is not deleted;
 *   T3. otherwise no, with the reason the read was refused: the deposit then answers exactly as if no such
 *       document existed (DOC_RELATED_TARGET_UNKNOWN), and the refusal is traced.
 * What the relation then allows (replacing needs the author, etc.) is decided by the deposit's own decision.
 */
export function decideRelationTarget(context: AccessContext, target: DocumentFacts): Decision {
  const read = decideAccess({ ...context, action: 'document.read', document: target });
  if (read.allow) {
    return read;
  }
  const actor = context.actor;
  if (actor.kind === 'professional' && target.status !== 'deleted' && isAuthor(actor, target)) {
    return allow('author');
  }
  return read;
}
