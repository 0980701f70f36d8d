import type { FastifyInstance } from 'fastify';
import { linkBase } from '../link-base.ts';
import { readConsent, readPatientRef } from './consent-reading.ts';
import { DomainFailure, domainError, validationError } from '../../domain/errors.ts';
import * as consentService from '../../services/consent.ts';
import type { Deps } from '../../services/deps.ts';
import { lookupDirectory } from '../../services/directory.ts';
import { FHIR_JSON } from '../error-handler.ts';
import { searchset } from './bundle.ts';
import { toFhirConsent } from './consent-mapping.ts';
import { parseToken } from './parameters.ts';
import { actorOf } from '../actor.ts';
import { requireFhirStructure } from './structure.ts';

export function registerConsentRoutes(app: FastifyInstance, deps: Deps): void {
  app.post('/fhir/Consent', async (request, reply) => {
    const base = linkBase(request, deps.config);
    const actor = actorOf(request);
    // provision.actor.role may be left out: the actor's identifier system says who it is (docs/api.md).
    requireFhirStructure(request.body, 'Consent', [/\.actor\[\d+\]\.role$/]);
    const parsed = readConsent(request.body);
    if (!parsed.ok) {
      throw new DomainFailure(validationError(parsed.error));
    }
    const { row, record, created } = await consentService
      .declareConsent(deps, actor, parsed.value)
      .catch((e: unknown) => {
        // The core names the intent's field; a Consent carries it in provision.actor.
        if (e instanceof DomainFailure && e.error.location?.[0] === 'intent.actorId') {
          throw new DomainFailure({ ...e.error, location: ['Consent.provision.actor[0]'] });
        }
        throw e;
      });
    const directory = await lookupDirectory(
      deps,
      row.actor_kind === 'professional' && row.actor_id ? [row.actor_id] : [],
      row.actor_kind === 'structure' && row.actor_id ? [row.actor_id] : [],
    );
    return reply
      .code(created ? 201 : 200)
      .header('Location', `${base}/fhir/Consent/${row.id}`)
      .type(FHIR_JSON)
      .send(toFhirConsent(row, record, directory));
  });

  app.get('/fhir/Consent', async (request, reply) => {
    const base = linkBase(request, deps.config);
    const actor = actorOf(request);
    const q = request.query as Record<string, string | undefined>;
    const token = q['patient.identifier'];
    const patient = q['patient'];
    const ref = token
      ? (() => {
          const t = parseToken(token);
          return readPatientRef({ identifier: { system: t.system, value: t.value } });
        })()
      : patient
        ? readPatientRef({ reference: patient.includes('/') ? patient : `Patient/${patient}` })
        : undefined;
    if (!ref) {
      throw new DomainFailure(
        domainError(
          'invalid',
          'CONSENT_PATIENT_REQUIRED',
          'Search with patient.identifier=<system>|<INS> or patient=<id>.',
          ['patient.identifier'],
        ),
      );
    }
    const status = q['status'];
    const { record, rows } = await consentService.listConsents(
      deps,
      actor,
      ref,
      status === 'inactive' || status === 'all',
    );
    const filtered = status === 'inactive' ? rows.filter((r) => r.status === 'inactive') : rows;
    const directory = await lookupDirectory(
      deps,
      filtered
        .filter((r) => r.actor_kind === 'professional' && r.actor_id)
        .map((r) => r.actor_id as string),
      filtered
        .filter((r) => r.actor_kind === 'structure' && r.actor_id)
        .map((r) => r.actor_id as string),
    );
    return reply.type(FHIR_JSON).send(
      searchset(
        base,
        `${base}${request.url}`,
        filtered.map((r) => ({ resource: toFhirConsent(r, record, directory) })),
        filtered.length,
      ),
    );
  });

  app.get('/fhir/Consent/:id', async (request, reply) => {
    const actor = actorOf(request);
    const { id } = request.params as { id: string };
    const { record, row } = await consentService.readConsentById(deps, actor, id);
    const directory = await lookupDirectory(
      deps,
      row.actor_kind === 'professional' && row.actor_id ? [row.actor_id] : [],
      row.actor_kind === 'structure' && row.actor_id ? [row.actor_id] : [],
    );
    return reply.type(FHIR_JSON).send(toFhirConsent(row, record, directory));
  });

  app.delete('/fhir/Consent/:id', async (request, reply) => {
    const actor = actorOf(request);
    const { id } = request.params as { id: string };
    await consentService.endConsent(deps, actor, id);
    return reply.code(204).send();
  });
}
