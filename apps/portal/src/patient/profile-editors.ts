/**
 * What the profile page needs to add, edit and recognise each section's entries (issue 21 point 4): the fields of
 * its form, their checks, the FHIR resource built from them (editing starts from the stored resource, so what the
 * form does not show — codings, partial dates — is kept), and the key that spots a duplicate.
 */
import type { ProfileEntry } from '../shared/profile.ts';
import { conceptText, LOINC, UCUM } from '../shared/profile.ts';

export type Values = Record<string, string>;
export type Errors = Partial<Record<string, string>>;

export interface FieldDef {
  readonly name: string;
  readonly label: string;
  readonly kind: 'text' | 'textarea' | 'date' | 'select' | 'decimal' | 'tel';
  readonly required?: boolean;
  readonly hint?: string;
  readonly options?: readonly (readonly [string, string])[];
  /** Shown only when this holds (e.g. the two pressures of a blood pressure). */
  readonly when?: (v: Values) => boolean;
}

export interface SectionEditor {
  readonly section: string;
  readonly type: string;
  /** "une allergie": the add button and the form's title. */
  readonly one: string;
  readonly fields: readonly FieldDef[];
  readonly empty: () => Values;
  readonly valuesOf: (e: ProfileEntry) => Values;
  readonly validate: (v: Values) => Errors;
  /** The resource to send; `base` is the stored entry when editing. */
  readonly build: (v: Values, subject: unknown, base?: ProfileEntry) => Record<string, unknown>;
  /** Two entries with the same key are probably the same fact (undefined: never a duplicate). */
  readonly keyOf: (v: Values) => string | undefined;
  /** The duplicate warning for an existing entry's title. */
  readonly duplicate: (existing: string) => string;
}

export function today(): string {
  const d = new Date();
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** Lower case, no accents, single spaces: "Allergie à la Pénicilline " = "allergie a la penicilline". */
export function normalize(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** A full day for a date input (a partial date such as "2019-09" stays as stored unless replaced). */
function dayOf(v: string | undefined): string {
  return v !== undefined && DAY.test(v.slice(0, 10)) && v.length >= 10 ? v.slice(0, 10) : '';
}

function requireText(errors: Errors, v: Values, name: string, message: string, max = 200): void {
  const value = (v[name] ?? '').trim();
  if (value === '') {
    errors[name] = message;
  } else if (value.length > max) {
    errors[name] = `${max} caractères au plus.`;
  }
}

function checkDate(errors: Errors, v: Values, name: string, required: boolean): void {
  const value = v[name] ?? '';
  if (value === '') {
    if (required) {
      errors[name] = 'Indiquez la date.';
    }
  } else if (!DAY.test(value)) {
    errors[name] = 'La date s’écrit jour, mois et année.';
  } else if (value > today()) {
    errors[name] = 'La date ne peut pas être dans le futur.';
  }
}

/** The stored resource without what the server owns (id and meta are sent back as they were). */
function start(type: string, base: ProfileEntry | undefined): Record<string, unknown> {
  return base ? { ...(base as unknown as Record<string, unknown>) } : { resourceType: type };
}

/** A concept from a text; the stored one (with its codings) when the text did not change. */
function concept(
  text: string,
  stored: { text?: string; coding?: readonly { display?: string; code?: string }[] } | undefined,
): Record<string, unknown> {
  const label = text.trim();
  return stored !== undefined && conceptText(stored) === label ? stored : { text: label };
}

const CRITICALITY: readonly (readonly [string, string])[] = [
  ['unable-to-assess', 'Je ne sais pas'],
  ['low', 'Réaction peu grave'],
  ['high', 'Réaction grave possible'],
];

/** The measures the form offers (LOINC code, label, UCUM unit, French unit). */
export const MEASURE_CHOICES: readonly {
  readonly code: string;
  readonly label: string;
  readonly unit: string;
  readonly shown: string;
}[] = [
  { code: '29463-7', label: 'Poids', unit: 'kg', shown: 'kg' },
  { code: '8302-2', label: 'Taille', unit: 'cm', shown: 'cm' },
  { code: '85354-9', label: 'Pression artérielle', unit: 'mm[Hg]', shown: 'mmHg' },
  { code: '8867-4', label: 'Fréquence cardiaque', unit: '/min', shown: 'battements par minute' },
  { code: '8310-5', label: 'Température corporelle', unit: 'Cel', shown: '°C' },
  { code: '2339-0', label: 'Glycémie', unit: 'g/L', shown: 'g/L' },
  { code: '59408-5', label: 'Saturation en oxygène (SpO2)', unit: '%', shown: '%' },
  { code: '8280-0', label: 'Tour de taille', unit: 'cm', shown: 'cm' },
];

const PANEL = '85354-9';
const DECIMAL = /^\d{1,4}([.,]\d{1,2})?$/;

function decimal(errors: Errors, v: Values, name: string, label: string): number | undefined {
  const raw = (v[name] ?? '').trim();
  if (raw === '') {
    errors[name] = `Indiquez ${label}.`;
    return undefined;
  }
  if (!DECIMAL.test(raw)) {
    errors[name] = 'Un nombre, par exemple 72,5.';
    return undefined;
  }
  return Number(raw.replace(',', '.'));
}

const loincOf = (e: ProfileEntry): string =>
  e.code?.coding?.find((c) => c.system === LOINC)?.code ?? '';

const fr = (n: number | undefined): string =>
  n === undefined ? '' : n.toLocaleString('fr-FR', { useGrouping: false });

const TRUSTED = 'https://opendmp.fr/fhir/CodeSystem/profile-relationship';

export const EDITORS: readonly SectionEditor[] = [
  {
    section: 'pathologies',
    type: 'Condition',
    one: 'une pathologie',
    fields: [
      { name: 'label', label: 'Pathologie ou antécédent', kind: 'text', required: true },
      { name: 'since', label: 'Depuis le', kind: 'date', hint: 'Facultatif.' },
    ],
    empty: () => ({ label: '', since: '' }),
    valuesOf: (e) => ({ label: conceptText(e.code), since: dayOf(e.onsetDateTime) }),
    validate: (v) => {
      const errors: Errors = {};
      requireText(errors, v, 'label', 'Indiquez la pathologie ou l’antécédent.');
      checkDate(errors, v, 'since', false);
      return errors;
    },
    build: (v, subject, base) => {
      const r = start('Condition', base);
      r['subject'] = subject;
      r['code'] = concept(v['label'] ?? '', base?.code);
      r['clinicalStatus'] ??= {
        coding: [
          { system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' },
        ],
      };
      if ((v['since'] ?? '') !== '') {
        r['onsetDateTime'] = v['since'];
      } else if (dayOf(base?.onsetDateTime) !== '') {
        delete r['onsetDateTime'];
      }
      return r;
    },
    keyOf: (v) => normalize(v['label'] ?? ''),
    duplicate: (t) => `« ${t} » figure déjà dans vos pathologies.`,
  },
  {
    section: 'allergies',
    type: 'AllergyIntolerance',
    one: 'une allergie',
    fields: [
      { name: 'substance', label: 'Substance ou aliment', kind: 'text', required: true },
      { name: 'criticality', label: 'Gravité', kind: 'select', options: CRITICALITY },
    ],
    empty: () => ({ substance: '', criticality: 'unable-to-assess' }),
    valuesOf: (e) => ({
      substance: conceptText(e.code),
      criticality: e.criticality ?? 'unable-to-assess',
    }),
    validate: (v) => {
      const errors: Errors = {};
      requireText(errors, v, 'substance', 'Indiquez la substance ou l’aliment en cause.');
      return errors;
    },
    build: (v, subject, base) => {
      const r = start('AllergyIntolerance', base);
      r['patient'] = subject;
      r['type'] ??= 'allergy';
      r['criticality'] = v['criticality'];
      r['code'] = concept(v['substance'] ?? '', base?.code);
      return r;
    },
    keyOf: (v) => normalize(v['substance'] ?? ''),
    duplicate: (t) => `« ${t} » figure déjà dans vos allergies.`,
  },
  {
    section: 'traitements',
    type: 'MedicationStatement',
    one: 'un traitement',
    fields: [
      { name: 'medication', label: 'Médicament', kind: 'text', required: true },
      {
        name: 'dosage',
        label: 'Posologie',
        kind: 'text',
        hint: 'Facultatif, par exemple « 1 comprimé le matin ».',
      },
      { name: 'since', label: 'Depuis le', kind: 'date', hint: 'Facultatif.' },
    ],
    empty: () => ({ medication: '', dosage: '', since: '' }),
    valuesOf: (e) => ({
      medication: conceptText(e.medicationCodeableConcept),
      dosage: e.dosage?.[0]?.text ?? '',
      since: dayOf(e.effectivePeriod?.start),
    }),
    validate: (v) => {
      const errors: Errors = {};
      requireText(errors, v, 'medication', 'Indiquez le médicament.');
      if ((v['dosage'] ?? '').length > 200) {
        errors['dosage'] = '200 caractères au plus.';
      }
      checkDate(errors, v, 'since', false);
      return errors;
    },
    build: (v, subject, base) => {
      const r = start('MedicationStatement', base);
      r['subject'] = subject;
      r['status'] ??= 'active';
      r['medicationCodeableConcept'] = concept(
        v['medication'] ?? '',
        base?.medicationCodeableConcept,
      );
      const dosage = (v['dosage'] ?? '').trim();
      if (dosage !== '') {
        r['dosage'] = [{ text: dosage }];
      } else {
        delete r['dosage'];
      }
      if ((v['since'] ?? '') !== '') {
        r['effectivePeriod'] = { start: v['since'] };
      } else if (dayOf(base?.effectivePeriod?.start) !== '') {
        delete r['effectivePeriod'];
      }
      return r;
    },
    keyOf: (v) => normalize(v['medication'] ?? ''),
    duplicate: (t) => `« ${t} » figure déjà dans vos traitements.`,
  },
  {
    section: 'vaccinations',
    type: 'Immunization',
    one: 'une vaccination',
    fields: [
      { name: 'vaccine', label: 'Vaccin', kind: 'text', required: true },
      { name: 'date', label: 'Date de la vaccination', kind: 'date', required: true },
      { name: 'lot', label: 'Numéro de lot', kind: 'text', hint: 'Facultatif.' },
    ],
    empty: () => ({ vaccine: '', date: '', lot: '' }),
    valuesOf: (e) => ({
      vaccine: conceptText(e.vaccineCode),
      date: dayOf(e.occurrenceDateTime),
      lot: e.lotNumber ?? '',
    }),
    validate: (v) => {
      const errors: Errors = {};
      requireText(errors, v, 'vaccine', 'Indiquez le vaccin.');
      checkDate(errors, v, 'date', true);
      if ((v['lot'] ?? '').length > 40) {
        errors['lot'] = '40 caractères au plus.';
      }
      return errors;
    },
    build: (v, subject, base) => {
      const r = start('Immunization', base);
      r['patient'] = subject;
      r['status'] ??= 'completed';
      r['vaccineCode'] = concept(v['vaccine'] ?? '', base?.vaccineCode);
      r['occurrenceDateTime'] = v['date'];
      delete r['occurrenceString'];
      const lot = (v['lot'] ?? '').trim();
      if (lot !== '') {
        r['lotNumber'] = lot;
      } else {
        delete r['lotNumber'];
      }
      return r;
    },
    keyOf: (v) => `${normalize(v['vaccine'] ?? '')}|${v['date'] ?? ''}`,
    duplicate: (t) => `« ${t} » figure déjà dans vos vaccinations à cette date.`,
  },
  {
    section: 'mesures',
    type: 'Observation',
    one: 'une mesure',
    fields: [
      {
        name: 'measure',
        label: 'Mesure',
        kind: 'select',
        options: MEASURE_CHOICES.map((m) => [m.code, `${m.label} (${m.shown})`] as const),
      },
      {
        name: 'value',
        label: 'Valeur',
        kind: 'decimal',
        required: true,
        when: (v) => v['measure'] !== PANEL,
      },
      {
        name: 'systolic',
        label: 'Pression systolique (mmHg)',
        kind: 'decimal',
        required: true,
        when: (v) => v['measure'] === PANEL,
      },
      {
        name: 'diastolic',
        label: 'Pression diastolique (mmHg)',
        kind: 'decimal',
        required: true,
        when: (v) => v['measure'] === PANEL,
      },
      { name: 'date', label: 'Date de la mesure', kind: 'date', required: true },
    ],
    empty: () => ({ measure: '29463-7', value: '', systolic: '', diastolic: '', date: today() }),
    valuesOf: (e) => ({
      measure: loincOf(e),
      value: fr(e.valueQuantity?.value),
      systolic: fr(e.component?.[0]?.valueQuantity?.value),
      diastolic: fr(e.component?.[1]?.valueQuantity?.value),
      date: dayOf(e.effectiveDateTime),
    }),
    validate: (v) => {
      const errors: Errors = {};
      if (v['measure'] === PANEL) {
        decimal(errors, v, 'systolic', 'la pression systolique');
        decimal(errors, v, 'diastolic', 'la pression diastolique');
      } else {
        decimal(errors, v, 'value', 'la valeur');
      }
      checkDate(errors, v, 'date', true);
      return errors;
    },
    build: (v, subject, base) => {
      const choice = MEASURE_CHOICES.find((m) => m.code === v['measure']) ?? MEASURE_CHOICES[0];
      const r = start('Observation', base);
      r['subject'] = subject;
      r['status'] ??= 'final';
      const num = (name: string): number => Number((v[name] ?? '').replace(',', '.'));
      if (choice === undefined) {
        return r;
      }
      if (base === undefined || loincOf(base) !== choice.code) {
        r['code'] = {
          coding: [{ system: LOINC, code: choice.code, display: choice.label }],
          text: choice.label,
        };
      }
      r['effectiveDateTime'] = v['date'];
      const quantity = (value: number, unit: string): Record<string, unknown> => ({
        value,
        unit,
        system: UCUM,
        code: unit,
      });
      if (choice.code === PANEL) {
        delete r['valueQuantity'];
        r['component'] = [
          {
            code: { coding: [{ system: LOINC, code: '8480-6', display: 'Systolique' }] },
            valueQuantity: quantity(num('systolic'), 'mm[Hg]'),
          },
          {
            code: { coding: [{ system: LOINC, code: '8462-4', display: 'Diastolique' }] },
            valueQuantity: quantity(num('diastolic'), 'mm[Hg]'),
          },
        ];
      } else {
        delete r['component'];
        const stored = base?.valueQuantity?.unit;
        const unit =
          base !== undefined && loincOf(base) === choice.code && stored !== undefined
            ? stored
            : choice.unit;
        r['valueQuantity'] = quantity(num('value'), unit);
      }
      return r;
    },
    keyOf: (v) => `${v['measure'] ?? ''}|${v['date'] ?? ''}`,
    duplicate: (t) => `Une mesure du même type à cette date figure déjà dans votre profil (${t}).`,
  },
  {
    section: 'directives',
    type: 'Observation',
    one: 'des directives anticipées',
    fields: [
      {
        name: 'text',
        label: 'Vos directives anticipées',
        kind: 'textarea',
        required: true,
        hint: 'Leur texte, ou l’endroit où elles sont conservées.',
      },
      { name: 'date', label: 'Écrites le', kind: 'date', required: true },
    ],
    empty: () => ({ text: '', date: today() }),
    valuesOf: (e) => ({ text: e.valueString ?? '', date: dayOf(e.effectiveDateTime) }),
    validate: (v) => {
      const errors: Errors = {};
      requireText(errors, v, 'text', 'Écrivez vos directives ou l’endroit où elles sont.', 4000);
      checkDate(errors, v, 'date', true);
      return errors;
    },
    build: (v, subject, base) => {
      const r = start('Observation', base);
      r['subject'] = subject;
      r['status'] ??= 'final';
      r['code'] ??= {
        coding: [{ system: LOINC, code: '42348-3', display: 'Directives anticipées' }],
        text: 'Directives anticipées',
      };
      r['valueString'] = (v['text'] ?? '').trim();
      r['effectiveDateTime'] = v['date'];
      return r;
    },
    keyOf: () => 'directives',
    duplicate: () =>
      'Vous avez déjà écrit des directives anticipées : vous pouvez plutôt les modifier.',
  },
  {
    section: 'personne-confiance',
    type: 'RelatedPerson',
    one: 'une personne de confiance',
    fields: [
      { name: 'given', label: 'Prénom', kind: 'text', required: true },
      { name: 'family', label: 'Nom', kind: 'text', required: true },
      {
        name: 'link',
        label: 'Lien avec vous',
        kind: 'text',
        required: true,
        hint: 'Par exemple : épouse, fils, amie.',
      },
      { name: 'phone', label: 'Téléphone', kind: 'tel', hint: 'Facultatif.' },
    ],
    empty: () => ({ given: '', family: '', link: '', phone: '' }),
    valuesOf: (e) => ({
      given: e.name?.[0]?.given?.join(' ') ?? '',
      family: e.name?.[0]?.family ?? '',
      link: e.relationship?.find((r) => r.coding === undefined)?.text ?? '',
      phone: e.telecom?.find((t) => t.system === 'phone')?.value ?? '',
    }),
    validate: (v) => {
      const errors: Errors = {};
      requireText(errors, v, 'given', 'Indiquez son prénom.', 100);
      requireText(errors, v, 'family', 'Indiquez son nom.', 100);
      requireText(errors, v, 'link', 'Indiquez votre lien avec cette personne.', 100);
      const phone = (v['phone'] ?? '').trim();
      if (phone !== '' && !/^\+?[\d .-]{6,20}$/.test(phone)) {
        errors['phone'] = 'Un numéro de téléphone, par exemple 06 12 34 56 78.';
      }
      return errors;
    },
    build: (v, subject, base) => {
      const r = start('RelatedPerson', base);
      r['patient'] = subject;
      r['active'] ??= true;
      r['name'] = [
        { family: (v['family'] ?? '').trim().toUpperCase(), given: [(v['given'] ?? '').trim()] },
      ];
      r['relationship'] = [
        {
          coding: [
            { system: TRUSTED, code: 'personne-de-confiance', display: 'Personne de confiance' },
          ],
        },
        { text: (v['link'] ?? '').trim() },
      ];
      const phone = (v['phone'] ?? '').trim();
      r['telecom'] = phone !== '' ? [{ system: 'phone', value: phone }] : undefined;
      if (phone === '') {
        delete r['telecom'];
      }
      return r;
    },
    keyOf: () => 'personne-confiance',
    duplicate: (t) =>
      `Vous avez déjà désigné ${t} comme personne de confiance : on n’en désigne qu’une, vous pouvez plutôt la modifier.`,
  },
];
