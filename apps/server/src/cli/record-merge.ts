import type { OperatorActor } from '../domain/access/actor.ts';
import { DomainFailure } from '../domain/errors.ts';
import { validateIns } from '../domain/identity/ins.ts';
import { isUuid } from '../domain/identity/uuid.ts';
import * as records from '../db/records.repository.ts';
import type { Deps } from '../services/deps.ts';
import { mergeRecords } from '../services/record-merge.ts';
import { openDatabase } from './import-remboursements.ts';

/**
 * `npx opendmp record merge SURVIVOR ABSORBED --confirm-identity` — the operator merges two records of one person
 * (issue 17 rule 11; the same service, rules and traces as `POST /fhir/Patient/{id}/$merge`, ADR 0016). Each record
 * is named by its id or by one of its INS. Options: `--operator ID` (the operator id in traces; default
 * OPENDMP_OPERATOR_ID or `assurance-maladie`), `--json`. Exit status: 0 merged; 1 refused (the service's code and
 * message on stderr); 2 usage error or no database.
 */
export const USAGE = `usage: opendmp record merge SURVIVOR ABSORBED --confirm-identity [--operator ID] [--json]
  SURVIVOR, ABSORBED: a record id or one of its INS. The absorbed record's documents, consents, preferences and
  representatives move to the survivor, its INS resolve to the survivor, it is closed (docs/adr/0016-record-merge.md).
  --confirm-identity states that the identity of the two records was checked (required).`;

interface Parsed {
  readonly survivor: string;
  readonly absorbed: string;
  readonly confirmed: boolean;
  readonly operator: string | undefined;
  readonly json: boolean;
}

function parse(args: readonly string[]): Parsed | string {
  const [command, ...rest] = args;
  if (command !== 'merge') {
    return command === undefined || command === '--help' || command === '-h'
      ? ''
      : `unknown command ${command}`;
  }
  const positional: string[] = [];
  let confirmed = false;
  let json = false;
  let operator: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i] as string;
    if (a === '--confirm-identity') {
      confirmed = true;
    } else if (a === '--json') {
      json = true;
    } else if (a === '--operator') {
      operator = rest[++i];
      if (operator === undefined) {
        return '--operator needs a value';
      }
    } else if (a.startsWith('--')) {
      return `unknown option ${a}`;
    } else {
      positional.push(a);
    }
  }
  const [survivor, absorbed] = positional;
  if (survivor === undefined || absorbed === undefined || positional.length !== 2) {
    return 'SURVIVOR and ABSORBED required';
  }
  return { survivor, absorbed, confirmed, operator, json };
}

/** A record id as given, or the id of the record an INS resolves to (undefined when none does). */
async function recordIdOf(deps: Deps, value: string): Promise<string | undefined | Error> {
  const given: string = value;
  if (isUuid(value)) {
    return value;
  }
  const ins = validateIns(given);
  if (!ins.ok) {
    return new Error(`${given}: neither a record id nor an INS (${ins.error.message})`);
  }
  return (await records.findRecordByIns(deps.sql, ins.value.value))?.patient_id;
}

/** Runs the command with the given dependencies (tests pass theirs). */
export async function runRecordMerge(
  deps: Deps,
  args: readonly string[],
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream } = {
    stdout: process.stdout,
    stderr: process.stderr,
  },
): Promise<number> {
  const parsed = parse(args);
  if (typeof parsed === 'string') {
    io.stderr.write(`${parsed ? `opendmp record: ${parsed}\n` : ''}${USAGE}\n`);
    return parsed ? 2 : 0;
  }
  const operator: OperatorActor = {
    kind: 'operator',
    id: parsed.operator ?? process.env['OPENDMP_OPERATOR_ID'] ?? 'assurance-maladie',
  };
  const ids: string[] = [];
  for (const value of [parsed.survivor, parsed.absorbed]) {
    const id = await recordIdOf(deps, value);
    if (id instanceof Error) {
      io.stderr.write(`opendmp record: ${id.message}\n`);
      return 2;
    }
    if (id === undefined) {
      io.stderr.write(`opendmp record: REC_NOT_FOUND no record for ${value}\n`);
      return 1;
    }
    ids.push(id);
  }
  const [survivor, absorbed] = ids as [string, string];
  try {
    const merged = await mergeRecords(deps, operator, survivor, absorbed, parsed.confirmed);
    const summary = {
      survivor: merged.survivor.patient_id,
      absorbed: merged.absorbedId,
      documentsMoved: merged.documentsMoved,
      consentsMoved: merged.consentsMoved,
      consentsEnded: merged.consentsEnded,
    };
    io.stdout.write(
      parsed.json
        ? `${JSON.stringify(summary)}\n`
        : `merged ${summary.absorbed} into ${summary.survivor}: ${String(summary.documentsMoved)} documents, ${String(summary.consentsMoved)} consents (${String(summary.consentsEnded)} ended as duplicates)\n`,
    );
    return 0;
  } catch (e) {
    if (e instanceof DomainFailure) {
      io.stderr.write(`opendmp record: ${e.error.code} ${e.error.message}\n`);
      return 1;
    }
    throw e;
  }
}

/** `opendmp record …` on the configured database. */
export async function run(args: readonly string[]): Promise<number> {
  const parsed = parse(args);
  if (typeof parsed === 'string') {
    return runRecordMerge({} as Deps, args);
  }
  const db = await openDatabase();
  try {
    return await runRecordMerge(db.deps, args);
  } finally {
    await db.close();
  }
}
