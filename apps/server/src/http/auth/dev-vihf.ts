/**
 * Development VIHF (product.md §3, a fixed interface; issue 19). Registered only where `/auth/dev/token` is
 * (`config.demo`), never in production:
 *
 *   POST /auth/dev/vihf   the JSON body of a professional's dev token (dev-idp.ts), plus optional
 *                         "authMode": "DIRECTE" | "INDIRECTE" | "INDIRECTE_RENFORCEE" (default DIRECTE);
 *                         "structure" is required (the VIHF names its structure)
 *   → 200 {"assertion":"<saml2:Assertion …>"}  a VIHF valid 1 h, signed with the demo structure certificate
 *         (src/xds/demo/, its SOURCES.md), ready for the WS-Security header; usable once
 *   → 400 AUTH_DEV_BODY_INVALID (not a professional, no structure, bad authMode, or what /auth/dev/token refuses)
 *
 * The demo certificate is registered for the body's structure on first use (traced as the operator `demo`).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { DomainFailure, domainError } from '../../domain/errors.ts';
import type { Deps } from '../../services/deps.ts';
import {
  AUTH_MODES,
  buildAssertion,
  certificateSubject,
  signAssertion,
  type AuthMode,
  type SigningKey,
} from '../../xds/vihf.ts';
import { registerVihfCertificate } from '../../xds/vihf-admin.ts';
import { actorFromDevBody } from './dev-idp.ts';

export const DEV_VIHF_PATH = '/auth/dev/vihf';
export const DEV_VIHF_TTL_SECONDS = 3600;

const DEMO_DIR = new URL('../../xds/demo/', import.meta.url);

/** The demo structure's signing key and certificate (public: src/xds/demo/SOURCES.md). */
export function demoVihfKey(): SigningKey {
  return {
    privateKeyPem: fs.readFileSync(fileURLToPath(new URL('vihf-demo.key.pem', DEMO_DIR)), 'utf8'),
    certificatePem: fs.readFileSync(fileURLToPath(new URL('vihf-demo.cert.pem', DEMO_DIR)), 'utf8'),
  };
}

function invalid(message: string, location?: string): DomainFailure {
  return new DomainFailure(
    domainError('invalid', 'AUTH_DEV_BODY_INVALID', message, location ? [location] : undefined),
  );
}

/** Ensures the demo certificate is registered for a structure (once per process and structure). */
async function ensureDemoCertificate(
  deps: Deps,
  key: SigningKey,
  structure: string,
  done: Set<string>,
): Promise<void> {
  if (done.has(structure)) {
    return;
  }
  try {
    await registerVihfCertificate(
      deps,
      { kind: 'operator', id: 'demo' },
      { structure, pem: key.certificatePem, label: 'opendmp demo VIHF certificate (NOT SECRET)' },
    );
  } catch (e) {
    if (!(e instanceof DomainFailure) || e.error.code !== 'VIHF_CERT_DUPLICATE') {
      throw e;
    }
  }
  done.add(structure);
}

/** Registers the route; call only when `config.demo` (as the dev identity provider). */
export function registerDevVihf(app: FastifyInstance, deps: Deps): void {
  const key = demoVihfKey();
  const issuer = certificateSubject(key.certificatePem);
  const registered = new Set<string>();
  app.post(DEV_VIHF_PATH, { config: { public: true } }, async (request, reply) => {
    const raw = request.body;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw invalid('The body must be a JSON object');
    }
    const { authMode, ...body } = raw as Record<string, unknown>;
    if (authMode !== undefined && !AUTH_MODES.includes(authMode as AuthMode)) {
      throw invalid(`"authMode" must be one of ${AUTH_MODES.join(', ')}`, 'authMode');
    }
    const actor = actorFromDevBody(body);
    if (actor.kind !== 'professional') {
      throw invalid('A VIHF names a professional: "kind" must be "professional"', 'kind');
    }
    if (actor.structure === undefined) {
      throw invalid('A VIHF names its structure: "structure" is required', 'structure');
    }
    await ensureDemoCertificate(deps, key, actor.structure, registered);
    const now = deps.clock.now();
    const assertion = signAssertion(
      buildAssertion(
        {
          idNatPs: actor.idNatPs,
          profession: actor.profession,
          ...(actor.professionSystem === 'TRE_R94' && { professionOid: '1.2.250.1.213.1.6.1.4' }),
          ...(actor.professionSystem === 'TRE_R95' && { professionOid: '1.2.250.1.213.1.6.1.109' }),
          ...(actor.professionSystem === 'TRE_G16' && { professionOid: '1.2.250.1.71.1.2.8' }),
          ...(actor.specialty !== undefined && { specialty: actor.specialty }),
          structure: actor.structure,
          ...(actor.sector !== undefined && { sector: actor.sector }),
          ...(actor.name !== undefined && { name: actor.name }),
          mode: actor.mode,
          ...(actor.reason !== undefined && { reason: actor.reason }),
          ...(actor.emergencyIns !== undefined && { ins: actor.emergencyIns }),
          ...(actor.secret === true && { secret: true }),
          authMode: (authMode as AuthMode | undefined) ?? 'DIRECTE',
        },
        issuer,
        `_${randomUUID()}`,
        now,
        new Date(now.getTime() + DEV_VIHF_TTL_SECONDS * 1000),
      ),
      key,
    );
    return reply.header('cache-control', 'no-store').send({ assertion });
  });
}
