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

export type Sex = 'male' | 'female';

/**
 * Words agreed with a person's sex (issue 21 point 8): the directory's civilité for a professional, the NIR for the
 * signed-in person (the session's `sex`). `unknown` when the sex is not known (a wording without agreement).
 */
export function agree(
  sex: Sex | undefined,
  masculine: string,
  feminine: string,
  unknown: string = masculine,
): string {
  return sex === 'male' ? masculine : sex === 'female' ? feminine : unknown;
}

/** What the patient is told after blocking, unblocking or authorizing a professional; `record`: "votre dossier". */
export function accessMessage(
  kind: 'blocked' | 'unblocked' | 'authorized',
  name: string,
  sex: Sex | undefined,
  record: string,
): string {
  if (sex === undefined) {
    return kind === 'blocked'
      ? `Accès bloqué pour ${name}.`
      : kind === 'unblocked'
        ? `Blocage levé pour ${name}.`
        : `Accès autorisé pour ${name}.`;
  }
  const pronoun = agree(sex, 'il', 'elle');
  switch (kind) {
    case 'blocked':
      return `${name} est ${agree(sex, 'bloqué', 'bloquée')} : ${pronoun} ne peut plus consulter ni alimenter ${record}, même en urgence.`;
    case 'unblocked':
      return `${name} n’est plus ${agree(sex, 'bloqué', 'bloquée')} : ${pronoun} peut de nouveau accéder à ${record} selon vos autorisations.`;
    case 'authorized':
      return `${name} est ${agree(sex, 'autorisé', 'autorisée')} à consulter ${record}.`;
  }
}

/** A professional's name as a patient reads it: "Dr" before a médecin's (TRE_G15 10). */
export function professionalName(name: string, profession: string | undefined): string {
  return profession === '10' && !/^Dr\b/.test(name) ? `Dr ${name}` : name;
}
