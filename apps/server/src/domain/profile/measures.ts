/**
 * The measures a patient may record in their profile (Observation), by LOINC code, with the UCUM units accepted
 * and a plausibility range per unit (docs/care-history.md "Medical profile"). Pure data.
 *
 * A panel (blood pressure) carries no value of its own but components, each a measure of this table.
 */
export const LOINC = 'http://loinc.org';
export const UCUM = 'http://unitsofmeasure.org';

export interface UnitRange {
  readonly min: number;
  readonly max: number;
}

export interface Measure {
  readonly code: string;
  readonly display: string;
  /** UCUM code → plausible range (inclusive). */
  readonly units: Readonly<Record<string, UnitRange>>;
  /** For a panel: the LOINC codes of its required components. */
  readonly components?: readonly string[];
}

const m = (code: string, display: string, units: Record<string, UnitRange>): Measure => ({
  code,
  display,
  units,
});

export const MEASURES: ReadonlyMap<string, Measure> = new Map(
  [
    m('29463-7', 'Poids', { kg: { min: 0.2, max: 500 }, g: { min: 200, max: 500_000 } }),
    m('8302-2', 'Taille', { cm: { min: 20, max: 260 }, m: { min: 0.2, max: 2.6 } }),
    m('39156-5', 'Indice de masse corporelle', { 'kg/m2': { min: 5, max: 100 } }),
    m('8480-6', 'Pression artérielle systolique', { 'mm[Hg]': { min: 30, max: 300 } }),
    m('8462-4', 'Pression artérielle diastolique', { 'mm[Hg]': { min: 10, max: 200 } }),
    m('8867-4', 'Fréquence cardiaque', { '/min': { min: 10, max: 300 } }),
    m('8310-5', 'Température corporelle', { Cel: { min: 25, max: 45 } }),
    m('2339-0', 'Glycémie', {
      'mg/dL': { min: 10, max: 2000 },
      'g/L': { min: 0.1, max: 20 },
      'mmol/L': { min: 0.5, max: 110 },
    }),
    m('59408-5', 'Saturation en oxygène (SpO2)', { '%': { min: 40, max: 100 } }),
    m('9843-4', 'Périmètre crânien', { cm: { min: 15, max: 80 } }),
    m('8280-0', 'Tour de taille', { cm: { min: 20, max: 300 } }),
    {
      code: '85354-9',
      display: 'Pression artérielle',
      units: {},
      components: ['8480-6', '8462-4'],
    } satisfies Measure,
  ].map((x) => [x.code, x]),
);

/** LOINC "Advance healthcare directives": the patient's advance directives (text, or where they are kept). */
export const ADVANCE_DIRECTIVES_CODE = '42348-3';
