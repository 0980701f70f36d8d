/**
 * Document metadata (XDS DocumentEntry / PDSm DocumentReference): the model and its pure rules.
 * One import for the services; each rule set lives in its own file with its rule list at the top:
 *
 * - model.ts                     DocumentMetadata, required fields, helpers (visibility, authors…)
 * - identifiers.ts               uniqueId ↔ masterIdentifier ↔ CDA id; HL7 TS → FHIR dateTime
 * - from-document-reference.ts   fromDocumentReference / readDocumentReference (PDSm → metadata)
 * - metadata-codes.ts            validateMetadataCodes (value sets, class ↔ type)
 * - derive-from-cda.ts           deriveFromCda (fill from the CDA header, report disagreements)
 * - content-check.ts             checkContent (declared size/hash vs computed)
 * - to-document-reference.ts     toDocumentReference (metadata → PDSm FHIR)
 * - cda-header.ts                CdaHeader (what validation/cda.ts extracts)
 */
export * from '../../domain/documents/model.ts';
export * from '../../domain/documents/identifiers.ts';
export * from './from-document-reference.ts';
export * from '../../domain/documents/metadata-codes.ts';
export * from '../../domain/documents/derive-from-cda.ts';
export * from '../../domain/documents/content-check.ts';
export * from './to-document-reference.ts';
export type * from '../../domain/documents/cda-header.ts';
export {
  INS_OIDS,
  OID_IDNAT_PS,
  OID_IDNAT_STRUCT,
  XDS_SD_TEMPLATE,
} from '../../domain/documents/cda-header.ts';
export type * from '../../domain/documents/reference-tables.ts';
