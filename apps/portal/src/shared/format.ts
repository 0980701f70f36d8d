/** French formatting of dates and of the codes the API returns. */

const DATE = new Intl.DateTimeFormat('fr-FR', { day: 'numeric', month: 'long', year: 'numeric' });
const SHORT = new Intl.DateTimeFormat('fr-FR', {
  day: '2-digit',
  month: '2-digit',
  year: 'numeric',
});
const DATE_TIME = new Intl.DateTimeFormat('fr-FR', {
  day: '2-digit',
  month: '2-digit',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});

function parse(value: string | undefined): Date | undefined {
  if (value === undefined || value === '') {
    return undefined;
  }
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

export function formatDate(value: string | undefined): string {
  const d = parse(value);
  return d ? DATE.format(d) : '—';
}

export function formatShortDate(value: string | undefined): string {
  const d = parse(value);
  return d ? SHORT.format(d) : '—';
}

export function formatDateTime(value: string | undefined): string {
  const d = parse(value);
  return d ? DATE_TIME.format(d).replace(' ', ' à ') : '—';
}

export function formatSize(bytes: number | undefined): string {
  if (bytes === undefined) {
    return '';
  }
  if (bytes < 1024) {
    return `${bytes} o`;
  }
  if (bytes < 1024 * 1024) {
    return `${Math.round(bytes / 1024)} Ko`;
  }
  return `${(bytes / 1024 / 1024).toFixed(1).replace('.', ',')} Mo`;
}

export const ACCESS_MODES: Readonly<Record<string, string>> = {
  normal: 'Accès habituel',
  bris_de_glace: 'Accès en urgence (bris de glace)',
  centre_15: 'Accès par le SAMU (centre 15)',
};

/** Trace actions (apps/server audit `action`) in plain French. */
const ACTIONS: Readonly<Record<string, string>> = {
  'auth.login': 'Connexion',
  'record.create': 'Création du dossier',
  'record.close': 'Fermeture du dossier',
  'record.reopen': 'Réouverture du dossier',
  'record.request-deletion': 'Demande de suppression du dossier',
  'record.read': 'Consultation de l’identité',
  'record.status': 'Vérification de l’existence du dossier',
  'record.identity': 'Communication de vos traits d’identité',
  'record.purge': 'Suppression définitive du dossier',
  'record.medecin-traitant': 'Changement de médecin traitant',
  'consent.list': 'Consultation des autorisations',
  'consent.authorization': 'Autorisation d’accès',
  'consent.authorization.end': 'Retrait d’une autorisation',
  'consent.block': 'Blocage d’un professionnel',
  'consent.block.end': 'Déblocage d’un professionnel',
  'consent.emergency-objection': 'Refus d’un accès en urgence',
  'consent.emergency-objection.end': 'Acceptation d’un accès en urgence',
  'consent.care-team-objection': 'Opposition à une équipe de soins',
  'consent.care-team-objection.end': 'Levée d’une opposition à une équipe de soins',
  'document.deposit': 'Dépôt d’un document',
  'document.create': 'Dépôt d’un document',
  'document.publish': 'Dépôt d’un document',
  'document.search': 'Consultation de la liste des documents',
  'document.read': 'Consultation d’un document',
  'document.retrieve': 'Ouverture d’un document',
  'document.replace': 'Remplacement d’un document',
  'document.archive': 'Archivage d’un document',
  'document.unarchive': 'Désarchivage d’un document',
  'document.delete': 'Suppression d’un document',
  'document.set-visibility': 'Changement de visibilité d’un document',
  'document.visibility': 'Changement de visibilité d’un document',
  'document.visible-to-patient': 'Document devenu visible',
  'document.wrap': 'Document mis au format CDA (contenu inchangé)',
  'communication.read': 'Lecture des notifications',
  'communication.mark-read': 'Notification marquée comme lue',
  'notification.preferences.read': 'Consultation des préférences de notification',
  'notification.preferences.update': 'Modification des préférences de notification',
  'opposition.register': 'Opposition à la création du dossier',
  'opposition.lift': 'Levée de l’opposition',
  'consent.read': 'Consultation d’une autorisation',
  'document.update': 'Modification d’un document',
  'document.audience': 'Consultation de « qui peut voir ce document »',
  'audit.read': 'Consultation de l’historique des accès',
  'notification.read': 'Lecture des notifications',
};

export function actionLabel(action: string | undefined): string {
  if (action === undefined) {
    return 'Action';
  }
  return ACTIONS[action] ?? action;
}

export const CLOSURE_REASONS: Readonly<Record<string, string>> = {
  'holder-request': 'à votre demande',
  death: 'suite à un décès',
  'operator-decision': 'par décision de l’Assurance Maladie',
};

export const ACTOR_KINDS: Readonly<Record<string, string>> = {
  professional: 'Professionnel de santé',
  patient: 'Vous-même',
  representative: 'Représentant légal',
  operator: 'Assurance Maladie',
  system: 'Système opendmp',
};

/** Visibility labels (TRE_A07) as the patient reads them. */
export const VISIBILITY: Readonly<Record<string, string>> = {
  MASQUE_PS: 'Masqué aux professionnels',
  INVISIBLE_PATIENT: 'Invisible pour le patient (en attente d’annonce)',
  INVISIBLE_REPRESENTANTS_LEGAUX: 'Invisible pour les représentants légaux',
};
