/**
 * Connexion secrète for minors (CSP L1111-5; the DMP's CONNEXION_SECRETE; issue 17 rule 2). Pure.
 *
 * SL1. A document deposited (or a replacement) by a professional in secret mode on a minor's record carries
 *      INVISIBLE_REPRESENTANTS_LEGAUX, whatever the client sent: the server adds the label (TRE_A07, the
 *      terminology's spelling) before deciding, storing and serving it. The representatives may never lift it
 *      (the access policy lets the holder side change MASQUE_PS only).
 * SL2. Outside secret mode, or on an adult's record, the metadata is left as it is.
 */
import { CS, systemUrl } from '../identity/code-systems.ts';
import type { DocumentMetadata } from './model.ts';

export const INVISIBLE_REPRESENTANTS_LEGAUX = 'INVISIBLE_REPRESENTANTS_LEGAUX';

/** SL1/SL2: the metadata to store for a deposit by `secret` mode on a record whose holder `isMinor`. */
export function withSecretLabel(
  meta: DocumentMetadata,
  secret: boolean,
  isMinor: boolean,
): DocumentMetadata {
  if (!secret || !isMinor) {
    return meta;
  }
  if (meta.confidentiality.some((c) => c.code === INVISIBLE_REPRESENTANTS_LEGAUX)) {
    return meta;
  }
  return {
    ...meta,
    confidentiality: [
      ...meta.confidentiality,
      {
        system: systemUrl(CS.TRE_A07_STATUT_VISIBILITE_DOCUMENT),
        code: INVISIBLE_REPRESENTANTS_LEGAUX,
        display: 'Non visible par les représentants légaux du patient',
      },
    ],
  };
}
