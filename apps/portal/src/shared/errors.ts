/**
 * French wording of the server's stable error codes (the server's own messages are in English).
 * Unknown codes fall back to a sentence by HTTP status.
 */
const MESSAGES: Readonly<Record<string, string>> = {
  AUTH_SESSION_EXPIRED: 'Votre session a pris fin. Reconnectez-vous.',
  AUTH_TOKEN_MISSING: 'Aucune session n’est ouverte : connectez-vous.',
  AUTH_TOKEN_EXPIRED: 'Votre session a expiré. Reconnectez-vous.',
  AUTH_CSRF_INVALID: 'La demande n’a pas pu être vérifiée. Rechargez la page et réessayez.',
  AUTH_DEMO_ACCOUNT_UNKNOWN: 'Ce compte de démonstration n’existe pas.',
  AUTH_JUSTIFICATION_REQUIRED: 'Une justification écrite d’au moins 10 caractères est obligatoire.',
  AUTH_EMERGENCY_NOT_ALLOWED: 'Ce mode d’accès n’est pas ouvert à votre profil.',
  AUTH_EMERGENCY_VIA_IDP:
    'L’accès en urgence passe par votre fournisseur d’identité : reconnectez-vous en mode urgence.',
  AUTH_OIDC_STATE: 'Le lien de connexion n’est plus valable. Recommencez.',
  AUTH_OIDC_PROVIDER_ERROR: 'Le fournisseur d’identité a refusé la connexion.',
  AUTH_OIDC_ID_TOKEN: 'La réponse du fournisseur d’identité n’a pas pu être vérifiée.',
  AUTH_OIDC_TOKEN: 'Le fournisseur d’identité n’a pas délivré de jeton.',
  AUTH_OIDC_DISCOVERY: 'Le fournisseur d’identité est injoignable.',
  AUTH_OIDC_NOT_CONFIGURED: 'Aucun fournisseur d’identité n’est configuré pour ce portail.',
  AUTH_SECOND_FACTOR_REQUIRED:
    'La connexion à votre dossier demande un second facteur (code reçu par SMS, application…) : reconnectez-vous en l’utilisant.',
  AUTH_TOKEN_KIND: 'Ce fournisseur d’identité ne permet pas d’ouvrir ce portail.',
  ID_INS_TEST_SYSTEM:
    'Les identifiants INS de test ou de démonstration ne sont pas acceptés par ce service.',
  ACCESS_RECORD_CLOSED: 'Ce dossier est fermé : il n’est plus accessible aux professionnels.',
  ACCESS_BLOCKED: 'Le patient a bloqué votre accès à son dossier.',
  ACCESS_NO_AUTHORIZATION:
    'Vous n’avez pas d’autorisation d’accès à ce dossier. Déclarez le consentement du patient.',
  ACCESS_EMERGENCY_OBJECTED: 'Le patient s’est opposé à ce mode d’accès en urgence.',
  ACCESS_MATRIX_DENIED: 'Votre profession n’a pas accès à ce type de document.',
  ACCESS_MASKED: 'Ce document est masqué aux professionnels.',
  ACCESS_NOT_AUTHOR: 'Seul l’auteur du document peut faire cela.',
  ACCESS_ACTION_NOT_PERMITTED: 'Cette action ne vous est pas permise.',
  ACCESS_NO_RECORD: 'Aucun dossier n’existe pour ce patient.',
  ACCESS_NOT_HOLDER: 'Ce dossier n’est pas le vôtre.',
  ACCESS_INVISIBLE: 'Ce document n’est pas disponible.',
  ACCESS_DELETED: 'Ce document a été supprimé.',
  ACCESS_EMERGENCY_JUSTIFICATION_REQUIRED:
    'Une justification est obligatoire pour l’accès en urgence.',
  ACCESS_CENTRE15_NOT_REGULATOR: 'Le mode centre 15 est réservé aux médecins régulateurs du SAMU.',
  ACCESS_OPERATOR_NO_CLINICAL: 'L’opérateur n’a accès qu’aux données administratives.',
  ACCESS_DEPOSIT_CLASS_NOT_ALLOWED: 'Vous ne pouvez pas déposer un document de cette catégorie.',
  ACCESS_VISIBILITY_NOT_ALLOWED: 'Vous ne pouvez pas modifier cette visibilité.',
  PROFILE_PROFESSIONAL_ENTRY:
    'Une vaccination notée par un professionnel ne se modifie pas (elle peut être supprimée).',
  PROFILE_VERSION_CONFLICT:
    'Cette information a changé depuis que vous l’avez ouverte : rechargez la page.',
  CONSENT_ACTOR_NOT_CALLER: 'Un professionnel ne déclare le consentement que pour lui-même.',
  CONSENT_NOT_FOUND: 'Cette autorisation n’existe plus.',
  REC_NOT_FOUND: 'Aucun dossier pour cet identifiant.',
  REC_NOT_HOLDER: 'Seul le titulaire du dossier peut faire cela.',
  REC_GP_IDENTIFIER: 'Identifiant de professionnel invalide.',
  ID_INS_FORMAT: 'L’INS saisi n’a pas le bon format (15 caractères).',
  ID_INS_KEY: 'La clé de l’INS saisi est incorrecte.',
  ID_INS_OID_UNKNOWN: 'Type d’identifiant inconnu.',
  DOC_NOT_FOUND: 'Ce document n’existe pas ou ne vous est pas accessible.',
  HTTP_BODY_TOO_LARGE: 'Le fichier est trop volumineux.',
  HTTP_NOT_FOUND: 'Cette fonction n’est pas disponible sur ce serveur.',
};

const BY_STATUS: Readonly<Record<number, string>> = {
  400: 'La demande est incorrecte.',
  401: 'Aucune session n’est ouverte : connectez-vous.',
  403: 'Cette action ne vous est pas permise.',
  404: 'Élément introuvable.',
  409: 'Conflit : l’élément a changé entre-temps.',
  413: 'Le fichier est trop volumineux.',
  415: 'Format non accepté.',
  422: 'La demande est refusée par une règle du dossier.',
  503: 'Service momentanément indisponible.',
};

export function frenchError(code: string, status: number): string {
  const known = MESSAGES[code];
  if (known !== undefined) {
    return known;
  }
  if (code.startsWith('DOC_')) {
    return `Le document a été refusé (${code}).`;
  }
  return BY_STATUS[status] ?? `Erreur inattendue (${status}).`;
}
