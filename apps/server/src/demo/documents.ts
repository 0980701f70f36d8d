import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProfessionalActor } from '../domain/access/actor.ts';
import * as records from '../db/records.repository.ts';
import type { Deps } from '../services/deps.ts';
import { documentDeps } from '../services/documents/context.ts';
import { publishDocument } from '../http/fhir/publish.ts';
import { parseCda } from '../validation/cda.ts';
import { PATIENTS, TEST_NIR_OID } from './directory.ts';
import { rewriteClinicalDocumentId, rewriteRecordTargetIns } from './cda-rewrite.ts';

/**
 * Demo documents: each demo patient receives a few of the real ANS CDA examples (copied under
 * reference/demo-documents/cda with their sources), recordTarget rewritten to the patient's INS and a fresh
 * document id, deposited through the ITI-105 service as the example's own author — validated and traced like
 * any deposit. Idempotent: a patient who already has documents is skipped.
 */
export const DEMO_CDA_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../reference/demo-documents/cda',
);

/** Small and varied examples first (biology, vaccination, letters, synthesis, prescriptions, imaging). */
const PREFERRED = [
  'BIO-TROD_2024.01_Angine.xml',
  'VAC-NOTE_2023.01.xml',
  'LDL-EES_2022.01.xml',
  'VSM_1.4_2022.01.xml',
  'eDISP-MED_2024.01.xml',
  'OBP-SCM_2024.01.xml',
  'AVC-SUNV_2022.01.xml',
  'IMG_CR_IMG_2024.01_CDA-R2-Niveau-1.xml',
  'VAC_2023.01.xml',
  'CARD-F-PRC-AVK_2022.01.xml',
  'BIO-TROD_2024.01_COVID-19.xml',
  'DLU-EHPAD-FLUDT_2022.01.xml',
];

function demoOid(patientIndex: number, docIndex: number): string {
  // An arc of our own under the test OID space of the demo: unique per (patient, document).
  return `1.2.250.1.213.1.4.10.999.${patientIndex + 1}.${docIndex + 1}`;
}

export async function loadDemoDocuments(
  deps: Deps,
  perPatient = 3,
): Promise<{ deposited: number; failed: number }> {
  const docDeps = documentDeps(deps);
  const examples = PREFERRED.filter((f) => fs.existsSync(path.join(DEMO_CDA_DIR, f))).map((f) =>
    fs.readFileSync(path.join(DEMO_CDA_DIR, f), 'utf8'),
  );
  let deposited = 0;
  let failed = 0;
  for (const [pi, p] of PATIENTS.entries()) {
    if (p.opposition) {
      continue;
    }
    const patientId = await records.findPatientIdByIns(deps.sql, p.ins);
    if (!patientId) {
      continue;
    }
    const [existing] = await deps.sql<
      { n: number }[]
    >`SELECT count(*)::int AS n FROM document WHERE patient_id = ${patientId}`;
    if ((existing?.n ?? 0) > 0) {
      continue;
    }
    for (let d = 0; d < perPatient; d++) {
      const source = examples[(pi * perPatient + d) % examples.length];
      if (!source) {
        continue;
      }
      const xml = rewriteClinicalDocumentId(
        rewriteRecordTargetIns(source, p.ins, TEST_NIR_OID, p),
        demoOid(pi, d),
      );
      const bytes = Buffer.from(xml, 'utf8');
      const header = parseCda(bytes);
      if (!header.ok) {
        failed++;
        continue;
      }
      const author = header.value.authors.find((a) => a.idNatPs) ?? header.value.authors[0];
      const structure = author?.organization?.ids.find(
        (i) => i.root === '1.2.250.1.71.4.2.2',
      )?.extension;
      const actor: ProfessionalActor = {
        kind: 'professional',
        idNatPs: author?.idNatPs ?? '899700366240',
        profession: /^G15_(\w+)/.exec(author?.role?.code ?? '')?.[1] ?? '10',
        ...(structure ? { structure } : {}),
        mode: 'normal',
      };
      try {
        await publishDocument(docDeps, actor, {
          resourceType: 'DocumentReference',
          status: 'current',
          subject: { reference: `Patient?identifier=urn:oid:${TEST_NIR_OID}|${p.ins}` },
          content: [{ attachment: { contentType: 'text/xml', data: bytes.toString('base64') } }],
        });
        deposited++;
      } catch (e) {
        failed++;
        deps.log.warn(
          { example: d, err: e instanceof Error ? e.message : String(e) },
          'demo document refused',
        );
      }
    }
  }
  return { deposited, failed };
}
