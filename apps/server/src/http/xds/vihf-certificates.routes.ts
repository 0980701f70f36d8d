/**
 * The operator API of the VIHF certificates (issue 19; the same use case and traces as `opendmp vihf-cert`):
 *
 *   GET    /admin/vihf-certificates[?structure=IDNAT_STRUCT]   → 200 [{id, structure, subject, fingerprint, …}]
 *   POST   /admin/vihf-certificates   {"structure": "…", "certificate": "<PEM>", "label"?: "…"}
 *                                     → 201 the certificate; 400 VIHF_CERT_INVALID / VIHF_CERT_STRUCTURE_INVALID /
 *                                       VIHF_CERT_PRIVATE_KEY; 409 VIHF_CERT_DUPLICATE
 *   DELETE /admin/vihf-certificates/{id}   → 204 revoked (it stays listed, revokedAt set); 404 VIHF_CERT_NOT_FOUND
 *
 * Bearer token of an operator only; anyone else: 403 ACCESS_ACTION_NOT_PERMITTED, traced as a denial.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { OperatorActor } from '../../domain/access/actor.ts';
import { DomainFailure, domainError } from '../../domain/errors.ts';
import { auditDenial } from '../../services/audit.ts';
import type { Deps } from '../../services/deps.ts';
import {
  listVihfCertificates,
  registerVihfCertificate,
  revokeVihfCertificate,
} from '../../xds/vihf-admin.ts';

export const VIHF_CERTIFICATES_PATH = '/admin/vihf-certificates';

async function operatorOf(
  deps: Deps,
  request: FastifyRequest,
  action: string,
): Promise<OperatorActor> {
  const actor = request.actor;
  if (actor?.kind === 'operator') {
    return actor;
  }
  if (actor) {
    await auditDenial(deps, actor, null, { action, reasonCode: 'ACCESS_ACTION_NOT_PERMITTED' });
  }
  throw new DomainFailure(
    domainError(
      'forbidden',
      'ACCESS_ACTION_NOT_PERMITTED',
      'This action is reserved to the operator.',
    ),
  );
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function registerVihfCertificateRoutes(app: FastifyInstance, deps: Deps): void {
  app.get<{ Querystring: { structure?: string } }>(VIHF_CERTIFICATES_PATH, async (request) => {
    await operatorOf(deps, request, 'vihf.certificate.list');
    return listVihfCertificates(deps, str(request.query.structure));
  });

  app.post(VIHF_CERTIFICATES_PATH, async (request, reply) => {
    const operator = await operatorOf(deps, request, 'vihf.certificate.add');
    const body = (request.body ?? {}) as Record<string, unknown>;
    const structure = str(body['structure']);
    const pem = str(body['certificate']);
    if (structure === undefined || pem === undefined) {
      throw new DomainFailure(
        domainError(
          'invalid',
          'VIHF_CERT_BODY_INVALID',
          'The body is {"structure", "certificate" (PEM), "label"?}.',
        ),
      );
    }
    const view = await registerVihfCertificate(deps, operator, {
      structure,
      pem,
      label: str(body['label']),
    });
    return reply.code(201).send(view);
  });

  app.delete<{ Params: { id: string } }>(
    `${VIHF_CERTIFICATES_PATH}/:id`,
    async (request, reply) => {
      const operator = await operatorOf(deps, request, 'vihf.certificate.revoke');
      await revokeVihfCertificate(deps, operator, request.params.id);
      return reply.code(204).send();
    },
  );
}
