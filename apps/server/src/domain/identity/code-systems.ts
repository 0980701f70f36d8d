/**
 * Code-system identity: one comparable key for the many spellings of the same code system.
 *
 * The same terminology reaches us as a FHIR canonical URL (`http://loinc.org`), as the ANS "NOS" URL of its
 * TRE (`https://mos.esante.gouv.fr/NOS/TRE_A04-Loinc/FHIR/TRE-A04-Loinc`), as `urn:oid:2.16.840.1.113883.6.1`
 * or as a bare OID (XDS `codingScheme`, CDA `codeSystem`). {@link canonicalSystem} maps all of them to one key;
 * {@link systemUrl} gives the URL to emit.
 *
 * Rules:
 *  S1. The key of a known system is its OID, bare (no `urn:oid:`). The two NOS systems whose registered
 *      "OID" is not an OID keep that literal as key: TRE_A10 → `URN`, TRE_A12 → `ASTM` (NOS CodeSystems
 *      `identifier.value` = `urn:oid:URN` / `urn:oid:ASTM`, and the XDS codingScheme used in ASS_X04 / JDV_J07).
 *  S2. `urn:oid:X` and `X` are the same system (OID comparison is exact, dotted decimal).
 *  S3. A NOS URL is recognised by its TRE number whatever the label after it, so both
 *      `…/TRE_A07-StatutVisibiliteDocument/…` (the terminology's spelling) and
 *      `…/TRE_A07-StatusVisibiliteDocument/…` (used in the PDSm example DocumentReference) map to TRE_A07;
 *      `http://` and `https://` are equivalent for NOS URLs.
 *  S4. A system we do not know keeps its own spelling as key (trimmed; `urn:oid:` stripped from OIDs), so two
 *      unknown systems compare equal only when written the same way.
 *  S5. The URL to emit is the FHIR canonical where HL7 defines one (LOINC, SNOMED CT, v3 code systems) and the
 *      NOS URL otherwise (including TRE_A11 IHE format codes, also accepted as
 *      `http://ihe.net/fhir/ihe.formatcode.fhir/CodeSystem/formatcode`); an unknown OID is emitted as `urn:oid:`.
 *
 * Sources: NOS CodeSystem resources (`url` + `identifier`) in github ansforge/IG-terminologie-de-sante
 * (TRE_A01 .4.9, TRE_A02 .4.5, TRE_A09, TRE_A10, TRE_A12, TRE_R21, R22, R85, R94, R95, R209, R217, R220, R221,
 * R276, R291, R342, G05, G16); DMP domain facts §3 (A00, A03, A05, A06, A07, A11, R02, G15, R01, R248);
 * DICOM PS3.16 (DCMUID 1.2.840.10008.2.6.1, alias `$dcmuid` of the terminology IG); FHIR R4 terminology pages
 * (LOINC, SNOMED CT, v3-Confidentiality, v3-RoleCode, ICD-10).
 */

/** One known code system. */
export interface CodeSystemInfo {
  /** The comparison key: the OID (or `URN` / `ASTM`, rule S1). */
  readonly key: string;
  /** Short name, e.g. `LOINC`, `TRE_A03`. */
  readonly name: string;
  /** The URL to emit. */
  readonly url: string;
  /** Other URLs accepted for this system. */
  readonly aliases: readonly string[];
}

const NOS = 'https://mos.esante.gouv.fr/NOS/';

/** NOS URL of a TRE, e.g. `TRE_A07-StatutVisibiliteDocument` → `…/NOS/TRE_A07-…/FHIR/TRE-A07-…`. */
function nosUrl(id: string): string {
  return `${NOS}${id}/FHIR/${id.replace('_', '-')}`;
}

function nos(key: string, id: string, aliases: readonly string[] = []): CodeSystemInfo {
  const name = id.slice(0, id.indexOf('-'));
  return { key, name, url: nosUrl(id), aliases };
}

/** The systems we know, by key. */
const SYSTEMS: readonly CodeSystemInfo[] = [
  {
    key: '2.16.840.1.113883.6.1',
    name: 'LOINC',
    url: 'http://loinc.org',
    aliases: [nosUrl('TRE_A04-Loinc')],
  },
  { key: '2.16.840.1.113883.6.96', name: 'SNOMED_CT', url: 'http://snomed.info/sct', aliases: [] },
  {
    key: '2.16.840.1.113883.6.3',
    name: 'CIM_10',
    url: 'http://hl7.org/fhir/sid/icd-10',
    aliases: [],
  },
  {
    key: '2.16.840.1.113883.5.25',
    name: 'HL7_CONFIDENTIALITY',
    url: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality',
    aliases: [nosUrl('TRE_A08-HL7Confidentiality'), 'http://hl7.org/fhir/v3/Confidentiality'],
  },
  {
    key: '2.16.840.1.113883.5.111',
    name: 'HL7_ROLE_CODE',
    url: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode',
    aliases: ['http://hl7.org/fhir/v3/RoleCode'],
  },
  nos('1.2.250.1.213.1.1.4.6', 'TRE_A00-ProducteurDocNonPS'),
  nos('1.2.250.1.213.1.1.4.9', 'TRE_A01-CadreExercice'),
  nos('1.2.250.1.213.1.1.4.5', 'TRE_A02-ProfessionSavFaire-CISIS'),
  nos('1.2.250.1.213.1.1.4.1', 'TRE_A03-ClasseDocument'),
  nos('1.2.250.1.213.1.1.4.12', 'TRE_A05-TypeDocComplementaire'),
  nos('1.2.250.1.213.1.1.4.2.282', 'TRE_A06-FormatCodeComplementaire'),
  nos('1.2.250.1.213.1.1.4.13', 'TRE_A07-StatutVisibiliteDocument', [
    nosUrl('TRE_A07-StatusVisibiliteDocument'),
  ]),
  nos('1.2.840.10008.2.6.1', 'TRE_A09-DICOMuidRegistry', [
    'http://dicom.nema.org/resources/ontology/DCMUID',
  ]),
  nos('URN', 'TRE_A10-NomenclatureURN'),
  nos('1.3.6.1.4.1.19376.1.2.3', 'TRE_A11-IheFormatCode', [
    'http://ihe.net/fhir/ihe.formatcode.fhir/CodeSystem/formatcode',
  ]),
  nos('ASTM', 'TRE_A12-NomenclatureASTM'),
  nos('1.2.250.1.71.4.2.6', 'TRE_G05-SousSectionTableauCNOP'),
  nos('1.2.250.1.71.1.2.7', 'TRE_G15-ProfessionSante'),
  nos('1.2.250.1.71.1.2.8', 'TRE_G16-ProfessionFormation'),
  nos('1.2.250.1.71.4.2.5', 'TRE_R01-EnsembleSavoirFaire-CISIS'),
  nos('1.2.250.1.71.4.2.4', 'TRE_R02-SecteurActivite'),
  nos('1.2.250.1.213.1.6.1.17', 'TRE_R21-Fonction'),
  nos('1.2.250.1.213.1.6.1.19', 'TRE_R22-GenreActivite'),
  nos('1.2.250.1.213.1.6.1.107', 'TRE_R85-RolePriseCharge'),
  nos('1.2.250.1.213.1.6.1.4', 'TRE_R94-ProfessionSocial'),
  nos('1.2.250.1.213.1.6.1.109', 'TRE_R95-UsagerTitre'),
  nos('1.2.250.1.213.2.2', 'TRE_R209-TypeActivite'),
  nos('1.2.250.1.213.1.1.4.327', 'TRE_R217-ProtectionJuridique'),
  nos('1.2.250.1.213.1.1.4.328', 'TRE_R220-ModeleDocumentCDAStructure'),
  nos('1.2.250.1.213.1.1.4.329', 'TRE_R221-ModeleDocumentCDANonStructure'),
  nos('1.2.250.1.213.1.1.4.248', 'TRE_R248-ModeAcces'),
  nos('1.2.250.1.213.1.6.1.128', 'TRE_R276-FormeActivite'),
  nos('1.2.250.1.213.1.6.1.140', 'TRE_R291-AutreProfession'),
  nos('1.2.250.1.213.1.1.4.347', 'TRE_R342-XdsTypesIdentifiantsReferenceId'),
];

const BY_KEY: ReadonlyMap<string, CodeSystemInfo> = new Map(SYSTEMS.map((s) => [s.key, s]));

/** Exact URL (emit URL and aliases) → key. */
const BY_URL: ReadonlyMap<string, string> = new Map(
  SYSTEMS.flatMap((s) => [s.url, ...s.aliases].map((u) => [u, s.key] as const)),
);

/** NOS TRE short name (`TRE_A07`) → key, for rule S3. */
const BY_NOS_NAME: ReadonlyMap<string, string> = new Map(
  SYSTEMS.filter((s) => s.url.startsWith(NOS)).map((s) => [s.name, s.key] as const),
);

const OID = /^[0-2](?:\.(?:0|[1-9]\d*))+$/;
const NOS_URL = /^https?:\/\/mos\.esante\.gouv\.fr\/NOS\/(TRE_[A-Z]\d+)-[^/]*\/FHIR\/[^/]+$/;

/** Keys of the systems the service uses most, to compare against `canonicalSystem(...)`. */
export const CS = {
  LOINC: '2.16.840.1.113883.6.1',
  SNOMED_CT: '2.16.840.1.113883.6.96',
  HL7_CONFIDENTIALITY: '2.16.840.1.113883.5.25',
  TRE_A00_PRODUCTEUR_DOC_NON_PS: '1.2.250.1.213.1.1.4.6',
  TRE_A01_CADRE_EXERCICE: '1.2.250.1.213.1.1.4.9',
  TRE_A02_PROFESSION_SAV_FAIRE: '1.2.250.1.213.1.1.4.5',
  TRE_A03_CLASSE_DOCUMENT: '1.2.250.1.213.1.1.4.1',
  TRE_A05_TYPE_DOC_COMPLEMENTAIRE: '1.2.250.1.213.1.1.4.12',
  TRE_A06_FORMAT_CODE_COMPLEMENTAIRE: '1.2.250.1.213.1.1.4.2.282',
  TRE_A07_STATUT_VISIBILITE_DOCUMENT: '1.2.250.1.213.1.1.4.13',
  TRE_A10_NOMENCLATURE_URN: 'URN',
  TRE_A11_IHE_FORMAT_CODE: '1.3.6.1.4.1.19376.1.2.3',
  TRE_A12_NOMENCLATURE_ASTM: 'ASTM',
  TRE_G15_PROFESSION_SANTE: '1.2.250.1.71.1.2.7',
  TRE_R01_SAVOIR_FAIRE: '1.2.250.1.71.4.2.5',
  TRE_R02_SECTEUR_ACTIVITE: '1.2.250.1.71.4.2.4',
  TRE_R248_MODE_ACCES: '1.2.250.1.213.1.1.4.248',
} as const;

/**
 * The comparable key of a code system given as a canonical URL, `urn:oid:…` or bare OID (rules S1–S4).
 * Two spellings of the same system give the same key.
 */
export function canonicalSystem(system: string): string {
  const s = system.trim();
  const bare = s.toLowerCase().startsWith('urn:oid:') ? s.slice('urn:oid:'.length) : s;
  if (OID.test(bare) || BY_KEY.has(bare)) {
    return bare;
  }
  const exact = BY_URL.get(s) ?? BY_URL.get(s.replace(/^http:\/\/mos\./, 'https://mos.'));
  if (exact !== undefined) {
    return exact;
  }
  const nosMatch = NOS_URL.exec(s);
  if (nosMatch) {
    const byName = BY_NOS_NAME.get(nosMatch[1] ?? '');
    if (byName !== undefined) {
      return byName;
    }
  }
  return s;
}

/** The URL to emit for a key from {@link canonicalSystem} (rule S5). Also accepts any spelling. */
export function systemUrl(key: string): string {
  const k = canonicalSystem(key);
  const known = BY_KEY.get(k);
  if (known) {
    return known.url;
  }
  return OID.test(k) ? `urn:oid:${k}` : k;
}

/** The OID of a system (any spelling), when it has one; `undefined` for URL-only systems. */
export function systemOid(system: string): string | undefined {
  const k = canonicalSystem(system);
  return OID.test(k) ? k : undefined;
}

/**
 * The XDS `codingScheme` / CDA `codeSystem` of a system (any spelling): its OID, or `URN` / `ASTM` for
 * TRE_A10 / TRE_A12 (rule S1); `undefined` for URL-only systems.
 */
export function codingScheme(system: string): string | undefined {
  const k = canonicalSystem(system);
  return OID.test(k) || BY_KEY.has(k) ? k : undefined;
}

/** What we know about a system (any spelling), or `undefined`. */
export function codeSystemInfo(system: string): CodeSystemInfo | undefined {
  return BY_KEY.get(canonicalSystem(system));
}

/** Whether two spellings designate the same code system. */
export function sameSystem(a: string, b: string): boolean {
  return canonicalSystem(a) === canonicalSystem(b);
}
