/**
 * The Assurance Maladie reimbursement history as a CDA R2 document, volet CNAM-HR 2021.01 (ANS CI-SIS; examples
 * CNAM-HR_2021.01*.xml in ansforge TestContenuCDA-3-0). Pure: the shell passes the lines, the ids and the time.
 *
 * Rules:
 *  H1. Header as the examples: templates 2.16.840.1.113883.2.8.2.1, 1.2.250.1.213.1.1.1.1 and
 *      1.2.250.1.213.1.1.1.36 (extension 2021.01); code REMB (TRE_A05, 1.2.250.1.213.1.1.4.12), title
 *      "Données de remboursement", confidentiality N, fr-FR; setId constant per record and versionNumber
 *      incremented at each regeneration, with a relatedDocument RPLC naming the previous version.
 *  H2. recordTarget: the record's INS (its OID) and birth traits. Author: the Assurance Maladie information
 *      system (role ALIM_AM of TRE_R85 1.2.250.1.213.1.1.4.6, device "Assurance Maladie"), which is also the
 *      custodian and the legal authenticator, exactly as the examples identify it.
 *  H3. documentationOf/serviceEvent: the period covered (first to last date of care shown), performer AMO
 *      (organisme d'assurance maladie obligatoire). componentOf: healthcare facility SA24 (organisme de sécurité
 *      sociale).
 *  H4. Body (narrative, level 2): the "Usage et Responsabilités" mention, then the sections of the volet in
 *      its order — Médicaments (CIP13), Soins médicaux et dentaires (NGAP, CCAM), Radiologie (CCAM imaging),
 *      Biologie (NABM) — each a table, newest first, or "Aucune donnée de remboursement connue dans la période".
 *      Vaccinations, medical devices and hospital stays are not in our feed: those sections are left out.
 */
import type { CareSection, CodeKind } from '../domain/care-history/line.ts';
import { sectionOf } from '../domain/care-history/line.ts';
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
import { el, esc, frenchDate, hl7Date, hl7Time, textEl } from './xml.ts';

export interface CnamHrLine {
  readonly careDate: string;
  readonly kind: CodeKind;
  readonly code: string;
  readonly label: string;
  readonly quantity: string;
  readonly executantId: string | null;
  readonly executantProfession: string | null;
  readonly prescriberId: string | null;
  readonly structureId: string | null;
  readonly amountCents: number;
}

export interface CnamHrInput {
  /** ClinicalDocument/id (its root, and extension if any, make the XDS uniqueId). */
  readonly id: CdaId;
  readonly setId: CdaId;
  readonly version: number;
  readonly previous?: CdaId;
  readonly effectiveTime: Date;
  readonly patient: CdaPatient;
  /** The lines to show (already filtered to the 24-month window), any order. */
  readonly lines: readonly CnamHrLine[];
  /** Period covered when there are no lines (ISO dates). */
  readonly period: { readonly from: string; readonly to: string };
  /** Display names when the directory knows them. */
  readonly names?: {
    readonly professional?: (idNatPs: string) => string | undefined;
    readonly structure?: (idNatStruct: string) => string | undefined;
    readonly profession?: (code: string) => string | undefined;
  };
}

export const CNAM_HR_TEMPLATE: CdaId = { root: '1.2.250.1.213.1.1.1.36', extension: '2021.01' };
export const CNAM_HR_FORMAT_CODE = 'urn:asip:ci-sis:hr:2019';
/** The Assurance Maladie as the examples identify it (author, custodian, legal authenticator). */
export const AM_IDNAT_PS = '518003502400041/1.2.250.1.215.1.2';
export const AM_IDNAT_STRUCT = '318003502400041';
const AM_NAME = 'Assurance Maladie';
const NO_DATA = 'Aucune donnée de remboursement connue dans la période';

const MENTION = [
  "Les données affichées sont le reflet des informations issues des procédures de remboursement ou de prise en charge détenues par l'Assurance Maladie pour les vingt-quatre derniers mois.",
  'Elles sont fournies à titre purement informatif et leur exhaustivité ne peut être garantie, notamment en cas de changement administratif durant ces vingt-quatre mois.',
  'Toute interprétation ou toute décision, de quelle que nature que ce soit, se basant sur ces données relève de la seule responsabilité de la personne qui les consulte.',
];

interface SectionSpec {
  readonly key: CareSection;
  readonly title: string;
  readonly templates: readonly string[];
  readonly code: { readonly code: string; readonly display: string };
  readonly translation?: { readonly code: string; readonly display: string };
  readonly dateHeader: string;
}

const ACT_TEMPLATES = ['1.3.6.1.4.1.19376.1.5.3.1.1.13.2.11', '1.2.250.1.213.1.1.2.118'];
const ACTS = { code: '29554-3', display: 'Actes' };

const SECTIONS: readonly SectionSpec[] = [
  {
    key: 'medicaments',
    title: 'Médicaments',
    templates: [
      '2.16.840.1.113883.10.20.1.8',
      '1.3.6.1.4.1.19376.1.5.3.1.3.19',
      '1.2.250.1.213.1.1.2.143',
    ],
    code: { code: '10160-0', display: 'Médication administrée' },
    dateHeader: 'Date de délivrance',
  },
  {
    key: 'soins',
    title: 'Soins médicaux et dentaires',
    templates: ACT_TEMPLATES,
    code: ACTS,
    translation: { code: '67803-7', display: 'Liste des actes' },
    dateHeader: "Date de l'acte",
  },
  {
    key: 'radiologie',
    title: 'Radiologie',
    templates: ACT_TEMPLATES,
    code: ACTS,
    translation: { code: '18726-0', display: 'Radiologie' },
    dateHeader: "Date de l'acte",
  },
  {
    key: 'biologie',
    title: 'Biologie',
    templates: ACT_TEMPLATES,
    code: ACTS,
    translation: { code: '26436-6', display: 'Biologie' },
    dateHeader: "Date de l'acte",
  },
];

function euros(cents: number): string {
  return `${(cents / 100).toFixed(2).replace('.', ',')} €`;
}

function commentSection(): string {
  return el(
    'component',
    {},
    el(
      'section',
      {},
      el('templateId', { root: '2.16.840.1.113883.10.12.201' }),
      el('templateId', { root: '1.3.6.1.4.1.19376.1.4.1.2.16' }),
      el('templateId', { root: '1.2.250.1.213.1.1.2.73' }),
      el('code', {
        code: '55112-7',
        displayName: 'Commentaire sur le document',
        codeSystem: LOINC_OID,
        codeSystemName: 'LOINC',
      }),
      textEl('title', 'Usage et Responsabilités'),
      `<text ID="mention">${MENTION.map(esc).join('<br/>')}</text>`,
    ),
  );
}

function section(
  spec: SectionSpec,
  lines: readonly CnamHrLine[],
  names: CnamHrInput['names'],
): string {
  const who = (id: string | null): string => (id === null ? '' : (names?.professional?.(id) ?? id));
  const where = (id: string | null): string => (id === null ? '' : (names?.structure?.(id) ?? id));
  const profession = (code: string | null): string =>
    code === null ? '' : (names?.profession?.(code) ?? code);
  const body =
    lines.length === 0
      ? textEl('text', NO_DATA)
      : spec.key === 'medicaments'
        ? el(
            'text',
            {},
            narrativeTable(
              [
                spec.dateHeader,
                'Code CIP13',
                'Libellé du médicament',
                'Prescrit par',
                'Délivré par',
                'Quantité délivrée',
                'Montant remboursé',
              ],
              lines.map((l) => [
                frenchDate(l.careDate),
                l.code,
                l.label,
                who(l.prescriberId),
                where(l.structureId) || who(l.executantId),
                l.quantity,
                euros(l.amountCents),
              ]),
            ),
          )
        : el(
            'text',
            {},
            narrativeTable(
              [
                spec.dateHeader,
                "Code de l'acte",
                "Libellé de l'acte",
                'Réalisé par',
                'Profession',
                'Établissement',
                'Prescrit par',
                'Quantité',
                'Montant remboursé',
              ],
              lines.map((l) => [
                frenchDate(l.careDate),
                l.code,
                l.label,
                who(l.executantId),
                profession(l.executantProfession),
                where(l.structureId),
                who(l.prescriberId),
                l.quantity,
                euros(l.amountCents),
              ]),
            ),
          );
  return el(
    'component',
    {},
    el(
      'section',
      {},
      ...spec.templates.map((t) => el('templateId', { root: t })),
      el('id', { nullFlavor: 'UNK' }),
      el(
        'code',
        {
          code: spec.code.code,
          displayName: spec.code.display,
          codeSystem: LOINC_OID,
          codeSystemName: 'LOINC',
        },
        ...(spec.translation
          ? [
              el('translation', {
                code: spec.translation.code,
                displayName: spec.translation.display,
                codeSystem: LOINC_OID,
              }),
            ]
          : []),
      ),
      textEl('title', spec.title),
      body,
    ),
  );
}

function amAuthorEntity(name: string): string {
  return [
    el('id', { root: '1.2.250.1.71.4.2.1', extension: AM_IDNAT_PS }),
    ...(name === 'assignedAuthor'
      ? [
          el('code', {
            code: 'ALIM_AM',
            displayName: "Alimentation auto à partir du SI de l'Ass Maladie",
            codeSystem: '1.2.250.1.213.1.1.4.6',
          }),
        ]
      : []),
    el('addr', { nullFlavor: 'NASK' }),
    el('telecom', { nullFlavor: 'NASK' }),
  ].join('');
}

/** The CNAM-HR document (UTF-8 XML text). */
export function buildCnamHr(input: CnamHrInput): string {
  const sorted = [...input.lines].sort((a, b) =>
    a.careDate === b.careDate ? a.code.localeCompare(b.code) : a.careDate < b.careDate ? 1 : -1,
  );
  const from = sorted.at(-1)?.careDate ?? input.period.from;
  const to = sorted[0]?.careDate ?? input.period.to;
  const bySection = new Map<CareSection, CnamHrLine[]>();
  for (const l of sorted) {
    const key = sectionOf(l.kind, l.code);
    const list = bySection.get(key);
    if (list) {
      list.push(l);
    } else {
      bySection.set(key, [l]);
    }
  }
  const time = hl7Time(input.effectiveTime);
  const header = [
    conformance([CNAM_HR_TEMPLATE]),
    idEl(input.id),
    el('code', { code: 'REMB', codeSystem: TRE_A05_OID, displayName: 'Données de remboursement' }),
    textEl('title', 'Données de remboursement'),
    el('effectiveTime', { value: time }),
    el('confidentialityCode', {
      code: 'N',
      displayName: 'Normal',
      codeSystem: '2.16.840.1.113883.5.25',
      codeSystemName: 'Confidentiality',
    }),
    el('languageCode', { code: 'fr-FR' }),
    idEl(input.setId, 'setId'),
    el('versionNumber', { value: input.version }),
    recordTarget(input.patient),
    el(
      'author',
      {},
      el('time', { value: time }),
      el(
        'assignedAuthor',
        {},
        amAuthorEntity('assignedAuthor'),
        el(
          'assignedAuthoringDevice',
          {},
          textEl('manufacturerModelName', '.'),
          textEl('softwareName', AM_NAME),
        ),
        el(
          'representedOrganization',
          {},
          el('id', { root: '1.2.250.1.71.4.2.2', extension: AM_IDNAT_STRUCT }),
          textEl('name', AM_NAME),
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
          el('id', { root: '1.2.250.1.71.4.2.2', extension: AM_IDNAT_STRUCT }),
          textEl('name', AM_NAME),
        ),
      ),
    ),
    el(
      'legalAuthenticator',
      {},
      el('time', { value: time }),
      el('signatureCode', { code: 'S' }),
      el(
        'assignedEntity',
        {},
        amAuthorEntity('assignedEntity'),
        el('assignedPerson', {}, el('name', {}, textEl('given', '.'), textEl('family', AM_NAME))),
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
          el('low', { value: hl7Date(from) }),
          el('high', { value: hl7Date(to) }),
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
                code: 'AMO',
                displayName: "Organisme d'assurance maladie obligatoire",
                codeSystem: '1.2.250.1.213.1.1.4.9',
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
        el('effectiveTime', { nullFlavor: 'NA' }),
        el(
          'location',
          {},
          el(
            'healthCareFacility',
            {},
            el('code', {
              code: 'SA24',
              displayName: 'Organisme de sécurité sociale',
              codeSystem: '1.2.250.1.71.4.2.4',
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
      commentSection(),
      ...SECTIONS.map((s) => section(s, bySection.get(s.key) ?? [], input.names)),
    ),
  );
  return `<?xml version="1.0" encoding="UTF-8"?>\n<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">${header}${body}</ClinicalDocument>\n`;
}
