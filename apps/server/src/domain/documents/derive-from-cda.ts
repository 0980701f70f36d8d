/**
 * Metadata from a CDA R2 header, as the ANS maps it (CI-SIS "Fiche" of the DMP DocumentEntry), and the
 * check that what the client sent agrees with the header.
 *
 * Mapping (header → metadata), used for every field the client left out:
 *  M1. uniqueId ← ClinicalDocument/id (identifiers.ts U2); typeCode ← code.
 *  M2. classCode ← the type through ASS_X16, else ASS_X04.
 *  M3. formatCode ← level 1 (nonXMLBody): by the body's mediaType (application/pdf →
 *      urn:ihe:iti:xds-sd:pdf:2008, text/plain → …:text:2008, image/jpeg → urn:ihe:iti-fr:xds-sd:jpeg:2010,
 *      text/rtf → …:rtf:2010, image/tiff → …:tiff:2010); level 3: the most specific templateId (the last
 *      one listed that ASS_A11 maps). Its code system is read from J60 (else J10).
 *  M4. healthcareFacilityTypeCode ← componentOf/encompassingEncounter/location/healthCareFacility/code;
 *      practiceSettingCode ← documentationOf/serviceEvent/performer/assignedEntity/representedOrganization/
 *      standardIndustryClassCode (first found).
 *  M5. confidentialityCode ← confidentialityCode (the level; visibility flags only come from the client);
 *      languageCode ← languageCode; creationTime ← effectiveTime; title ← title; mimeType ← text/xml.
 *  M6. serviceStartTime/StopTime ← the earliest documentationOf/serviceEvent/effectiveTime/low and the
 *      latest high; when no service event has a time, componentOf/encompassingEncounter/effectiveTime.
 *  M7. authors ← author/assignedAuthor (IdNat_PS id, code = profession/specialty, assignedPerson name,
 *      representedOrganization id/name); legalAuthenticator ← legalAuthenticator/assignedEntity.
 *  M8. patient ← recordTarget/patientRole/id on an INS OID (validated by identity/ins.ts); sourcePatientId
 *      ← the other patientRole/id (the producer's IPP), else the INS.
 *  M9. relatesTo ← relatedDocument (RPLC → replaces, APND → appends, XFRM → transforms) with the parent's
 *      uniqueId.
 *
 * Agreement (what the client sent vs the header), one issue each:
 *  DOC_CDA_PATIENT_MULTIPLE (a recordTarget names another patient: every one is checked, cda-patient.ts),
 *  DOC_CDA_PATIENT_MISMATCH (INS value or OID), DOC_CDA_NO_INS (the header names no INS),
 *  DOC_CDA_ID_MISMATCH (uniqueId), DOC_CDA_TYPE_MISMATCH, DOC_CDA_CONFIDENTIALITY_MISMATCH (level),
 *  DOC_CDA_FORMAT_MISMATCH (only when the header gives a format), DOC_CDA_FACILITY_TYPE_MISMATCH,
 *  DOC_CDA_PRACTICE_SETTING_MISMATCH. Titles, dates and authors are not compared (producers legitimately
 *  word titles differently and round times).
 * Then the result must be complete (DOC_REQUIRED_MISSING).
 */
import { canonicalSystem, CS, systemUrl } from '../identity/code-systems.ts';
import { validateIns } from '../identity/ins.ts';
import type { DomainIssue } from '../errors.ts';
import type { Result } from '../result.ts';
import { err } from '../result.ts';
import type { ReferenceTables } from './reference-tables.ts';
import type { CdaAuthor, CdaCode, CdaHeader, CdaId, CdaOrganization } from './cda-header.ts';
import { INS_OIDS, OID_IDNAT_STRUCT } from './cda-header.ts';
import { checkSinglePatient } from './cda-patient.ts';
import { professionOf } from './model.ts';
import { cdaTimeToFhir, fhirTimeToEpoch, uniqueIdFromCdaId } from './identifiers.ts';
import { expectedClass, valueSetFor } from './metadata-codes.ts';
import type {
  AuthorStructure,
  Coding,
  DocumentAuthor,
  DocumentMetadata,
  DocumentMetadataDraft,
  DocumentRelation,
  PersonName,
} from './model.ts';
import { completeDraft, confidentialityLevel, FIELD } from './model.ts';

/** Media type of a level-1 body → IHE XDS-SD format code (M3). */
export const NON_XML_FORMATS: ReadonlyMap<string, string> = new Map([
  ['application/pdf', 'urn:ihe:iti:xds-sd:pdf:2008'],
  ['text/plain', 'urn:ihe:iti:xds-sd:text:2008'],
  ['image/jpeg', 'urn:ihe:iti-fr:xds-sd:jpeg:2010'],
  ['text/rtf', 'urn:ihe:iti-fr:xds-sd:rtf:2010'],
  ['application/rtf', 'urn:ihe:iti-fr:xds-sd:rtf:2010'],
  ['image/tiff', 'urn:ihe:iti-fr:xds-sd:tiff:2010'],
]);

/** The mimeType the DMP records for a CDA document (M5). */
export const CDA_MIME_TYPE = 'text/xml';

function codingFrom(c: CdaCode | undefined): Coding | undefined {
  if (!c?.codeSystem) {
    return undefined;
  }
  return {
    system: systemUrl(c.codeSystem),
    code: c.code,
    ...(c.displayName !== undefined && { display: c.displayName }),
  };
}

function sameCoding(a: Coding, b: Coding): boolean {
  return a.code === b.code && canonicalSystem(a.system) === canonicalSystem(b.system);
}

/** M3: the format code a header calls for, with its system from J60/J10. */
export function formatFromHeader(header: CdaHeader, ref: ReferenceTables): Coding | undefined {
  let code: string | undefined;
  if (header.body.kind === 'nonXML') {
    const media = header.body.mediaType?.toLowerCase();
    code = media === undefined ? undefined : NON_XML_FORMATS.get(media);
  } else {
    for (let i = header.templateIds.length - 1; i >= 0 && code === undefined; i--) {
      const t = header.templateIds[i];
      if (t) {
        code = ref.templateToFormat.get(t.root);
      }
    }
  }
  if (code === undefined) {
    return undefined;
  }
  const concept =
    valueSetFor(ref, 'format').findByCode(code) ?? ref.valueSets.get('J10')?.findByCode(code);
  if (concept) {
    return { system: concept.system, code: concept.code, display: concept.display };
  }
  // Not in the format value sets: keep the code under its usual system (validateMetadataCodes reports it).
  const system = code.startsWith('urn:ihe:')
    ? CS.TRE_A11_IHE_FORMAT_CODE
    : CS.TRE_A06_FORMAT_CODE_COMPLEMENTAIRE;
  return { system: systemUrl(system), code };
}

function nameFrom(n: CdaHeader['authors'][number]['person']): PersonName | undefined {
  if (!n) {
    return undefined;
  }
  return {
    ...(n.family !== undefined && { family: n.family }),
    given: n.given,
    ...(n.prefix !== undefined && { prefix: n.prefix }),
    ...(n.suffix !== undefined && { suffix: n.suffix }),
  };
}

function identifierFrom(id: CdaId | undefined): { system: string; value: string } | undefined {
  return id?.extension ? { system: `urn:oid:${id.root}`, value: id.extension } : undefined;
}

function structureFrom(org: CdaOrganization | undefined): AuthorStructure | undefined {
  if (!org) {
    return undefined;
  }
  const idNat = org.ids.find((i) => i.root === OID_IDNAT_STRUCT && i.extension);
  const other = idNat ? undefined : identifierFrom(org.ids.find((i) => i.extension));
  if (!idNat && !other && org.name === undefined) {
    return undefined;
  }
  return {
    ...(idNat?.extension !== undefined && { idNatStruct: idNat.extension }),
    ...(other && { identifier: other }),
    ...(org.name !== undefined && { name: org.name }),
  };
}

/** M7: one CDA author (or legal authenticator) as a document author. */
export function authorFromCda(a: CdaAuthor): DocumentAuthor {
  const role = codingFrom(a.role);
  const prof = role ? professionOf(role) : {};
  const name = nameFrom(a.person);
  const structure = structureFrom(a.organization);
  const insId = a.ids.find((i) => INS_OIDS.has(i.root) && i.extension);
  const kind: DocumentAuthor['kind'] = a.idNatPs
    ? 'practitioner'
    : insId
      ? 'patient'
      : a.device !== undefined
        ? 'device'
        : a.person
          ? 'practitioner'
          : 'organization';
  const identifier = a.idNatPs
    ? undefined
    : identifierFrom(insId ?? a.ids.find((i) => i.extension));
  return {
    kind,
    ...(a.idNatPs !== undefined && { idNatPs: a.idNatPs }),
    ...(identifier && { identifier }),
    ...(name && { name }),
    ...(a.device !== undefined && { displayName: a.device }),
    ...(kind === 'organization' &&
      a.organization?.name !== undefined && { displayName: a.organization.name }),
    ...(role && { role }),
    ...(prof.profession !== undefined && { profession: prof.profession }),
    ...(prof.specialty !== undefined && { specialty: prof.specialty }),
    ...(structure && { structure }),
  };
}

function servicePeriod(header: CdaHeader): { start?: string; stop?: string } {
  let start: string | undefined;
  let stop: string | undefined;
  let startMs = Infinity;
  let stopMs = -Infinity;
  for (const se of header.serviceEvents) {
    const low = cdaTimeToFhir(se.low);
    const lowMs = low === undefined ? undefined : fhirTimeToEpoch(low);
    if (low !== undefined && lowMs !== undefined && lowMs < startMs) {
      start = low;
      startMs = lowMs;
    }
    const high = cdaTimeToFhir(se.high);
    const highMs = high === undefined ? undefined : fhirTimeToEpoch(high);
    if (high !== undefined && highMs !== undefined && highMs > stopMs) {
      stop = high;
      stopMs = highMs;
    }
  }
  if (start === undefined && stop === undefined) {
    start = cdaTimeToFhir(header.encounterLow);
    stop = cdaTimeToFhir(header.encounterHigh);
  }
  return { ...(start !== undefined && { start }), ...(stop !== undefined && { stop }) };
}

const RELATION: Readonly<Record<string, DocumentRelation['code']>> = {
  RPLC: 'replaces',
  APND: 'appends',
  XFRM: 'transforms',
};

/** M1–M9: everything a header gives, as a draft (no check). */
export function metadataFromCda(header: CdaHeader, ref: ReferenceTables): DocumentMetadataDraft {
  const d: DocumentMetadataDraft = {
    uniqueId: uniqueIdFromCdaId(header.id),
    mimeType: CDA_MIME_TYPE,
  };
  const type = codingFrom(header.code);
  if (type) {
    d.type = type;
    const klass = expectedClass(ref, type.code);
    if (klass !== undefined) {
      const concept = valueSetFor(ref, 'class').find(CS.TRE_A03_CLASSE_DOCUMENT, klass);
      d.class = {
        system: systemUrl(CS.TRE_A03_CLASSE_DOCUMENT),
        code: klass,
        ...(concept && { display: concept.display }),
      };
    }
  }
  const format = formatFromHeader(header, ref);
  if (format) {
    d.format = format;
  }
  const facility = codingFrom(header.healthCareFacilityCode);
  if (facility) {
    d.facilityType = facility;
  }
  for (const se of header.serviceEvents) {
    for (const p of se.performers) {
      const setting = codingFrom(p.organization?.industryCode);
      if (setting && !d.practiceSetting) {
        d.practiceSetting = setting;
      }
    }
  }
  const conf = codingFrom(header.confidentialityCode);
  if (conf) {
    d.confidentiality = [conf];
  }
  if (header.languageCode) {
    d.languageCode = header.languageCode;
  }
  const creation = cdaTimeToFhir(header.effectiveTime);
  if (creation) {
    d.creation = creation;
  }
  const period = servicePeriod(header);
  if (period.start) {
    d.serviceStart = period.start;
  }
  if (period.stop) {
    d.serviceStop = period.stop;
  }
  if (header.title) {
    d.title = header.title;
  }
  if (header.authors.length > 0) {
    d.authors = header.authors.map(authorFromCda);
  }
  if (header.legalAuthenticator) {
    d.legalAuthenticator = authorFromCda(header.legalAuthenticator);
  }
  if (header.ins) {
    d.patient = { value: header.ins.value, oid: header.ins.oid };
  }
  const ipp = header.patientIds.find((p) => !INS_OIDS.has(p.root) && p.extension);
  const spi =
    identifierFrom(ipp) ??
    (header.ins && { system: `urn:oid:${header.ins.oid}`, value: header.ins.value });
  if (spi) {
    d.sourcePatientId = spi;
  }
  const relations: DocumentRelation[] = [];
  for (const r of header.relatedDocuments) {
    const code = RELATION[r.typeCode];
    const parent = r.ids[0];
    if (code && parent) {
      relations.push({ code, targetUniqueId: uniqueIdFromCdaId(parent) });
    }
  }
  if (relations.length > 0) {
    d.relatesTo = relations;
  }
  return d;
}

function mismatch(code: string, what: string, location: string): DomainIssue {
  return {
    code,
    message: `The ${what} in the metadata differs from the CDA header; they must agree`,
    location: [location],
  };
}

/**
 * Fills what the client left out from the CDA header (M1–M9) and reports every disagreement between
 * what it sent and the header. The result is complete or the missing fields are reported.
 */
export function deriveFromCda(
  meta: DocumentMetadataDraft,
  header: CdaHeader,
  ref: ReferenceTables,
): Result<DocumentMetadata, DomainIssue[]> {
  const fromCda = metadataFromCda(header, ref);
  const issues: DomainIssue[] = [];

  // Patient: the header must name one patient (every recordTarget, cda-patient.ts CP1), by an INS, a valid
  // one, the same as the metadata's.
  const several = checkSinglePatient(header.recordTargets);
  if (several) {
    issues.push(several);
  } else if (!header.ins) {
    issues.push({
      code: 'DOC_CDA_NO_INS',
      message:
        'The CDA recordTarget/patientRole has no id on an INS OID (1.2.250.1.213.1.4.8, .9, .10, .11)',
      location: [FIELD.patient],
    });
  } else if (meta.patient) {
    if (meta.patient.value !== header.ins.value || meta.patient.oid !== header.ins.oid) {
      issues.push(
        mismatch('DOC_CDA_PATIENT_MISMATCH', 'patient INS (recordTarget)', FIELD.patient),
      );
    }
  } else {
    const valid = validateIns(header.ins.value, header.ins.oid);
    if (!valid.ok) {
      issues.push({
        ...valid.error,
        message: `CDA recordTarget/patientRole/id: ${valid.error.message}`,
        location: [FIELD.patient],
      });
    }
  }
  if (meta.uniqueId !== undefined && meta.uniqueId !== fromCda.uniqueId) {
    issues.push(mismatch('DOC_CDA_ID_MISMATCH', 'uniqueId (ClinicalDocument/id)', FIELD.uniqueId));
  }
  const pairs: ReadonlyArray<[Coding | undefined, Coding | undefined, string, string, string]> = [
    [
      meta.type,
      fromCda.type,
      'DOC_CDA_TYPE_MISMATCH',
      'typeCode (ClinicalDocument/code)',
      FIELD.type,
    ],
    [
      meta.format,
      fromCda.format,
      'DOC_CDA_FORMAT_MISMATCH',
      'formatCode (templateId / body)',
      FIELD.format,
    ],
    [
      meta.facilityType,
      fromCda.facilityType,
      'DOC_CDA_FACILITY_TYPE_MISMATCH',
      'healthcareFacilityTypeCode (healthCareFacility/code)',
      FIELD.facilityType,
    ],
    [
      meta.practiceSetting,
      fromCda.practiceSetting,
      'DOC_CDA_PRACTICE_SETTING_MISMATCH',
      'practiceSettingCode (performer standardIndustryClassCode)',
      FIELD.practiceSetting,
    ],
  ];
  for (const [sent, cda, code, what, at] of pairs) {
    if (sent && cda && !sameCoding(sent, cda)) {
      issues.push(mismatch(code, what, at));
    }
  }
  if (meta.confidentiality && fromCda.confidentiality) {
    const sent = confidentialityLevel({ confidentiality: meta.confidentiality });
    const cda = confidentialityLevel({ confidentiality: fromCda.confidentiality });
    if (sent !== undefined && cda !== undefined && sent !== cda) {
      issues.push(
        mismatch(
          'DOC_CDA_CONFIDENTIALITY_MISMATCH',
          'confidentiality level (N/R/V)',
          FIELD.confidentiality,
        ),
      );
    }
  }
  if (issues.length > 0) {
    return err(issues);
  }

  // The client's values win where given (they agree with the header); the header fills the rest.
  const merged: DocumentMetadataDraft = { ...fromCda };
  for (const [k, v] of Object.entries(meta) as [keyof DocumentMetadataDraft, unknown][]) {
    if (v !== undefined) {
      (merged as Record<string, unknown>)[k] = v;
    }
  }
  // The client's relation targets (resource references) gain the parent's uniqueId from the header.
  if (meta.relatesTo && fromCda.relatesTo) {
    const cdaRel = fromCda.relatesTo;
    merged.relatesTo = meta.relatesTo.map((r) => {
      const same = cdaRel.find((c) => c.code === r.code);
      return r.targetUniqueId === undefined && same?.targetUniqueId !== undefined
        ? { ...r, targetUniqueId: same.targetUniqueId }
        : r;
    });
  }
  // Visibility flags only come from the client; the level may come from the header.
  if (
    meta.confidentiality &&
    confidentialityLevel({ confidentiality: meta.confidentiality }) === undefined
  ) {
    merged.confidentiality = [...(fromCda.confidentiality ?? []), ...meta.confidentiality];
  }
  const complete = completeDraft(merged);
  if (complete.ok) {
    return complete;
  }
  return err(
    complete.error.map((i) => ({
      ...i,
      message: `${i.message} (not derivable from the CDA header either)`,
    })),
  );
}
