/**
 * Registering, listing and revoking the structures' VIHF certificates (issue 19): one use case for the CLI
 * (`opendmp vihf-cert`) and the operator API, each change and its trace (system chain) in one transaction.
 */
import type { OperatorActor } from '../domain/access/actor.ts';
import { DomainFailure, domainError } from '../domain/errors.ts';
import { audit } from '../services/audit.ts';
import type { Deps } from '../services/deps.ts';
import {
  addCertificate,
  CertificateInputError,
  listCertificates,
  revokeCertificate,
  type CertificateRow,
} from './vihf-store.ts';

/** What the API and the CLI show of a certificate (never its key: there is none stored). */
export interface CertificateView {
  readonly id: string;
  readonly structure: string;
  readonly subject: string;
  readonly fingerprint: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly label: string | null;
  readonly addedAt: string;
  readonly addedBy: string;
  readonly revokedAt: string | null;
}

export function viewOf(r: CertificateRow): CertificateView {
  return {
    id: r.id,
    structure: r.structure,
    subject: r.subject,
    fingerprint: r.fingerprint,
    notBefore: r.notBefore.toISOString(),
    notAfter: r.notAfter.toISOString(),
    label: r.label,
    addedAt: r.addedAt.toISOString(),
    addedBy: r.addedBy,
    revokedAt: r.revokedAt?.toISOString() ?? null,
  };
}

export async function registerVihfCertificate(
  deps: Deps,
  operator: OperatorActor,
  input: { structure: string; pem: string; label?: string | undefined },
): Promise<CertificateView> {
  try {
    return await deps.sql.begin(async (tx) => {
      const row = await addCertificate(tx, { ...input, by: operator.id, at: deps.clock.now() });
      await audit(tx, deps, operator, null, {
        action: 'vihf.certificate.add',
        outcome: 'success',
        entityType: 'VihfCertificate',
        entityId: row.id,
        detail: { structure: row.structure, fingerprint: row.fingerprint },
      });
      return viewOf(row);
    });
  } catch (e) {
    if (e instanceof CertificateInputError) {
      throw new DomainFailure(
        domainError(e.code === 'VIHF_CERT_DUPLICATE' ? 'conflict' : 'invalid', e.code, e.message),
      );
    }
    throw e;
  }
}

export async function listVihfCertificates(
  deps: Deps,
  structure?: string,
): Promise<CertificateView[]> {
  return (await listCertificates(deps.sql, structure)).map(viewOf);
}

export async function revokeVihfCertificate(
  deps: Deps,
  operator: OperatorActor,
  id: string,
): Promise<void> {
  await deps.sql.begin(async (tx) => {
    if (!(await revokeCertificate(tx, id, operator.id, deps.clock.now()))) {
      throw new DomainFailure(
        domainError('not-found', 'VIHF_CERT_NOT_FOUND', 'No certificate in force has this id.'),
      );
    }
    await audit(tx, deps, operator, null, {
      action: 'vihf.certificate.revoke',
      outcome: 'success',
      entityType: 'VihfCertificate',
      entityId: id.toLowerCase(),
    });
  });
}
