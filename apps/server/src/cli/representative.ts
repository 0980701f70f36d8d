import type { OperatorActor } from '../domain/access/actor.ts';
import { DomainFailure } from '../domain/errors.ts';
import { validateIns } from '../domain/identity/ins.ts';
import type { RecordRow } from '../db/records.repository.ts';
import * as records from '../db/records.repository.ts';
import type { RepresentationRow } from '../db/representation.repository.ts';
import type { Deps } from '../services/deps.ts';
import {
  endRepresentation,
  isActive,
  listRepresentations,
  registerRepresentation,
} from '../services/representation.ts';
import { openDatabase } from './import-remboursements.ts';

/**
 * `npx opendmp representative …` — the operator registers, lists and ends the legal representatives of a minor
 * (issue 17 rule 1; the same service, rules and traces as `POST /fhir/Patient/{id}/$representative`):
 *
 *   representative add  --ins INS --id ID --name NAME [--id-system SYSTEM] [--relation CODE] [--start DATE]
 *                       [--end DATE]
 *   representative list --ins INS
 *   representative end  --ins INS --registration UUID
 *
 * Common options: `--operator ID` (the operator id in traces; default OPENDMP_OPERATOR_ID or
 * `assurance-maladie`), `--json`. Exit status: 0 done; 1 refused (the service's code and message on stderr: not a
 * minor, already registered, no such record…); 2 usage error or no database.
 */
export const USAGE = `usage: opendmp representative add  --ins INS --id ID --name NAME [--id-system SYSTEM]
                                   [--relation MTH|FTH|GUARD…] [--start YYYY-MM-DD] [--end YYYY-MM-DD]
       opendmp representative list --ins INS
       opendmp representative end  --ins INS --registration UUID
  options: --operator ID (traces; default OPENDMP_OPERATOR_ID or assurance-maladie), --json
  ID is the representative's own identifier, the one their token carries as "id" (their INS, or their subject
  at the patients' identity provider).`;

const VALUED = new Set([
  '--ins',
  '--id',
  '--id-system',
  '--name',
  '--relation',
  '--start',
  '--end',
  '--registration',
  '--operator',
]);

interface Parsed {
  readonly command: 'add' | 'list' | 'end';
  readonly values: ReadonlyMap<string, string>;
  readonly json: boolean;
}

function parse(args: readonly string[]): Parsed | string {
  const [command, ...rest] = args;
  if (command !== 'add' && command !== 'list' && command !== 'end') {
    return command === undefined || command === '--help' || command === '-h'
      ? ''
      : `unknown command ${command}`;
  }
  const values = new Map<string, string>();
  let json = false;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i] as string;
    if (a === '--json') {
      json = true;
    } else if (VALUED.has(a)) {
      const v = rest[++i];
      if (v === undefined) {
        return `${a} needs a value`;
      }
      values.set(a, v);
    } else {
      return `unknown option ${a}`;
    }
  }
  const required =
    command === 'add'
      ? ['--ins', '--id', '--name']
      : command === 'end'
        ? ['--ins', '--registration']
        : ['--ins'];
  const missing = required.filter((r) => !values.has(r));
  if (missing.length > 0) {
    return `${missing.join(', ')} required`;
  }
  return { command, values, json };
}

function dateOf(value: string | undefined, option: string): Date | null | string {
  if (value === undefined) {
    return null;
  }
  const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  return Number.isNaN(d.getTime()) ? `${option} must be a date (YYYY-MM-DD)` : d;
}

interface Described {
  readonly registration: string;
  readonly identifier: string | null;
  readonly name: string;
  readonly relation: string | null;
  readonly start: string;
  readonly end: string | null;
  readonly ended: string | null;
  readonly active: boolean;
}

function describe(row: RepresentationRow, record: RecordRow, now: Date): Described {
  return {
    registration: row.id,
    identifier: row.identifier,
    name: row.name,
    relation: row.relation,
    start: row.starts_at.toISOString(),
    end: row.ends_at?.toISOString() ?? null,
    ended: row.ended_at?.toISOString() ?? null,
    active: isActive(row, record, now),
  };
}

function line(d: Described): string {
  const until = d.ended ?? d.end ?? '18th birthday';
  return `${d.registration}  ${d.identifier ?? '(no identity)'}  ${d.name}  ${d.relation ?? '-'}  ${d.start} → ${until}  ${d.active ? 'active' : 'not active'}\n`;
}

/** Runs the command with the given dependencies (tests pass theirs). */
export async function runRepresentative(
  deps: Deps,
  args: readonly string[],
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream } = {
    stdout: process.stdout,
    stderr: process.stderr,
  },
): Promise<number> {
  const parsed = parse(args);
  if (typeof parsed === 'string') {
    io.stderr.write(`${parsed ? `opendmp representative: ${parsed}\n` : ''}${USAGE}\n`);
    return parsed ? 2 : 0;
  }
  const v = parsed.values;
  const operator: OperatorActor = {
    kind: 'operator',
    id: v.get('--operator') ?? process.env['OPENDMP_OPERATOR_ID'] ?? 'assurance-maladie',
  };
  const ins = validateIns(v.get('--ins') ?? '');
  if (!ins.ok) {
    io.stderr.write(`opendmp representative: --ins: ${ins.error.message}\n`);
    return 2;
  }
  const row = await records.findRecordByIns(deps.sql, ins.value.value);
  const patient = {
    kind: 'id',
    id: row?.patient_id ?? '00000000-0000-4000-8000-000000000000',
  } as const;
  const out = (rows: Described[]): void => {
    io.stdout.write(parsed.json ? `${JSON.stringify(rows)}\n` : rows.map(line).join(''));
  };
  try {
    switch (parsed.command) {
      case 'add': {
        const start = dateOf(v.get('--start'), '--start');
        const end = dateOf(v.get('--end'), '--end');
        if (typeof start === 'string' || typeof end === 'string') {
          io.stderr.write(
            `opendmp representative: ${String(typeof start === 'string' ? start : end)}\n`,
          );
          return 2;
        }
        const added = await registerRepresentation(deps, operator, {
          patient,
          identifierSystem: v.get('--id-system') ?? null,
          identifier: v.get('--id') ?? '',
          name: v.get('--name') ?? '',
          relation: v.get('--relation') ?? null,
          start,
          end,
        });
        out([describe(added.row, added.record, deps.clock.now())]);
        return 0;
      }
      case 'list': {
        const listed = await listRepresentations(deps, operator, patient);
        out(listed.rows.map((r) => describe(r, listed.record, deps.clock.now())));
        return 0;
      }
      case 'end': {
        const ended = await endRepresentation(
          deps,
          operator,
          patient.id,
          v.get('--registration') ?? '',
        );
        out([describe(ended.row, ended.record, deps.clock.now())]);
        return 0;
      }
    }
  } catch (e) {
    if (e instanceof DomainFailure) {
      io.stderr.write(`opendmp representative: ${e.error.code} ${e.error.message}\n`);
      return 1;
    }
    throw e;
  }
}

/** `opendmp representative …` on the configured database. */
export async function run(args: readonly string[]): Promise<number> {
  const parsed = parse(args);
  if (typeof parsed === 'string') {
    return runRepresentative({} as Deps, args);
  }
  const db = await openDatabase();
  try {
    return await runRepresentative(db.deps, args);
  } finally {
    await db.close();
  }
}
