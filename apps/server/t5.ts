import { readFileSync, readdirSync } from 'node:fs';
import { parseCda } from './src/validation/cda.ts';
import { deriveFromCda, validateMetadataCodes } from './src/domain/documents/metadata.ts';
import { loadReferenceData } from './src/reference/value-sets.ts';
import { validateIns } from './src/domain/identity/ins.ts';
const ref = loadReferenceData();
const ex = '/work/shared/data/external/ansforge-TestContenuCDA-3-0/ExemplesCDA/';
for (const f of readdirSync(ex)) {
  const h = parseCda(readFileSync(ex + f));
  if (!h.ok) { console.log(f, 'PARSE', JSON.stringify(h.error)); continue; }
  const m = deriveFromCda({}, h.value, ref);
  if (!m.ok) { console.log(f, 'DERIVE', JSON.stringify(m.error)); continue; }
  const issues = validateMetadataCodes(m.value, ref);
  const ins = validateIns(m.value.patient.value, m.value.patient.oid);
  const v = m.value;
  console.log(f, issues.length ? 'CODES ' + JSON.stringify(issues) : 'ok', ins.ok ? '' : 'INS:' + ins.error.code, '|', v.type.code, v.class.code, v.format.code, v.facilityType.code, v.practiceSetting.code, v.creation, v.serviceStart, v.serviceStop ?? '', v.authors.map(a => a.kind + ':' + (a.idNatPs ?? '') + ':' + (a.profession ?? '') + '/' + (a.specialty ?? '') + ':' + (a.structure?.idNatStruct ?? '')).join(','), v.sourcePatientId.system, v.languageCode);
}
