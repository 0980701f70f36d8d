/**
 * `npx opendmp vihf-cert …` — the operator registers, lists and revokes the certificates a structure signs its VIHF
 * assertions with (issue 19; the same use case and traces as the operator API, xds/vihf-admin.ts):
 *
 *   vihf-cert add    --structure IDNAT_STRUCT --cert FILE.pem [--label TEXT]
 *   vihf-cert list   [--structure IDNAT_STRUCT]
 *   vihf-cert revoke --id UUID
 *
 * Common options: `--operator ID` (traces; default OPENDMP_OPERATOR_ID or `assurance-maladie`), `--json`.
 * Exit status: 0 done; 1 refused (code and message on stderr); 2 usage error or no database.
 */
import fs from 'node:fs';
import type { OperatorActor } from '../domain/access/actor.ts';
import { DomainFailure } from '../domain/errors.ts';
import type { Deps } from '../services/deps.ts';
import {
  listVihfCertificates,
  registerVihfCertificate,
  revokeVihfCertificate,
  type CertificateView,
} from '../xds/vihf-admin.ts';
import { openDatabase } from './import-remboursements.ts';

export const USAGE = `usage: opendmp vihf-cert add    --structure IDNAT_STRUCT --cert FILE.pem [--label TEXT]
       opendmp vihf-cert list   [--structure IDNAT_STRUCT]
       opendmp vihf-cert revoke --id UUID
  options: --operator ID (traces; default OPENDMP_OPERATOR_ID or assurance-maladie), --json
  The certificate (PEM, no private key) verifies the VIHF assertions of that structure's software on the SOAP
  services (docs/xds.md).`;

const VALUED = new Set(['--structure', '--cert', '--label', '--id', '--operator']);
const REQUIRED: Record<string, string[]> = {
  add: ['--structure', '--cert'],
  list: [],
  revoke: ['--id'],
};

function line(c: CertificateView): string {
  return `${c.id}  ${c.structure}  ${c.fingerprint.slice(0, 16)}…  ${c.notBefore.slice(0, 10)} → ${c.notAfter.slice(0, 10)}  ${c.revokedAt ? `revoked ${c.revokedAt}` : 'in force'}  ${c.subject}\n`;
}

/** Runs the command with the given dependencies (tests pass theirs). */
export async function runVihfCert(
  deps: Deps,
  args: readonly string[],
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream } = {
    stdout: process.stdout,
    stderr: process.stderr,
  },
): Promise<number> {
  const [command, ...rest] = args;
  const usage = (problem: string): number => {
    io.stderr.write(`${problem ? `opendmp vihf-cert: ${problem}\n` : ''}${USAGE}\n`);
    return problem ? 2 : 0;
  };
  if (command === undefined || !(command in REQUIRED)) {
    return usage(command === undefined || command === '--help' ? '' : `unknown command ${command}`);
  }
  const values = new Map<string, string>();
  let json = false;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i] as string;
    if (a === '--json') {
      json = true;
    } else if (VALUED.has(a) && rest[i + 1] !== undefined) {
      values.set(a, rest[++i] as string);
    } else {
      return usage(`unknown option or missing value: ${a}`);
    }
  }
  const missing = (REQUIRED[command] ?? []).filter((r) => !values.has(r));
  if (missing.length > 0) {
    return usage(`${missing.join(', ')} required`);
  }
  const operator: OperatorActor = {
    kind: 'operator',
    id: values.get('--operator') ?? process.env['OPENDMP_OPERATOR_ID'] ?? 'assurance-maladie',
  };
  const out = (rows: CertificateView[]): void => {
    io.stdout.write(json ? `${JSON.stringify(rows)}\n` : rows.map(line).join(''));
  };
  try {
    if (command === 'add') {
      let pem: string;
      try {
        pem = fs.readFileSync(values.get('--cert') ?? '', 'utf8');
      } catch {
        return usage('--cert: the file cannot be read');
      }
      out([
        await registerVihfCertificate(deps, operator, {
          structure: values.get('--structure') ?? '',
          pem,
          label: values.get('--label'),
        }),
      ]);
    } else if (command === 'list') {
      out(await listVihfCertificates(deps, values.get('--structure')));
    } else {
      await revokeVihfCertificate(deps, operator, values.get('--id') ?? '');
      io.stdout.write(json ? '{"revoked":true}\n' : 'revoked\n');
    }
    return 0;
  } catch (e) {
    if (e instanceof DomainFailure) {
      io.stderr.write(`opendmp vihf-cert: ${e.error.code}: ${e.error.message}\n`);
      return 1;
    }
    throw e;
  }
}

/** Entry point from cli/main.ts. */
export async function run(args: readonly string[]): Promise<number> {
  const db = await openDatabase();
  try {
    return await runVihfCert(db.deps, args);
  } finally {
    await db.close();
  }
}
