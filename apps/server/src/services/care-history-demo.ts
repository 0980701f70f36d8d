import { Readable } from 'node:stream';
import type { OperatorActor } from '../domain/access/actor.ts';
import { ean13CheckDigit } from '../domain/care-history/line.ts';
import { isoDay } from '../domain/care-history/window.ts';
import * as careDb from '../db/care-history.repository.ts';
import * as records from '../db/records.repository.ts';
import { PATIENTS } from '../demo/directory.ts';
import { importCareLines } from './care-history-import.ts';
import { regeneratePendingDocuments } from './care-history-document.ts';
import type { Deps } from './deps.ts';

/**
 * Demo care history: for each demo patient with an active record and no care history yet, about sixty reimbursement
 * lines over the last 23 months, imported through the operator's importer (validated, traced) and turned into the
 * CNAM-HR document (deposited through the document service). Idempotent: a record that already has a care history
 * is left alone. Call after the demo records exist (demo/load.ts).
 */
export const DEMO_FEED_OPERATOR: OperatorActor = {
  kind: 'operator',
  id: 'assurance-maladie',
  name: 'Assurance Maladie — flux des remboursements (démonstration)',
};

const GP = '810001000008';
const cip = (stem: string): string => `${stem}${ean13CheckDigit(stem)}`;

const HEADER =
  'ins;date_soins;type_code;code;libelle;quantite;executant_idnat_ps;executant_profession;prescripteur_idnat_ps;structure_idnat_struct;montant_rembourse';

/** [kind, code, label, executant, profession, prescriber, structure, euros] */
const ACTS: readonly (readonly [string, string, string, string, string, string, string, string])[] =
  [
    ['NGAP', 'G', 'CONSULTATION MEDECINE GENERALE', GP, '10', '', '1750600009', '18,75'],
    [
      'CIP13',
      cip('340093000001'),
      'PARACETAMOL 1000MG CPR B/8',
      '810001000032',
      '21',
      GP,
      '1750400004',
      '1,30',
    ],
    ['BIO', '1208', 'T.S.H. (SANG)', '', '', GP, '1750300000', '8,10'],
    [
      'CIP13',
      cip('340093000003'),
      'LEVOTHYROX 75UG CPR B/30',
      '810001000032',
      '21',
      GP,
      '1750400004',
      '1,95',
    ],
    ['NGAP', 'CS', 'CONSULTATION SPECIALISTE', '810001000016', '10', GP, '1750700007', '21,00'],
    ['CCAM', 'DEQP003', 'ELECTROCARDIOGRAMME', '810001000016', '10', '', '1750700007', '11,96'],
    ['BIO', '552', 'SANG : GLUCOSE (GLYCEMIE)', '', '', GP, '1750300000', '1,08'],
    ['CCAM', 'ZBQK002', 'RADIOGRAPHIE DU THORAX', '810001000024', '10', GP, '1750300000', '19,95'],
    ['NGAP', 'AMI', 'ACTE INFIRMIER', '810001000040', '60', GP, '1750800005', '3,15'],
    [
      'CCAM',
      'HBMD053',
      'RESTAURATION 1 FACE PREMOLAIRE',
      '810001000057',
      '40',
      '',
      '1690100003',
      '18,80',
    ],
    [
      'CIP13',
      cip('340093000002'),
      'AMOXICILLINE 1G CPR B/6',
      '810001000032',
      '21',
      GP,
      '1750400004',
      '2,40',
    ],
    ['NGAP', 'AMK', 'ACTE DE KINESITHERAPIE', '810001000081', '70', GP, '1750800005', '12,90'],
  ];

function minusDays(today: string, days: number): string {
  return new Date(Date.parse(`${today}T00:00:00Z`) - days * 86_400_000).toISOString().slice(0, 10);
}

/** The demo lines of one patient (deterministic for a date and a patient rank). */
export function demoLines(ins: string, rank: number, today: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < 60; i++) {
    const act = ACTS[(i * 7 + rank * 3) % ACTS.length] as (typeof ACTS)[number];
    const day = 3 + ((i * 11 + rank * 5) % 690);
    const [kind, code, label, executant, profession, prescriber, structure, euros] = act;
    out.push(
      [
        ins,
        minusDays(today, day),
        kind,
        code,
        label,
        kind === 'CIP13' ? String(1 + (i % 2)) : '1',
        executant,
        profession,
        prescriber,
        structure,
        euros,
      ].join(';'),
    );
  }
  return out;
}

export async function loadDemoCareHistory(
  deps: Deps,
): Promise<{ patients: number; lines: number; documents: number }> {
  const today = isoDay(deps.clock.now());
  const lines: string[] = [];
  let patients = 0;
  for (const [rank, p] of PATIENTS.entries()) {
    if (p.opposition) {
      continue;
    }
    const row = await records.findRecordByIns(deps.sql, p.ins);
    if (!row || row.status !== 'active' || (await careDb.findState(deps.sql, row.patient_id))) {
      continue;
    }
    patients++;
    lines.push(...demoLines(p.ins, rank, today));
  }
  if (lines.length === 0) {
    return { patients: 0, lines: 0, documents: 0 };
  }
  const summary = await importCareLines(
    deps,
    DEMO_FEED_OPERATOR,
    Readable.from([`${[HEADER, ...lines].join('\n')}\n`]),
  );
  const docs = await regeneratePendingDocuments(deps, DEMO_FEED_OPERATOR);
  return { patients, lines: summary.imported, documents: docs.generated };
}
