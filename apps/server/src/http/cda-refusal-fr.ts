/**
 * A refused CDA explained in French with its reason (issue 21 point 7): the schema messages with their line
 * numbers (libxml2's English, already stripped of values by validation/cda.ts, translated pattern by pattern), the
 * header field a check is about (ClinicalDocument/id, recordTarget/patientRole/id…). What a person depositing reads
 * in `details.text`; the English message stays in `diagnostics`. Pure.
 */

/** The CDA header field each header check is about, as the CDA names it. */
const HEADER_FIELD: Readonly<Record<string, string>> = {
  DOC_CDA_NO_INS: 'recordTarget/patientRole/id',
  DOC_CDA_PATIENT_MISMATCH: 'recordTarget/patientRole/id',
  DOC_CDA_PATIENT_MULTIPLE: 'recordTarget',
  DOC_CDA_SEX_MISMATCH: 'recordTarget/patientRole/patient/administrativeGenderCode',
  DOC_CDA_BIRTH_DATE_MISMATCH: 'recordTarget/patientRole/patient/birthTime',
  DOC_CDA_ID_MISMATCH: 'ClinicalDocument/id',
  DOC_CDA_TYPE_MISMATCH: 'ClinicalDocument/code',
  DOC_CDA_FORMAT_MISMATCH: 'ClinicalDocument/templateId',
  DOC_CDA_FACILITY_TYPE_MISMATCH:
    'componentOf/encompassingEncounter/location/healthCareFacility/code',
  DOC_CDA_PRACTICE_SETTING_MISMATCH:
    'documentationOf/serviceEvent/performer/assignedEntity/representedOrganization/standardIndustryClassCode',
  DOC_CDA_CONFIDENTIALITY_MISMATCH: 'ClinicalDocument/confidentialityCode',
};

const HEADER_SENTENCE: Readonly<Record<string, string>> = {
  DOC_CDA_NO_INS: 'L’en-tête CDA ne porte pas l’INS du patient',
  DOC_CDA_PATIENT_MISMATCH: 'L’INS de l’en-tête CDA n’est pas celui du dossier',
  DOC_CDA_PATIENT_MULTIPLE: 'L’en-tête CDA désigne plusieurs patients',
  DOC_CDA_SEX_MISMATCH: 'Le sexe indiqué dans l’en-tête CDA n’est pas celui du patient',
  DOC_CDA_BIRTH_DATE_MISMATCH:
    'La date de naissance indiquée dans l’en-tête CDA n’est pas celle du patient',
  DOC_CDA_ID_MISMATCH: 'L’identifiant unique envoyé n’est pas celui de l’en-tête CDA',
  DOC_CDA_TYPE_MISMATCH: 'Le type de document envoyé n’est pas celui de l’en-tête CDA',
  DOC_CDA_FORMAT_MISMATCH:
    'Le format envoyé ne correspond pas au modèle du document CDA (ou à son corps)',
  DOC_CDA_FACILITY_TYPE_MISMATCH: 'Le type de structure envoyé n’est pas celui de l’en-tête CDA',
  DOC_CDA_PRACTICE_SETTING_MISMATCH: 'Le cadre d’exercice envoyé n’est pas celui de l’en-tête CDA',
  DOC_CDA_CONFIDENTIALITY_MISMATCH:
    'Le niveau de confidentialité envoyé n’est pas celui de l’en-tête CDA',
};

/** `{urn:hl7-org:v3}code` → `code`. */
function local(name: string): string {
  return name.replace(/\{[^}]*\}/g, '');
}

/** "( {urn:hl7-org:v3}a, {urn:hl7-org:v3}b )" → "a, b". */
function list(expected: string): string {
  return expected
    .replace(/^\s*\(\s*|\s*\)\s*$/g, '')
    .split(',')
    .map((x) => local(x.trim()))
    .filter((x) => x !== '')
    .join(', ');
}

/** One libxml2 schema or parser message (values already removed) in French. */
export function frenchLibxmlMessage(message: string): string {
  const el = /^Element '([^']*)'(?:, attribute '([^']*)')?: (.*)$/.exec(message.trim());
  if (!el) {
    if (/Start tag expected|Document is empty/i.test(message)) {
      return 'le fichier ne contient pas d’élément XML';
    }
    if (/Opening and ending tag mismatch/i.test(message)) {
      return 'une balise ouverte n’est pas fermée (ou est fermée par une autre)';
    }
    if (/Premature end of data|EndTag|expected '>'/i.test(message)) {
      return 'le fichier s’arrête ou se ferme mal (balise incomplète)';
    }
    return 'le contenu n’est pas conforme';
  }
  const element = `élément « ${local(el[1] ?? '')} »`;
  const attribute = el[2] !== undefined ? `, attribut « ${local(el[2])} »` : '';
  const rest = el[3] ?? '';
  let m: RegExpExecArray | null;
  if ((m = /This element is not expected\.(?: Expected is(?: one of)? (\(.*\)))?/.exec(rest))) {
    return `${element} : il n’est pas attendu à cet endroit${m[1] !== undefined ? ` (attendu : ${list(m[1])})` : ''}`;
  }
  if ((m = /Missing child element\(s\)\.(?: Expected is(?: one of)? (\(.*\)))?/.exec(rest))) {
    return `${element} : il manque un élément enfant${m[1] !== undefined ? ` (attendu : ${list(m[1])})` : ''}`;
  }
  if ((m = /The attribute '([^']*)' is required but missing/.exec(rest))) {
    return `${element} : l’attribut « ${local(m[1] ?? '')} » est obligatoire et absent`;
  }
  if (/The attribute '([^']*)' is not allowed/.test(rest)) {
    const a = /The attribute '([^']*)'/.exec(rest)?.[1] ?? '';
    return `${element} : l’attribut « ${local(a)} » n’est pas permis`;
  }
  if (
    /is not a valid value|is not accepted by the pattern|is not an element of the set/.test(rest)
  ) {
    return `${element}${attribute} : la valeur n’est pas valide`;
  }
  if (/No matching global declaration available for the validation root/.test(rest)) {
    return `${element} : l’élément racine n’est pas déclaré par le schéma CDA`;
  }
  if (/Character content other than whitespace is not allowed/.test(rest)) {
    return `${element} : du texte n’est pas permis à cet endroit`;
  }
  return `${element}${attribute} : non conforme au schéma`;
}

/** "line 42: Element '…': …; line 50: …" → "ligne 42 : élément « … » … ; ligne 50 : …". */
function frenchDetails(details: string): string {
  const more = /\s*\(and (\d+) more\)\s*$/.exec(details);
  const body = more ? details.slice(0, more.index) : details;
  const parts = body
    .split(/; (?=line \d+:|Element ')/)
    .map((p) => {
      const line = /^line (\d+): (.*)$/.exec(p.trim());
      return line
        ? `ligne ${line[1] ?? ''} : ${frenchLibxmlMessage(line[2] ?? '')}`
        : frenchLibxmlMessage(p);
    })
    .filter((p) => p !== '');
  return (
    parts.join(' ; ') +
    (more ? ` (et ${more[1] ?? ''} autre${Number(more[1]) > 1 ? 's' : ''})` : '')
  );
}

/**
 * The French text of a CDA refusal, with its reason, or undefined when `code` is not a CDA refusal this module
 * explains (the caller then uses its table).
 */
export function frenchCdaRefusal(code: string, message: string): string | undefined {
  switch (code) {
    case 'CDA_SCHEMA_INVALID': {
      const at = message.indexOf('schema: ');
      const details = at >= 0 ? message.slice(at + 'schema: '.length) : '';
      return `Le document CDA n’est pas conforme au schéma CDA R2 de l’ANS${
        details !== '' && details !== 'validation failed' ? ` — ${frenchDetails(details)}` : ''
      }.`;
    }
    case 'CDA_NOT_WELL_FORMED': {
      const at = message.indexOf('XML: ');
      const details = at >= 0 ? message.slice(at + 'XML: '.length) : '';
      return `Le fichier n’est pas un XML bien formé${
        details !== '' && details !== 'unreadable' ? ` — ${frenchDetails(details)}` : ''
      }.`;
    }
    case 'CDA_NOT_CLINICAL_DOCUMENT':
      return 'Ce fichier XML n’est pas un document CDA : son élément racine doit être ClinicalDocument (espace de noms urn:hl7-org:v3).';
    case 'CDA_TOO_DEEP':
      return 'Le document CDA imbrique trop d’éléments (plus de 256 niveaux).';
    case 'CDA_DOCTYPE_FORBIDDEN':
      return 'Le document CDA contient une déclaration DOCTYPE, interdite (entités XML).';
    case 'CDA_HEADER_INCOMPLETE':
      if (message.startsWith('ClinicalDocument/id')) {
        return 'L’en-tête CDA est incomplet : le champ ClinicalDocument/id n’a pas d’attribut root (l’identifiant unique du document).';
      }
      if (message.startsWith('ClinicalDocument/code')) {
        return 'L’en-tête CDA est incomplet : le champ ClinicalDocument/code n’a pas d’attribut code (le type de document).';
      }
      return 'L’en-tête CDA est incomplet.';
    default: {
      const sentence = HEADER_SENTENCE[code];
      const field = HEADER_FIELD[code];
      return sentence !== undefined && field !== undefined
        ? `${sentence} (champ de l’en-tête : ${field}).`
        : undefined;
    }
  }
}
