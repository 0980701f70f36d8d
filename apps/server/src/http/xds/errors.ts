/**
 * The core's domain errors as XDS RegistryErrors (issue 19): the standard XDS code the client expects, the project's
 * stable code in codeContext. A refusal that the FHIR API answers as "not found" (no record, or a record or document
 * the caller may not see) stays indistinguishable from a missing one here too.
 */
import type { DomainError } from '../../domain/errors.ts';
import type { EbrimIssue, XdsErrorCode } from '../../xds/ebrim.ts';

const BY_CODE: ReadonlyArray<readonly [RegExp, XdsErrorCode]> = [
  [
    /UNIQUE_ID_(DUPLICATE|TAKEN|EXISTS|CONFLICT|USED)|DUPLICATE_UNIQUE/,
    'XDSDuplicateUniqueIdInRegistry',
  ],
  [/UNIQUE_ID/, 'XDSDocumentUniqueIdError'],
  [/HASH/, 'XDSNonIdenticalHash'],
  [/SIZE_MISMATCH|_SIZE$/, 'XDSNonIdenticalSize'],
  [/PATIENT|^REC_NOT_FOUND|INS_/, 'XDSUnknownPatientId'],
  [/BUSY|QUOTA|CONCURRENT/, 'XDSRegistryBusy'],
];

/** The XDS error of a domain error. */
export function issueOfDomainError(e: DomainError, location?: string): EbrimIssue[] {
  const issues = e.issues && e.issues.length > 0 ? e.issues : [e];
  return issues.map((i) => {
    const match = BY_CODE.find(([re]) => re.test(i.code));
    const errorCode: XdsErrorCode =
      match?.[1] ??
      (e.kind === 'invalid' || e.kind === 'unprocessable' || e.kind === 'too-large'
        ? 'XDSRegistryMetadataError'
        : e.kind === 'not-found'
          ? 'XDSDocumentUniqueIdError'
          : e.kind === 'rate-limited' || e.kind === 'unavailable'
            ? 'XDSRegistryBusy'
            : 'XDSRegistryError');
    return {
      errorCode,
      code: i.code,
      message: i.message,
      ...((location ?? i.location?.[0]) !== undefined && { location: location ?? i.location?.[0] }),
    };
  });
}
