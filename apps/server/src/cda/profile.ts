/**
 * The patient's medical profile as a CDA R2 document of type DOCPAT08 ("Profil médical Mon espace santé", TRE_A05),
 * a patient document (class 11 through ASS_X16). Pure: the shell passes the stored FHIR entries.
 *
 * Rules:
 *  P1. Header: FR and CI-SIS templates; code DOCPAT08 (1.2.250.1.213.1.1.4.12), title "Profil médical",
 *      confidentiality N, fr-FR; setId constant per record, versionNumber incremented at each export with a
 *      relatedDocument RPLC naming the previous export.
 *  P2. The author is the patient, identified by the INS (a patient author for the DMP metadata); the custodian is
 *      the DMP host (opendmp). Practice setting and facility type are EXP_PATIENT ("expression personnelle du
 *      patient", TRE_A00 1.2.250.1.213.1.1.4.6), as for every document the patient writes.
 *  P3. Body (narrative): one section per profile section that has entries, in a fixed order — pathologies,
 *      allergies, traitements, vaccinations, mesures, directives anticipées, personne de confiance — each a table;
 *      an empty profile has one section saying so. There is no CI-SIS model for this document: its format code is
 *      urn:asipSante:modelesHorsProfils:2011 ("Document non référencé IHE ou CI-SIS"), given in the metadata.
 */
import type { ProfileSection } from '../domain/profile/entry.ts';
import type { CdaId, CdaPatient } from './header.ts';
import {
  conformance,
  idEl,
  LOINC_OID,
  narrativeTable,
  recordTarget,
  replaces,
  TRE_A05_OID,
} from './header.ts';
import { el, hl7Date, hl7Time, textEl } from './xml.ts';
import { jsonObject as obj, jsonArray as arr } from '../domain/json.ts';

export const PROFILE_FORMAT_CODE = 'urn:asipSante:modelesHorsProfils:2011';
const TRE_A00_OID = '1.2.250.1.213.1.1.4.6';

type Json = Record<string, unknown>;

export interface ProfileCdaEntry {
  readonly section: ProfileSection;
  readonly resource: Json;
}

export interface ProfileCdaInput {
  readonly id: CdaId;
  readonly setId: CdaId;
  readonly version: number;
  readonly previous?: CdaId;
  readonly effectiveTime: Date;
  readonly patient: CdaPatient;
  readonly entries: readonly ProfileCdaEntry[];
}

function str(v: unknown): string {
  return typeof v === 'string'
    ? v
    : typeof v === 'number' || typeof v === 'boolean'
      ? String(v)
      : '';
}

/** The readable text of a CodeableConcept: text, else the first coding's display or code. */
export function conceptText(cc: unknown): string {
  const c = obj(cc);
  if (!c) {
    return '';
  }
  if (typeof c['text'] === 'string' && c['text'].trim() !== '') {
    return c['text'];
  }
  const first = obj(arr(c['coding'])[0]);
  return str(first?.['display']) || str(first?.['code']);
}

function conceptCode(cc: unknown): string {
  const first = obj(arr(obj(cc)?.['coding'])[0]);
  return str(first?.['code']);
}

function day(v: unknown): string {
  const s = str(v);
  const m = /^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?/.exec(s);
  if (!m) {
    return s;
  }
  return [m[3], m[2], m[1]].filter((x) => x !== undefined).join('/');
}

function quantity(q: unknown): string {
  const x = obj(q);
  return x ? `${str(x['value'])} ${str(x['unit']) || str(x['code'])}`.trim() : '';
}

function notes(r: Json): string {
  return arr(r['note'])
    .map((n) => str(obj(n)?.['text']))
    .filter((t) => t !== '')
    .join(' ');
}

interface SectionSpec {
  readonly title: string;
  readonly code?: { readonly code: string; readonly display: string };
  readonly headers: readonly string[];
  readonly row: (r: Json) => string[];
}

const SECTIONS: Readonly<Record<ProfileSection, SectionSpec>> = {
  pathologies: {
    title: 'Pathologies et antécédents',
    code: { code: '11450-4', display: 'Problem list' },
    headers: ['Pathologie', 'Code', 'Début', 'Statut', 'Remarque'],
    row: (r) => [
      conceptText(r['code']),
      conceptCode(r['code']),
      day(r['onsetDateTime'] ?? r['recordedDate']),
      conceptCode(r['clinicalStatus']),
      notes(r),
    ],
  },
  allergies: {
    title: 'Allergies et intolérances',
    code: { code: '48765-2', display: 'Allergies and adverse reactions' },
    headers: ['Allergie ou intolérance', 'Code', 'Type', 'Criticité', 'Réaction'],
    row: (r) => [
      conceptText(r['code']),
      conceptCode(r['code']),
      str(r['type']),
      str(r['criticality']),
      arr(r['reaction'])
        .flatMap((x) => arr(obj(x)?.['manifestation']).map(conceptText))
        .join(', '),
    ],
  },
  traitements: {
    title: 'Traitements en cours',
    code: { code: '10160-0', display: 'History of medication use' },
    headers: ['Médicament', 'Posologie', 'Depuis', 'Statut'],
    row: (r) => [
      conceptText(r['medicationCodeableConcept']),
      arr(r['dosage'])
        .map((d) => str(obj(d)?.['text']))
        .filter((t) => t !== '')
        .join(' ; '),
      day(r['effectiveDateTime'] ?? obj(r['effectivePeriod'])?.['start']),
      str(r['status']),
    ],
  },
  vaccinations: {
    title: 'Vaccinations',
    code: { code: '11369-6', display: 'History of immunization' },
    headers: ['Vaccin', 'Date', 'Lot', 'Remarque'],
    row: (r) => [
      conceptText(r['vaccineCode']),
      day(r['occurrenceDateTime'] ?? r['occurrenceString']),
      str(r['lotNumber']),
      notes(r),
    ],
  },
  mesures: {
    title: 'Mesures',
    code: { code: '8716-3', display: 'Vital signs' },
    headers: ['Mesure', 'Valeur', 'Date'],
    row: (r) => [
      conceptText(r['code']),
      r['valueQuantity'] !== undefined
        ? quantity(r['valueQuantity'])
        : arr(r['component'])
            .map((c) => quantity(obj(c)?.['valueQuantity']).replace(/ mm\[Hg\]$/, ''))
            .join(' / ') + (arr(r['component']).length > 0 ? ' mm[Hg]' : ''),
      day(r['effectiveDateTime']),
    ],
  },
  directives: {
    title: 'Directives anticipées',
    code: { code: '42348-3', display: 'Advance directives' },
    headers: ['Directives', 'Date'],
    row: (r) => [
      str(r['valueString']),
      day(r['effectiveDateTime'] ?? obj(r['meta'])?.['lastUpdated']),
    ],
  },
  'personne-confiance': {
    title: 'Personne de confiance',
    headers: ['Nom', 'Lien', 'Téléphone'],
    row: (r) => {
      const n = obj(arr(r['name'])[0]);
      const name =
        str(n?.['text']) ||
        [...arr(n?.['given']).map(str), str(n?.['family'])].filter((x) => x !== '').join(' ');
      return [
        name,
        arr(r['relationship']).map(conceptText).join(', '),
        arr(r['telecom'])
          .map((t) => str(obj(t)?.['value']))
          .filter((x) => x !== '')
          .join(', '),
      ];
    },
  },
};

const ORDER: readonly ProfileSection[] = [
  'pathologies',
  'allergies',
  'traitements',
  'vaccinations',
  'mesures',
  'directives',
  'personne-confiance',
];

function section(spec: SectionSpec, body: string): string {
  return el(
    'component',
    {},
    el(
      'section',
      {},
      ...(spec.code
        ? [
            el('code', {
              code: spec.code.code,
              displayName: spec.code.display,
              codeSystem: LOINC_OID,
              codeSystemName: 'LOINC',
            }),
          ]
        : []),
      textEl('title', spec.title),
      body,
    ),
  );
}

/** The DOCPAT08 document (UTF-8 XML text). */
export function buildProfileCda(input: ProfileCdaInput): string {
  const time = hl7Time(input.effectiveTime);
  const p = input.patient;
  const sections = ORDER.flatMap((s) => {
    const rows = input.entries
      .filter((e) => e.section === s)
      .map((e) => SECTIONS[s].row(e.resource));
    return rows.length === 0
      ? []
      : [section(SECTIONS[s], el('text', {}, narrativeTable(SECTIONS[s].headers, rows)))];
  });
  const header = [
    conformance([]),
    idEl(input.id),
    el('code', {
      code: 'DOCPAT08',
      codeSystem: TRE_A05_OID,
      displayName: 'Profil médical Mon espace santé',
    }),
    textEl('title', 'Profil médical'),
    el('effectiveTime', { value: time }),
    el('confidentialityCode', {
      code: 'N',
      displayName: 'Normal',
      codeSystem: '2.16.840.1.113883.5.25',
    }),
    el('languageCode', { code: 'fr-FR' }),
    idEl(input.setId, 'setId'),
    el('versionNumber', { value: input.version }),
    recordTarget(p),
    el(
      'author',
      {},
      el('time', { value: time }),
      el(
        'assignedAuthor',
        {},
        el('id', { root: p.insOid, extension: p.ins }),
        el(
          'assignedPerson',
          {},
          el(
            'name',
            {},
            ...p.givenNames.slice(0, 1).map((g) => textEl('given', g)),
            textEl('family', p.birthName),
          ),
        ),
      ),
    ),
    el(
      'custodian',
      {},
      el(
        'assignedCustodian',
        {},
        el(
          'representedCustodianOrganization',
          {},
          el('id', { nullFlavor: 'NI' }),
          textEl('name', 'opendmp — Dossier Médical Partagé'),
        ),
      ),
    ),
    el(
      'documentationOf',
      {},
      el(
        'serviceEvent',
        {},
        el(
          'effectiveTime',
          {},
          el('low', { value: hl7Date(input.effectiveTime.toISOString()) }),
          el('high', { value: hl7Date(input.effectiveTime.toISOString()) }),
        ),
        el(
          'performer',
          { typeCode: 'PRF' },
          el(
            'assignedEntity',
            {},
            el('id', { nullFlavor: 'NA' }),
            el(
              'representedOrganization',
              {},
              el('standardIndustryClassCode', {
                code: 'EXP_PATIENT',
                displayName: 'Expression personnelle du patient',
                codeSystem: TRE_A00_OID,
              }),
            ),
          ),
        ),
      ),
    ),
    replaces(input.previous),
    el(
      'componentOf',
      {},
      el(
        'encompassingEncounter',
        {},
        el('effectiveTime', { value: hl7Date(input.effectiveTime.toISOString()) }),
        el(
          'location',
          {},
          el(
            'healthCareFacility',
            {},
            el('code', {
              code: 'EXP_PATIENT',
              displayName: 'Expression personnelle du patient',
              codeSystem: TRE_A00_OID,
            }),
          ),
        ),
      ),
    ),
  ].join('');
  const body = el(
    'component',
    {},
    el(
      'structuredBody',
      {},
      ...(sections.length > 0
        ? sections
        : [
            section(
              { title: 'Profil médical', headers: [], row: () => [] },
              textEl('text', 'Le profil médical est vide.'),
            ),
          ]),
    ),
  );
  return `<?xml version="1.0" encoding="UTF-8"?>\n<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">${header}${body}</ClinicalDocument>\n`;
}
