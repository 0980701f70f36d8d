/**
 * The words of a notification, in French, for the portal (FHIR Communication payload) and for e-mail.
 *  M1. No clinical content anywhere, and nothing identifying the patient in an e-mail (no name, no INS):
 *      e-mails say what happened and invite the reader to the portal; the portal text may name the professional
 *      involved (display names come from the professional / structure directory).
 *  M2. Times are written in Europe/Paris.
 */
import type { NotificationPayload, RecipientKind } from './model.ts';

export interface MessageContext {
  readonly eventType: string;
  readonly recipientKind: RecipientKind;
  readonly payload: NotificationPayload;
  /** When the event happened. */
  readonly at: Date;
  /** Display of payload.actorId / payload.subjectId when the directory knows them (portal text only). */
  readonly actorName?: string | undefined;
  readonly subjectName?: string | undefined;
  readonly structureName?: string | undefined;
}

export interface Message {
  readonly subject: string;
  readonly text: string;
}

const MODE_LABEL: Readonly<Record<string, string>> = {
  bris_de_glace: 'bris de glace',
  centre_15: 'centre 15 (régulation du SAMU)',
};

/** « à » + the record phrase, with the French contraction (à le → au). */
function toRecord(record: string): string {
  return record.startsWith('le ') ? `au ${record.slice(3)}` : `à ${record}`;
}

/** « de » + the record phrase, with the French contraction (de le → du). */
function ofRecord(record: string): string {
  return record.startsWith('le ') ? `du ${record.slice(3)}` : `de ${record}`;
}

export function frenchDateTime(d: Date): string {
  return new Intl.DateTimeFormat('fr-FR', {
    timeZone: 'Europe/Paris',
    dateStyle: 'long',
    timeStyle: 'short',
  }).format(d);
}

function whose(kind: RecipientKind): string {
  switch (kind) {
    case 'patient':
      return 'votre dossier médical partagé';
    case 'representative':
      return 'le dossier médical partagé de la personne que vous représentez';
    case 'medecin-traitant':
      return 'le dossier médical partagé d’un patient dont vous êtes le médecin traitant';
  }
}

function professional(ctx: MessageContext, withNames: boolean): string {
  if (!withNames || !ctx.actorName) {
    return 'Un professionnel de santé';
  }
  return ctx.structureName ? `${ctx.actorName} (${ctx.structureName})` : ctx.actorName;
}

function subject(ctx: MessageContext, withNames: boolean): string {
  const who =
    ctx.payload['subjectKind'] === 'structure' ? 'l’équipe de soins' : 'un professionnel de santé';
  return withNames && ctx.subjectName ? `${who} ${ctx.subjectName}` : who;
}

/**
 * The subject and text of a notification.
 * @param withNames - true for the portal (the reader is authenticated), false for e-mail (M1)
 */
export function renderMessage(ctx: MessageContext, withNames: boolean): Message {
  const record = whose(ctx.recipientKind);
  const when = frenchDateTime(ctx.at);
  const portal = withNames ? '' : ' Connectez-vous à votre espace pour en savoir plus.';
  switch (ctx.eventType) {
    case 'document.deposit':
    case 'document.replace':
    case 'document.available':
      return {
        subject: 'Nouveau document dans votre dossier médical partagé',
        text: `Un nouveau document est disponible dans ${record} (${when}).${portal}`,
      };
    case 'document.pending-notice':
      return {
        subject: 'Un document vous attend dans votre dossier médical partagé',
        text:
          `Un document a été ajouté ${toRecord(record)} ; il vous sera présenté lors d’une consultation d’annonce ` +
          `et deviendra visible au plus tard un mois après son dépôt.${portal}`,
      };
    case 'document.masked':
      return {
        subject: 'Un document de votre dossier médical partagé a été masqué',
        text:
          `${professional(ctx, withNames)} a masqué un document ${ofRecord(record)} aux professionnels de santé ` +
          `(seuls son auteur et le médecin traitant le voient encore) le ${when}.${portal}`,
      };
    case 'document.unmasked':
      return {
        subject: 'Un document de votre dossier médical partagé n’est plus masqué',
        text:
          `${professional(ctx, withNames)} a rendu un document ${ofRecord(record)} de nouveau visible ` +
          `aux professionnels de santé autorisés le ${when}.${portal}`,
      };
    case 'emergency.access': {
      const mode = MODE_LABEL[ctx.payload['mode'] ?? ''] ?? 'urgence';
      return {
        subject:
          ctx.recipientKind === 'medecin-traitant'
            ? 'Accès en urgence au dossier d’un de vos patients'
            : 'Accès en urgence à votre dossier médical partagé',
        text:
          `${professional(ctx, withNames)} a accédé ${toRecord(record)} en mode ${mode} le ${when}. ` +
          `L’historique des accès donne le détail et la justification.${portal}`,
      };
    }
    case 'consent.authorization':
      return {
        subject: 'Autorisation d’accès à votre dossier médical partagé',
        text: `${capitalize(subject(ctx, withNames))} a été autorisé à accéder ${toRecord(record)} (${when}).${portal}`,
      };
    case 'consent.authorization.end':
      return {
        subject: 'Autorisation d’accès retirée',
        text: `L’autorisation d’accès de ${subject(ctx, withNames)} ${toRecord(record)} a été retirée (${when}).${portal}`,
      };
    case 'consent.block':
      return {
        subject: 'Professionnel bloqué sur votre dossier médical partagé',
        text: `${capitalize(subject(ctx, withNames))} a été bloqué : il ne peut plus accéder ${toRecord(record)} (${when}).${portal}`,
      };
    case 'consent.block.end':
      return {
        subject: 'Blocage levé sur votre dossier médical partagé',
        text: `Le blocage de ${subject(ctx, withNames)} sur ${record} a été levé (${when}).${portal}`,
      };
    case 'record.close':
      return {
        subject: 'Votre dossier médical partagé a été fermé',
        text:
          `${capitalize(record)} a été fermé le ${when}. Il reste conservé dix ans et peut être rouvert ` +
          `à votre demande.${portal}`,
      };
    default:
      return {
        subject: 'Notification de votre dossier médical partagé',
        text: `Un événement concerne ${record}.${portal}`,
      };
  }
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
