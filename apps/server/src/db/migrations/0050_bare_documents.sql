-- Issue 17 rule 9 (ADR 0014): documents stored bare (a PDF, JPEG or text under an XDS-SD format code, before the API
-- required CDA R2) are wrapped in a CDA N1 by the service at start (services/documents/wrap-bare.ts). This partial
-- index holds exactly the documents still to wrap — those whose content is not a CDA (an XML media type) and whose
-- format is not one of the non-CDA formats (detached signature, xmldsig, DICOM KOS) — so the check at each start
-- reads an empty index once they are done, whatever the size of the table.
CREATE INDEX document_bare ON document (patient_id, id)
  WHERE lower(btrim(split_part(mime_type, ';', 1))) NOT IN ('text/xml', 'application/xml', 'application/hl7-v3+xml')
    AND format_code NOT IN ('urn:ihe:iti:dsg:detached:2014', 'http://www.w3.org/2000/09/xmldsig#',
                            '1.2.840.10008.5.1.4.1.1.88.59');
