/**
 * Generates N reimbursement lines (docs/care-history.md CSV format) for the demo patients, spread over the last
 * 23 months, all distinct (so a first import imports N lines). Deterministic for a given N, seed and date.
 *
 *   node bench/gen-remboursements.ts 100000 > /tmp/remb.csv
 *   node bench/gen-remboursements.ts 1000000 --out /tmp/remb-1M.csv --today 2025-06-15
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ean13CheckDigit } from '../src/domain/care-history/line.ts';
import { PATIENTS } from '../src/demo/directory.ts';

export const HEADER =
  'ins;date_soins;type_code;code;libelle;quantite;executant_idnat_ps;executant_profession;prescripteur_idnat_ps;structure_idnat_struct;montant_rembourse';

interface Act {
  readonly kind: 'CCAM' | 'NGAP' | 'BIO' | 'CIP13';
  readonly code: string;
  readonly label: string;
  readonly executant: string;
  readonly profession: string;
  readonly prescriber: string;
  readonly structure: string;
  readonly cents: number;
}

const GP = '810001000008';
const cip = (stem: string): string => `${stem}${ean13CheckDigit(stem)}`;

export const ACTS: readonly Act[] = [
  {
    kind: 'NGAP',
    code: 'G',
    label: 'CONSULTATION MEDECINE GENERALE',
    executant: GP,
    profession: '10',
    prescriber: '',
    structure: '1750600009',
    cents: 1875,
  },
  {
    kind: 'CIP13',
    code: cip('340093000001'),
    label: 'PARACETAMOL 1000MG CPR B/8',
    executant: '810001000032',
    profession: '21',
    prescriber: GP,
    structure: '1750400004',
    cents: 130,
  },
  {
    kind: 'BIO',
    code: '1208',
    label: 'T.S.H. (SANG)',
    executant: '',
    profession: '',
    prescriber: GP,
    structure: '1750300000',
    cents: 810,
  },
  {
    kind: 'NGAP',
    code: 'AMI',
    label: 'ACTE INFIRMIER',
    executant: '810001000040',
    profession: '60',
    prescriber: GP,
    structure: '1750800005',
    cents: 315,
  },
  {
    kind: 'CCAM',
    code: 'ZBQK002',
    label: 'RADIOGRAPHIE DU THORAX',
    executant: '810001000024',
    profession: '10',
    prescriber: GP,
    structure: '1750300000',
    cents: 1995,
  },
  {
    kind: 'CIP13',
    code: cip('340093000002'),
    label: 'AMOXICILLINE 1G CPR B/6',
    executant: '810001000032',
    profession: '21',
    prescriber: GP,
    structure: '1750400004',
    cents: 240,
  },
  {
    kind: 'NGAP',
    code: 'CS',
    label: 'CONSULTATION SPECIALISTE',
    executant: '810001000016',
    profession: '10',
    prescriber: '',
    structure: '1750700007',
    cents: 2100,
  },
  {
    kind: 'BIO',
    code: '552',
    label: 'SANG : GLUCOSE (GLYCEMIE)',
    executant: '',
    profession: '',
    prescriber: GP,
    structure: '1750300000',
    cents: 108,
  },
  {
    kind: 'CCAM',
    code: 'HBMD053',
    label: 'RESTAURATION 1 FACE PREMOLAIRE',
    executant: '810001000057',
    profession: '40',
    prescriber: '',
    structure: '1690100003',
    cents: 1880,
  },
  {
    kind: 'NGAP',
    code: 'AMK',
    label: 'ACTE DE KINESITHERAPIE',
    executant: '810001000081',
    profession: '70',
    prescriber: GP,
    structure: '1750800005',
    cents: 1290,
  },
  {
    kind: 'CIP13',
    code: cip('340093000003'),
    label: 'LEVOTHYROX 75UG CPR B/30',
    executant: '810001000032',
    profession: '21',
    prescriber: GP,
    structure: '1750400004',
    cents: 195,
  },
  {
    kind: 'CCAM',
    code: 'DEQP003',
    label: 'ELECTROCARDIOGRAMME',
    executant: '810001000016',
    profession: '10',
    prescriber: '',
    structure: '1750700007',
    cents: 1196,
  },
  {
    kind: 'BIO',
    code: '1104',
    label: 'HEMOGRAMME',
    executant: '',
    profession: '',
    prescriber: GP,
    structure: '1750300000',
    cents: 640,
  },
  {
    kind: 'CCAM',
    code: 'ZCQM001',
    label: 'ECHOGRAPHIE ABDOMINALE',
    executant: '810001000024',
    profession: '10',
    prescriber: GP,
    structure: '1750300000',
    cents: 3960,
  },
];

/** A small deterministic generator (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function isoMinusDays(today: string, days: number): string {
  return new Date(Date.parse(`${today}T00:00:00Z`) - days * 86_400_000).toISOString().slice(0, 10);
}

export interface GenerateOptions {
  readonly today?: string;
  readonly seed?: number;
  /** INS to spread the lines over (default: the demo patients that have a record). */
  readonly patients?: readonly string[];
}

/** The demo patients that get a record (the one with an opposition does not). */
export function demoInsList(): string[] {
  return PATIENTS.filter((p) => !p.opposition).map((p) => p.ins);
}

/** Yields the header then `n` distinct lines. */
export function* generateLines(n: number, options: GenerateOptions = {}): Generator<string> {
  const today = options.today ?? new Date().toISOString().slice(0, 10);
  const patients = options.patients ?? demoInsList();
  const random = rng(options.seed ?? 7);
  const days = 700; // 23 months, inside the 24-month window
  yield HEADER;
  for (let i = 0; i < n; i++) {
    const ins = patients[i % patients.length] as string;
    const j = Math.floor(i / patients.length);
    const day = 1 + (j % days);
    const k = Math.floor(j / days);
    const act = ACTS[(k + Math.floor(random() * 3)) % ACTS.length] as Act;
    // Distinct per (patient, day, k): the rank on that day goes into the cents when acts repeat.
    const cents = act.cents + Math.floor(k / ACTS.length) + k;
    const quantity = act.kind === 'CIP13' ? String(1 + (j % 3)) : '1';
    yield [
      ins,
      isoMinusDays(today, day),
      act.kind,
      act.code,
      act.label,
      quantity,
      act.executant,
      act.profession,
      act.prescriber,
      act.structure,
      (cents / 100).toFixed(2).replace('.', ','),
    ].join(';');
  }
}

/** Writes the file (or stdout) with backpressure. */
export async function writeLines(
  out: NodeJS.WritableStream,
  lines: Iterable<string>,
): Promise<void> {
  let chunk = '';
  for (const line of lines) {
    chunk += `${line}\n`;
    if (chunk.length > 1 << 16) {
      if (!out.write(chunk)) {
        await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      }
      chunk = '';
    }
  }
  if (chunk) {
    out.write(chunk);
  }
  if (out !== process.stdout) {
    await new Promise<void>((resolve) => out.end(() => resolve()));
  }
}

async function main(argv: readonly string[]): Promise<void> {
  const n = Number(argv[0]);
  if (!Number.isInteger(n) || n < 0) {
    process.stderr.write(
      'usage: node bench/gen-remboursements.ts N [--out FILE] [--today AAAA-MM-JJ] [--seed S]\n',
    );
    process.exit(2);
  }
  const opt = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const file = opt('--out');
  const today = opt('--today');
  const seed = opt('--seed');
  const out = file ? fs.createWriteStream(file) : process.stdout;
  await writeLines(
    out,
    generateLines(n, { ...(today ? { today } : {}), ...(seed ? { seed: Number(seed) } : {}) }),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await main(process.argv.slice(2));
}
