import type { DenyReason } from '../domain/access/decision.ts';
import { sexOfNir } from '../domain/identity/sex.ts';

/**
 * The access history in the words of the person who reads it (issue 21 point 1), written by the server so that
 * every client of GET /portal-api/history shows the same sentence and no raw code reaches a screen:
 *  L1. every trace action has a French label; an action this table does not know yet is named by its family
 *      ("Action sur un document"), never by its code;
 *  L2. a refusal says why in words, one sentence per policy reason (the DenyReason union: the compiler refuses a
 *      reason without its sentence); another code gets a general sentence;
 *  L3. an emergency access names its mode;
 *  L4. the actor: a médecin's name after "Dr", their profession and structure; a professional outside the
 *      directory by the profession and structure the trace recorded; the holder and the representatives as the
 *      reader sees them ("Vous", "Le titulaire du dossier"); a representative by their name with the words agreed
 *      to their sex when their own NIR (recorded in the trace) says it ("Claire SIMON, votre représentante
 *      légale"), and "Vous" for the representative who reads.
 * Pure functions.
 */

/** L1: trace actions (`audit_event.action`) as a patient reads them. */
export const ACTION_LABELS: Readonly<Record<string, string>> = {
  'auth.login': 'Connexion',
  'auth.failure': 'Échec de connexion',
  'record.create': 'Création du dossier',
  'record.close': 'Fermeture du dossier',
  'record.reopen': 'Réouverture du dossier',
  'record.request-deletion': 'Demande de suppression du dossier',
  'record.read': 'Consultation de l’identité du dossier',
  'record.status': 'Vérification de l’existence du dossier',
  'record.identity': 'Consultation des traits d’identité du dossier',
  'record.last-visit': 'Ouverture du dossier par un professionnel',
  'record.download-all': 'Téléchargement de tous les documents (archive)',
  'record.purge': 'Suppression définitive du dossier',
  'record.manage': 'Gestion du dossier',
  'record.merge': 'Fusion de dossiers',
  'record.merged': 'Fusion de dossiers',
  'record.assign-nir': 'Rattachement du numéro de sécurité sociale',
  'record.medecin-traitant': 'Changement de médecin traitant',
  'consent.list': 'Consultation des autorisations d’accès',
  'consent.read': 'Consultation d’une autorisation d’accès',
  'consent.declare': 'Déclaration du consentement du patient par un professionnel',
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
  'document.visible-to-patient': 'Document devenu visible pour le patient',
  'document.available': 'Document mis à disposition',
  'document.pending-notice': 'Document en attente d’annonce',
  'document.teleport': 'Transfert d’un document',
  'document.update': 'Modification d’un document',
  'document.wrap': 'Document mis au format CDA (contenu inchangé)',
  'document.audience': 'Consultation de « qui peut voir ce document »',
  'communication.read': 'Lecture d’une notification',
  'communication.search': 'Consultation des notifications',
  'communication.mark-read': 'Notification marquée comme lue',
  'inbox.read': 'Consultation des notifications',
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
  'profile.record-vaccination': 'Vaccination enregistrée par un professionnel',
  'list.read': 'Consultation de la liste des documents',
  'list.search': 'Consultation de la liste des documents',
  'representation.read': 'Consultation des représentants légaux',
  'representation.register': 'Enregistrement d’un représentant légal',
  'representation.end': 'Fin d’une représentation légale',
  'request.not-found': 'Demande d’un élément introuvable',
};

/** L1: families of actions, for a code the table does not know yet. */
const FAMILIES: Readonly<Record<string, string>> = {
  auth: 'Connexion',
  record: 'Action sur le dossier',
  consent: 'Action sur les autorisations d’accès',
  document: 'Action sur un document',
  communication: 'Action sur les notifications',
  notification: 'Action sur les notifications',
  inbox: 'Action sur les notifications',
  opposition: 'Action sur l’opposition à la création du dossier',
  profile: 'Action sur le profil médical',
  'care-history': 'Action sur l’historique des soins',
  audit: 'Consultation de l’historique des accès',
  representation: 'Action sur les représentants légaux',
  list: 'Action sur un classeur de documents',
  job: 'Opération automatique',
};

export function actionLabel(action: string): string {
  return ACTION_LABELS[action] ?? FAMILIES[action.split('.')[0] ?? ''] ?? 'Action sur le dossier';
}

/** L2: why a request was refused, as a sentence that follows "Refusé : ". */
export const REFUSAL_REASONS: Readonly<Record<DenyReason, string>> = {
  ACCESS_NO_RECORD: 'aucun dossier n’existait pour ce patient',
  ACCESS_NOT_HOLDER: 'seul le titulaire du dossier peut le faire',
  ACCESS_NOT_REPRESENTATIVE: 'aucune représentation légale enregistrée ne le permettait',
  ACCESS_SECRET_LABEL_REQUIRED: 'le document devait être invisible aux représentants légaux',
  ACCESS_RECORD_CLOSED: 'le dossier était fermé',
  ACCESS_BLOCKED: 'ce professionnel est bloqué',
  ACCESS_NO_AUTHORIZATION: 'ce professionnel n’était pas autorisé',
  ACCESS_MATRIX_DENIED: 'sa profession n’a pas accès à ce type de document',
  ACCESS_MASKED: 'le document est masqué aux professionnels',
  ACCESS_INVISIBLE: 'le document ne lui était pas visible',
  ACCESS_DELETED: 'le document est supprimé',
  ACCESS_EMERGENCY_OBJECTED: 'les accès en urgence sont refusés',
  ACCESS_EMERGENCY_JUSTIFICATION_REQUIRED: 'aucune justification n’a été donnée',
  ACCESS_CENTRE15_NOT_REGULATOR: 'seul un médecin régulateur du SAMU peut utiliser ce mode',
  ACCESS_EMERGENCY_OTHER_RECORD: 'l’accès en urgence avait été déclaré pour un autre patient',
  ACCESS_OPERATOR_NO_CLINICAL: 'le gestionnaire n’a accès qu’aux données administratives',
  ACCESS_NOT_AUTHOR: 'seul l’auteur du document peut le faire',
  ACCESS_DEPOSIT_CLASS_NOT_ALLOWED:
    'ce type de document ne pouvait pas être déposé par cette personne',
  ACCESS_VISIBILITY_NOT_ALLOWED: 'ce réglage de visibilité ne lui était pas permis',
  ACCESS_ACTION_NOT_PERMITTED: 'cette action ne lui était pas permise',
  ACCESS_SOFTWARE_DEPOSIT_ONLY: 'un logiciel sans professionnel ne peut que déposer',
  ACCESS_SOFTWARE_NO_CONSULTATION: 'un logiciel sans professionnel ne peut pas consulter',
  ACCESS_NOT_STRUCTURE_DOCUMENT: 'le document n’a pas été déposé par sa structure',
  REC_OPERATOR_ONLY: 'seul le gestionnaire du DMP peut le faire',
  REC_NOT_HOLDER: 'seul le titulaire ou le gestionnaire du DMP peut le faire',
  REC_CLOSURE_REASON_OPERATOR_ONLY: 'ce motif de fermeture est réservé au gestionnaire',
  NOTIF_NOT_RECIPIENT: 'ces notifications ne lui étaient pas adressées',
};

export function refusalReason(code: string | undefined): string {
  return (
    (code !== undefined
      ? (REFUSAL_REASONS as Readonly<Record<string, string>>)[code]
      : undefined) ?? 'les règles d’accès ne le permettaient pas'
  );
}

/** L3: access modes. */
export const ACCESS_MODE_LABELS: Readonly<Record<string, string>> = {
  normal: 'Accès habituel',
  bris_de_glace: 'Accès en urgence (bris de glace)',
  centre_15: 'Accès par le SAMU (centre 15)',
};

export function accessModeLabel(mode: string): string {
  return ACCESS_MODE_LABELS[mode] ?? 'Accès en urgence';
}

/** TRE_G15 code of the médecins, named "Dr …". */
const MEDECIN = '10';

export interface ActorFacts {
  readonly kind: string;
  /** A representative's own identifier (the trace's detail.representative), when recorded. */
  readonly representativeId?: string;
  readonly idNatPs?: string;
  readonly name?: string;
  readonly profession?: string;
  readonly structure?: { readonly id: string; readonly name?: string };
}

/**
 * L4: who acted, and the details after the name: "Dr Anne CARDIO" + "Médecin, Cabinet de cardiologie Voltaire";
 * outside the directory "Médecin hors annuaire (n° 810009999990)" + "structure n° 1759999999".
 */
export function actorDisplay(
  actor: ActorFacts,
  professionLabel: (code: string) => string | undefined,
  readerIsRepresentative: boolean,
  /** The reading representative's own identifier, to say "Vous" on their own actions. */
  readerId?: string,
): { readonly who: string; readonly details: string } {
  const structure =
    actor.structure === undefined
      ? ''
      : (actor.structure.name ?? `structure n° ${actor.structure.id}`);
  switch (actor.kind) {
    case 'professional': {
      const profession =
        (actor.profession !== undefined ? professionLabel(actor.profession) : undefined) ??
        'Professionnel de santé';
      if (actor.name === undefined) {
        return {
          who: `${profession} hors annuaire (n° ${actor.idNatPs ?? 'inconnu'})`,
          details: structure,
        };
      }
      const name =
        actor.profession === MEDECIN && !/^Dr\b/.test(actor.name) ? `Dr ${actor.name}` : actor.name;
      return { who: name, details: [profession, structure].filter((s) => s !== '').join(', ') };
    }
    case 'software':
      return { who: actor.name ?? 'Le logiciel d’un établissement', details: structure };
    case 'patient':
      return { who: readerIsRepresentative ? 'Le titulaire du dossier' : 'Vous', details: '' };
    case 'representative': {
      if (
        readerIsRepresentative &&
        readerId !== undefined &&
        actor.representativeId !== undefined &&
        actor.representativeId === readerId
      ) {
        return { who: 'Vous', details: '' };
      }
      const sex = sexOfNir(actor.representativeId);
      const role = readerIsRepresentative
        ? sex === 'female'
          ? 'représentante légale du titulaire'
          : sex === 'male'
            ? 'représentant légal du titulaire'
            : undefined
        : sex === 'female'
          ? 'votre représentante légale'
          : sex === 'male'
            ? 'votre représentant légal'
            : undefined;
      if (actor.name !== undefined && role !== undefined) {
        return { who: actor.name, details: role };
      }
      return {
        who:
          actor.name ??
          (readerIsRepresentative
            ? 'Une personne qui représente le titulaire (vous ou une autre)'
            : 'Une personne qui vous représente légalement'),
        details:
          actor.name !== undefined
            ? readerIsRepresentative
              ? 'représentation légale du titulaire'
              : 'représentation légale'
            : '',
      };
    }
    case 'operator':
      return { who: 'L’Assurance Maladie (gestionnaire du DMP)', details: '' };
    default:
      return { who: 'Le service DMP (opération automatique)', details: '' };
  }
}
