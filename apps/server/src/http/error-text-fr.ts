import type { ErrorKind } from '../domain/errors.ts';
import { frenchCdaRefusal } from './cda-refusal-fr.ts';

/**
 * The French text of an OperationOutcome issue (`issue[].details.text`; issue 21 point 8): what a person reads —
 * a portal, the professional's software showing the message as is. The English message stays in `diagnostics` for
 * the integrator, and the stable code in `details.coding`. Pure.
 *
 * A code of this table gets its own sentence; any other code its family's (DOC_, CDA_, ID_…), else its kind's; so
 * `details.text` is French for every answer, and exact for the codes people meet.
 */
const BY_CODE: Readonly<Record<string, string>> = {
  AUTH_TOKEN_MISSING: 'Vous n’êtes pas connecté : une authentification est nécessaire.',
  AUTH_TOKEN_EXPIRED: 'La session a expiré : reconnectez-vous.',
  AUTH_TOKEN_INVALID: 'Le jeton d’authentification n’est pas valide.',
  AUTH_SESSION_EXPIRED: 'La session a pris fin : reconnectez-vous.',
  AUTH_CSRF_INVALID: 'La demande n’a pas pu être vérifiée : rechargez la page et réessayez.',
  AUTH_JUSTIFICATION_REQUIRED:
    'Une justification écrite d’au moins 10 caractères est obligatoire pour l’accès en urgence.',
  AUTH_EMERGENCY_RECORD_REQUIRED:
    'Un accès en urgence vaut pour un seul dossier : indiquez son INS.',
  AUTH_SECOND_FACTOR_REQUIRED: 'La connexion demande un second facteur d’authentification.',
  ACCESS_RECORD_CLOSED: 'Ce dossier est fermé : il n’est plus accessible aux professionnels.',
  ACCESS_BLOCKED: 'Le titulaire du dossier a bloqué votre accès.',
  ACCESS_NO_AUTHORIZATION:
    'Vous n’avez pas d’autorisation d’accès à ce dossier : déclarez d’abord le consentement du patient.',
  ACCESS_EMERGENCY_OBJECTED: 'Le titulaire du dossier s’est opposé à ce mode d’accès en urgence.',
  ACCESS_EMERGENCY_JUSTIFICATION_REQUIRED:
    'Une justification est obligatoire pour l’accès en urgence.',
  ACCESS_MATRIX_DENIED: 'Votre profession n’a pas accès à ce type de document.',
  ACCESS_MASKED: 'Ce document est masqué aux professionnels.',
  ACCESS_NOT_AUTHOR: 'Seul l’auteur du document peut faire cela.',
  ACCESS_ACTION_NOT_PERMITTED: 'Cette action ne vous est pas permise.',
  ACCESS_NO_RECORD: 'Aucun dossier n’existe pour ce patient.',
  ACCESS_NOT_HOLDER: 'Ce dossier n’est pas le vôtre.',
  ACCESS_NOT_REPRESENTATIVE: 'Vous n’êtes pas enregistré comme représentant légal de ce patient.',
  ACCESS_INVISIBLE: 'Ce document n’est pas disponible.',
  ACCESS_DELETED: 'Ce document a été supprimé.',
  ACCESS_CENTRE15_NOT_REGULATOR: 'Le mode centre 15 est réservé aux médecins régulateurs du SAMU.',
  ACCESS_OPERATOR_NO_CLINICAL: 'L’opérateur n’a accès qu’aux données administratives.',
  ACCESS_DEPOSIT_CLASS_NOT_ALLOWED: 'Vous ne pouvez pas déposer un document de cette catégorie.',
  PROFILE_PROFESSIONAL_ENTRY:
    'Une vaccination notée par un professionnel ne se modifie pas (elle peut être supprimée).',
  PROFILE_VERSION_CONFLICT:
    'Cette information a changé depuis que vous l’avez ouverte : rechargez la page.',
  ACCESS_VISIBILITY_NOT_ALLOWED: 'Vous ne pouvez pas modifier cette visibilité.',
  CONSENT_NOT_FOUND: 'Cette autorisation n’existe pas ou plus.',
  CONSENT_ACTOR_NOT_CALLER: 'Un professionnel ne déclare le consentement que pour lui-même.',
  REC_NOT_FOUND: 'Aucun dossier pour cet identifiant.',
  REC_NOT_HOLDER: 'Seul le titulaire du dossier peut faire cela.',
  ID_INS_FORMAT: 'L’INS n’a pas le bon format (15 caractères).',
  ID_INS_KEY: 'La clé de l’INS est incorrecte.',
  ID_INS_OID_UNKNOWN: 'Le type d’identifiant du patient est inconnu.',
  ID_INS_TEST_SYSTEM: 'Les INS de test ou de démonstration ne sont pas acceptés par ce service.',
  DOC_NOT_FOUND: 'Ce document n’existe pas ou ne vous est pas accessible.',
  AUDIT_NOT_FOUND: 'Cet événement n’existe pas ou ne vous est pas accessible.',
  HTTP_NOT_FOUND: 'Cette adresse n’existe pas sur ce serveur.',
  HTTP_BODY_TOO_LARGE: 'Le contenu envoyé est trop volumineux.',
  HTTP_DATE_INVALID: 'Une date de la recherche est mal écrite (AAAA, AAAA-MM, AAAA-MM-JJ…).',
  HTTP_PARAMETER_INVALID: 'Un paramètre de la demande n’est pas valide.',
  PORTAL_SEARCH_TEXT: 'Cherchez avec 2 à 80 caractères d’un nom ou d’un numéro RPPS.',
};

const BY_FAMILY: readonly (readonly [string, string])[] = [
  [
    'CDA_',
    'Le document CDA est refusé : son en-tête ou sa structure ne respecte pas le format attendu.',
  ],
  ['XML_', 'Le contenu XML est refusé (mal formé, trop profond ou porteur d’entités interdites).'],
  ['DOC_', 'Le document ou ses métadonnées sont refusés.'],
  ['ID_', 'L’identifiant du patient n’est pas valide.'],
  ['AUTH_', 'L’authentification a échoué.'],
  ['ACCESS_', 'L’accès est refusé par les règles du dossier.'],
  ['CONSENT_', 'La demande sur les autorisations d’accès est refusée.'],
  ['REC_', 'La demande sur le dossier est refusée.'],
  ['REP_', 'La demande sur la représentation légale est refusée.'],
  ['PROFILE_', 'La demande sur le profil médical est refusée.'],
  ['CARE_', 'La demande sur l’historique des soins est refusée.'],
  ['NOTIF_', 'La demande sur les notifications est refusée.'],
  ['XDS_', 'La demande XDS est refusée.'],
  ['FHIR_', 'La ressource FHIR est refusée.'],
  ['HTTP_', 'La demande HTTP est incorrecte.'],
];

const BY_KIND: Readonly<Record<ErrorKind, string>> = {
  invalid: 'La demande est incorrecte.',
  unauthenticated: 'Une authentification est nécessaire.',
  forbidden: 'Cette action ne vous est pas permise.',
  'not-found': 'Élément introuvable.',
  conflict: 'Conflit : l’élément a changé entre-temps.',
  gone: 'Cet élément a été supprimé.',
  'too-large': 'La demande est trop volumineuse.',
  'unsupported-media': 'Ce format n’est pas accepté.',
  unprocessable: 'La demande est refusée par une règle du dossier.',
  'rate-limited': 'Trop de demandes : réessayez dans un moment.',
  unavailable: 'Le service est momentanément indisponible.',
};

/**
 * French text of an issue: a CDA refusal explained with its reason (cda-refusal-fr.ts: schema lines, header field)
 * when the English `message` is given, else its code's sentence, else its family's, else its kind's.
 */
export function frenchIssueText(
  code: string,
  kind: ErrorKind | undefined,
  message?: string,
): string {
  const cda = message !== undefined ? frenchCdaRefusal(code, message) : undefined;
  if (cda !== undefined) {
    return cda;
  }
  const own = BY_CODE[code];
  if (own !== undefined) {
    return own;
  }
  const family = BY_FAMILY.find(([prefix]) => code.startsWith(prefix));
  if (family !== undefined) {
    return family[1];
  }
  return kind !== undefined ? BY_KIND[kind] : 'La demande n’a pas abouti.';
}
