/**
 * The header of a CDA R2 document, as the DMP reads it: plain data extracted by `validation/cda.ts`
 * (which parses and validates the XML) and consumed by the pure metadata rules (`metadata.ts`).
 * Values are raw (HL7 TS times, OIDs as in the document): no code is checked here.
 */

/** Root of the IdNat_PS identifiers (RPPS/ADELI based) in CDA `assignedAuthor/id`. */
export const OID_IDNAT_PS = '1.2.250.1.71.4.2.1';
/** Root of the IdNat_Struct identifiers (FINESS/SIRET based) in `representedOrganization/id`. */
export const OID_IDNAT_STRUCT = '1.2.250.1.71.4.2.2';
/** INS OIDs: NIR, NIA, test NIR, demo NIR. */
export const INS_OIDS: ReadonlySet<string> = new Set([
  '1.2.250.1.213.1.4.8',
  '1.2.250.1.213.1.4.9',
  '1.2.250.1.213.1.4.10',
  '1.2.250.1.213.1.4.11',
]);
/** Template of IHE XDS-SD (scanned/non-structured documents: CDA level 1). */
export const XDS_SD_TEMPLATE = '1.3.6.1.4.1.19376.1.2.20';

/** An HL7 v3 instance identifier. */
export interface CdaId {
  readonly root: string;
  readonly extension?: string;
}

export interface CdaCode {
  readonly code: string;
  readonly codeSystem?: string;
  readonly displayName?: string;
}

export interface CdaName {
  readonly family?: string;
  readonly given: readonly string[];
  readonly prefix?: string;
  readonly suffix?: string;
}

export interface CdaOrganization {
  readonly ids: readonly CdaId[];
  readonly name?: string;
  /** `standardIndustryClassCode`: in the French header, the practice setting (cadre d'exercice). */
  readonly industryCode?: CdaCode;
}

export interface CdaAuthor {
  /** `author/time/@value`, raw HL7 TS. */
  readonly time?: string;
  readonly ids: readonly CdaId[];
  /** `assignedAuthor/id/@extension` where root is 1.2.250.1.71.4.2.1. */
  readonly idNatPs?: string;
  /** `assignedAuthor/code`: profession or profession/specialty ("G15_10/SM26", codeSystem 1.2.250.1.213.1.1.4.5). */
  readonly role?: CdaCode;
  readonly person?: CdaName;
  /** `assignedAuthoringDevice/softwareName` when the author is a device. */
  readonly device?: string;
  readonly organization?: CdaOrganization;
}

export interface CdaPerformer {
  readonly ids: readonly CdaId[];
  readonly person?: CdaName;
  readonly organization?: CdaOrganization;
}

export interface CdaServiceEvent {
  readonly code?: CdaCode;
  readonly low?: string;
  readonly high?: string;
  readonly performers: readonly CdaPerformer[];
}

export interface CdaRelatedDocument {
  /** RPLC (replacement), APND, XFRM. */
  readonly typeCode: string;
  readonly ids: readonly CdaId[];
  readonly setId?: CdaId;
  readonly versionNumber?: number;
}

export type CdaBody =
  | { readonly kind: 'structured' }
  | { readonly kind: 'nonXML'; readonly mediaType?: string; readonly representation?: string }
  | { readonly kind: 'none' };

/** One `recordTarget/patientRole`: its ids and the patient's administrative traits, raw. */
export interface CdaRecordTarget {
  readonly ids: readonly CdaId[];
  /** `patient/administrativeGenderCode/@code` (HL7 AdministrativeGender: M, F, UN…). */
  readonly gender?: string;
  /** `patient/birthTime/@value`, raw HL7 TS (YYYYMMDD…). */
  readonly birthTime?: string;
}

/** What the DMP needs from a CDA R2 header. Raw values: no code is checked here. */
export interface CdaHeader {
  /** True for an ANS "autoprésentable" document (xsl:stylesheet wrapping the ClinicalDocument). */
  readonly selfPresenting: boolean;
  readonly id: CdaId;
  readonly code: CdaCode;
  readonly title?: string;
  /** `effectiveTime/@value`, raw HL7 TS (e.g. 20210409170000+0100). */
  readonly effectiveTime?: string;
  readonly confidentialityCode?: CdaCode;
  readonly languageCode?: string;
  readonly setId?: CdaId;
  readonly versionNumber?: number;
  readonly templateIds: readonly CdaId[];
  /** Every `recordTarget/patientRole/id`. */
  readonly patientIds: readonly CdaId[];
  /** Every `recordTarget/patientRole`, in document order (the DMP expects exactly one patient). */
  readonly recordTargets: readonly CdaRecordTarget[];
  /** The first patient id whose root is an INS OID. */
  readonly ins?: { readonly value: string; readonly oid: string };
  readonly authors: readonly CdaAuthor[];
  readonly custodian?: CdaOrganization;
  readonly legalAuthenticator?: CdaAuthor;
  readonly serviceEvents: readonly CdaServiceEvent[];
  /** `componentOf/encompassingEncounter/location/healthCareFacility/code`: healthcareFacilityTypeCode. */
  readonly healthCareFacilityCode?: CdaCode;
  /** `componentOf/encompassingEncounter/effectiveTime` low/high (or value as low). */
  readonly encounterLow?: string;
  readonly encounterHigh?: string;
  readonly relatedDocuments: readonly CdaRelatedDocument[];
  readonly body: CdaBody;
}
