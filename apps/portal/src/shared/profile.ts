/**
 * The medical profile as the portals show it (issue 7, issue 21 points 3–5): the sections, the entry fields the
 * pages read, and each entry's French title and detail line.
 */
import type { CodeableConcept, HumanName } from './fhir.ts';
import { formatDate } from './format.ts';

export const SECTION_SYSTEM = 'https://opendmp.fr/fhir/CodeSystem/profile-section';
export const LOINC = 'http://loinc.org';
export const UCUM = 'http://unitsofmeasure.org';

export const PROFILE_SECTIONS: readonly { readonly code: string; readonly title: string }[] = [
  { code: 'pathologies', title: 'Pathologies et antécédents' },
  { code: 'allergies', title: 'Allergies et intolérances' },
  { code: 'traitements', title: 'Traitements en cours' },
  { code: 'vaccinations', title: 'Vaccinations' },
  { code: 'mesures', title: 'Mesures' },
  { code: 'directives', title: 'Directives anticipées' },
  { code: 'personne-confiance', title: 'Personne de confiance' },
];

interface Quantity {
  readonly value?: number;
  readonly unit?: string;
}

/** The fields of the six profile resource types that the page shows. */
export interface ProfileEntry {
  readonly resourceType: string;
  readonly id: string;
  readonly meta?: {
    readonly versionId?: string;
    readonly tag?: readonly { system?: string; code?: string }[];
  };
  readonly code?: CodeableConcept;
  readonly criticality?: string;
  readonly onsetDateTime?: string;
  readonly medicationCodeableConcept?: CodeableConcept;
  readonly dosage?: readonly { readonly text?: string }[];
  readonly effectivePeriod?: { readonly start?: string };
  readonly vaccineCode?: CodeableConcept;
  readonly occurrenceDateTime?: string;
  readonly occurrenceString?: string;
  readonly effectiveDateTime?: string;
  readonly valueQuantity?: Quantity;
  readonly valueString?: string;
  readonly component?: readonly { readonly valueQuantity?: Quantity }[];
  readonly name?: readonly HumanName[];
  readonly relationship?: readonly CodeableConcept[];
  readonly telecom?: readonly { readonly system?: string; readonly value?: string }[];
  readonly lotNumber?: string;
  readonly performer?: readonly {
    readonly actor?: {
      readonly display?: string;
      readonly identifier?: { readonly value?: string };
    };
  }[];
  readonly note?: readonly { readonly text?: string }[];
}

export const AUTHOR_SYSTEM = 'https://opendmp.fr/fhir/CodeSystem/profile-author';

/** Who wrote an entry: 'patient', 'representative' or 'professional' (a vaccination a professional gave). */
export function authorKindOf(e: ProfileEntry): string | undefined {
  return e.meta?.tag?.find((t) => t.system === AUTHOR_SYSTEM)?.code;
}

/** The professional who gave a vaccination, as the server stamped it ("Dr Anne CARDIO"). */
export function performerOf(e: ProfileEntry): string | undefined {
  return authorKindOf(e) === 'professional' ? e.performer?.[0]?.actor?.display : undefined;
}

export function conceptText(cc: CodeableConcept | undefined): string {
  return cc?.text ?? cc?.coding?.[0]?.display ?? cc?.coding?.[0]?.code ?? '—';
}

const UNITS: Readonly<Record<string, string>> = { 'mm[Hg]': 'mmHg', Cel: '°C', '/min': '/min' };

function quantity(q: Quantity | undefined): string {
  if (q?.value === undefined) {
    return '';
  }
  const unit = q.unit !== undefined ? ` ${UNITS[q.unit] ?? q.unit}` : '';
  return `${q.value.toLocaleString('fr-FR')}${unit}`;
}

/** The entry's title and a short detail line, per resource type. */
export function describe(e: ProfileEntry): { title: string; detail?: string } {
  switch (e.resourceType) {
    case 'Condition':
      return {
        title: conceptText(e.code),
        ...(e.onsetDateTime !== undefined
          ? {
              detail:
                e.onsetDateTime.length > 7
                  ? `Depuis le ${formatDate(e.onsetDateTime)}`
                  : `Depuis ${formatDate(e.onsetDateTime)}`,
            }
          : {}),
      };
    case 'AllergyIntolerance':
      return {
        title: conceptText(e.code),
        ...(e.criticality === 'high'
          ? { detail: 'Réaction grave possible' }
          : e.criticality === 'low'
            ? { detail: 'Réaction peu grave' }
            : {}),
      };
    case 'MedicationStatement': {
      const parts = [
        e.dosage?.[0]?.text,
        e.effectivePeriod?.start !== undefined
          ? `depuis le ${formatDate(e.effectivePeriod.start)}`
          : undefined,
      ].filter((p): p is string => p !== undefined);
      return {
        title: conceptText(e.medicationCodeableConcept),
        ...(parts.length > 0 ? { detail: parts.join(', ') } : {}),
      };
    }
    case 'Immunization': {
      const by = performerOf(e);
      const parts = [
        e.occurrenceDateTime !== undefined
          ? `Le ${formatDate(e.occurrenceDateTime)}`
          : e.occurrenceString,
        e.lotNumber !== undefined ? `lot ${e.lotNumber}` : undefined,
        by !== undefined ? `vaccination faite par ${by}` : undefined,
      ].filter((x): x is string => x !== undefined && x !== '');
      return { title: conceptText(e.vaccineCode), detail: parts.join(', ') };
    }
    case 'Observation': {
      if (e.valueString !== undefined) {
        return {
          title: e.valueString,
          ...(e.effectiveDateTime !== undefined
            ? { detail: `Écrites le ${formatDate(e.effectiveDateTime)}` }
            : {}),
        };
      }
      const value =
        e.valueQuantity !== undefined
          ? quantity(e.valueQuantity)
          : (e.component ?? [])
              .map((c) => c.valueQuantity?.value)
              .filter((v) => v !== undefined)
              .join('/') +
            (e.component?.[0]?.valueQuantity?.unit !== undefined
              ? ` ${UNITS[e.component[0].valueQuantity.unit] ?? e.component[0].valueQuantity.unit}`
              : '');
      return {
        title: `${conceptText(e.code)} : ${value}`,
        ...(e.effectiveDateTime !== undefined
          ? { detail: `Le ${formatDate(e.effectiveDateTime)}` }
          : {}),
      };
    }
    case 'RelatedPerson': {
      const n = e.name?.[0];
      const name = [...(n?.given ?? []), n?.family ?? ''].join(' ').trim();
      const link = e.relationship?.find((r) => r.coding === undefined)?.text;
      const phone = e.telecom?.[0]?.value;
      const parts = [link, phone].filter((p): p is string => p !== undefined);
      return {
        title: name === '' ? '—' : name,
        ...(parts.length > 0 ? { detail: parts.join(' — ') } : {}),
      };
    }
    default:
      return { title: e.resourceType };
  }
}

export function sectionOf(e: ProfileEntry): string | undefined {
  return e.meta?.tag?.find((t) => t.system === SECTION_SYSTEM)?.code;
}
