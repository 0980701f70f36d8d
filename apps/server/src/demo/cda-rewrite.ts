/**
 * Rewriting a real CDA example for another patient: the recordTarget INS ids and the ClinicalDocument id.
 * Used by the demo data set and the benchmark (never on documents received from clients).
 */

/** A record's identity traits as the record stores them (sex `male`/`female`/`other`, birth date YYYY-MM-DD). */
export interface PatientTraits {
  readonly sex: string;
  readonly birthDate: string;
}

const GENDER_CODES: Readonly<Record<string, string>> = { male: 'M', female: 'F', other: 'UN' };

/**
 * Replaces the INS ids of recordTarget/patientRole (any namespace prefix, any attribute order) and, when given,
 * the patient's sex and birth date (the deposit checks that they agree with the record's, issue 17 rule 10).
 */
export function rewriteRecordTargetIns(
  xml: string,
  ins: string,
  oid: string,
  traits?: PatientTraits,
): string {
  return xml.replace(/<((?:\w+:)?)recordTarget\b[\s\S]*?<\/\1recordTarget>/, (block) => {
    const withIns = block.replace(
      /<((?:\w+:)?)id\b([^>]*?)\/>/g,
      (tag: string, prefix: string, attrs: string) =>
        /root="1\.2\.250\.1\.213\.1\.4\.(?:8|9|10|11)"/.test(attrs)
          ? `<${prefix}id root="${oid}" extension="${ins}"/>`
          : tag,
    );
    if (!traits) {
      return withIns;
    }
    const gender = GENDER_CODES[traits.sex];
    return withIns
      .replace(/(<(?:\w+:)?administrativeGenderCode\b[^>]*?\bcode=")[^"]*"/, (_m, head: string) =>
        gender !== undefined ? `${head}${gender}"` : _m,
      )
      .replace(
        /(<(?:\w+:)?birthTime\b[^>]*?\bvalue=")[^"]*"/,
        (_m, head: string) => `${head}${traits.birthDate.replaceAll('-', '')}"`,
      );
  });
}

/** Gives the ClinicalDocument (its first `id` element) a new root and no extension. */
export function rewriteClinicalDocumentId(xml: string, newRoot: string): string {
  const start = xml.search(/<(?:\w+:)?ClinicalDocument\b/);
  if (start < 0) {
    return xml;
  }
  const idAt = xml.slice(start).search(/<(?:\w+:)?id\b[^>]*\/>/);
  if (idAt < 0) {
    return xml;
  }
  const at = start + idAt;
  const tag = /<(?:\w+:)?id\b[^>]*\/>/.exec(xml.slice(at))?.[0] ?? '';
  const rewritten = tag
    .replace(/root="[^"]*"/, `root="${newRoot}"`)
    .replace(/\s+extension="[^"]*"/, '');
  return xml.slice(0, at) + rewritten + xml.slice(at + tag.length);
}
