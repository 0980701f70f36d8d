// FSH aliases used by the JDV_J59/J60/J61 and JDV_J06 files without being defined in them.
// Excerpt of DM/input/fsh/InProgress/aliases.fsh (and Done/Ontoserver/aliases.fsh) of
// github ansforge/IG-terminologie-de-sante; see SOURCES.md. Upstream writes the DICOM one as
// `Alias: $dcmuid : "http://dicom.nema.org/resources/ontology/DCMUID"`; normalised here to the FSH `=` form.
Alias: $dcmuid = http://dicom.nema.org/resources/ontology/DCMUID
Alias: $TRE-A00-ProducteurDocNonPS = https://mos.esante.gouv.fr/NOS/TRE_A00-ProducteurDocNonPS/FHIR/TRE-A00-ProducteurDocNonPS
Alias: $TRE-A03-ClasseDocument = https://mos.esante.gouv.fr/NOS/TRE_A03-ClasseDocument/FHIR/TRE-A03-ClasseDocument
Alias: $TRE-A06-FormatCodeComplementaire = https://mos.esante.gouv.fr/NOS/TRE_A06-FormatCodeComplementaire/FHIR/TRE-A06-FormatCodeComplementaire
Alias: $TRE-A09-DICOMuidRegistry = https://mos.esante.gouv.fr/NOS/TRE_A09-DICOMuidRegistry/FHIR/TRE-A09-DICOMuidRegistry
Alias: $TRE-A10-NomenclatureURN = https://mos.esante.gouv.fr/NOS/TRE_A10-NomenclatureURN/FHIR/TRE-A10-NomenclatureURN
Alias: $TRE-A11-IheFormatCode = https://mos.esante.gouv.fr/NOS/TRE_A11-IheFormatCode/FHIR/TRE-A11-IheFormatCode
Alias: $TRE-R02-SecteurActivite = https://mos.esante.gouv.fr/NOS/TRE_R02-SecteurActivite/FHIR/TRE-R02-SecteurActivite
Alias: $TRE-R209-TypeActivite = https://mos.esante.gouv.fr/NOS/TRE_R209-TypeActivite/FHIR/TRE-R209-TypeActivite
Alias: $TRE-R276-FormeActivite = https://mos.esante.gouv.fr/NOS/TRE_R276-FormeActivite/FHIR/TRE-R276-FormeActivite
