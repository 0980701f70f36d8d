import { el, hl7Date, textEl } from './xml.ts';

/** CDA header parts shared by the generated documents (CNAM-HR, profil médical). Pure. */

export interface CdaPatient {
  readonly ins: string;
  /** Bare OID of the INS system (1.2.250.1.213.1.4.8 NIR, …4.10 test NIR). */
  readonly insOid: string;
  readonly birthName: string;
  readonly givenNames: readonly string[];
  readonly sex: string;
  /** ISO AAAA-MM-JJ. */
  readonly birthDate: string;
}

export interface CdaId {
  readonly root: string;
  readonly extension?: string;
}

export const LOINC_OID = '2.16.840.1.113883.6.1';
export const TRE_A05_OID = '1.2.250.1.213.1.1.4.12';

const GENDER: Readonly<Record<string, { code: string; display: string }>> = {
  male: { code: 'M', display: 'Masculin' },
  female: { code: 'F', display: 'Féminin' },
};

export function idEl(id: CdaId, name = 'id'): string {
  return el(name, { root: id.root, extension: id.extension });
}

/** The realm, CDA type and the French / CI-SIS conformance templates, then the model's own templates. */
export function conformance(templates: readonly CdaId[]): string {
  return [
    el('realmCode', { code: 'FR' }),
    el('typeId', { root: '2.16.840.1.113883.1.3', extension: 'POCD_HD000040' }),
    el('templateId', { root: '2.16.840.1.113883.2.8.2.1' }),
    el('templateId', { root: '1.2.250.1.213.1.1.1.1' }),
    ...templates.map((t) => idEl(t, 'templateId')),
  ].join('');
}

/** recordTarget: the INS and the birth identity traits. */
export function recordTarget(p: CdaPatient): string {
  const gender = GENDER[p.sex] ?? { code: 'UN', display: 'Inconnu' };
  const [first] = p.givenNames;
  return el(
    'recordTarget',
    {},
    el(
      'patientRole',
      {},
      el('id', { root: p.insOid, extension: p.ins }),
      el(
        'patient',
        { classCode: 'PSN' },
        el(
          'name',
          {},
          textEl('family', p.birthName, { qualifier: 'BR' }),
          ...(p.givenNames.length > 0 ? [textEl('given', p.givenNames.join(' '))] : []),
          ...(first !== undefined ? [textEl('given', first, { qualifier: 'BR' })] : []),
        ),
        el('administrativeGenderCode', {
          code: gender.code,
          displayName: gender.display,
          codeSystem: '2.16.840.1.113883.5.1',
        }),
        el('birthTime', { value: hl7Date(p.birthDate) }),
      ),
    ),
  );
}

/** relatedDocument RPLC naming the version this one replaces. */
export function replaces(previous: CdaId | undefined): string {
  return previous
    ? el('relatedDocument', { typeCode: 'RPLC' }, el('parentDocument', {}, idEl(previous)))
    : '';
}

/** A narrative table (NarrativeBlock) from a header row and data rows of plain text. */
export function narrativeTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  return el(
    'table',
    { border: '0' },
    el('thead', {}, el('tr', {}, ...headers.map((h) => textEl('th', h)))),
    el('tbody', {}, ...rows.map((r) => el('tr', {}, ...r.map((c) => textEl('td', c))))),
  );
}
