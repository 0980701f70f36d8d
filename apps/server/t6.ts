import { readFileSync, readdirSync } from 'node:fs';
import { fromDocumentReference, validateMetadataCodes, readDocumentReferenceDraft } from './src/domain/documents/metadata.ts';
import { loadReferenceData } from './src/reference/value-sets.ts';
import { validateFhirResource } from './src/validation/fhir-schema.ts';
const ref = loadReferenceData();
const dirs = ['/work/shared/data/external/ansforge-IG-FHIR-PDSM4DMP-EEDS/main/ig', '/work/shared/data/external/ansforge-IG-fhir-partage-de-documents-de-sante/main/ig', '/work/shared/data/external/oehf-ipf/commons/ihe/fhir/r4/mhd/src/test/resources'];
const demo = { value: '279035121518989', oid: '1.2.250.1.213.1.4.10' };
for (const dir of dirs) for (const f of readdirSync(dir)) {
  if (!/^(DocumentReference|Bundle)|test\.json/.test(f)) continue;
  const r = JSON.parse(readFileSync(`${dir}/${f}`, 'utf8'));
  const drs: Array<[string, any]> = r.resourceType === 'Bundle' ? (r.entry ?? []).flatMap((e: any, i: number) => e.resource?.resourceType === 'DocumentReference' ? [[`entry[${i}]`, e.resource]] : []) : [['', r]];
  const s = validateFhirResource(r);
  console.log('==', f, 'schema', s.length);
  for (const [at, dr0] of drs) {
    const dr = { ...dr0, subject: { reference: 'Patient?identifier=urn:oid:1.2.250.1.213.1.4.10|279035121518989' } };
    const m = fromDocumentReference(dr, ref, { requireCurrent: r.type !== 'searchset' && dr.id !== 'doc-x-id' });
    const d = readDocumentReferenceDraft(dr, ref);
    const codes = validateMetadataCodes(d.draft, ref);
    console.log('  ', at, m.ok ? 'READ ok' : 'READ ' + m.error.map(i => i.code + '@' + i.location?.join().replace('DocumentReference.','')).join(' '), '| CODES', codes.map(i => i.code + '@' + i.location?.join().replace('DocumentReference.','') ).join(' '));
  }
}
