/**
 * Rewriting a real CDA example for another patient: the recordTarget INS ids and the ClinicalDocument id.
 * Used by the demo data set and the benchmark (never on documents received from clients).
 */

/** Replaces the INS ids of recordTarget/patientRole (any namespace prefix, any attribute order). */
export function rewriteRecordTargetIns(xml: string, ins: string, oid: string): string {
  return xml.replace(/<((?:\w+:)?)recordTarget\b[\s\S]*?<\/\1recordTarget>/, (block) =>
    block.replace(/<((?:\w+:)?)id\b([^>]*?)\/>/g, (tag: string, prefix: string, attrs: string) =>
      /root="1\.2\.250\.1\.213\.1\.4\.(?:8|9|10|11)"/.test(attrs)
        ? `<${prefix}id root="${oid}" extension="${ins}"/>`
        : tag,
    ),
  );
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
