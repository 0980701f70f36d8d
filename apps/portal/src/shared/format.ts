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

const MONTH_YEAR = new Intl.DateTimeFormat('fr-FR', {
  month: 'long',
  year: 'numeric',
  timeZone: 'UTC',
});

/**
 * A date as French readers write it: "1er octobre 2019", "9 avril 2021"; a partial date at its own precision
 * ("septembre 2019", "2019") rather than "2019-09".
 */
export function formatDate(value: string | undefined): string {
  if (value !== undefined && /^\d{4}$/.test(value)) {
    return value;
  }
  if (value !== undefined && /^\d{4}-\d{2}$/.test(value)) {
    const d = parse(`${value}-01T00:00:00Z`);
    return d ? MONTH_YEAR.format(d) : value;
  }
  const d = parse(value);
  if (!d) {
    return '—';
  }
  const text = DATE.format(d);
  return /^1 /.test(text) ? `1er ${text.slice(2)}` : text;
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

/** Trace actions (apps/server audit `action`) in plain French: no raw code ever reaches the screen. */
const ACTIONS: Readonly<Record<string, string>> = {
  'auth.login': 'Connexion',
  'record.create': 'Création du dossier',
  'record.close': 'Fermeture du dossier',
  'record.reopen': 'Réouverture du dossier',
  'record.request-deletion': 'Demande de suppression du dossier',
  'record.read': 'Consultation de l’identité du dossier',
  'record.status': 'Vérification de l’existence du dossier',
  'record.identity': 'Consultation de vos traits d’identité',
  'record.last-visit': 'Ouverture du dossier par un professionnel',
  'record.download-all': 'Téléchargement de tous les documents (archive)',
  'record.purge': 'Suppression définitive du dossier',
  'record.manage': 'Gestion du dossier',
  'record.merge': 'Fusion de dossiers',
  'record.merged': 'Fusion de dossiers',
  'record.assign-nir': 'Rattachement de votre numéro de sécurité sociale',
  'record.medecin-traitant': 'Changement de médecin traitant',
  'consent.list': 'Consultation des autorisations d’accès',
  'consent.read': 'Consultation d’une autorisation d’accès',
  'consent.declare': 'Déclaration de votre consentement par un professionnel',
  'consent.manage': 'Modification des autorisations d’accès',
  'consent.authorization': 'Autorisation d’accès donnée',
  'consent.authorization.end': 'Autorisation d’accès retirée',
  'consent.block': 'Blocage d’un professionnel',
  'consent.block.end': 'Déblocage d’un professionnel',
  'consent.emergency-objection': 'Refus des accès en urgence',
  'consent.emergency-objection.end': 'Acceptation des accès en urgence',
  'consent.care-team-objection': 'Opposition à une équipe de soins',
  'consent.care-team-objection.end': 'Levée d’une opposition à une équipe de soins',
  'document.deposit': 'Ajout d’un document',
  'document.create': 'Ajout d’un document',
  'document.publish': 'Ajout d’un document',
  'document.search': 'Consultation de la liste des documents',
  'document.search-own': 'Recherche de ses propres documents par un professionnel',
  'document.find-own': 'Recherche de ses propres documents par un professionnel',
  'document.read': 'Consultation d’un document',
  'document.retrieve': 'Ouverture d’un document',
  'document.replace': 'Nouvelle version d’un document',
  'document.relate': 'Lien entre deux documents',
  'document.archive': 'Archivage d’un document',
  'document.unarchive': 'Désarchivage d’un document',
  'document.delete': 'Suppression d’un document',
  'document.set-visibility': 'Changement de visibilité d’un document',
  'document.visibility': 'Changement de visibilité d’un document',
  'document.masked': 'Document masqué aux professionnels',
  'document.unmasked': 'Document de nouveau visible par les professionnels',
  'document.visible-to-patient': 'Document devenu visible pour vous',
  'document.available': 'Document mis à disposition',
  'document.pending-notice': 'Document en attente d’annonce',
  'document.teleport': 'Transfert d’un document',
  'document.update': 'Modification d’un document',
  'document.wrap': 'Document mis au format CDA (contenu inchangé)',
  'document.audience': 'Consultation de « qui peut voir ce document »',
  'communication.read': 'Lecture d’une notification',
  'communication.search': 'Consultation des notifications',
  'communication.mark-read': 'Notification marquée comme lue',
  'notification.read': 'Lecture des notifications',
  'notification.preferences.read': 'Consultation des préférences de notification',
  'notification.preferences.update': 'Modification des préférences de notification',
  'opposition.register': 'Opposition à la création du dossier',
  'opposition.lift': 'Levée de l’opposition',
  'audit.read': 'Consultation de l’historique des accès',
  'audit.search': 'Consultation de l’historique des accès',
  'care-history.read': 'Consultation de l’historique des soins',
  'care-history.import': 'Mise à jour de l’historique des soins',
  'care-history.import-run': 'Mise à jour de l’historique des soins',
  'profile.read': 'Consultation du profil médical',
  'profile.search': 'Consultation du profil médical',
  'profile.export': 'Export du profil médical',
  'profile.create': 'Ajout au profil médical',
  'profile.write': 'Modification du profil médical',
  'profile.update': 'Modification du profil médical',
  'profile.delete': 'Suppression d’une information du profil médical',
  'list.read': 'Consultation de la liste des documents',
  'list.search': 'Consultation de la liste des documents',
  'representation.read': 'Consultation des représentants légaux',
  'representation.register': 'Enregistrement d’un représentant légal',
  'representation.end': 'Fin d’une représentation légale',
};

/** Families of actions, for a code this table does not know yet (never shown raw). */
const FAMILIES: Readonly<Record<string, string>> = {
  record: 'Action sur le dossier',
  consent: 'Action sur les autorisations d’accès',
  document: 'Action sur un document',
  communication: 'Action sur les notifications',
  notification: 'Action sur les notifications',
  profile: 'Action sur le profil médical',
  'care-history': 'Action sur l’historique des soins',
  audit: 'Consultation de l’historique des accès',
  representation: 'Action sur les représentants légaux',
  job: 'Opération automatique',
};

export function actionLabel(action: string | undefined): string {
  if (action === undefined || action === '') {
    return 'Action sur le dossier';
  }
  return ACTIONS[action] ?? FAMILIES[action.split('.')[0] ?? ''] ?? 'Action sur le dossier';
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

/** A professional's name as a patient reads it: "Dr" before a médecin's (TRE_G15 10). */
export function professionalName(name: string, profession: string | undefined): string {
  return profession === '10' && !/^Dr\b/.test(name) ? `Dr ${name}` : name;
}
